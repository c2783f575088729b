//! Conversion from Kubernetes API objects (k8s-openapi types or raw JSON) into the compact model.
//!
//! The loader, the simulator's authoriser and `check -f` all go through here, so
//! every path agrees on what an object means.

mod other;
mod pods;
mod rbac;

pub use other::*;
pub use pods::*;
pub use rbac::*;

use super::kinds::Kind;
use super::meta::{LabelSelector, Meta, OwnerRef, SelectorOperator, SelectorRequirement};
use super::snapshot::Object;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
#[error("{kind} {name}: {source}")]
pub struct ConvertError {
    pub kind: &'static str,
    pub name: String,
    #[source]
    pub source: serde_json::Error,
}

pub fn meta(m: &metav1::ObjectMeta) -> Meta {
    Meta {
        name: m.name.clone().unwrap_or_default(),
        namespace: m.namespace.clone().unwrap_or_default(),
        uid: m.uid.clone().unwrap_or_default(),
        resource_version: m.resource_version.clone().unwrap_or_default(),
        creation_timestamp: m.creation_timestamp.as_ref().map(|t| t.0.to_string()),
        labels: m.labels.clone().unwrap_or_default(),
        annotations: m.annotations.clone().unwrap_or_default(),
        owners: m
            .owner_references
            .iter()
            .flatten()
            .map(|o| OwnerRef {
                kind: o.kind.clone(),
                name: o.name.clone(),
                uid: o.uid.clone(),
                controller: o.controller.unwrap_or(false),
            })
            .collect(),
    }
}

pub fn selector(s: &metav1::LabelSelector) -> LabelSelector {
    LabelSelector {
        match_labels: s.match_labels.clone().unwrap_or_default(),
        match_expressions: s
            .match_expressions
            .iter()
            .flatten()
            .map(|e| SelectorRequirement {
                key: e.key.clone(),
                // An operator the API would reject cannot match anything; `In` with the
                // given values is the closest safe reading and keeps the rest of the selector.
                operator: SelectorOperator::parse(&e.operator).unwrap_or(SelectorOperator::In),
                values: e.values.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

fn typed<T: DeserializeOwned>(kind: Kind, value: serde_json::Value) -> Result<T, ConvertError> {
    let name = value
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .unwrap_or("<unnamed>")
        .to_string();
    serde_json::from_value(value).map_err(|source| ConvertError {
        kind: kind.name(),
        name,
        source,
    })
}

/// Convert one API object given as JSON, whose kind the caller already knows.
pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Object, ConvertError> {
    use k8s_openapi::api::{
        admissionregistration::v1 as adm, apps::v1 as apps, batch::v1 as batch, core::v1 as core,
        networking::v1 as net, rbac::v1 as rbacv1, storage::v1 as storage,
    };
    Ok(match kind {
        Kind::Namespace => Object::Namespace(namespace(&typed::<core::Namespace>(kind, value)?)),
        Kind::Pod => Object::Pod(Box::new(pod(&typed::<core::Pod>(kind, value)?))),
        Kind::PersistentVolumeClaim => {
            Object::Pvc(pvc(&typed::<core::PersistentVolumeClaim>(kind, value)?))
        }
        Kind::PersistentVolume => Object::Pv(pv(&typed::<core::PersistentVolume>(kind, value)?)),
        Kind::ServiceAccount => Object::ServiceAccount(service_account(&typed::<
            core::ServiceAccount,
        >(kind, value)?)),
        Kind::ConfigMap => Object::ConfigMap(config_map(&typed::<core::ConfigMap>(kind, value)?)),
        Kind::Secret => Object::Secret(secret_from_json(&value)),
        Kind::Service => Object::Service(service(&typed::<core::Service>(kind, value)?)),
        Kind::Event => Object::Event(event(&typed::<core::Event>(kind, value)?)),
        Kind::Deployment => Object::Workload(Box::new(deployment(&typed::<apps::Deployment>(
            kind, value,
        )?))),
        Kind::StatefulSet => Object::Workload(Box::new(statefulset(&typed::<apps::StatefulSet>(
            kind, value,
        )?))),
        Kind::DaemonSet => {
            Object::Workload(Box::new(daemonset(&typed::<apps::DaemonSet>(kind, value)?)))
        }
        Kind::ReplicaSet => Object::Workload(Box::new(replicaset(&typed::<apps::ReplicaSet>(
            kind, value,
        )?))),
        Kind::Job => Object::Workload(Box::new(job(&typed::<batch::Job>(kind, value)?))),
        Kind::CronJob => {
            Object::Workload(Box::new(cronjob(&typed::<batch::CronJob>(kind, value)?)))
        }
        Kind::Role => Object::Role(role(&typed::<rbacv1::Role>(kind, value)?)),
        Kind::ClusterRole => {
            Object::Role(cluster_role(&typed::<rbacv1::ClusterRole>(kind, value)?))
        }
        Kind::RoleBinding => {
            Object::Binding(role_binding(&typed::<rbacv1::RoleBinding>(kind, value)?))
        }
        Kind::ClusterRoleBinding => Object::Binding(cluster_role_binding(&typed::<
            rbacv1::ClusterRoleBinding,
        >(kind, value)?)),
        Kind::StorageClass => {
            Object::StorageClass(storage_class(&typed::<storage::StorageClass>(kind, value)?))
        }
        Kind::NetworkPolicy => {
            Object::NetworkPolicy(network_policy(&typed::<net::NetworkPolicy>(kind, value)?))
        }
        Kind::ValidatingAdmissionPolicy => {
            Object::AdmissionPolicy(admission_policy(&typed::<adm::ValidatingAdmissionPolicy>(
                kind, value,
            )?))
        }
        Kind::ValidatingAdmissionPolicyBinding => {
            Object::AdmissionBinding(admission_binding(&typed::<
                adm::ValidatingAdmissionPolicyBinding,
            >(kind, value)?))
        }
        Kind::Notebook
        | Kind::PyTorchJob
        | Kind::TFJob
        | Kind::InferenceService
        | Kind::RayCluster
        | Kind::RayJob => {
            let metadata: metav1::ObjectMeta = match value.get("metadata") {
                Some(m) => typed(kind, m.clone())?,
                None => metav1::ObjectMeta::default(),
            };
            Object::Custom(custom_object(kind, meta(&metadata), &value))
        }
    })
}
