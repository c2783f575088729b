//! Pods, pod templates and the controllers that own them, reduced to what the rules read.

use super::meta::{LabelSelector, Meta};
use super::secret_text::ConfigValue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pod {
    pub meta: Meta,
    pub spec: PodSpec,
    pub phase: String,
    pub container_statuses: Vec<ContainerStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodSpec {
    /// `default` when the pod names none, as the API server fills it in.
    pub service_account: String,
    pub automount_token: Option<bool>,
    pub node_name: Option<String>,
    pub host_network: bool,
    pub host_pid: bool,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub volumes: Vec<Volume>,
    pub image_pull_secrets: Vec<String>,
}

impl PodSpec {
    /// Init and regular containers, in that order.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.init_containers.iter().chain(self.containers.iter())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub image_pull_policy: Option<String>,
    pub env: Vec<EnvVar>,
    pub env_from: Vec<EnvFromSource>,
    pub volume_mounts: Vec<VolumeMount>,
    /// Resource name to quantity, requests and limits merged (limits win).
    pub resources: BTreeMap<String, String>,
    pub privileged: bool,
    pub allow_privilege_escalation: Option<bool>,
    pub run_as_non_root: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub source: EnvSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EnvSource {
    /// A literal value written into the pod spec.
    Literal(ConfigValue),
    SecretKey {
        name: String,
        key: String,
    },
    ConfigMapKey {
        name: String,
        key: String,
    },
    Field(String),
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EnvFromSource {
    ConfigMap(String),
    Secret(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    pub read_only: bool,
    pub sub_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub name: String,
    pub source: VolumeSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum VolumeSource {
    Pvc {
        claim_name: String,
        read_only: bool,
    },
    HostPath {
        path: String,
    },
    ConfigMap {
        name: String,
    },
    Secret {
        name: String,
    },
    Projected {
        config_maps: Vec<String>,
        secrets: Vec<String>,
        service_account_token: bool,
    },
    EmptyDir,
    /// Any other source, by its field name (`nfs`, `csi`, ...).
    Other(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerStatus {
    pub name: String,
    pub image: String,
    /// The digest the node actually runs, such as `docker.io/library/x@sha256:...`.
    pub image_id: String,
    pub ready: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

/// A controller with a pod template. For a CronJob, the template is the job template's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub meta: Meta,
    pub replicas: Option<i32>,
    pub selector: Option<LabelSelector>,
    pub template_labels: BTreeMap<String, String>,
    pub template: PodSpec,
}
