//! Field paths of an object and their `managedFields` (fieldsV1) encoding, for server-side
//! apply ownership. Lists whose items carry a merge key are addressed per item (`k:{...}`).

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Field(String),
    /// A list item identified by its merge key, e.g. `("name", "server")`.
    Key(String, String),
}

pub type FieldPath = Vec<Segment>;
pub type FieldSet = BTreeSet<FieldPath>;

/// The key that identifies items of the list under `field`, when the list is associative.
pub fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "ports" => {
            if items.iter().all(|i| i.get("containerPort").is_some()) {
                "containerPort"
            } else {
                "port"
            }
        }
        _ => return None,
    };
    items.iter().all(|i| i.get(key).is_some()).then_some(key)
}

fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Metadata fields that belong to the server, never to a manager.
const SERVER_OWNED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
];

/// Every leaf path a manager would own by sending `object`.
pub fn leaf_paths(object: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    if let Value::Object(map) = object {
        for (k, v) in map {
            match k.as_str() {
                "apiVersion" | "kind" | "status" => {}
                "metadata" => {
                    if let Value::Object(meta) = v {
                        for (mk, mv) in meta {
                            if !SERVER_OWNED_METADATA.contains(&mk.as_str()) {
                                collect(
                                    mv,
                                    &mut vec![
                                        Segment::Field(k.clone()),
                                        Segment::Field(mk.clone()),
                                    ],
                                    &mut set,
                                );
                            }
                        }
                    }
                }
                _ => collect(v, &mut vec![Segment::Field(k.clone())], &mut set),
            }
        }
    }
    set
}

fn collect(value: &Value, path: &mut FieldPath, set: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                path.push(Segment::Field(k.clone()));
                collect(v, path, set);
                path.pop();
            }
        }
        Value::Array(items) => {
            let field = match path.last() {
                Some(Segment::Field(f)) => f.clone(),
                _ => String::new(),
            };
            match merge_key(&field, items) {
                Some(key) if !items.is_empty() => {
                    for item in items {
                        let id = key_text(&item[key]);
                        path.push(Segment::Key(key.to_string(), id));
                        collect(item, path, set);
                        path.pop();
                    }
                }
                _ => {
                    set.insert(path.clone());
                }
            }
        }
        _ => {
            set.insert(path.clone());
        }
    }
}

/// The value at a field path, if present.
pub fn value_at<'a>(object: &'a Value, path: &[Segment]) -> Option<&'a Value> {
    let mut cursor = object;
    for segment in path {
        cursor = match segment {
            Segment::Field(f) => cursor.get(f)?,
            Segment::Key(key, id) => cursor
                .as_array()?
                .iter()
                .find(|i| key_text(&i[key.as_str()]) == *id)?,
        };
    }
    Some(cursor)
}

/// Remove the value at a path; list items addressed by key are removed when empty.
pub fn remove_at(object: &mut Value, path: &[Segment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cursor = object;
    for segment in parents {
        let next = match segment {
            Segment::Field(f) => cursor.get_mut(f),
            Segment::Key(key, id) => cursor
                .as_array_mut()
                .and_then(|items| items.iter_mut().find(|i| key_text(&i[key.as_str()]) == *id)),
        };
        match next {
            Some(n) => cursor = n,
            None => return,
        }
    }
    match last {
        Segment::Field(f) => {
            if let Some(map) = cursor.as_object_mut() {
                map.remove(f);
            }
        }
        Segment::Key(key, id) => {
            if let Some(items) = cursor.as_array_mut() {
                items.retain(|i| key_text(&i[key.as_str()]) != *id);
            }
        }
    }
}

/// `.spec.containers[name="server"].image`, as conflict messages print paths.
pub fn display(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Segment::Key(k, v) => out.push_str(&format!("[{k}=\"{v}\"]")),
        }
    }
    out
}

/// Encode a field set as the `fieldsV1` tree.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cursor = &mut root;
        for segment in path {
            let name = match segment {
                Segment::Field(f) => format!("f:{f}"),
                Segment::Key(k, v) => {
                    let id = if k == "containerPort" || k == "port" {
                        json!({ k.as_str(): v.parse::<i64>().map(Value::from).unwrap_or(json!(v)) })
                    } else {
                        json!({ k.as_str(): v })
                    };
                    format!("k:{id}")
                }
            };
            let entry = cursor
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new()));
            match entry.as_object_mut() {
                Some(m) => cursor = m,
                None => break,
            }
        }
    }
    Value::Object(root)
}

/// Decode a `fieldsV1` tree into leaf paths (entries with no children, or with `.`).
pub fn from_fields_v1(tree: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    walk_v1(tree, &mut Vec::new(), &mut set);
    set
}

fn walk_v1(tree: &Value, path: &mut FieldPath, set: &mut FieldSet) {
    let Some(map) = tree.as_object() else { return };
    let children: Vec<_> = map.iter().filter(|(k, _)| k.as_str() != ".").collect();
    if children.is_empty() && !path.is_empty() {
        set.insert(path.clone());
        return;
    }
    for (name, child) in children {
        let segment = if let Some(f) = name.strip_prefix("f:") {
            Segment::Field(f.to_string())
        } else if let Some(k) = name.strip_prefix("k:") {
            let Ok(Value::Object(id)) = serde_json::from_str::<Value>(k) else {
                continue;
            };
            let Some((key, value)) = id.into_iter().next() else {
                continue;
            };
            Segment::Key(key, key_text(&value))
        } else {
            continue;
        };
        path.push(segment);
        walk_v1(child, path, set);
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "vllm", "labels": {"app": "vllm"}, "uid": "x"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "server", "image": "vllm:1", "ports": [{"containerPort": 8000}]}
            ]}}},
            "status": {"replicas": 2}
        })
    }

    #[test]
    fn leaf_paths_skip_server_fields_and_key_named_lists() {
        let paths = leaf_paths(&deployment());
        let shown: Vec<String> = paths.iter().map(|p| display(p)).collect();
        assert!(shown.contains(&".metadata.labels.app".to_string()));
        assert!(shown.contains(&".spec.replicas".to_string()));
        assert!(
            shown.contains(&".spec.template.spec.containers[name=\"server\"].image".to_string())
        );
        assert!(
            !shown
                .iter()
                .any(|s| s.contains("uid") || s.starts_with(".status"))
        );
    }

    #[test]
    fn fields_v1_round_trips() {
        let paths = leaf_paths(&deployment());
        let tree = to_fields_v1(&paths);
        assert!(tree["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"server\"}"]["f:image"].is_object());
        assert_eq!(from_fields_v1(&tree), paths);
    }

    #[test]
    fn value_at_and_remove_at_follow_keys() {
        let mut d = deployment();
        let path = vec![
            Segment::Field("spec".into()),
            Segment::Field("template".into()),
            Segment::Field("spec".into()),
            Segment::Field("containers".into()),
            Segment::Key("name".into(), "server".into()),
            Segment::Field("image".into()),
        ];
        assert_eq!(value_at(&d, &path), Some(&json!("vllm:1")));
        remove_at(&mut d, &path);
        assert_eq!(value_at(&d, &path), None);
        assert!(value_at(&d, &path[..5]).is_some());
    }
}
