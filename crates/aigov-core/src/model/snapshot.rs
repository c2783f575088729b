//! The snapshot: every object aigov read from one cluster at one time, and what it could not read.

use super::kinds::Kind;
use super::objects::*;
use super::rbac::{Binding, Role};
use super::workloads::{Pod, Workload};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod delta;
pub use delta::{Change, ObjectKey};

/// How completely one kind was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Coverage {
    /// Every object of the kind was read.
    Complete,
    /// The kind is not served by this cluster (an uninstalled CRD): there are none.
    NotServed,
    /// Read in some namespaces only; the others are unknown, with the reason each failed.
    Partial {
        unknown_namespaces: BTreeMap<String, String>,
    },
    /// Nothing could be read. The rules must treat the kind as unknown, never as empty.
    Unknown { reason: String },
}

impl Coverage {
    /// Whether the objects of this kind in `namespace` (empty: cluster-wide) are all known.
    pub fn is_known_in(&self, namespace: &str) -> bool {
        match self {
            Coverage::Complete | Coverage::NotServed => true,
            Coverage::Partial { unknown_namespaces } => {
                !namespace.is_empty() && !unknown_namespaces.contains_key(namespace)
            }
            Coverage::Unknown { .. } => false,
        }
    }

    pub fn is_complete(&self) -> bool {
        matches!(self, Coverage::Complete | Coverage::NotServed)
    }
}

/// Who the connection acts as, from SelfSubjectReview or the kubeconfig.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub username: String,
    pub groups: Vec<String>,
    /// `self-subject-review` or `kubeconfig` (when the review API is missing).
    pub source: String,
}

/// Where the snapshot came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    pub context: String,
    pub server: String,
    pub identity: Identity,
    /// RFC 3339 time the load finished.
    pub loaded_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub origin: Origin,
    pub coverage: BTreeMap<Kind, Coverage>,
    /// The resourceVersion of the list each kind was loaded from, for the kinds read
    /// cluster-wide in one consistent list (all pages of one list). A watch started from it
    /// sees every change after the load and nothing before. Kinds read namespace by
    /// namespace have none. It describes the load: changes applied later do not move it.
    #[serde(default)]
    pub list_versions: BTreeMap<Kind, String>,
    pub namespaces: Vec<Namespace>,
    pub pods: Vec<Pod>,
    pub workloads: Vec<Workload>,
    pub pvcs: Vec<PersistentVolumeClaim>,
    pub pvs: Vec<PersistentVolume>,
    pub storage_classes: Vec<StorageClass>,
    pub service_accounts: Vec<ServiceAccount>,
    pub config_maps: Vec<ConfigMap>,
    pub secrets: Vec<SecretMeta>,
    pub services: Vec<Service>,
    pub events: Vec<Event>,
    /// Roles and ClusterRoles.
    pub roles: Vec<Role>,
    /// RoleBindings and ClusterRoleBindings.
    pub bindings: Vec<Binding>,
    pub network_policies: Vec<NetworkPolicy>,
    pub admission_policies: Vec<AdmissionPolicy>,
    pub admission_bindings: Vec<AdmissionPolicyBinding>,
    pub custom: Vec<CustomObject>,
}

/// One object of any kind, as the loader hands it to the snapshot.
#[derive(Debug, Clone)]
pub enum Object {
    Namespace(Namespace),
    Pod(Box<Pod>),
    Workload(Box<Workload>),
    Pvc(PersistentVolumeClaim),
    Pv(PersistentVolume),
    StorageClass(StorageClass),
    ServiceAccount(ServiceAccount),
    ConfigMap(ConfigMap),
    Secret(SecretMeta),
    Service(Service),
    Event(Event),
    Role(Role),
    Binding(Binding),
    NetworkPolicy(NetworkPolicy),
    AdmissionPolicy(AdmissionPolicy),
    AdmissionBinding(AdmissionPolicyBinding),
    Custom(CustomObject),
}

impl Snapshot {
    pub fn insert(&mut self, object: Object) {
        match object {
            Object::Namespace(o) => self.namespaces.push(o),
            Object::Pod(o) => self.pods.push(*o),
            Object::Workload(o) => self.workloads.push(*o),
            Object::Pvc(o) => self.pvcs.push(o),
            Object::Pv(o) => self.pvs.push(o),
            Object::StorageClass(o) => self.storage_classes.push(o),
            Object::ServiceAccount(o) => self.service_accounts.push(o),
            Object::ConfigMap(o) => self.config_maps.push(o),
            Object::Secret(o) => self.secrets.push(o),
            Object::Service(o) => self.services.push(o),
            Object::Event(o) => self.events.push(o),
            Object::Role(o) => self.roles.push(o),
            Object::Binding(o) => self.bindings.push(o),
            Object::NetworkPolicy(o) => self.network_policies.push(o),
            Object::AdmissionPolicy(o) => self.admission_policies.push(o),
            Object::AdmissionBinding(o) => self.admission_bindings.push(o),
            Object::Custom(o) => self.custom.push(o),
        }
    }

    /// The namespace and kind-qualified counts of every object, for the inventory.
    pub fn counts(&self) -> BTreeMap<(Kind, String), usize> {
        let mut counts = BTreeMap::new();
        let mut add = |kind: Kind, namespace: &str| {
            *counts.entry((kind, namespace.to_string())).or_insert(0) += 1;
        };
        for o in &self.namespaces {
            add(Kind::Namespace, &o.meta.namespace);
        }
        for o in &self.pods {
            add(Kind::Pod, &o.meta.namespace);
        }
        for o in &self.workloads {
            add(workload_kind(o.kind), &o.meta.namespace);
        }
        for o in &self.pvcs {
            add(Kind::PersistentVolumeClaim, &o.meta.namespace);
        }
        for o in &self.pvs {
            add(Kind::PersistentVolume, &o.meta.namespace);
        }
        for o in &self.storage_classes {
            add(Kind::StorageClass, &o.meta.namespace);
        }
        for o in &self.service_accounts {
            add(Kind::ServiceAccount, &o.meta.namespace);
        }
        for o in &self.config_maps {
            add(Kind::ConfigMap, &o.meta.namespace);
        }
        for o in &self.secrets {
            add(Kind::Secret, &o.meta.namespace);
        }
        for o in &self.services {
            add(Kind::Service, &o.meta.namespace);
        }
        for o in &self.events {
            add(Kind::Event, &o.meta.namespace);
        }
        for o in &self.roles {
            let kind = if o.is_cluster_role() {
                Kind::ClusterRole
            } else {
                Kind::Role
            };
            add(kind, &o.meta.namespace);
        }
        for o in &self.bindings {
            let kind = if o.is_cluster_binding() {
                Kind::ClusterRoleBinding
            } else {
                Kind::RoleBinding
            };
            add(kind, &o.meta.namespace);
        }
        for o in &self.network_policies {
            add(Kind::NetworkPolicy, &o.meta.namespace);
        }
        for o in &self.admission_policies {
            add(Kind::ValidatingAdmissionPolicy, &o.meta.namespace);
        }
        for o in &self.admission_bindings {
            add(Kind::ValidatingAdmissionPolicyBinding, &o.meta.namespace);
        }
        for o in &self.custom {
            add(o.kind, &o.meta.namespace);
        }
        counts
    }

    /// Kinds that were not fully read, with their coverage.
    pub fn incomplete_kinds(&self) -> impl Iterator<Item = (&Kind, &Coverage)> {
        self.coverage.iter().filter(|(_, c)| !c.is_complete())
    }
}

pub fn workload_kind(kind: super::workloads::WorkloadKind) -> Kind {
    use super::workloads::WorkloadKind as W;
    match kind {
        W::Deployment => Kind::Deployment,
        W::StatefulSet => Kind::StatefulSet,
        W::DaemonSet => Kind::DaemonSet,
        W::ReplicaSet => Kind::ReplicaSet,
        W::Job => Kind::Job,
        W::CronJob => Kind::CronJob,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_coverage_knows_only_the_namespaces_that_were_read() {
        let partial = Coverage::Partial {
            unknown_namespaces: [("ml-training".to_string(), "forbidden".to_string())].into(),
        };
        assert!(partial.is_known_in("web-shop"));
        assert!(!partial.is_known_in("ml-training"));
        assert!(!partial.is_known_in(""));
        assert!(!Coverage::Unknown { reason: "x".into() }.is_known_in("a"));
        assert!(Coverage::NotServed.is_known_in(""));
    }
}
