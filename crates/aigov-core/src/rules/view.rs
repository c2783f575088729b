//! A read-only view of a snapshot built once per evaluation: workload units (a controller
//! with its pods), look-ups by name, the RBAC index and the namespace classification. Rules
//! read it instead of rescanning the snapshot.

use super::classify::{NamespaceClass, classify_namespaces};
use super::rbac::RbacIndex;
use super::settings::RulesConfig;
use crate::model::objects::*;
use crate::model::workloads::{ContainerStatus, Pod, PodSpec, WorkloadKind};
use crate::model::{Kind, Labels, Snapshot};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;

/// Why a unit counts as an AI workload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AiSignals {
    /// Accelerator resources requested, e.g. `nvidia.com/gpu`.
    pub accelerators: Vec<String>,
    /// Images recognised as AI frameworks or servers.
    pub images: Vec<String>,
    /// The AI custom resource that owns it, e.g. `Notebook/alice`.
    pub custom_resource: Option<String>,
}

impl AiSignals {
    pub fn is_ai(&self) -> bool {
        !self.accelerators.is_empty() || !self.images.is_empty() || self.custom_resource.is_some()
    }
}

/// A workload as an operator thinks of it: the top-level controller (a Deployment, not its
/// ReplicaSets; a CronJob, not its Jobs) or a pod no controller owns, with its running pods.
#[derive(Debug)]
pub struct Unit<'a> {
    /// `Deployment`, `StatefulSet`, ..., or `Pod`.
    pub kind: &'static str,
    pub namespace: &'a str,
    pub name: &'a str,
    /// The pod template's labels (a pod's own labels for a bare pod).
    pub labels: &'a Labels,
    pub spec: &'a PodSpec,
    pub pods: Vec<&'a Pod>,
    pub ai: AiSignals,
    /// Index into `snapshot.workloads`, or `None` for a bare pod.
    pub workload: Option<usize>,
    /// The pods' container statuses by container name, so that a pod with many containers
    /// is not scanned once per container.
    statuses: HashMap<&'a str, Vec<(&'a Pod, &'a ContainerStatus)>>,
}

impl<'a> Unit<'a> {
    /// The statuses the unit's pods report for `container`, with their pods, in pod order.
    pub fn statuses_of(&self, container: &str) -> &[(&'a Pod, &'a ContainerStatus)] {
        self.statuses.get(container).map_or(&[], Vec::as_slice)
    }

    fn add_pod(&mut self, pod: &'a Pod) {
        self.pods.push(pod);
        for status in &pod.container_statuses {
            self.statuses
                .entry(status.name.as_str())
                .or_default()
                .push((pod, status));
        }
    }

    pub fn is_ai(&self) -> bool {
        self.ai.is_ai()
    }

    pub fn object(&self) -> super::finding::ObjectRef {
        super::finding::ObjectRef::new(self.kind, self.namespace, self.name)
    }

    /// Whether a patch can change the unit's pod spec in place: a controller's template can,
    /// except a Job's (immutable once created); a pod's spec cannot, apart from its images.
    pub fn spec_patchable(&self) -> bool {
        !matches!(self.kind, "Pod" | "Job")
    }

    /// Whether a patch can change the unit's container images in place: a template (not a
    /// Job's), or a pod no controller manages (`spec.containers[*].image` is mutable on a
    /// running pod; the kubelet restarts the container).
    pub fn images_patchable(&self) -> bool {
        match self.kind {
            "Job" => false,
            "Pod" => self.pods.iter().all(|p| p.meta.controller().is_none()),
            _ => true,
        }
    }

    /// Heuristic: a unit that serves models (inference) rather than trains them.
    pub fn is_inference(&self) -> bool {
        const SERVING: [&str; 8] = [
            "vllm",
            "text-generation-inference",
            "tritonserver",
            "ollama",
            "sglang",
            "kserve",
            "huggingfaceserver",
            "inference",
        ];
        let name_hint = ["serving", "inference", "predictor"]
            .iter()
            .any(|h| self.name.contains(h))
            || self
                .labels
                .get("component")
                .is_some_and(|c| c == "predictor")
            || self
                .labels
                .keys()
                .any(|k| k.starts_with("serving.kserve.io"));
        let image_hint = self
            .spec
            .all_containers()
            .any(|c| SERVING.iter().any(|s| c.image.contains(s)));
        name_hint || image_hint
    }
}

pub struct View<'a> {
    pub snapshot: &'a Snapshot,
    pub settings: &'a RulesConfig,
    pub units: Vec<Unit<'a>>,
    /// Indexes into `units`, by namespace.
    units_by_namespace: HashMap<&'a str, Vec<usize>>,
    /// Every namespace with its AI classification, by name.
    pub namespaces: BTreeMap<String, NamespaceClass>,
    pub rbac: RbacIndex,
    pvcs: HashMap<(&'a str, &'a str), &'a PersistentVolumeClaim>,
    pvs: HashMap<&'a str, &'a PersistentVolume>,
    storage_classes: HashMap<&'a str, &'a StorageClass>,
    service_accounts: HashMap<(&'a str, &'a str), &'a ServiceAccount>,
}

fn workload_name(kind: WorkloadKind) -> &'static str {
    kind.name()
}

impl<'a> View<'a> {
    pub fn new(snapshot: &'a Snapshot, settings: &'a RulesConfig) -> Self {
        let units = build_units(snapshot, settings);
        let namespaces = classify_namespaces(snapshot, settings, &units);
        let mut units_by_namespace: HashMap<&'a str, Vec<usize>> = HashMap::default();
        for (i, unit) in units.iter().enumerate() {
            units_by_namespace
                .entry(unit.namespace)
                .or_default()
                .push(i);
        }
        View {
            units_by_namespace,
            snapshot,
            settings,
            namespaces,
            rbac: RbacIndex::new(&snapshot.roles, &snapshot.bindings),
            pvcs: snapshot
                .pvcs
                .iter()
                .map(|p| ((p.meta.namespace.as_str(), p.meta.name.as_str()), p))
                .collect(),
            pvs: snapshot
                .pvs
                .iter()
                .map(|p| (p.meta.name.as_str(), p))
                .collect(),
            storage_classes: snapshot
                .storage_classes
                .iter()
                .map(|s| (s.meta.name.as_str(), s))
                .collect(),
            service_accounts: snapshot
                .service_accounts
                .iter()
                .map(|s| ((s.meta.namespace.as_str(), s.meta.name.as_str()), s))
                .collect(),
            units,
        }
    }

    pub fn is_ai_namespace(&self, namespace: &str) -> bool {
        self.namespaces.get(namespace).is_some_and(|c| c.ai)
    }

    pub fn ai_namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces
            .values()
            .filter(|c| c.ai)
            .map(|c| c.name.as_str())
    }

    pub fn pvc(&self, namespace: &str, name: &str) -> Option<&'a PersistentVolumeClaim> {
        self.pvcs.get(&(namespace, name)).copied()
    }

    pub fn pv(&self, name: &str) -> Option<&'a PersistentVolume> {
        self.pvs.get(name).copied()
    }

    pub fn storage_class(&self, name: &str) -> Option<&'a StorageClass> {
        self.storage_classes.get(name).copied()
    }

    /// Whether a service account exists. Only meaningful when ServiceAccounts were read in
    /// that namespace: check [`View::known`] first.
    pub fn service_account_exists(&self, namespace: &str, name: &str) -> bool {
        self.service_account(namespace, name).is_some()
    }

    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&'a ServiceAccount> {
        self.service_accounts.get(&(namespace, name)).copied()
    }

    /// Whether `kind` was read completely in `namespace` (empty: cluster-wide).
    pub fn known(&self, kind: Kind, namespace: &str) -> bool {
        self.snapshot
            .coverage
            .get(&kind)
            .is_some_and(|c| c.is_known_in(namespace))
    }

    /// The first of `kinds` that is not known in `namespace`, for incomplete findings.
    pub fn first_unknown(&self, kinds: &[Kind], namespace: &str) -> Option<Kind> {
        kinds.iter().copied().find(|k| !self.known(*k, namespace))
    }

    pub fn units_in<'s>(&'s self, namespace: &str) -> impl Iterator<Item = &'s Unit<'a>> + 's {
        self.units_by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|i| &self.units[*i])
    }
}

/// Group pods under their top-level controller. Owners are followed by uid, falling back to
/// kind and name (fixtures often omit uids), through ReplicaSet -> Deployment and
/// Job -> CronJob.
fn build_units<'a>(snapshot: &'a Snapshot, settings: &RulesConfig) -> Vec<Unit<'a>> {
    let workloads = &snapshot.workloads;
    let mut by_uid: HashMap<&str, usize> = HashMap::default();
    by_uid.reserve(workloads.len());
    let mut by_name: HashMap<(&str, &str, &str), usize> = HashMap::default();
    by_name.reserve(workloads.len());
    for (i, w) in workloads.iter().enumerate() {
        if !w.meta.uid.is_empty() {
            by_uid.insert(w.meta.uid.as_str(), i);
        }
        by_name.insert(
            (
                workload_name(w.kind),
                w.meta.namespace.as_str(),
                w.meta.name.as_str(),
            ),
            i,
        );
    }
    let owner_of = |meta: &crate::model::Meta| -> Option<usize> {
        let owner = meta.controller()?;
        by_uid
            .get(owner.uid.as_str())
            .or_else(|| {
                by_name.get(&(
                    owner.kind.as_str(),
                    meta.namespace.as_str(),
                    owner.name.as_str(),
                ))
            })
            .copied()
    };
    // The top of each workload's ownership chain, bounded against cycles in hostile data.
    let tops: Vec<usize> = (0..workloads.len())
        .map(|start| {
            let mut current = start;
            for _ in 0..8 {
                match owner_of(&workloads[current].meta) {
                    Some(next) if next != current => current = next,
                    _ => break,
                }
            }
            current
        })
        .collect();
    let custom_owner = |meta: &crate::model::Meta| -> Option<String> {
        meta.owners
            .iter()
            .find(|o| settings.ai.custom_kinds.iter().any(|k| k == &o.kind))
            .map(|o| format!("{}/{}", o.kind, o.name))
    };
    let mut signals = SignalCache::new(settings);
    let mut units: Vec<Unit<'a>> = Vec::new();
    let mut unit_of_workload: Vec<Option<usize>> = vec![None; workloads.len()];
    for (i, w) in workloads.iter().enumerate() {
        if tops[i] != i {
            continue;
        }
        unit_of_workload[i] = Some(units.len());
        let mut ai = signals.of(&w.template);
        ai.custom_resource = custom_owner(&w.meta);
        units.push(Unit {
            kind: workload_name(w.kind),
            namespace: &w.meta.namespace,
            name: &w.meta.name,
            labels: &w.template_labels,
            spec: &w.template,
            pods: Vec::new(),
            ai,
            workload: Some(i),
            statuses: HashMap::default(),
        });
    }
    for pod in &snapshot.pods {
        match owner_of(&pod.meta).and_then(|owner| unit_of_workload[tops[owner]]) {
            Some(unit) => units[unit].add_pod(pod),
            None => {
                let mut ai = signals.of(&pod.spec);
                ai.custom_resource = custom_owner(&pod.meta);
                let mut unit = Unit {
                    kind: "Pod",
                    namespace: &pod.meta.namespace,
                    name: &pod.meta.name,
                    labels: &pod.meta.labels,
                    spec: &pod.spec,
                    pods: Vec::new(),
                    ai,
                    workload: None,
                    statuses: HashMap::default(),
                };
                unit.add_pod(pod);
                units.push(unit);
            }
        }
    }
    units
}

/// AI signals of pod specs, with the image classification cached: a large cluster runs
/// many copies of few images.
struct SignalCache<'s> {
    settings: &'s RulesConfig,
    ai_images: HashMap<String, bool>,
}

impl<'s> SignalCache<'s> {
    fn new(settings: &'s RulesConfig) -> Self {
        Self {
            settings,
            ai_images: HashMap::default(),
        }
    }

    fn of(&mut self, spec: &PodSpec) -> AiSignals {
        let mut signals = AiSignals::default();
        for c in spec.all_containers() {
            for resource in c.resources.keys() {
                if self.settings.ai.is_accelerator(resource)
                    && !signals.accelerators.contains(resource)
                {
                    signals.accelerators.push(resource.clone());
                }
            }
            let is_ai = match self.ai_images.get(&c.image) {
                Some(known) => *known,
                None => {
                    let known = self.settings.ai.ai_image_keyword(&c.image).is_some();
                    self.ai_images.insert(c.image.clone(), known);
                    known
                }
            };
            if is_ai && !signals.images.contains(&c.image) {
                signals.images.push(c.image.clone());
            }
        }
        signals
    }
}
