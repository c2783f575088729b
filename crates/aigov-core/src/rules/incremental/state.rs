//! What the incremental evaluator remembers per namespace besides its findings: what its AI
//! workloads use that the binding rules read, and the owner uids that tie its objects
//! together (to notice an object owned across namespaces, which the scoping cannot follow).

use crate::model::{Kind, Meta, Snapshot};
use crate::rules::permissions::{Context, writes_config_maps};
use crate::rules::rbac::RbacIndex;
use crate::rules::view::View;
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hasher;

/// What the binding rules (RBAC-003 and RBAC-010) read from one namespace's workloads, as
/// [`Context`] gathers it: only AI workloads of an AI namespace count.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Uses {
    /// AI workloads here mount PersistentVolumeClaims.
    pub data: bool,
    /// The namespace has an entry among the context's ConfigMaps (it has AI workloads).
    pub listed: bool,
    /// ConfigMap -> the AI workloads using it (`Deployment/vllm`).
    pub config_maps: BTreeMap<String, BTreeSet<String>>,
    /// Which of those ConfigMaps exist.
    pub existing: BTreeSet<String>,
}

/// Where some binding may write ConfigMaps: RBAC-010 reads which ConfigMaps AI workloads use
/// (and which exist) only for such bindings, in their namespace or, for a ClusterRoleBinding,
/// in every AI namespace.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Writers {
    pub everywhere: bool,
    pub namespaces: BTreeSet<String>,
}

impl Writers {
    pub(super) fn of(ctx: &Context) -> Self {
        let mut writers = Writers::default();
        for bound in ctx.bindings.iter().filter(|b| writes_config_maps(b.rules)) {
            if bound.is_cluster() {
                writers.everywhere = true;
            } else {
                writers.namespaces.insert(bound.namespace().to_string());
            }
        }
        writers
    }

    pub(super) fn write_in(&self, namespace: &str) -> bool {
        self.everywhere || self.namespaces.contains(namespace)
    }
}

impl Uses {
    /// Whether the binding rules may read this namespace differently after `self` became
    /// `now`: its AI status aside, the claims always count (RBAC-003), the ConfigMaps only
    /// where some binding may write them (RBAC-010).
    pub(super) fn differs(&self, now: &Uses, writers: &Writers, namespace: &str) -> bool {
        self.data != now.data
            || (writers.write_in(namespace)
                && (self.listed != now.listed
                    || self.config_maps != now.config_maps
                    || self.existing != now.existing))
    }
}

/// The uses of every namespace of a view, from the same [`Context`] the RBAC rules build,
/// with where its bindings may write ConfigMaps.
pub(super) fn uses(view: &View) -> (BTreeMap<String, Uses>, Writers) {
    let ctx = Context::new(view);
    let mut out: BTreeMap<String, Uses> = BTreeMap::new();
    for namespace in &ctx.data_namespaces {
        out.entry(namespace.to_string()).or_default().data = true;
    }
    for (namespace, maps) in &ctx.config_maps {
        let uses = out.entry(namespace.to_string()).or_default();
        uses.listed = true;
        uses.config_maps = maps
            .iter()
            .map(|(name, users)| (name.to_string(), users.clone()))
            .collect();
        uses.existing = maps
            .keys()
            .filter(|name| ctx.existing_config_maps.contains(&(*namespace, **name)))
            .map(|name| name.to_string())
            .collect();
    }
    (out, Writers::of(&ctx))
}

fn hash(text: &str) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// The uids of one namespace's controllers, and the controller uids its objects name. A view
/// finds an owner by uid across every namespace; the API server never links objects of two
/// namespaces, but a snapshot may. Hashes stand for uids: a collision only widens.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Links {
    uids: FxHashSet<u64>,
    owners: FxHashSet<u64>,
}

impl Links {
    fn workload(&mut self, meta: &Meta) {
        if !meta.uid.is_empty() {
            self.uids.insert(hash(&meta.uid));
        }
        self.owned(meta);
    }

    fn owned(&mut self, meta: &Meta) {
        if let Some(owner) = meta.controller().filter(|o| !o.uid.is_empty()) {
            self.owners.insert(hash(&owner.uid));
        }
    }

    /// The links of a namespace's part (every workload and pod in it is the namespace's).
    pub(super) fn of(part: &Snapshot) -> Self {
        let mut links = Links::default();
        part.workloads.iter().for_each(|w| links.workload(&w.meta));
        part.pods.iter().for_each(|p| links.owned(&p.meta));
        links
    }
}

/// The links of every namespace of a snapshot.
pub(super) fn links_by_namespace(snapshot: &Snapshot) -> BTreeMap<String, Links> {
    let mut by_namespace: FxHashMap<&str, Links> = FxHashMap::default();
    for w in &snapshot.workloads {
        by_namespace
            .entry(w.meta.namespace.as_str())
            .or_default()
            .workload(&w.meta);
    }
    for p in &snapshot.pods {
        by_namespace
            .entry(p.meta.namespace.as_str())
            .or_default()
            .owned(&p.meta);
    }
    by_namespace
        .into_iter()
        .map(|(n, l)| (n.to_string(), l))
        .collect()
}

/// How many namespaces hold each controller uid, and name each owner uid.
#[derive(Debug, Default)]
pub(super) struct LinkIndex {
    homes: FxHashMap<u64, u32>,
    refs: FxHashMap<u64, u32>,
}

impl LinkIndex {
    pub(super) fn add(&mut self, links: &Links) {
        for u in &links.uids {
            *self.homes.entry(*u).or_insert(0) += 1;
        }
        for u in &links.owners {
            *self.refs.entry(*u).or_insert(0) += 1;
        }
    }

    pub(super) fn remove(&mut self, links: &Links) {
        let take = |map: &mut FxHashMap<u64, u32>, u: &u64| {
            if let Some(n) = map.get_mut(u) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(u);
                }
            }
        };
        for u in &links.uids {
            take(&mut self.homes, u);
        }
        for u in &links.owners {
            take(&mut self.refs, u);
        }
    }

    /// Whether a namespace whose links (already in the index) are `links` names a controller
    /// of another namespace, or holds one that another namespace names.
    pub(super) fn crosses(&self, links: &Links) -> bool {
        let elsewhere = |map: &FxHashMap<u64, u32>, u: &u64, here: bool| {
            map.get(u).copied().unwrap_or(0) > u32::from(here)
        };
        links
            .owners
            .iter()
            .any(|u| elsewhere(&self.homes, u, links.uids.contains(u)))
            || links
                .uids
                .iter()
                .any(|u| elsewhere(&self.refs, u, links.owners.contains(u)))
    }
}

/// What the binding rules read besides the workloads (every Namespace, ServiceAccount, role
/// and binding, and the coverage), kept in step with the snapshot by the same changes so it is
/// not copied for every batch; and the index of its roles and bindings.
pub(super) struct RbacPart {
    pub part: Snapshot,
    pub index: RbacIndex,
}

impl RbacPart {
    pub(super) fn of(snapshot: &Snapshot) -> Self {
        let part = super::extract::rbac_part(snapshot);
        let index = RbacIndex::new(&part.roles, &part.bindings);
        RbacPart { part, index }
    }

    /// Whether the part holds objects of `kind`.
    pub(super) fn holds(kind: Kind) -> bool {
        matches!(
            kind,
            Kind::Namespace
                | Kind::ServiceAccount
                | Kind::Role
                | Kind::ClusterRole
                | Kind::RoleBinding
                | Kind::ClusterRoleBinding
        )
    }

    /// Whether the part holds what a fresh copy of `snapshot` would, with the same index.
    #[cfg(test)]
    pub(super) fn is_fresh(&self, snapshot: &Snapshot) -> bool {
        let fresh = RbacPart::of(snapshot);
        let rules = |index: &RbacIndex| -> Vec<Option<Vec<crate::model::rbac::PolicyRule>>> {
            (snapshot.bindings.iter())
                .map(|b| {
                    index
                        .effective_rules(b.role_ref.kind, &b.role_ref.name, &b.meta.namespace)
                        .map(<[_]>::to_vec)
                })
                .collect()
        };
        self.part.namespaces == fresh.part.namespaces
            && self.part.service_accounts == fresh.part.service_accounts
            && self.part.roles == fresh.part.roles
            && self.part.bindings == fresh.part.bindings
            && self.part.coverage == fresh.part.coverage
            && rules(&self.index) == rules(&fresh.index)
    }
}
