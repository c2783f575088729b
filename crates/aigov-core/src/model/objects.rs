//! The remaining compact objects: namespaces, storage, config, services, policies, events
//! and AI custom resources.

use super::kinds::Kind;
use super::meta::{LabelSelector, Meta};
use super::secret_text::ConfigValue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Namespace {
    pub meta: Meta,
    pub phase: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersistentVolumeClaim {
    pub meta: Meta,
    pub storage_class: Option<String>,
    pub access_modes: Vec<String>,
    pub volume_name: Option<String>,
    pub requested: Option<String>,
    pub phase: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersistentVolume {
    pub meta: Meta,
    pub storage_class: Option<String>,
    pub access_modes: Vec<String>,
    pub reclaim_policy: Option<String>,
    pub phase: String,
    /// `namespace/name` of the claim bound to it.
    pub claim: Option<(String, String)>,
    /// `hostPath`, `nfs`, `csi:driver.name` and so on.
    pub source: String,
    pub capacity: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageClass {
    pub meta: Meta,
    pub provisioner: String,
    pub parameters: BTreeMap<String, String>,
    pub reclaim_policy: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub meta: Meta,
    pub automount_token: Option<bool>,
    pub image_pull_secrets: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigMap {
    pub meta: Meta,
    pub data: BTreeMap<String, ConfigValue>,
    /// Keys of `binaryData`; their content is not kept.
    pub binary_keys: Vec<String>,
}

/// A Secret as metadata only: its data is never requested from the server.
/// Annotations are dropped too, because `last-applied-configuration` holds the data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretMeta {
    pub meta: Meta,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub meta: Meta,
    pub service_type: String,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<ServicePort>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServicePort {
    pub port: i32,
    pub node_port: Option<i32>,
    pub protocol: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkPolicy {
    pub meta: Meta,
    pub pod_selector: LabelSelector,
    pub policy_types: Vec<String>,
    pub ingress_rules: usize,
    pub egress_rules: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdmissionPolicy {
    pub meta: Meta,
    pub failure_policy: Option<String>,
    /// The CEL expressions of `spec.validations`.
    pub expressions: Vec<String>,
    /// Resources the policy matches, as `group/resource`.
    pub match_resources: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdmissionPolicyBinding {
    pub meta: Meta,
    pub policy_name: String,
    pub validation_actions: Vec<String>,
    pub namespace_selector: Option<LabelSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub meta: Meta,
    pub involved_kind: String,
    pub involved_name: String,
    pub reason: String,
    pub message: String,
    pub event_type: String,
    pub count: i32,
}

/// An AI custom resource (Notebook, PyTorchJob, InferenceService, ...). Its spec
/// differs per operator, so only what the rules need is extracted generically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomObject {
    pub kind: Kind,
    pub meta: Meta,
    /// Every `image` string found in the spec.
    pub images: Vec<String>,
    /// Every resource name requested or limited anywhere in the spec.
    pub resource_names: Vec<String>,
}
