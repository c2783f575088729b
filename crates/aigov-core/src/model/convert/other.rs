//! Namespaces, storage, config, services, policies, events and AI custom resources.

use super::{meta, selector};
use crate::model::kinds::Kind;
use crate::model::meta::Meta;
use crate::model::objects::*;
use crate::model::secret_text::ConfigValue;
use k8s_openapi::api::{
    admissionregistration::v1 as adm, core::v1 as core, networking::v1 as net,
    storage::v1 as storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;

pub fn namespace(n: &core::Namespace) -> Namespace {
    Namespace {
        meta: meta(&n.metadata),
        phase: n
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default(),
    }
}

pub fn pvc(p: &core::PersistentVolumeClaim) -> PersistentVolumeClaim {
    let spec = p.spec.as_ref();
    PersistentVolumeClaim {
        meta: meta(&p.metadata),
        storage_class: spec.and_then(|s| s.storage_class_name.clone()),
        access_modes: spec
            .and_then(|s| s.access_modes.clone())
            .unwrap_or_default(),
        volume_name: spec
            .and_then(|s| s.volume_name.clone())
            .filter(|v| !v.is_empty()),
        requested: spec
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.clone()),
        phase: p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default(),
    }
}

pub fn pv(p: &core::PersistentVolume) -> PersistentVolume {
    let spec = p.spec.as_ref();
    let source = spec
        .map(|s| {
            if s.host_path.is_some() {
                "hostPath".to_string()
            } else if s.nfs.is_some() {
                "nfs".to_string()
            } else if s.local.is_some() {
                "local".to_string()
            } else if let Some(csi) = &s.csi {
                format!("csi:{}", csi.driver)
            } else {
                "other".to_string()
            }
        })
        .unwrap_or_default();
    PersistentVolume {
        meta: meta(&p.metadata),
        storage_class: spec.and_then(|s| s.storage_class_name.clone()),
        access_modes: spec
            .and_then(|s| s.access_modes.clone())
            .unwrap_or_default(),
        reclaim_policy: spec.and_then(|s| s.persistent_volume_reclaim_policy.clone()),
        phase: p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default(),
        claim: spec.and_then(|s| s.claim_ref.as_ref()).map(|c| {
            (
                c.namespace.clone().unwrap_or_default(),
                c.name.clone().unwrap_or_default(),
            )
        }),
        source,
        capacity: spec
            .and_then(|s| s.capacity.as_ref())
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.clone()),
    }
}

pub fn storage_class(s: &storage::StorageClass) -> StorageClass {
    StorageClass {
        meta: meta(&s.metadata),
        provisioner: s.provisioner.clone(),
        parameters: s.parameters.clone().unwrap_or_default(),
        reclaim_policy: s.reclaim_policy.clone(),
    }
}

pub fn service_account(s: &core::ServiceAccount) -> ServiceAccount {
    ServiceAccount {
        meta: meta(&s.metadata),
        automount_token: s.automount_service_account_token,
        image_pull_secrets: s
            .image_pull_secrets
            .iter()
            .flatten()
            .map(|r| r.name.clone())
            .collect(),
    }
}

pub fn config_map(c: &core::ConfigMap) -> ConfigMap {
    ConfigMap {
        meta: meta(&c.metadata),
        data: c
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), ConfigValue::new(v.clone())))
            .collect(),
        binary_keys: c
            .binary_data
            .iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect(),
    }
}

/// A Secret from its metadata alone. Annotations are dropped: kubectl's
/// `last-applied-configuration` annotation carries the Secret's data.
pub fn secret_meta(m: &metav1::ObjectMeta) -> SecretMeta {
    let mut meta = meta(m);
    meta.annotations.clear();
    SecretMeta { meta }
}

/// A Secret given as a whole JSON object (from a manifest file or a stored object):
/// only `metadata` is looked at, and never `data` or `stringData`.
pub fn secret_from_json(value: &serde_json::Value) -> SecretMeta {
    let metadata: metav1::ObjectMeta = value
        .get("metadata")
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default();
    secret_meta(&metadata)
}

pub fn service(s: &core::Service) -> Service {
    let spec = s.spec.as_ref();
    Service {
        meta: meta(&s.metadata),
        service_type: spec
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "ClusterIP".into()),
        selector: spec.and_then(|s| s.selector.clone()).unwrap_or_default(),
        ports: spec
            .and_then(|s| s.ports.as_ref())
            .into_iter()
            .flatten()
            .map(|p| ServicePort {
                port: p.port,
                node_port: p.node_port,
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
            })
            .collect(),
    }
}

pub fn event(e: &core::Event) -> Event {
    Event {
        meta: meta(&e.metadata),
        involved_kind: e.involved_object.kind.clone().unwrap_or_default(),
        involved_name: e.involved_object.name.clone().unwrap_or_default(),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        event_type: e.type_.clone().unwrap_or_default(),
        count: e.count.unwrap_or(1),
    }
}

pub fn network_policy(n: &net::NetworkPolicy) -> NetworkPolicy {
    let spec = n.spec.as_ref();
    NetworkPolicy {
        meta: meta(&n.metadata),
        pod_selector: spec
            .and_then(|s| s.pod_selector.as_ref())
            .map(selector)
            .unwrap_or_default(),
        policy_types: spec
            .and_then(|s| s.policy_types.clone())
            .unwrap_or_else(|| {
                // The API server defaults policyTypes: Ingress always, Egress when egress rules exist.
                let mut types = vec!["Ingress".to_string()];
                if spec.is_some_and(|s| s.egress.is_some()) {
                    types.push("Egress".to_string());
                }
                types
            }),
        ingress_rules: spec.and_then(|s| s.ingress.as_ref()).map_or(0, Vec::len),
        egress_rules: spec.and_then(|s| s.egress.as_ref()).map_or(0, Vec::len),
    }
}

pub fn admission_policy(p: &adm::ValidatingAdmissionPolicy) -> AdmissionPolicy {
    let spec = p.spec.as_ref();
    AdmissionPolicy {
        meta: meta(&p.metadata),
        failure_policy: spec.and_then(|s| s.failure_policy.clone()),
        expressions: spec
            .and_then(|s| s.validations.as_ref())
            .into_iter()
            .flatten()
            .map(|v| v.expression.clone())
            .collect(),
        match_resources: spec
            .and_then(|s| s.match_constraints.as_ref())
            .and_then(|m| m.resource_rules.as_ref())
            .into_iter()
            .flatten()
            .flat_map(|r| {
                let groups = r.api_groups.clone().unwrap_or_default();
                let resources = r.resources.clone().unwrap_or_default();
                groups.into_iter().flat_map(move |g| {
                    resources
                        .clone()
                        .into_iter()
                        .map(move |res| format!("{g}/{res}"))
                })
            })
            .collect(),
    }
}

pub fn admission_binding(b: &adm::ValidatingAdmissionPolicyBinding) -> AdmissionPolicyBinding {
    let spec = b.spec.as_ref();
    AdmissionPolicyBinding {
        meta: meta(&b.metadata),
        policy_name: spec.and_then(|s| s.policy_name.clone()).unwrap_or_default(),
        validation_actions: spec
            .and_then(|s| s.validation_actions.clone())
            .unwrap_or_default(),
        namespace_selector: spec
            .and_then(|s| s.match_resources.as_ref())
            .and_then(|m| m.namespace_selector.as_ref())
            .map(selector),
    }
}

/// An AI custom resource: images and requested resource names are found by walking the spec,
/// because every operator nests its pod templates differently.
pub fn custom_object(kind: Kind, meta: Meta, value: &serde_json::Value) -> CustomObject {
    let mut images = Vec::new();
    let mut resource_names = Vec::new();
    if let Some(spec) = value.get("spec") {
        walk_spec(spec, &mut images, &mut resource_names, 0);
    }
    CustomObject {
        kind,
        meta,
        images: sorted(images),
        resource_names: sorted(resource_names),
    }
}

/// Every `image` string anywhere in an object, sorted and without repeats.
pub fn images_in(value: &serde_json::Value) -> Vec<String> {
    let mut images = Vec::new();
    walk_spec(value, &mut images, &mut Vec::new(), 0);
    sorted(images)
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

/// Deep enough for every operator's nesting; bounded so hostile input cannot recurse forever.
const MAX_SPEC_DEPTH: usize = 32;

fn walk_spec(
    value: &serde_json::Value,
    images: &mut Vec<String>,
    resource_names: &mut Vec<String>,
    depth: usize,
) {
    if depth > MAX_SPEC_DEPTH {
        return;
    }
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("image", serde_json::Value::String(image)) => images.push(image.clone()),
                    ("requests" | "limits", serde_json::Value::Object(quantities)) => {
                        resource_names.extend(quantities.keys().cloned());
                    }
                    _ => walk_spec(child, images, resource_names, depth + 1),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                walk_spec(item, images, resource_names, depth + 1);
            }
        }
        _ => {}
    }
}
