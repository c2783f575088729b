//! Preparing objects for the store: validation of identity fields, server-set metadata
//! (uid, creationTimestamp, generation) and the defaults the API server would fill in.

use super::resources::ResourceType;
use super::status::ApiError;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Map, Value, json};

pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub fn new_uid() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn metadata_mut(object: &mut Value) -> Result<&mut Map<String, Value>, ApiError> {
    let map = object
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("the request body is not a JSON object"))?;
    let meta = map.entry("metadata").or_insert_with(|| json!({}));
    if meta.is_null() {
        *meta = json!({});
    }
    meta.as_object_mut()
        .ok_or_else(|| ApiError::bad_request("metadata must be an object"))
}

pub fn name_of(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

pub fn namespace_of(object: &Value) -> &str {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Check that the body's apiVersion/kind are the resource's, and fill them in when absent.
pub fn check_type(t: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
    let expected = t.api_version();
    let map = object
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("the request body is not a JSON object"))?;
    match map.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("apiVersion".into(), json!(expected));
        }
        Some(v) if v == expected => {}
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({expected})"
            )));
        }
    }
    match map.get("kind").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("kind".into(), json!(t.kind));
        }
        Some(k) if k == t.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                t.kind
            )));
        }
    }
    Ok(())
}

/// RBAC objects may use `:` (system:masters); everything else is a DNS subdomain, and
/// namespaces a DNS label.
fn validate_name(t: &ResourceType, name: &str) -> Result<(), String> {
    if t.group == "rbac.authorization.k8s.io" {
        if name.contains('/') || name.contains('%') || name == "." || name == ".." {
            return Err(format!(
                "metadata.name: Invalid value: {name:?}: may not contain '/' or '%'"
            ));
        }
        return Ok(());
    }
    let max = if t.kind == "Namespace" { 63 } else { 253 };
    let ok = name.len() <= max
        && name.chars().all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || c == '-'
                || (c == '.' && t.kind != "Namespace")
        })
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "metadata.name: Invalid value: {name:?}: a lowercase RFC 1123 {} must consist of lower case alphanumeric characters, '-'{}, and must start and end with an alphanumeric character",
            if t.kind == "Namespace" {
                "label"
            } else {
                "subdomain"
            },
            if t.kind == "Namespace" { "" } else { " or '.'" }
        ))
    }
}

/// Make `object` ready to be created at `namespace`: identity checks, generated name,
/// server-set metadata and defaults. `keep_status` keeps a given status (bulk loads).
pub fn prepare_new(
    t: &ResourceType,
    namespace: &str,
    object: &mut Value,
    keep_status: bool,
) -> Result<(), ApiError> {
    check_type(t, object)?;
    let meta = metadata_mut(object)?;
    if t.namespaced {
        match meta.get("namespace").and_then(Value::as_str) {
            None | Some("") => {
                meta.insert("namespace".into(), json!(namespace));
            }
            Some(ns) if ns == namespace || namespace.is_empty() => {}
            Some(_) => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
        }
    } else {
        meta.remove("namespace");
    }
    let name = meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let name = if name.is_empty() {
        let prefix = meta
            .get("generateName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if prefix.is_empty() {
            return Err(ApiError::invalid(
                t.group,
                t.kind,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
        let suffix: String = rand::rng()
            .sample_iter(Alphanumeric)
            .map(|c| (c as char).to_ascii_lowercase())
            .take(5)
            .collect();
        let generated = format!("{prefix}{suffix}");
        meta.insert("name".into(), json!(generated));
        generated
    } else {
        name
    };
    validate_name(t, &name).map_err(|why| ApiError::invalid(t.group, t.kind, &name, &why))?;
    if meta
        .get("uid")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        meta.insert("uid".into(), json!(new_uid()));
    }
    if meta
        .get("creationTimestamp")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        meta.insert("creationTimestamp".into(), json!(now()));
    }
    meta.remove("resourceVersion");
    if object.get("spec").is_some()
        && let Ok(meta) = metadata_mut(object)
    {
        meta.insert("generation".into(), json!(1));
    }
    if !keep_status && let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    apply_defaults(t, object, &name);
    Ok(())
}

/// The handful of defaults clients commonly see in a diff after a dry run.
pub fn apply_defaults(t: &ResourceType, object: &mut Value, name: &str) {
    match t.kind {
        "Namespace" => {
            if let Ok(meta) = metadata_mut(object) {
                let labels = meta.entry("labels").or_insert_with(|| json!({}));
                if let Some(labels) = labels.as_object_mut() {
                    labels.insert("kubernetes.io/metadata.name".into(), json!(name));
                }
            }
            let status = object
                .as_object_mut()
                .map(|m| m.entry("status").or_insert_with(|| json!({})));
            if let Some(status) = status.and_then(Value::as_object_mut) {
                status.entry("phase").or_insert_with(|| json!("Active"));
            }
        }
        "Pod" => {
            if let Some(spec) = object.get_mut("spec") {
                default_pod_spec(spec);
            }
            let status = object
                .as_object_mut()
                .map(|m| m.entry("status").or_insert_with(|| json!({})));
            if let Some(status) = status.and_then(Value::as_object_mut) {
                status.entry("phase").or_insert_with(|| json!("Pending"));
            }
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) {
                if t.kind != "DaemonSet" && t.kind != "Job" {
                    spec.entry("replicas").or_insert_with(|| json!(1));
                }
                if t.kind == "Deployment" || t.kind == "StatefulSet" || t.kind == "DaemonSet" {
                    spec.entry("revisionHistoryLimit")
                        .or_insert_with(|| json!(10));
                }
                if let Some(pod_spec) = spec.get_mut("template").and_then(|t| t.get_mut("spec")) {
                    default_pod_spec(pod_spec);
                }
            }
        }
        "CronJob" => {
            if let Some(pod_spec) = object.pointer_mut("/spec/jobTemplate/spec/template/spec") {
                default_pod_spec(pod_spec);
            }
        }
        "Service" => {
            if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) {
                spec.entry("type").or_insert_with(|| json!("ClusterIP"));
                spec.entry("sessionAffinity")
                    .or_insert_with(|| json!("None"));
            }
        }
        _ => {}
    }
}

fn default_pod_spec(spec: &mut Value) {
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    spec.entry("restartPolicy")
        .or_insert_with(|| json!("Always"));
    spec.entry("dnsPolicy")
        .or_insert_with(|| json!("ClusterFirst"));
    spec.entry("schedulerName")
        .or_insert_with(|| json!("default-scheduler"));
    spec.entry("terminationGracePeriodSeconds")
        .or_insert_with(|| json!(30));
    spec.entry("securityContext").or_insert_with(|| json!({}));
    if !spec.contains_key("serviceAccountName") {
        spec.insert("serviceAccountName".into(), json!("default"));
    }
    for list in ["containers", "initContainers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in containers.iter_mut().filter_map(Value::as_object_mut) {
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            let policy = if pull_always_by_default(image) {
                "Always"
            } else {
                "IfNotPresent"
            };
            c.entry("imagePullPolicy").or_insert_with(|| json!(policy));
            c.entry("terminationMessagePath")
                .or_insert_with(|| json!("/dev/termination-log"));
            c.entry("terminationMessagePolicy")
                .or_insert_with(|| json!("File"));
            c.entry("resources").or_insert_with(|| json!({}));
        }
    }
}

/// The API server defaults imagePullPolicy to Always for `:latest` and untagged images.
fn pull_always_by_default(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Resources;
    use aigov_core::model::Kind;

    fn rt(kind: Kind) -> ResourceType {
        let r = Resources::new();
        r.get(r.id_of(kind).unwrap()).clone()
    }

    #[test]
    fn prepare_fills_server_fields_and_defaults() {
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x:latest"}]}});
        prepare_new(&rt(Kind::Pod), "ml", &mut pod, false).unwrap();
        assert_eq!(pod["apiVersion"], "v1");
        assert_eq!(pod["kind"], "Pod");
        assert_eq!(pod["metadata"]["namespace"], "ml");
        assert_eq!(pod["metadata"]["uid"].as_str().unwrap().len(), 36);
        assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "Always");
        assert_eq!(pod["spec"]["serviceAccountName"], "default");
        assert_eq!(pod["status"]["phase"], "Pending");
    }

    #[test]
    fn prepare_rejects_mismatches_and_bad_names() {
        let mut wrong_ns = json!({"metadata": {"name": "p", "namespace": "a"}});
        assert_eq!(
            prepare_new(&rt(Kind::Pod), "b", &mut wrong_ns, false)
                .unwrap_err()
                .code,
            400
        );
        let mut wrong_kind =
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "p"}});
        assert_eq!(
            prepare_new(&rt(Kind::Pod), "b", &mut wrong_kind, false)
                .unwrap_err()
                .code,
            400
        );
        let mut bad_name = json!({"metadata": {"name": "Bad_Name"}});
        assert_eq!(
            prepare_new(&rt(Kind::ConfigMap), "b", &mut bad_name, false)
                .unwrap_err()
                .code,
            422
        );
        let mut rbac = json!({"metadata": {"name": "system:aggregate-to-view"}, "rules": []});
        assert!(prepare_new(&rt(Kind::ClusterRole), "", &mut rbac, false).is_ok());
    }

    #[test]
    fn generate_name_and_namespace_labels() {
        let mut pod = json!({"metadata": {"generateName": "train-"}});
        prepare_new(&rt(Kind::ConfigMap), "ml", &mut pod, false).unwrap();
        assert!(name_of(&pod).starts_with("train-") && name_of(&pod).len() == 11);
        let mut ns = json!({"metadata": {"name": "ml"}});
        prepare_new(&rt(Kind::Namespace), "", &mut ns, false).unwrap();
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "ml"
        );
        assert_eq!(ns["status"]["phase"], "Active");
    }
}
