//! Response shapes: full objects, metadata-only (`PartialObjectMetadata`) and server-side
//! `Table`s, chosen by the client's Accept header as the API server does.

use super::resources::ResourceType;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Full,
    Metadata,
    Table,
}

/// The first shape the Accept header asks for that the simulator can give.
pub fn shape_from_accept(accept: &str) -> Shape {
    for part in accept.split(',') {
        if part.contains("as=Table") {
            return Shape::Table;
        }
        if part.contains("as=PartialObjectMetadata") {
            return Shape::Metadata;
        }
        if part.trim().starts_with("application/json") || part.trim().starts_with("*/*") {
            return Shape::Full;
        }
    }
    Shape::Full
}

pub fn partial_metadata(object: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// How long ago an RFC 3339 time was, the way kubectl prints ages (`5d`, `3h12m`, `40s`).
pub fn age(timestamp: &str) -> String {
    let Ok(then) = timestamp.parse::<jiff::Timestamp>() else {
        return "<unknown>".into();
    };
    let seconds = (jiff::Timestamp::now().as_second() - then.as_second()).max(0);
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 600 => format!("{}m{}s", s / 60, s % 60),
        s if s < 3 * 3600 => format!("{}m", s / 60),
        s if s < 8 * 3600 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        s if s < 2 * 86400 => format!("{}h", s / 3600),
        s if s < 8 * 86400 => format!("{}d{}h", s / 86400, (s % 86400) / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn text(object: &Value, pointer: &str) -> String {
    match object.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn number(object: &Value, pointer: &str) -> i64 {
    object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn column(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "type": kind, "format": if name == "Name" { "name" } else { "" }, "description": description, "priority": 0})
}

/// Column definitions and the cells of one row, per kind.
fn columns(t: &ResourceType) -> Vec<Value> {
    let name = column("Name", "string", "Name must be unique within a namespace.");
    let age = column(
        "Age",
        "string",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    );
    match t.kind {
        "Pod" => vec![
            name,
            column(
                "Ready",
                "string",
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            column(
                "Status",
                "string",
                "The aggregate status of the containers in this pod.",
            ),
            column(
                "Restarts",
                "string",
                "The number of times the containers in this pod have been restarted.",
            ),
            age,
        ],
        "Deployment" => vec![
            name,
            column("Ready", "string", "Number of the pod with ready state"),
            column(
                "Up-to-date",
                "string",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            column(
                "Available",
                "string",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            age,
        ],
        "Namespace" | "PersistentVolumeClaim" | "PersistentVolume" => {
            vec![
                name,
                column("Status", "string", "The status of the object."),
                age,
            ]
        }
        _ => vec![name, age],
    }
}

fn cells(t: &ResourceType, object: &Value) -> Vec<Value> {
    let name = json!(text(object, "/metadata/name"));
    let age = json!(age(&text(object, "/metadata/creationTimestamp")));
    match t.kind {
        "Pod" => {
            let statuses = object
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array);
            let total = object
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let ready = statuses.map_or(0, |s| {
                s.iter().filter(|c| c["ready"] == json!(true)).count()
            });
            let restarts: i64 = statuses.map_or(0, |s| {
                s.iter()
                    .map(|c| c["restartCount"].as_i64().unwrap_or(0))
                    .sum()
            });
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(text(object, "/status/phase")),
                json!(restarts.to_string()),
                age,
            ]
        }
        "Deployment" => {
            let desired = number(object, "/spec/replicas");
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    number(object, "/status/readyReplicas"),
                    desired
                )),
                json!(number(object, "/status/updatedReplicas")),
                json!(number(object, "/status/availableReplicas")),
                age,
            ]
        }
        "Namespace" | "PersistentVolumeClaim" | "PersistentVolume" => {
            vec![name, json!(text(object, "/status/phase")), age]
        }
        _ => vec![name, age],
    }
}

/// A Table of `objects`. `include` is the `includeObject` query parameter.
pub fn table(
    t: &ResourceType,
    objects: &[std::sync::Arc<Value>],
    list_metadata: Value,
    include: &str,
) -> Value {
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut row = json!({"cells": cells(t, o)});
            match include {
                "None" => {}
                "Object" => row["object"] = (**o).clone(),
                _ => row["object"] = partial_metadata(o),
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": columns(t),
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Resources;
    use aigov_core::model::Kind;
    use std::sync::Arc;

    #[test]
    fn accept_headers_choose_the_shape() {
        assert_eq!(
            shape_from_accept("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"),
            Shape::Table
        );
        assert_eq!(
            shape_from_accept("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
            Shape::Metadata
        );
        assert_eq!(shape_from_accept("application/json"), Shape::Full);
        assert_eq!(shape_from_accept(""), Shape::Full);
    }

    #[test]
    fn pod_rows_show_readiness_and_restarts() {
        let r = Resources::new();
        let t = r.get(r.id_of(Kind::Pod).unwrap());
        let pod = json!({"metadata": {"name": "p", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running", "containerStatuses": [{"ready": true, "restartCount": 2}, {"ready": false, "restartCount": 1}]}});
        let table = table(t, &[Arc::new(pod)], json!({}), "");
        assert_eq!(
            table["rows"][0]["cells"],
            json!(["p", "1/2", "Running", "3", table["rows"][0]["cells"][4]])
        );
        assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert!(
            table["rows"][0]["cells"][4]
                .as_str()
                .unwrap()
                .ends_with('d')
        );
    }
}
