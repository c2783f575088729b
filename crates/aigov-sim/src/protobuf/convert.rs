//! Hand-written conversions from k8s-pb messages to Kubernetes' JSON shape (k8s-pb has no serde support).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use k8s_pb::api::authentication::v1 as authn;
use k8s_pb::api::authorization::v1 as authz;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use prost::Message;
use serde_json::{Map, Value};

use super::ProtobufError;

/// Convert the object inside a `runtime.Unknown` (its `raw` bytes) to a JSON object,
/// without `apiVersion`/`kind`, which the caller adds from the envelope.
pub(super) fn object(
    api_version: &str,
    kind: &str,
    raw: &[u8],
) -> Result<Map<String, Value>, ProtobufError> {
    let obj = match (api_version, kind) {
        // v1beta1 and v1alpha1 SelfSubjectReview have the same fields and tags as v1
        // (k8s-pb even reuses v1's UserInfo), so one decoder serves all three.
        (
            "authentication.k8s.io/v1"
            | "authentication.k8s.io/v1beta1"
            | "authentication.k8s.io/v1alpha1",
            "SelfSubjectReview",
        ) => {
            let m: authn::SelfSubjectReview = decode(raw, kind)?;
            J::default().always("metadata", object_meta(m.metadata))
        }
        // authorization v1beta1 is wire-identical to v1 for these two kinds.
        ("authorization.k8s.io/v1" | "authorization.k8s.io/v1beta1", "SelfSubjectAccessReview") => {
            let m: authz::SelfSubjectAccessReview = decode(raw, kind)?;
            let spec = m.spec.unwrap_or_default();
            let spec = J::default()
                .opt(
                    "resourceAttributes",
                    spec.resource_attributes.map(resource_attributes),
                )
                .opt(
                    "nonResourceAttributes",
                    spec.non_resource_attributes
                        .map(|n| J::default().s("path", n.path).s("verb", n.verb)),
                );
            J::default()
                .always("metadata", object_meta(m.metadata))
                .always("spec", spec)
        }
        ("authorization.k8s.io/v1" | "authorization.k8s.io/v1beta1", "SelfSubjectRulesReview") => {
            let m: authz::SelfSubjectRulesReview = decode(raw, kind)?;
            let spec = m.spec.unwrap_or_default();
            J::default()
                .always("metadata", object_meta(m.metadata))
                .always("spec", J::default().s("namespace", spec.namespace))
        }
        ("v1", "Namespace") => {
            let m: core::Namespace = decode(raw, kind)?;
            let finalizers = m.spec.map(|s| s.finalizers).unwrap_or_default();
            J::default()
                .always("metadata", object_meta(m.metadata))
                .obj("spec", J::default().list("finalizers", finalizers))
        }
        ("v1", "ConfigMap") => {
            let m: core::ConfigMap = decode(raw, kind)?;
            J::default()
                .always("metadata", object_meta(m.metadata))
                .strings("data", m.data)
                .bytes("binaryData", m.binary_data)
                .b("immutable", m.immutable)
        }
        ("v1", "Secret") => {
            let m: core::Secret = decode(raw, kind)?;
            J::default()
                .always("metadata", object_meta(m.metadata))
                .s("type", m.r#type)
                .bytes("data", m.data)
                .strings("stringData", m.string_data)
                .b("immutable", m.immutable)
        }
        ("v1", "ServiceAccount") => {
            let m: core::ServiceAccount = decode(raw, kind)?;
            J::default()
                .always("metadata", object_meta(m.metadata))
                .arr("secrets", m.secrets.into_iter().map(object_reference))
                .arr(
                    "imagePullSecrets",
                    m.image_pull_secrets
                        .into_iter()
                        .map(|r| J::default().s("name", r.name).val()),
                )
                .b(
                    "automountServiceAccountToken",
                    m.automount_service_account_token,
                )
        }
        ("rbac.authorization.k8s.io/v1", "Role") => {
            let m: rbac::Role = decode(raw, kind)?;
            J::default()
                .always("metadata", object_meta(m.metadata))
                .arr("rules", m.rules.into_iter().map(policy_rule))
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
            let m: rbac::ClusterRole = decode(raw, kind)?;
            let aggregation = m.aggregation_rule.map(|a| {
                J::default().arr(
                    "clusterRoleSelectors",
                    a.cluster_role_selectors.into_iter().map(label_selector),
                )
            });
            J::default()
                .always("metadata", object_meta(m.metadata))
                .arr("rules", m.rules.into_iter().map(policy_rule))
                .opt("aggregationRule", aggregation)
        }
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            let m: rbac::RoleBinding = decode(raw, kind)?;
            binding(m.metadata, m.subjects, m.role_ref)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            let m: rbac::ClusterRoleBinding = decode(raw, kind)?;
            binding(m.metadata, m.subjects, m.role_ref)
        }
        _ => {
            return Err(ProtobufError::UnsupportedKind {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
            });
        }
    };
    Ok(obj.0)
}

fn decode<M: Message + Default>(raw: &[u8], kind: &str) -> Result<M, ProtobufError> {
    M::decode(raw).map_err(|source| ProtobufError::Undecodable {
        what: format!("{kind} object"),
        source,
    })
}

fn object_meta(m: Option<meta::ObjectMeta>) -> J {
    let m = m.unwrap_or_default();
    J::default()
        .s("name", m.name)
        .s("generateName", m.generate_name)
        .s("namespace", m.namespace)
        .s("uid", m.uid)
        .s("resourceVersion", m.resource_version)
        .strings("labels", m.labels)
        .strings("annotations", m.annotations)
        .arr(
            "ownerReferences",
            m.owner_references.into_iter().map(|o| {
                J::default()
                    .s("apiVersion", o.api_version)
                    .s("kind", o.kind)
                    .s("name", o.name)
                    .s("uid", o.uid)
                    .b("controller", o.controller)
                    .b("blockOwnerDeletion", o.block_owner_deletion)
                    .val()
            }),
        )
        .list("finalizers", m.finalizers)
}

fn resource_attributes(r: authz::ResourceAttributes) -> J {
    let field_selector = r.field_selector.map(|f| {
        let reqs = f.requirements.into_iter();
        J::default().s("rawSelector", f.raw_selector).arr(
            "requirements",
            reqs.map(|q| requirement(q.key, q.operator, q.values)),
        )
    });
    let label_selector = r.label_selector.map(|l| {
        let reqs = l.requirements.into_iter();
        J::default().s("rawSelector", l.raw_selector).arr(
            "requirements",
            reqs.map(|q| requirement(q.key, q.operator, q.values)),
        )
    });
    J::default()
        .s("namespace", r.namespace)
        .s("verb", r.verb)
        .s("group", r.group)
        .s("version", r.version)
        .s("resource", r.resource)
        .s("subresource", r.subresource)
        .s("name", r.name)
        .opt("fieldSelector", field_selector)
        .opt("labelSelector", label_selector)
}

fn requirement(key: Option<String>, operator: Option<String>, values: Vec<String>) -> Value {
    J::default()
        .s("key", key)
        .s("operator", operator)
        .list("values", values)
        .val()
}

fn label_selector(s: meta::LabelSelector) -> Value {
    J::default()
        .strings("matchLabels", s.match_labels)
        .arr(
            "matchExpressions",
            s.match_expressions
                .into_iter()
                .map(|q| requirement(q.key, q.operator, q.values)),
        )
        .val()
}

fn object_reference(r: core::ObjectReference) -> Value {
    J::default()
        .s("apiVersion", r.api_version)
        .s("kind", r.kind)
        .s("namespace", r.namespace)
        .s("name", r.name)
        .s("uid", r.uid)
        .s("resourceVersion", r.resource_version)
        .s("fieldPath", r.field_path)
        .val()
}

fn policy_rule(r: rbac::PolicyRule) -> Value {
    J::default()
        .list("verbs", r.verbs)
        .list("apiGroups", r.api_groups)
        .list("resources", r.resources)
        .list("resourceNames", r.resource_names)
        .list("nonResourceURLs", r.non_resource_ur_ls)
        .val()
}

fn binding(
    metadata: Option<meta::ObjectMeta>,
    subjects: Vec<rbac::Subject>,
    role_ref: Option<rbac::RoleRef>,
) -> J {
    let role_ref = role_ref.unwrap_or_default();
    J::default()
        .always("metadata", object_meta(metadata))
        .arr(
            "subjects",
            subjects.into_iter().map(|s| {
                J::default()
                    .s("kind", s.kind)
                    .s("apiGroup", s.api_group)
                    .s("name", s.name)
                    .s("namespace", s.namespace)
                    .val()
            }),
        )
        .always(
            "roleRef",
            J::default()
                .s("apiGroup", role_ref.api_group)
                .s("kind", role_ref.kind)
                .s("name", role_ref.name),
        )
}

/// A JSON object under construction that drops empty values, like Go's `omitempty`.
#[derive(Default)]
struct J(Map<String, Value>);

impl J {
    fn put(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    fn s(self, key: &str, value: Option<String>) -> Self {
        match value {
            Some(v) if !v.is_empty() => self.put(key, Value::String(v)),
            _ => self,
        }
    }

    fn b(self, key: &str, value: Option<bool>) -> Self {
        match value {
            Some(v) => self.put(key, Value::Bool(v)),
            None => self,
        }
    }

    /// A list of strings; empty entries are kept (`apiGroups: [""]` means the core group).
    fn list(self, key: &str, values: Vec<String>) -> Self {
        self.arr(key, values.into_iter().map(Value::String))
    }

    fn arr(self, key: &str, values: impl Iterator<Item = Value>) -> Self {
        let values: Vec<Value> = values.collect();
        if values.is_empty() {
            self
        } else {
            self.put(key, Value::Array(values))
        }
    }

    /// A string map; empty values are kept (`data: {"k": ""}` is meaningful).
    fn strings(self, key: &str, map: BTreeMap<String, String>) -> Self {
        if map.is_empty() {
            return self;
        }
        let map = map.into_iter().map(|(k, v)| (k, Value::String(v)));
        self.put(key, Value::Object(map.collect()))
    }

    /// A byte map, base64-encoded as the JSON API carries `[]byte`.
    fn bytes(self, key: &str, map: BTreeMap<String, Vec<u8>>) -> Self {
        let map = map.into_iter().map(|(k, v)| (k, BASE64.encode(v)));
        self.strings(key, map.collect())
    }

    fn obj(self, key: &str, value: J) -> Self {
        if value.0.is_empty() {
            self
        } else {
            self.always(key, value)
        }
    }

    fn opt(self, key: &str, value: Option<J>) -> Self {
        match value {
            Some(v) => self.obj(key, v),
            None => self,
        }
    }

    /// Inserted even when empty, for fields Go always serialises (`metadata`, `spec`, `roleRef`).
    fn always(self, key: &str, value: J) -> Self {
        self.put(key, Value::Object(value.0))
    }

    fn val(self) -> Value {
        Value::Object(self.0)
    }
}
