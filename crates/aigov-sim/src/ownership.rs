//! `managedFields` bookkeeping for every write, and server-side apply with field-manager
//! conflicts, as the API server does them (simplified: leaf fields, keyed lists).

use super::fields::{
    FieldSet, display, from_fields_v1, leaf_paths, remove_at, to_fields_v1, value_at,
};
use super::objects::now;
use super::patch::strategic_merge;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    time: String,
    fields: FieldSet,
}

fn read_entries(object: Option<&Value>) -> Vec<Entry> {
    object
        .and_then(|o| o.pointer("/metadata/managedFields"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|m| {
                    let text = |f: &str| {
                        m.get(f)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    Entry {
                        manager: text("manager"),
                        operation: text("operation"),
                        api_version: text("apiVersion"),
                        time: text("time"),
                        fields: m.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn write_entries(object: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            })
        })
        .collect();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

/// Record a create, update or patch by `manager`: the fields it set or changed become its
/// own (an `Update` entry) and are taken from every other manager.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, api_version: &str) {
    let mut entries = read_entries(old);
    let new_leaves = leaf_paths(new);
    let old_leaves = old.map(leaf_paths).unwrap_or_default();
    let changed: FieldSet = new_leaves
        .iter()
        .filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p)))
        .cloned()
        .collect();
    let removed: FieldSet = old_leaves.difference(&new_leaves).cloned().collect();
    if changed.is_empty() && removed.is_empty() && old.is_some() {
        write_entries(new, &entries);
        return;
    }
    for e in &mut entries {
        if e.manager != manager || e.operation != "Update" {
            e.fields
                .retain(|p| !changed.contains(p) && !removed.contains(p));
        }
    }
    match entries
        .iter_mut()
        .find(|e| e.manager == manager && e.operation == "Update")
    {
        Some(e) => {
            e.fields.extend(changed);
            e.fields.retain(|p| new_leaves.contains(p));
            e.time = now();
        }
        None => entries.push(Entry {
            manager: manager.to_string(),
            operation: "Update".into(),
            api_version: api_version.to_string(),
            time: now(),
            fields: changed,
        }),
    }
    write_entries(new, &entries);
}

/// A refused server-side apply: the fields other managers own with a different value.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflicts {
    pub message: String,
    pub causes: Vec<Value>,
}

/// Server-side apply of `applied` over `live` by `manager`. Returns the merged object with
/// its managedFields, or the conflicts when other managers own changed fields and `force`
/// is off. Fields the manager applied before but no longer sends are removed unless
/// someone else owns them.
pub fn apply(
    live: &Value,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
) -> Result<Value, Conflicts> {
    let mut entries = read_entries(Some(live));
    let applied_fields = leaf_paths(applied);
    let mut conflicts: Vec<(String, String)> = Vec::new();
    for e in entries.iter().filter(|e| e.manager != manager) {
        for path in e.fields.intersection(&applied_fields) {
            if value_at(live, path) != value_at(applied, path) {
                conflicts.push((e.manager.clone(), display(path)));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(&conflicts, api_version));
    }
    if force {
        for e in entries.iter_mut().filter(|e| e.manager != manager) {
            e.fields.retain(|p| {
                !(applied_fields.contains(p) && value_at(live, p) != value_at(applied, p))
            });
        }
    }
    let previously: FieldSet = entries
        .iter()
        .filter(|e| e.manager == manager && e.operation == "Apply")
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    let mut merged = live.clone();
    strategic_merge(&mut merged, applied, "");
    for dropped in previously.difference(&applied_fields) {
        let owned_by_other = entries
            .iter()
            .any(|e| e.manager != manager && e.fields.contains(dropped));
        if !owned_by_other {
            remove_at(&mut merged, dropped);
        }
    }
    entries.retain(|e| !(e.manager == manager && e.operation == "Apply"));
    entries.push(Entry {
        manager: manager.to_string(),
        operation: "Apply".into(),
        api_version: api_version.to_string(),
        time: now(),
        fields: applied_fields,
    });
    write_entries(&mut merged, &entries);
    Ok(merged)
}

/// The managedFields of a newly created object owned wholly by an applier.
pub fn record_apply_create(object: &mut Value, manager: &str, api_version: &str) {
    let entry = Entry {
        manager: manager.to_string(),
        operation: "Apply".into(),
        api_version: api_version.to_string(),
        time: now(),
        fields: leaf_paths(object),
    };
    write_entries(object, &[entry]);
}

fn conflict_error(conflicts: &[(String, String)], api_version: &str) -> Conflicts {
    let count = conflicts.len();
    let mut managers: Vec<&str> = conflicts.iter().map(|(m, _)| m.as_str()).collect();
    managers.dedup();
    let mut message = format!(
        "Apply failed with {count} conflict{}: ",
        if count == 1 { "" } else { "s" }
    );
    for (i, manager) in managers.iter().enumerate() {
        let fields: Vec<&str> = conflicts
            .iter()
            .filter(|(m, _)| m == manager)
            .map(|(_, f)| f.as_str())
            .collect();
        if i > 0 {
            message.push('\n');
        }
        if fields.len() == 1 {
            message.push_str(&format!(
                "conflict with \"{manager}\" using {api_version}: {}",
                fields[0]
            ));
        } else {
            message.push_str(&format!(
                "conflicts with \"{manager}\" using {api_version}:"
            ));
            for f in fields {
                message.push_str(&format!("\n- {f}"));
            }
        }
    }
    let causes = conflicts
        .iter()
        .map(|(manager, field)| {
            json!({
                "reason": "FieldManagerConflict",
                "message": format!("conflict with \"{manager}\" using {api_version}"),
                "field": field,
            })
        })
        .collect();
    Conflicts { message, causes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> Value {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "vllm", "namespace": "llm"},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "server", "image": "vllm:1"}]}}}});
        record_update(None, &mut d, "kubectl-create", "apps/v1");
        d
    }

    #[test]
    fn create_gives_the_creator_every_field() {
        let d = created();
        let entries = d["metadata"]["managedFields"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["manager"], "kubectl-create");
        assert!(entries[0]["fieldsV1"]["f:spec"]["f:replicas"].is_object());
    }

    #[test]
    fn apply_of_a_changed_field_owned_by_another_manager_conflicts() {
        let live = created();
        let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "vllm", "namespace": "llm"}, "spec": {"replicas": 3}});
        let err = apply(&live, &applied, "aigov", false, "apps/v1").unwrap_err();
        assert!(
            err.message.contains("conflict with \"kubectl-create\""),
            "{}",
            err.message
        );
        assert!(err.message.contains(".spec.replicas"));
        let forced = apply(&live, &applied, "aigov", true, "apps/v1").unwrap();
        assert_eq!(forced["spec"]["replicas"], 3);
        let managers: Vec<&str> = forced["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["manager"].as_str())
            .collect();
        assert_eq!(managers, vec!["kubectl-create", "aigov"]);
    }

    #[test]
    fn apply_of_an_equal_value_shares_ownership_and_later_drops_only_its_own_fields() {
        let live = created();
        let first = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "vllm"},
            "spec": {"replicas": 1}});
        let shared = apply(&live, &first, "aigov", false, "apps/v1").unwrap();
        let second = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "vllm",
            "labels": {"x": "y"}}});
        let out = apply(&shared, &second, "aigov", false, "apps/v1").unwrap();
        // replicas is still owned by kubectl-create, so it stays.
        assert_eq!(out["spec"]["replicas"], 1);
        assert_eq!(out["metadata"]["labels"]["x"], "y");
        let third =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "vllm"}});
        let out = apply(&out, &third, "aigov", false, "apps/v1").unwrap();
        assert!(
            out["metadata"]
                .get("labels")
                .is_none_or(|l| l.get("x").is_none())
        );
    }

    #[test]
    fn updates_take_changed_fields_from_other_managers() {
        let old = created();
        let mut new = old.clone();
        new["spec"]["replicas"] = json!(5);
        record_update(Some(&old), &mut new, "kubectl-edit", "apps/v1");
        let entries = new["metadata"]["managedFields"].as_array().unwrap();
        let create = entries
            .iter()
            .find(|e| e["manager"] == "kubectl-create")
            .unwrap();
        assert!(create["fieldsV1"]["f:spec"].get("f:replicas").is_none());
        let edit = entries
            .iter()
            .find(|e| e["manager"] == "kubectl-edit")
            .unwrap();
        assert!(edit["fieldsV1"]["f:spec"]["f:replicas"].is_object());
    }
}
