//! Data reach rules: who can reach the PVCs that hold datasets, checkpoints and models, and
//! the volume set-ups that widen that reach (hostPath, read-write model mounts, RWX datasets,
//! orphaned volumes, unencrypted storage, pods with data behind public Services).
//!
//! [`paths`] computes, for each sensitive PVC, the workloads that mount it and every subject
//! that can reach its contents; the console and `aigov reach` use it directly.

pub(crate) mod engine;
pub mod paths;
mod storage;
#[cfg(test)]
mod tests;
mod volumes;
mod workloads;

pub use engine::Reach;
pub use paths::{
    DataKind, How, Mount, ReachPath, UnitRef, Via, VolumeReach, data_kind, reach_of,
    sensitive_volumes,
};
pub use storage::{Encryption, encryption};
pub use volumes::{is_system_subject, path_line};

use super::catalog::{Planner, Remedy, RuleInfo};
use super::finding::{Area, Finding, Severity};
use super::view::View;

pub static BROAD_REACH: RuleInfo = RuleInfo {
    id: "AIGOV-REACH-001",
    area: Area::Reach,
    severity: Severity::High,
    title: "Sensitive volume reachable by a broad group or by many subjects",
    checks: "A PVC labelled `aigov.dev/data` (dataset, checkpoint, model) or mounted by an AI workload that a broad group (`system:authenticated`, `system:serviceaccounts`, `system:serviceaccounts:NS`, or any group in `broad_groups`) can reach, or that more than `max_subjects_reaching_data` subjects can reach: by creating pods or pod-creating workloads in its namespace, exec or attach into pods that mount it, impersonating or minting tokens for those pods' service accounts, being that service account, or changing the PVC or PV objects.",
    why: "Whoever can start a pod in the namespace can mount the claim and copy the training data, checkpoints or model weights; whoever can exec into a pod that mounts it can read them in place. Every extra subject with that power is another account whose compromise leaks them.",
    fix: "Remove the broad binding; keep pod creation and exec in data namespaces to the service accounts and people who need them (time-limited for people); run `aigov reach pvc/NAME -n NS` to see each path.",
    false_positives: "A group may be broad in name only (an IdP group with two members): adjust `broad_groups` and `max_subjects_reaching_data` in the config. Kubernetes' own subjects (`system:` users, kube-system service accounts, `system:masters`) are listed by `aigov reach` but not counted; reading the PVC or PV object alone (`get`) is listed but not counted.",
    remedy: Remedy::Guidance,
};

pub static HOST_PATH: RuleInfo = RuleInfo {
    id: "AIGOV-REACH-002",
    area: Area::Reach,
    severity: Severity::High,
    title: "AI workload mounts a hostPath volume",
    checks: "A hostPath volume in the pod spec of a workload with an AI signal (accelerator, AI image, AI custom resource).",
    why: "A hostPath mount reaches the node's disk outside any PVC, RBAC or quota: node-local dataset caches and model shards of every tenant on that GPU node, kubelet credentials, or the container runtime socket. Anyone who can change the workload reaches them too.",
    fix: "Use a PVC (a local PersistentVolume with node affinity keeps node-local NVMe speed), or an emptyDir for scratch space; forbid hostPath in AI namespaces with Pod Security `baseline` or an admission policy.",
    false_positives: "Node agents that need the host (GPU device plugins, log shippers) belong in a system namespace; if one is classified as AI because of its image, label its namespace `aigov.dev/ai=false`.",
    remedy: Remedy::Guidance,
};

pub static INFERENCE_READ_WRITE: RuleInfo = RuleInfo {
    id: "AIGOV-REACH-003",
    area: Area::Reach,
    severity: Severity::Medium,
    title: "Inference workload mounts model or dataset volume read-write",
    checks: "A serving workload (vLLM, TGI, Triton, KServe, Ollama, SGLang, or named for inference) mounting a PVC labelled `model` or `dataset` with `readOnly` neither on the volume mount nor on the volume's `persistentVolumeClaim` source.",
    why: "A model server faces the network. If it is compromised, a writable weights volume lets the attacker replace or poison the model for every replica and every later deployment that mounts it, without touching the image.",
    fix: "Set `readOnly: true` on the volumeMount and on `persistentVolumeClaim` (aigov can stage this change); write models from a separate, short-lived job.",
    false_positives: "Servers that download weights into the volume on first start need write access once: do that in an init job and mount read-only afterwards.",
    remedy: Remedy::Plan(Planner::ReadOnlyMounts),
};

pub static RWX_DATASET: RuleInfo = RuleInfo {
    id: "AIGOV-REACH-004",
    area: Area::Reach,
    severity: Severity::Low,
    title: "Dataset volume is ReadWriteMany",
    checks: "A PVC labelled `aigov.dev/data=dataset` whose access modes include `ReadWriteMany`.",
    why: "A ReadWriteMany volume can be mounted by any number of pods on any node at once, so a single pod created anywhere in the namespace can read or alter the dataset while training runs, and nothing in Kubernetes records it.",
    fix: "Use ReadWriteOnce or ReadOnlyMany for datasets that training only reads; keep writes to a dedicated ingestion job.",
    false_positives: "Distributed training that reads one dataset from many nodes needs shared access: prefer ReadOnlyMany, and accept the finding where the storage offers no read-only mode.",
    remedy: Remedy::Guidance,
};

pub static RELEASED_RETAINED: RuleInfo = RuleInfo {
    id: "AIGOV-REACH-005",
    area: Area::Reach,
    severity: Severity::Medium,
    title: "Released PersistentVolume still holds data (Retain)",
    checks: "A PersistentVolume in phase `Released` with reclaim policy `Retain`: its claim was deleted but the data was kept.",
    why: "Orphaned volumes keep datasets and checkpoints nobody owns any more: they escape retention and deletion requests, and anyone who can edit PersistentVolumes can clear the claimRef and bind the data to a claim of their own.",
    fix: "Decide whether the data is still needed: archive it deliberately and delete the PV and its backing disk, or re-bind it to a claim with an owner.",
    false_positives: "Volumes kept on purpose for a short migration; label and track them, and delete them when it ends.",
    remedy: Remedy::Guidance,
};

pub static UNENCRYPTED: RuleInfo = RuleInfo {
    id: "AIGOV-REACH-006",
    area: Area::Reach,
    severity: Severity::Medium,
    title: "Sensitive volume's StorageClass sets no encryption",
    checks: "A sensitive PVC whose StorageClass lacks the encryption parameter its provisioner is known to use: `encrypted: \"true\"` for AWS EBS (ebs.csi.aws.com, kubernetes.io/aws-ebs) and Ceph RBD, `disk-encryption-kms-key` for GCE PD, `diskEncryptionSetID`/`diskEncryptionType` for Azure Disk. Other provisioners, or no StorageClass, are reported at low severity: aigov cannot tell.",
    why: "Disk snapshots, detached volumes and decommissioned hardware outlive the cluster's RBAC: without encryption at rest under a key you control, whoever reaches the storage back end reads the training data and model weights directly.",
    fix: "Create an encrypted StorageClass (with a customer-managed key) and migrate the data to a new claim on it; existing volumes do not change class.",
    false_positives: "Account-wide default encryption (AWS EBS encryption by default) or a provider's default encryption with its own keys (GCE, Azure) is not visible in the StorageClass; here the finding means no key of your own is configured.",
    remedy: Remedy::Guidance,
};

pub static EXPOSED: RuleInfo = RuleInfo {
    id: "AIGOV-REACH-007",
    area: Area::Reach,
    severity: Severity::High,
    title: "Pods with sensitive data are exposed by a LoadBalancer or NodePort Service",
    checks: "A Service of type LoadBalancer or NodePort whose selector matches pods (in its namespace) that mount a sensitive PVC.",
    why: "The pods that hold model weights or datasets are reachable from outside the cluster: an unauthenticated notebook, Ray dashboard or model-server debug endpoint there turns into a way to read or exfiltrate the data.",
    fix: "Make the Service ClusterIP and publish only an authenticated gateway (Ingress or Gateway with authentication, or an internal load balancer restricted by loadBalancerSourceRanges).",
    false_positives: "A public model endpoint behind an authenticating proxy in the same pod; the data is still one exploit away, so restrict its sources anyway.",
    remedy: Remedy::Guidance,
};

pub static RULES: &[&RuleInfo] = &[
    &BROAD_REACH,
    &HOST_PATH,
    &INFERENCE_READ_WRITE,
    &RWX_DATASET,
    &RELEASED_RETAINED,
    &UNENCRYPTED,
    &EXPOSED,
];

pub fn evaluate(view: &View, out: &mut Vec<Finding>) {
    let volumes = sensitive_volumes(view);
    volumes::evaluate(view, &volumes, out);
    workloads::evaluate(view, &volumes, out);
}
