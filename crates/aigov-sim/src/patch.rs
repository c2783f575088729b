//! The three client-side patch formats: JSON merge patch, JSON patch and strategic merge patch.

use super::fields::merge_key;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let base = content_type.split(';').next().unwrap_or_default().trim();
        match base {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// Apply a merge, JSON or strategic patch to `target`. Apply patches go through `apply`.
pub fn patch(target: &Value, patch_type: PatchType, body: &Value) -> Result<Value, String> {
    let mut out = target.clone();
    match patch_type {
        PatchType::Merge => json_patch::merge(&mut out, body),
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(body.clone())
                .map_err(|e| format!("invalid JSON patch: {e}"))?;
            json_patch::patch(&mut out, &ops).map_err(|e| format!("the JSON patch failed: {e}"))?;
        }
        PatchType::Strategic => strategic_merge(&mut out, body, ""),
        PatchType::Apply => return Err("server-side apply is not a client-side patch".into()),
    }
    Ok(out)
}

/// A strategic merge: like a merge patch, except that lists with a merge key (containers,
/// volumes, env, ...) merge item by item, and `$patch: delete` items remove their match.
pub fn strategic_merge(target: &mut Value, patch: &Value, field: &str) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if k.starts_with('$') {
                    continue;
                }
                if v.is_null() {
                    t.remove(k);
                    continue;
                }
                match t.get_mut(k) {
                    Some(existing) => strategic_merge(existing, v, k),
                    None => {
                        let mut fresh = Value::Object(Map::new());
                        if v.is_object() {
                            strategic_merge(&mut fresh, v, k);
                            t.insert(k.clone(), fresh);
                        } else {
                            t.insert(k.clone(), strip_directives(v));
                        }
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p)) => {
            let all: Vec<Value> = t.iter().chain(p.iter()).cloned().collect();
            match merge_key(field, &all) {
                Some(key) => {
                    for item in p {
                        let id = &item[key];
                        let position = t.iter().position(|i| &i[key] == id);
                        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                        match (position, delete) {
                            (Some(i), true) => {
                                t.remove(i);
                            }
                            (None, true) => {}
                            (Some(i), false) => strategic_merge(&mut t[i], item, ""),
                            (None, false) => t.push(strip_directives(item)),
                        }
                    }
                }
                None => *t = p.iter().map(strip_directives).collect(),
            }
        }
        (target, patch) => *target = strip_directives(patch),
    }
}

fn strip_directives(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({"metadata": {"name": "p", "labels": {"a": "1", "b": "2"}},
               "spec": {"containers": [{"name": "c1", "image": "x:1"}, {"name": "c2", "image": "y:1"}]}})
    }

    #[test]
    fn merge_patch_replaces_lists_and_deletes_nulls() {
        let out = patch(
            &pod(),
            PatchType::Merge,
            &json!({"metadata": {"labels": {"a": null}},
            "spec": {"containers": [{"name": "c1", "image": "x:2"}]}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"b": "2"}));
        assert_eq!(out["spec"]["containers"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn strategic_patch_merges_containers_by_name() {
        let out = patch(&pod(), PatchType::Strategic, &json!({"spec": {"containers": [
            {"name": "c1", "image": "x:2"}, {"name": "c2", "$patch": "delete"}, {"name": "c3", "image": "z"}]}})).unwrap();
        let containers = out["spec"]["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 2);
        assert_eq!(containers[0], json!({"name": "c1", "image": "x:2"}));
        assert_eq!(containers[1], json!({"name": "c3", "image": "z"}));
    }

    #[test]
    fn json_patch_applies_and_reports_failures() {
        let out = patch(
            &pod(),
            PatchType::Json,
            &json!([{"op": "replace", "path": "/spec/containers/0/image", "value": "x:3"}]),
        )
        .unwrap();
        assert_eq!(out["spec"]["containers"][0]["image"], "x:3");
        assert!(
            patch(
                &pod(),
                PatchType::Json,
                &json!([{"op": "remove", "path": "/nope"}])
            )
            .is_err()
        );
        assert!(patch(&pod(), PatchType::Json, &json!({"op": "bad"})).is_err());
    }

    #[test]
    fn content_types_map_to_patch_types() {
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchType::Merge)
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            Some(PatchType::Apply)
        );
        assert_eq!(PatchType::from_content_type("text/plain"), None);
    }
}
