//! The parts of a snapshot that one owner's findings depend on, as snapshots of their own so
//! the ordinary rules can run over them: a namespace's objects with the cluster-scoped ones
//! they refer to (moved out of the snapshot and back, not copied), the cluster-scoped objects
//! alone, and the RBAC objects with the namespaces.
//!
//! Every list keeps the snapshot's order, so the rules meet objects in the same order as in
//! a full evaluation (which decides, among findings of one key, the one that is kept).

use crate::model::objects::CustomObject;
use crate::model::rbac::{Binding, RoleRef, RoleRefKind, SubjectKind};
use crate::model::workloads::{PodSpec, Workload, WorkloadKind};
use crate::model::{Kind, Meta, Snapshot};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// A snapshot with no objects, the same coverage and origin.
fn frame(snapshot: &Snapshot) -> Snapshot {
    Snapshot {
        origin: snapshot.origin.clone(),
        coverage: snapshot.coverage.clone(),
        ..Snapshot::default()
    }
}

/// Which part a namespace belongs to. Most batches touch one namespace: comparing names
/// then skips hashing every object's namespace (and reading it, when the lengths differ).
enum Parts<'n> {
    One(&'n str),
    Many(FxHashMap<&'n str, usize>),
}

impl Parts<'_> {
    fn get(&self, namespace: &str) -> Option<usize> {
        match self {
            Parts::One(name) => (*name == namespace).then_some(0),
            Parts::Many(index) => index.get(namespace).copied(),
        }
    }
}

/// The namespaces a binding names the `default` ServiceAccount of (RBAC-009 reads them).
pub(super) fn default_account_namespaces(binding: &Binding) -> impl Iterator<Item = &str> {
    binding
        .subjects
        .iter()
        .filter(|s| s.kind == SubjectKind::ServiceAccount && s.name == "default")
        .map(|s| {
            if s.namespace.is_empty() && !binding.is_cluster_binding() {
                binding.meta.namespace.as_str()
            } else {
                s.namespace.as_str()
            }
        })
}

/// Where, in each list of the snapshot, the objects one namespace's findings depend on are:
/// its Namespace object and every namespaced object in it; the PersistentVolumes its claims
/// name; every StorageClass and admission object; its RoleBindings, every ClusterRoleBinding
/// and the bindings that name its `default` ServiceAccount, with the roles they can refer to.
/// Positions ascend, so the part keeps the snapshot's order.
#[derive(Debug, Default)]
pub(super) struct Positions {
    namespaces: Vec<usize>,
    pods: Vec<usize>,
    workloads: Vec<usize>,
    pvcs: Vec<usize>,
    pvs: Vec<usize>,
    storage_classes: Vec<usize>,
    service_accounts: Vec<usize>,
    config_maps: Vec<usize>,
    secrets: Vec<usize>,
    services: Vec<usize>,
    events: Vec<usize>,
    roles: Vec<usize>,
    bindings: Vec<usize>,
    network_policies: Vec<usize>,
    admission_policies: Vec<usize>,
    admission_bindings: Vec<usize>,
    custom: Vec<usize>,
}

/// Record the positions of the objects of `list` whose namespace is one of the parts'.
macro_rules! find {
    ($snapshot:expr, $at:expr, $index:expr, $($list:ident),+) => {
        $(
            for (p, object) in $snapshot.$list.iter().enumerate() {
                if let Some(i) = $index.get(object.meta.namespace.as_str()) {
                    $at[i].$list.push(p);
                }
            }
        )+
    };
}

/// The positions of what each of `namespaces` depends on, in one pass over each list.
pub(super) fn positions(
    snapshot: &Snapshot,
    namespaces: &BTreeSet<String>,
) -> Vec<(String, Positions)> {
    let names: Vec<&str> = namespaces.iter().map(String::as_str).collect();
    let index = match names.as_slice() {
        [one] => Parts::One(one),
        _ => Parts::Many(names.iter().enumerate().map(|(i, n)| (*n, i)).collect()),
    };
    let mut at: Vec<Positions> = names.iter().map(|_| Positions::default()).collect();
    let all = |n: usize| (0..n).collect::<Vec<usize>>();
    for a in &mut at {
        a.storage_classes = all(snapshot.storage_classes.len());
        a.admission_policies = all(snapshot.admission_policies.len());
        a.admission_bindings = all(snapshot.admission_bindings.len());
    }
    for (p, namespace) in snapshot.namespaces.iter().enumerate() {
        if let Some(i) = index.get(namespace.meta.name.as_str()) {
            at[i].namespaces.push(p);
        }
    }
    find!(
        snapshot,
        at,
        index,
        pods,
        workloads,
        pvcs,
        service_accounts,
        config_maps,
        secrets,
        services,
        events,
        network_policies,
        custom
    );
    let mut wanted: Vec<usize> = Vec::new();
    for (p, binding) in snapshot.bindings.iter().enumerate() {
        wanted.clear();
        if binding.is_cluster_binding() {
            wanted.extend(0..at.len());
        } else if let Some(i) = index.get(binding.meta.namespace.as_str()) {
            wanted.push(i);
        }
        for namespace in default_account_namespaces(binding) {
            if let Some(i) = index.get(namespace) {
                wanted.push(i);
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        for &i in &wanted {
            at[i].bindings.push(p);
        }
    }
    for (i, a) in at.iter_mut().enumerate() {
        // ClusterRoles, and the Roles of the namespaces whose bindings the part holds: every
        // role its bindings can refer to. (Data reach also lists the resourceNames of every
        // role, but only to share answers between names no rule lists: the same answers.)
        let mut homes: BTreeSet<&str> = (a.bindings.iter())
            .map(|&p| snapshot.bindings[p].meta.namespace.as_str())
            .collect();
        homes.insert(names[i]);
        a.roles = (snapshot.roles.iter().enumerate())
            .filter(|(_, r)| r.is_cluster_role() || homes.contains(r.meta.namespace.as_str()))
            .map(|(p, _)| p)
            .collect();
        let claimed: BTreeSet<&str> = (a.pvcs.iter())
            .filter_map(|&p| snapshot.pvcs[p].volume_name.as_deref())
            .collect();
        if !claimed.is_empty() {
            a.pvs = (snapshot.pvs.iter().enumerate())
                .filter(|(_, pv)| claimed.contains(pv.meta.name.as_str()))
                .map(|(p, _)| p)
                .collect();
        }
    }
    names.into_iter().map(String::from).zip(at).collect()
}

/// A namespace's part, moved out of the snapshot (each object swapped with an empty one, so
/// nothing is copied or allocated per object) for as long as this lives, and moved back to
/// the same positions when it is dropped, even on a panic.
pub(super) struct Borrowed<'s, 'p> {
    snapshot: &'s mut Snapshot,
    at: &'p Positions,
    part: Snapshot,
}

fn take<T>(list: &mut [T], at: &[usize], blank: impl Fn() -> T) -> Vec<T> {
    at.iter()
        .map(|&p| std::mem::replace(&mut list[p], blank()))
        .collect()
}

fn give<T>(list: &mut [T], at: &[usize], items: &mut Vec<T>) {
    for (&p, item) in at.iter().zip(items.drain(..)) {
        list[p] = item;
    }
}

/// The empty objects that hold a part's places; none allocates.
fn blank_workload() -> Workload {
    Workload {
        kind: WorkloadKind::Deployment,
        meta: Meta::default(),
        replicas: None,
        selector: None,
        template_labels: BTreeMap::new(),
        template: PodSpec::default(),
    }
}

fn blank_binding() -> Binding {
    Binding {
        meta: Meta::default(),
        role_ref: RoleRef {
            kind: RoleRefKind::Role,
            name: String::new(),
        },
        subjects: Vec::new(),
    }
}

fn blank_custom() -> CustomObject {
    CustomObject {
        kind: Kind::Notebook,
        meta: Meta::default(),
        images: Vec::new(),
        resource_names: Vec::new(),
    }
}

impl<'s, 'p> Borrowed<'s, 'p> {
    pub(super) fn new(snapshot: &'s mut Snapshot, at: &'p Positions) -> Self {
        let s = &mut *snapshot;
        let part = Snapshot {
            origin: s.origin.clone(),
            coverage: s.coverage.clone(),
            list_versions: Default::default(),
            namespaces: take(&mut s.namespaces, &at.namespaces, Default::default),
            pods: take(&mut s.pods, &at.pods, Default::default),
            workloads: take(&mut s.workloads, &at.workloads, blank_workload),
            pvcs: take(&mut s.pvcs, &at.pvcs, Default::default),
            pvs: take(&mut s.pvs, &at.pvs, Default::default),
            storage_classes: take(
                &mut s.storage_classes,
                &at.storage_classes,
                Default::default,
            ),
            service_accounts: take(
                &mut s.service_accounts,
                &at.service_accounts,
                Default::default,
            ),
            config_maps: take(&mut s.config_maps, &at.config_maps, Default::default),
            secrets: take(&mut s.secrets, &at.secrets, Default::default),
            services: take(&mut s.services, &at.services, Default::default),
            events: take(&mut s.events, &at.events, Default::default),
            roles: take(&mut s.roles, &at.roles, Default::default),
            bindings: take(&mut s.bindings, &at.bindings, blank_binding),
            network_policies: take(
                &mut s.network_policies,
                &at.network_policies,
                Default::default,
            ),
            admission_policies: take(
                &mut s.admission_policies,
                &at.admission_policies,
                Default::default,
            ),
            admission_bindings: take(
                &mut s.admission_bindings,
                &at.admission_bindings,
                Default::default,
            ),
            custom: take(&mut s.custom, &at.custom, blank_custom),
        };
        Borrowed { snapshot, at, part }
    }

    pub(super) fn part(&self) -> &Snapshot {
        &self.part
    }
}

impl Drop for Borrowed<'_, '_> {
    fn drop(&mut self) {
        let (s, at, part) = (&mut *self.snapshot, self.at, &mut self.part);
        give(&mut s.namespaces, &at.namespaces, &mut part.namespaces);
        give(&mut s.pods, &at.pods, &mut part.pods);
        give(&mut s.workloads, &at.workloads, &mut part.workloads);
        give(&mut s.pvcs, &at.pvcs, &mut part.pvcs);
        give(&mut s.pvs, &at.pvs, &mut part.pvs);
        give(
            &mut s.storage_classes,
            &at.storage_classes,
            &mut part.storage_classes,
        );
        give(
            &mut s.service_accounts,
            &at.service_accounts,
            &mut part.service_accounts,
        );
        give(&mut s.config_maps, &at.config_maps, &mut part.config_maps);
        give(&mut s.secrets, &at.secrets, &mut part.secrets);
        give(&mut s.services, &at.services, &mut part.services);
        give(&mut s.events, &at.events, &mut part.events);
        give(&mut s.roles, &at.roles, &mut part.roles);
        give(&mut s.bindings, &at.bindings, &mut part.bindings);
        give(
            &mut s.network_policies,
            &at.network_policies,
            &mut part.network_policies,
        );
        give(
            &mut s.admission_policies,
            &at.admission_policies,
            &mut part.admission_policies,
        );
        give(
            &mut s.admission_bindings,
            &at.admission_bindings,
            &mut part.admission_bindings,
        );
        give(&mut s.custom, &at.custom, &mut part.custom);
    }
}

/// The cluster-scoped objects the cluster's own findings depend on: PersistentVolumes
/// (REACH-005) and the coverage (the cluster-wide gaps).
pub(super) fn cluster_part(snapshot: &Snapshot) -> Snapshot {
    Snapshot {
        pvs: snapshot.pvs.clone(),
        ..frame(snapshot)
    }
}

/// What the binding rules read besides the workloads: every Namespace, role, binding and
/// ServiceAccount, and the coverage. The workloads' part is given to them separately.
pub(super) fn rbac_part(snapshot: &Snapshot) -> Snapshot {
    Snapshot {
        namespaces: snapshot.namespaces.clone(),
        roles: snapshot.roles.clone(),
        bindings: snapshot.bindings.clone(),
        service_accounts: snapshot.service_accounts.clone(),
        ..frame(snapshot)
    }
}
