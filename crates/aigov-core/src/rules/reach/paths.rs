//! Data reach, what it is made of: a PVC with the workloads that mount it and every subject
//! that can reach its contents, each with its path (how, and the binding, role and rule
//! that allow it). [`super::engine`] computes them.

use super::engine::Reach;
use crate::model::objects::PersistentVolumeClaim;
use crate::model::rbac::Subject;
use crate::rules::rbac::Grant;
use crate::rules::view::View;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The label that says what a volume holds.
pub const DATA_LABEL: &str = "aigov.dev/data";

/// What a volume holds, from its `aigov.dev/data` label (the PVC's, else its PV's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataKind {
    Dataset,
    Checkpoint,
    Model,
    /// No (recognised) label: sensitive only because AI workloads mount it.
    Unlabelled,
}

impl DataKind {
    pub fn from_label(value: &str) -> Option<Self> {
        match value {
            "dataset" => Some(Self::Dataset),
            "checkpoint" => Some(Self::Checkpoint),
            "model" => Some(Self::Model),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Dataset => "dataset",
            Self::Checkpoint => "checkpoint",
            Self::Model => "model",
            Self::Unlabelled => "unlabelled",
        }
    }
}

/// A workload unit, named `Kind/name` in text and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitRef<'a> {
    /// `Deployment`, `StatefulSet`, ..., or `Pod`.
    pub kind: &'static str,
    pub name: &'a str,
}

impl std::fmt::Display for UnitRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

impl Serialize for UnitRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One container of one workload unit that mounts the claim. Text borrows from the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount<'a> {
    pub unit: UnitRef<'a>,
    pub ai: bool,
    pub inference: bool,
    /// The pod volume that refers to the claim.
    pub volume: &'a str,
    /// Empty when the volume is declared but no container mounts it.
    pub container: &'a str,
    pub mount_path: &'a str,
    /// `readOnly` on the mount or on the volume source.
    pub read_only: bool,
    pub service_account: &'a str,
    /// The running pods that mount it.
    pub pods: Vec<&'a str>,
}

/// How a service account's identity is taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `impersonate` on `serviceaccounts`.
    Impersonate,
    /// `create` on `serviceaccounts/token`.
    TokenRequest,
}

/// How a subject reaches the data. Lists (`kinds`, `units`, `verbs`) gather everything one
/// grant allows, so a subject has one path per grant and way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum How<'a> {
    /// Create a pod in the namespace that mounts the claim.
    CreatePod,
    /// Create a controller or AI custom resource whose pods mount the claim.
    CreateWorkload { kinds: Vec<&'static str> },
    /// Exec into a running pod of these units, which mount the claim.
    ExecIntoPod { units: Vec<UnitRef<'a>> },
    /// Attach to a running pod of these units.
    AttachToPod { units: Vec<UnitRef<'a>> },
    /// Take over the identity of a service account whose pods mount the claim.
    ActAsServiceAccount { service_account: &'a str, via: Via },
    /// The subject is the service account of these units, whose pods mount the claim.
    IsServiceAccount { units: Vec<UnitRef<'a>> },
    /// Read or change the PersistentVolumeClaim object.
    ReadWriteClaim { verbs: Vec<&'static str> },
    /// Read or change the PersistentVolume object.
    ReadWriteVolume { verbs: Vec<&'static str> },
}

fn join<T: std::fmt::Display>(items: &[T], separator: &str) -> String {
    let texts: Vec<String> = items.iter().map(ToString::to_string).collect();
    texts.join(separator)
}

fn union<T: PartialEq + Copy>(into: &mut Vec<T>, more: &[T]) {
    for item in more {
        if !into.contains(item) {
            into.push(*item);
        }
    }
}

impl<'a> How<'a> {
    /// The JSON tag: `create_pod`, `exec_into_pod`, ...
    pub fn tag(&self) -> &'static str {
        match self {
            How::CreatePod => "create_pod",
            How::CreateWorkload { .. } => "create_workload",
            How::ExecIntoPod { .. } => "exec_into_pod",
            How::AttachToPod { .. } => "attach_to_pod",
            How::ActAsServiceAccount { .. } => "act_as_service_account",
            How::IsServiceAccount { .. } => "is_service_account",
            How::ReadWriteClaim { .. } => "read_write_claim",
            How::ReadWriteVolume { .. } => "read_write_volume",
        }
    }

    /// Whether this path reaches the data itself (or can destroy or re-bind it), rather
    /// than only reading the claim's or volume's metadata.
    pub fn reaches_data(&self) -> bool {
        match self {
            How::ReadWriteClaim { verbs } | How::ReadWriteVolume { verbs } => {
                verbs.iter().any(|v| *v != "get")
            }
            _ => true,
        }
    }

    /// One line for tables, e.g. `exec into Deployment/tgi`. Holds cluster text: sanitise it.
    pub fn describe(&self) -> String {
        match self {
            How::CreatePod => "create a pod mounting it".into(),
            How::CreateWorkload { kinds } if kinds.len() > 4 => format!(
                "create {} and {} more kinds mounting it",
                kinds[..3].join(", "),
                kinds.len() - 3
            ),
            How::CreateWorkload { kinds } => format!("create {} mounting it", kinds.join(", ")),
            How::ExecIntoPod { units } => format!("exec into {}", join(units, ", ")),
            How::AttachToPod { units } => format!("attach to {}", join(units, ", ")),
            How::ActAsServiceAccount {
                service_account,
                via: Via::Impersonate,
            } => format!("impersonate ServiceAccount {service_account}"),
            How::ActAsServiceAccount {
                service_account,
                via: Via::TokenRequest,
            } => format!("create a token for ServiceAccount {service_account}"),
            How::IsServiceAccount { units } => format!("runs {}", join(units, ", ")),
            How::ReadWriteClaim { verbs } => format!("{} the PVC", verbs.join("/")),
            How::ReadWriteVolume { verbs } => format!("{} the PV", verbs.join("/")),
        }
    }

    /// Merge `other` into this way when both are the same way apart from their lists
    /// (`exec into A` and `exec into B`); false, and nothing changed, otherwise.
    pub fn merge(&mut self, other: &How<'a>) -> bool {
        match (self, other) {
            (How::CreatePod, How::CreatePod) => true,
            (How::CreateWorkload { kinds: a }, How::CreateWorkload { kinds: b })
            | (How::ReadWriteClaim { verbs: a }, How::ReadWriteClaim { verbs: b })
            | (How::ReadWriteVolume { verbs: a }, How::ReadWriteVolume { verbs: b }) => {
                union(a, b);
                true
            }
            (How::ExecIntoPod { units: a }, How::ExecIntoPod { units: b })
            | (How::AttachToPod { units: a }, How::AttachToPod { units: b })
            | (How::IsServiceAccount { units: a }, How::IsServiceAccount { units: b }) => {
                union(a, b);
                true
            }
            (a @ How::ActAsServiceAccount { .. }, b) => a == b,
            _ => false,
        }
    }

    /// The way without its list: paths of one grant with the same shape are merged.
    pub(super) fn shape(&self) -> How<'a> {
        match self {
            How::CreateWorkload { .. } => How::CreateWorkload { kinds: Vec::new() },
            How::ExecIntoPod { .. } => How::ExecIntoPod { units: Vec::new() },
            How::AttachToPod { .. } => How::AttachToPod { units: Vec::new() },
            How::IsServiceAccount { .. } => How::IsServiceAccount { units: Vec::new() },
            How::ReadWriteClaim { .. } => How::ReadWriteClaim { verbs: Vec::new() },
            How::ReadWriteVolume { .. } => How::ReadWriteVolume { verbs: Vec::new() },
            other => other.clone(),
        }
    }
}

/// One way one subject reaches the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReachPath<'a> {
    pub subject: Subject,
    pub how: How<'a>,
    /// The binding, role and rule that allow it; `None` for [`How::IsServiceAccount`].
    /// Shared between the paths and volumes it grants.
    #[serde(serialize_with = "shared_grant")]
    pub grant: Option<Arc<Grant>>,
}

fn shared_grant<S: serde::Serializer>(
    grant: &Option<Arc<Grant>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    grant.as_deref().serialize(serializer)
}

/// A PVC with what mounts it and who can reach its data. Text borrows from the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeReach<'a> {
    pub namespace: &'a str,
    pub pvc: &'a str,
    pub pv: Option<&'a str>,
    /// The claim's class, else its volume's.
    pub storage_class: Option<&'a str>,
    pub data: DataKind,
    /// Labelled as data, or mounted by an AI workload.
    pub sensitive: bool,
    pub access_modes: &'a [String],
    pub phase: &'a str,
    pub capacity: Option<&'a str>,
    pub mounted_by: Vec<Mount<'a>>,
    /// Sorted by subject, then way.
    pub paths: Vec<ReachPath<'a>>,
    /// What could not be read, so the paths may be incomplete (`pods in ml-training`).
    pub unknown: Vec<String>,
}

impl VolumeReach<'_> {
    /// The distinct subjects whose paths reach the data itself.
    pub fn subjects(&self) -> BTreeSet<&Subject> {
        self.paths
            .iter()
            .filter(|p| p.how.reaches_data())
            .map(|p| &p.subject)
            .collect()
    }

    pub fn is_rwx(&self) -> bool {
        self.access_modes.iter().any(|m| m == "ReadWriteMany")
    }
}

/// Who can reach one PVC's data; `None` when the claim is not in the snapshot.
pub fn reach_of<'a>(view: &View<'a>, namespace: &str, pvc: &str) -> Option<VolumeReach<'a>> {
    let claim = view.pvc(namespace, pvc)?;
    Some(Reach::new(view).volume(claim))
}

/// Every sensitive PVC (labelled as data or mounted by an AI workload) with its reach, in
/// namespace and name order.
pub fn sensitive_volumes<'a>(view: &View<'a>) -> Vec<VolumeReach<'a>> {
    let mut reach = Reach::new(view);
    let mut claims: Vec<&'a PersistentVolumeClaim> = view
        .snapshot
        .pvcs
        .iter()
        .filter(|c| reach.is_sensitive(c))
        .collect();
    claims
        .sort_by(|a, b| (&a.meta.namespace, &a.meta.name).cmp(&(&b.meta.namespace, &b.meta.name)));
    claims.into_iter().map(|c| reach.volume(c)).collect()
}

/// The label value of a claim (or its volume) that says what it holds.
pub fn data_kind(view: &View, claim: &PersistentVolumeClaim) -> Option<DataKind> {
    let label = |labels: &crate::model::Labels| {
        labels.get(DATA_LABEL).and_then(|v| DataKind::from_label(v))
    };
    label(&claim.meta.labels).or_else(|| {
        let pv = view.pv(claim.volume_name.as_deref()?)?;
        label(&pv.meta.labels)
    })
}
