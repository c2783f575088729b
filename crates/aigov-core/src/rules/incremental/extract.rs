//! The parts of a snapshot that one owner's findings depend on, copied out so the ordinary
//! rules can run over them: a namespace's objects with the cluster-scoped ones they refer to,
//! the cluster-scoped objects alone, and the RBAC objects with the namespaces.
//!
//! Every list keeps the snapshot's order, so the rules meet objects in the same order as in
//! a full evaluation (which decides, among findings of one key, the one that is kept).

use crate::model::Snapshot;
use crate::model::rbac::{Binding, SubjectKind};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// A snapshot with no objects, the same coverage and origin.
fn frame(snapshot: &Snapshot) -> Snapshot {
    Snapshot {
        origin: snapshot.origin.clone(),
        coverage: snapshot.coverage.clone(),
        ..Snapshot::default()
    }
}

/// Push clones of the objects of `list` whose namespace is one of the parts' into each part.
macro_rules! split {
    ($snapshot:expr, $parts:expr, $index:expr, $($list:ident),+) => {
        $(
            for object in &$snapshot.$list {
                if let Some(&i) = $index.get(object.meta.namespace.as_str()) {
                    $parts[i].$list.push(object.clone());
                }
            }
        )+
    };
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

/// For each of `namespaces`, what its findings depend on: its Namespace object and every
/// namespaced object in it; the PersistentVolumes its claims name; every StorageClass and
/// admission object; its RoleBindings, every ClusterRoleBinding, and the bindings that name its
/// `default` ServiceAccount, with the roles they can refer to. One pass over each list, whatever the number of namespaces.
pub(super) fn namespace_parts(
    snapshot: &Snapshot,
    namespaces: &BTreeSet<String>,
) -> Vec<(String, Snapshot)> {
    let names: Vec<&str> = namespaces.iter().map(String::as_str).collect();
    let index: FxHashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut parts: Vec<Snapshot> = names
        .iter()
        .map(|_| Snapshot {
            storage_classes: snapshot.storage_classes.clone(),
            admission_policies: snapshot.admission_policies.clone(),
            admission_bindings: snapshot.admission_bindings.clone(),
            ..frame(snapshot)
        })
        .collect();
    for namespace in &snapshot.namespaces {
        if let Some(&i) = index.get(namespace.meta.name.as_str()) {
            parts[i].namespaces.push(namespace.clone());
        }
    }
    split!(
        snapshot,
        parts,
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
    for binding in &snapshot.bindings {
        wanted.clear();
        if binding.is_cluster_binding() {
            wanted.extend(0..parts.len());
        } else if let Some(&i) = index.get(binding.meta.namespace.as_str()) {
            wanted.push(i);
        }
        for namespace in default_account_namespaces(binding) {
            if let Some(&i) = index.get(namespace) {
                wanted.push(i);
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        for &i in &wanted {
            parts[i].bindings.push(binding.clone());
        }
    }
    // ClusterRoles, and the Roles of the namespaces whose bindings the part holds: every
    // role its bindings can refer to. (Data reach also lists the resourceNames of every role,
    // but only to share answers between names no rule lists; the answers are the same.)
    for (i, part) in parts.iter_mut().enumerate() {
        let mut homes: BTreeSet<&str> = part
            .bindings
            .iter()
            .map(|b| b.meta.namespace.as_str())
            .collect();
        homes.insert(names[i]);
        part.roles = (snapshot.roles.iter())
            .filter(|r| r.is_cluster_role() || homes.contains(r.meta.namespace.as_str()))
            .cloned()
            .collect();
    }
    // Which parts claim each volume name; it borrows the parts, so it is used up before
    // the volumes are pushed into them.
    let mut claimed: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, part) in parts.iter().enumerate() {
        for pvc in &part.pvcs {
            if let Some(volume) = pvc.volume_name.as_deref() {
                let at = claimed.entry(volume).or_default();
                if at.last() != Some(&i) {
                    at.push(i);
                }
            }
        }
    }
    let volumes: Vec<(usize, usize)> = snapshot
        .pvs
        .iter()
        .enumerate()
        .flat_map(|(v, pv)| {
            claimed
                .get(pv.meta.name.as_str())
                .into_iter()
                .flatten()
                .map(move |&i| (i, v))
        })
        .collect();
    drop(claimed);
    for (i, v) in volumes {
        parts[i].pvs.push(snapshot.pvs[v].clone());
    }
    names.into_iter().map(String::from).zip(parts).collect()
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
