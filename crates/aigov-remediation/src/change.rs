//! `PlannedChange`: one concrete request against one object (target, operation, precondition)
//! with the operation that undoes it, recorded from the live values when it was planned.

use aigov_core::model::Meta;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

// The request shapes are the write path's own, so a planned change is sent as planned.
pub use aigov_kube::write::{Operation, PatchType, Target};

/// One request of a remediation. Bodies are built from the compact model only, so they can
/// never carry Secret data (the model holds none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub target: Target,
    pub operation: Operation,
    /// The live object's resourceVersion when the change was planned: the apply step sends
    /// it as a precondition ([`PlannedChange::precondition_body`]), so a concurrent change
    /// fails with a conflict instead of being overwritten. `None` for creates and for
    /// inverses, whose precondition is the object the apply step got back.
    pub resource_version: Option<String>,
    /// The live object's uid, for delete preconditions. `None` as for `resource_version`.
    pub uid: Option<String>,
    /// One line naming the object and the action.
    pub description: String,
    /// The key of the finding this change fixes.
    pub finding_key: String,
    /// What undoes this change, recorded from the live values at planning time.
    pub undo: Operation,
    /// Whether `undo` restores the object exactly. A delete undone by a create from the
    /// compact model loses what the model does not keep (owner references, managed fields,
    /// the uid); planners then prefer a patch over a delete.
    pub undo_exact: bool,
    /// This change undoes an applied one (`:revert`): the finding coming back is expected.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reverts: bool,
}

impl PlannedChange {
    pub(crate) fn patch(
        target: Target,
        meta: &Meta,
        patch_type: PatchType,
        body: Value,
        undo: Value,
        description: String,
    ) -> Self {
        PlannedChange {
            target,
            operation: Operation::Patch { patch_type, body },
            resource_version: precondition(&meta.resource_version),
            uid: precondition(&meta.uid),
            description,
            finding_key: String::new(),
            undo: Operation::Patch {
                patch_type,
                body: undo,
            },
            undo_exact: true,
            reverts: false,
        }
    }

    pub(crate) fn create(target: Target, body: Value, description: String) -> Self {
        PlannedChange {
            target,
            operation: Operation::Create { body },
            resource_version: None,
            uid: None,
            description,
            finding_key: String::new(),
            undo: Operation::Delete,
            undo_exact: true,
            reverts: false,
        }
    }

    /// A delete whose undo re-creates `recreate` (built from the model).
    pub(crate) fn delete(
        target: Target,
        meta: &Meta,
        recreate: Value,
        exact: bool,
        description: String,
    ) -> Self {
        PlannedChange {
            target,
            operation: Operation::Delete,
            resource_version: precondition(&meta.resource_version),
            uid: precondition(&meta.uid),
            description,
            finding_key: String::new(),
            undo: Operation::Create { body: recreate },
            undo_exact: exact,
            reverts: false,
        }
    }

    /// The change that undoes this one. Its preconditions are empty: the rollback step takes
    /// them from the object the apply returned. The inverse of the inverse is this change.
    pub fn inverse(&self) -> PlannedChange {
        PlannedChange {
            target: self.target.clone(),
            operation: self.undo.clone(),
            resource_version: None,
            uid: None,
            description: format!("undo: {}", self.description),
            finding_key: self.finding_key.clone(),
            undo: self.operation.clone(),
            undo_exact: self.undo_exact,
            reverts: !self.reverts,
        }
    }

    /// The body to send with the precondition in it: `metadata.resourceVersion` in a merge
    /// or strategic patch, a leading `test` of it in a JSON patch. Creates carry none;
    /// `None` for a delete (`cluster::write` puts its precondition in DeleteOptions).
    pub fn precondition_body(&self) -> Option<Value> {
        match &self.operation {
            Operation::Create { body } => Some(body.clone()),
            Operation::Delete => None,
            Operation::Patch { patch_type, body } => Some(aigov_kube::write::with_precondition(
                *patch_type,
                body,
                self.resource_version.as_deref(),
            )),
        }
    }
}

fn precondition(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

/// `metadata` for a body built from the model: name, namespace, labels and annotations.
/// Server-set fields (uid, resourceVersion, managedFields, ownerReferences) are left out.
pub(crate) fn metadata(meta: &Meta) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("name".into(), json!(meta.name));
    if !meta.namespace.is_empty() {
        m.insert("namespace".into(), json!(meta.namespace));
    }
    if !meta.labels.is_empty() {
        m.insert("labels".into(), json!(meta.labels));
    }
    if !meta.annotations.is_empty() {
        m.insert("annotations".into(), json!(meta.annotations));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::model::Kind;

    fn meta() -> Meta {
        Meta {
            name: "x".into(),
            namespace: "ml".into(),
            uid: "u-1".into(),
            resource_version: "42".into(),
            ..Meta::default()
        }
    }

    #[test]
    fn targets_use_the_kind_coordinates_and_drop_namespaces_of_cluster_kinds() {
        let t = Target::of(Kind::CronJob, "ml", "nightly");
        assert_eq!(
            (t.group.as_str(), t.version.as_str(), t.resource.as_str()),
            ("batch", "v1", "cronjobs")
        );
        assert_eq!(t.to_string(), "CronJob ml/nightly");
        let t = Target::of(Kind::Namespace, "ignored", "ml");
        assert_eq!(t.namespace, "");
        assert_eq!(t.api_version(), "v1");
    }

    #[test]
    fn the_inverse_swaps_operations_and_round_trips() {
        let change = PlannedChange::patch(
            Target::of(Kind::Namespace, "", "ml"),
            &meta(),
            PatchType::Merge,
            json!({"metadata": {"labels": {"a": "b"}}}),
            json!({"metadata": {"labels": {"a": null}}}),
            "label".into(),
        );
        let inverse = change.inverse();
        assert_eq!(inverse.operation, change.undo);
        assert_eq!(inverse.undo, change.operation);
        assert_eq!(inverse.resource_version, None);
        assert_eq!(inverse.inverse().operation, change.operation);
        let create = PlannedChange::create(
            Target::of(Kind::ConfigMap, "ml", "c"),
            json!({}),
            "c".into(),
        );
        assert_eq!(create.inverse().operation, Operation::Delete);
    }

    #[test]
    fn preconditions_go_into_the_body_by_patch_type() {
        let merge = PlannedChange::patch(
            Target::of(Kind::Namespace, "", "ml"),
            &meta(),
            PatchType::Merge,
            json!({"metadata": {"labels": {"a": "b"}}}),
            json!({}),
            "label".into(),
        );
        assert_eq!(
            merge.precondition_body().unwrap(),
            json!({"metadata": {"labels": {"a": "b"}, "resourceVersion": "42"}})
        );
        let jp = PlannedChange::patch(
            Target::of(Kind::Role, "ml", "r"),
            &meta(),
            PatchType::Json,
            json!([{"op": "remove", "path": "/rules/0"}]),
            json!([]),
            "narrow".into(),
        );
        assert_eq!(
            jp.precondition_body().unwrap()[0],
            json!({"op": "test", "path": "/metadata/resourceVersion", "value": "42"})
        );
    }
}
