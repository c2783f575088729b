//! Incremental evaluation: the snapshot kept live under watch changes, and only the findings
//! a batch of changes can affect evaluated again, with the difference returned as a [`Delta`].
//!
//! # Why findings are scoped by owner
//!
//! Every finding belongs to one owner, read from its typed object (kind, namespace, name):
//!
//! - **a namespace** N: findings about N's objects or about N itself (`Namespace//N`). Reading
//!   the rules, these depend only on N's own objects, the Namespace object N, cluster-scoped
//!   objects (PersistentVolumes, StorageClasses, ClusterRoles, ClusterRoleBindings, admission
//!   policies), N's RoleBindings, the bindings that name N's `default` ServiceAccount
//!   (RBAC-009), the coverage and the inputs. N's AI classification is computed from N alone.
//!   So N's findings are those of the ordinary rules run over a snapshot holding just that
//!   (see `extract`), kept when their owner is N;
//! - **the bindings**: RBAC-001..008 and 010, keyed by RoleBinding or ClusterRoleBinding.
//!   These read every binding and role, every namespace's classification, the ServiceAccounts
//!   and Namespaces that exist, and, per AI namespace, what its AI workloads use (claims,
//!   ConfigMaps). The evaluator keeps that last part per namespace (`state::Uses`) and runs
//!   the RBAC rules over a view of the RBAC objects alone, given those uses;
//! - **the cluster**: PersistentVolumes (REACH-005) and cluster-wide gaps, from the volumes and
//!   the coverage alone.
//!
//! A batch then re-evaluates (see `scope`): each namespace it changes objects in; the bindings
//! when it changes RBAC objects, ServiceAccounts or Namespaces, or when a namespace's
//! classification or its AI workloads' claims changed, or the ConfigMaps they use where some
//! binding may write ConfigMaps (RBAC-010 reads them for no other); the cluster when it
//! changes PersistentVolumes; the namespaces of the claims on a changed volume or
//! StorageClass; for RBAC changes, the namespace of each RoleBinding whose object or effective
//! rules changed (data reach) and the namespaces whose `default` ServiceAccount such a binding
//! names (RBAC-009).
//!
//! Cost: applying a batch is one pass over each list it touches (`Snapshot::apply`); finding
//! a namespace's objects is one more pass over the namespaced lists, after which they are
//! moved out of the snapshot and back rather than copied; the rules then run over that
//! namespace alone. The binding rules run over the RBAC objects, kept in step with the
//! snapshot by the same changes, and the uses kept per namespace.
//!
//! Everything is evaluated again (`Recomputed::full` says why) when: the coverage or the
//! inputs change; an admission policy or binding changes (ADM-001 in every AI namespace); a
//! kind is listed again in every namespace; a ClusterRoleBinding whose rules can grant what
//! data reach asks about changes (reach in every namespace); more than 16 namespaces and a
//! quarter of them are touched (cheaper whole); or the snapshot holds what the scoping cannot
//! follow: an object owned by uid from another namespace (a view links owners across
//! namespaces), or a namespaced object (or a Namespace) without a name to own findings by.
//! When unsure, it widens.
//!
//! Findings are kept per owner (`store`), and merged, sorted and deduplicated exactly as
//! [`super::evaluate`] does, so [`Incremental::findings`] always equals a full evaluation of
//! the same snapshot (the property test in `tests` checks it after every step of random
//! change sequences).

mod extract;
mod scope;
mod state;
mod store;
#[cfg(test)]
mod tests;

pub use store::Delta;

use super::permissions::{Context, evaluate_context};
use super::{Evaluation, Inputs, NamespaceClass, View, unsorted};
use crate::model::snapshot::Change;
use crate::model::{Coverage, Kind, Snapshot};
use state::{LinkIndex, Links, RbacPart, Uses, Writers};
use std::collections::BTreeMap;
use store::{Bucket, Entry, Owner, Store, owner_of};

/// What the last batch evaluated again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recomputed {
    /// Namespaces whose findings were evaluated again.
    pub namespaces: Vec<String>,
    /// Whether the binding rules (RBAC-001..008, 010) were.
    pub bindings: bool,
    /// Whether the cluster's own findings were.
    pub cluster: bool,
    /// Set when everything was evaluated again, with the reason.
    pub full: Option<&'static str>,
}

/// Per namespace, what the binding rules read from it and its owner links.
#[derive(Debug, Clone, Default)]
struct NamespaceState {
    uses: Uses,
    links: Links,
}

/// A snapshot kept up to date by batches of changes, with its findings.
///
/// ```
/// use aigov_core::model::snapshot::Change;
/// use aigov_core::model::workloads::{Container, Pod};
/// use aigov_core::model::{Coverage, Kind, Object, Snapshot};
/// use aigov_core::rules::{Inputs, evaluate, incremental::Incremental};
///
/// let mut snapshot = Snapshot::default();
/// for kind in Kind::ALL {
///     snapshot.coverage.insert(kind, Coverage::Complete);
/// }
/// let mut live = Incremental::new(snapshot, Inputs::default());
///
/// let mut pod = Pod::default();
/// (pod.meta.namespace, pod.meta.name) = ("ml".into(), "vllm".into());
/// pod.spec.containers.push(Container {
///     name: "main".into(),
///     image: "vllm/vllm-openai:latest".into(),
///     ..Container::default()
/// });
/// let delta = live.apply(vec![Change::Upsert(Box::new(Object::Pod(Box::new(pod))))]);
///
/// let keys: Vec<String> = delta.added.iter().map(|f| f.key()).collect();
/// assert!(keys.contains(&"AIGOV-IMG-001:Pod/ml/vllm#container/main".to_string()));
/// assert_eq!(live.last_recomputed().namespaces, ["ml"]);
/// assert_eq!(live.evaluation().findings, evaluate(live.snapshot(), live.inputs()).findings);
/// ```
pub struct Incremental<'a> {
    snapshot: Snapshot,
    inputs: Inputs<'a>,
    store: Store,
    classes: BTreeMap<String, NamespaceClass>,
    states: BTreeMap<String, NamespaceState>,
    links: LinkIndex,
    writers: Writers,
    rbac: RbacPart,
    /// Why batches cannot be scoped for now (every batch is then evaluated in full).
    unscoped: Option<&'static str>,
    last: Recomputed,
}

const FIRST: &str = "first evaluation";
const COVERAGE: &str = "coverage changed";
const INPUTS: &str = "inputs changed";
const CROSS: &str = "an object owned by uid from another namespace";
const WIDE: &str = "more than a quarter of the namespaces";

impl<'a> Incremental<'a> {
    /// Own `snapshot` and `inputs`, and evaluate everything once.
    pub fn new(snapshot: Snapshot, inputs: Inputs<'a>) -> Self {
        let mut live = Incremental {
            snapshot,
            inputs,
            store: Store::default(),
            classes: BTreeMap::new(),
            states: BTreeMap::new(),
            links: LinkIndex::default(),
            writers: Writers::default(),
            // Built from the snapshot by the first evaluation.
            rbac: RbacPart::of(&Snapshot::default()),
            unscoped: None,
            last: Recomputed::default(),
        };
        live.full(FIRST);
        live
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn inputs(&self) -> &Inputs<'a> {
        &self.inputs
    }

    pub fn into_snapshot(self) -> Snapshot {
        self.snapshot
    }

    /// What the last batch evaluated again.
    pub fn last_recomputed(&self) -> &Recomputed {
        &self.last
    }

    /// The current findings, in [`Evaluation::findings`]'s order.
    pub fn findings(&self) -> Vec<&crate::rules::Finding> {
        self.store
            .visible()
            .into_iter()
            .map(|e| &e.finding)
            .collect()
    }

    /// Every namespace with its AI classification, by name.
    pub fn namespaces(&self) -> impl Iterator<Item = &NamespaceClass> {
        self.classes.values()
    }

    /// What [`super::evaluate`] returns for the current snapshot and inputs.
    pub fn evaluation(&self) -> Evaluation {
        Evaluation {
            findings: self.findings().into_iter().cloned().collect(),
            namespaces: self.classes.values().cloned().collect(),
            settings: self.inputs.settings.clone(),
        }
    }

    /// Apply `changes` to the snapshot in place, in order, and evaluate again what they can
    /// affect. Returns how the findings changed.
    pub fn apply(&mut self, changes: Vec<Change>) -> Delta {
        let before = scope::Before::of(&changes);
        let mirrored: Vec<Change> = (changes.iter())
            .filter(|c| RbacPart::holds(c.kind()))
            .cloned()
            .collect();
        if !self.snapshot.apply(changes) {
            self.last = Recomputed::default();
            return Delta::default();
        }
        let (plan, index) = before.plan(&self.snapshot, &self.rbac);
        if let Some(reason) = self.unscoped.or(plan.full) {
            return self.full(reason);
        }
        if !mirrored.is_empty() {
            self.rbac.part.apply(mirrored);
        }
        if let Some(index) = index {
            self.rbac.index = index;
        }
        let known = self.classes.len().max(self.states.len());
        if plan.namespaces.len() > 16 && 4 * plan.namespaces.len() > known {
            return self.full(WIDE);
        }
        match self.scoped(plan) {
            Ok(delta) => delta,
            Err(reason) => self.full(reason),
        }
    }

    /// Record what could be read of `kind`, and evaluate everything again.
    pub fn set_coverage(&mut self, kind: Kind, coverage: Coverage) -> Delta {
        self.snapshot.coverage.insert(kind, coverage);
        self.full(COVERAGE)
    }

    /// Evaluate everything again with other inputs (settings, baseline, registry facts).
    pub fn set_inputs(&mut self, inputs: Inputs<'a>) -> Delta {
        self.inputs = inputs;
        self.full(INPUTS)
    }

    /// Evaluate the namespaces, bindings and cluster of `plan` again.
    fn scoped(&mut self, plan: scope::Plan) -> Result<Delta, &'static str> {
        let mut updates: Vec<(Owner, Bucket)> = Vec::new();
        let mut bindings = plan.bindings;
        let positions = extract::positions(&self.snapshot, &plan.namespaces);
        let mut evaluated = Vec::with_capacity(positions.len());
        for (namespace, at) in &positions {
            // The namespace's objects are moved out of the snapshot while the rules read them
            // and moved back when `part` is dropped.
            let part = extract::Borrowed::new(&mut self.snapshot, at);
            let view = View::new(part.part(), &self.inputs.settings);
            let owner = Owner::Namespace(namespace.clone());
            let bucket = bucket_of(unsorted(&view, &self.inputs), &owner);
            let class = view.namespaces.get(namespace).cloned();
            let uses = state::uses(&view).0.remove(namespace).unwrap_or_default();
            let links = Links::of(part.part());
            evaluated.push((owner, bucket, class, uses, links));
        }
        for (owner, _, _, _, links) in &evaluated {
            if let Owner::Namespace(namespace) = owner
                && let Some(old) = self.states.get(namespace)
            {
                self.links.remove(&old.links);
            }
            self.links.add(links);
        }
        if evaluated
            .iter()
            .any(|(.., links)| self.links.crosses(links))
        {
            return Err(CROSS);
        }
        for (owner, bucket, class, uses, links) in evaluated {
            let Owner::Namespace(namespace) = &owner else {
                continue;
            };
            let was_ai = self.classes.get(namespace).is_some_and(|c| c.ai);
            let is_ai = class.as_ref().is_some_and(|c| c.ai);
            let unused = Uses::default();
            let old_uses = self.states.get(namespace).map_or(&unused, |s| &s.uses);
            bindings |= was_ai != is_ai || old_uses.differs(&uses, &self.writers, namespace);
            match class {
                Some(class) => self.classes.insert(namespace.clone(), class),
                None => self.classes.remove(namespace),
            };
            self.states
                .insert(namespace.clone(), NamespaceState { uses, links });
            updates.push((owner, bucket));
        }
        if plan.cluster {
            updates.push((Owner::Cluster, self.cluster_bucket()));
        }
        if bindings {
            let (bucket, writers) = self.bindings_bucket();
            self.writers = writers;
            updates.push((Owner::Bindings, bucket));
        }
        self.last = Recomputed {
            namespaces: plan.namespaces.into_iter().collect(),
            bindings,
            cluster: plan.cluster,
            full: None,
        };
        Ok(self.store.update(updates, false))
    }

    /// The cluster's own findings, from the cluster-scoped objects alone.
    fn cluster_bucket(&self) -> Bucket {
        let part = extract::cluster_part(&self.snapshot);
        let view = View::new(&part, &self.inputs.settings);
        bucket_of(unsorted(&view, &self.inputs), &Owner::Cluster)
    }

    /// The binding rules over a view of the RBAC objects, given every namespace's
    /// classification and the uses kept per namespace instead of the workloads themselves.
    fn bindings_bucket(&self) -> (Bucket, Writers) {
        let mut view = View::new(&self.rbac.part, &self.inputs.settings);
        view.namespaces = self.classes.clone();
        let mut ctx = Context::new(&view);
        let writers = Writers::of(&ctx);
        ctx.data_namespaces = (self.states.iter())
            .filter(|(_, s)| s.uses.data)
            .map(|(n, _)| n.as_str())
            .collect();
        // Only RBAC-010 reads them, and only for bindings that may write ConfigMaps.
        ctx.config_maps = (self.states.iter())
            .filter(|(n, s)| s.uses.listed && writers.write_in(n))
            .map(|(n, s)| {
                let maps = (s.uses.config_maps.iter())
                    .map(|(name, users)| (name.as_str(), users.clone()))
                    .collect();
                (n.as_str(), maps)
            })
            .collect();
        ctx.existing_config_maps = (self.snapshot.config_maps.iter())
            .map(|c| (c.meta.namespace.as_str(), c.meta.name.as_str()))
            .collect();
        let mut out = Vec::new();
        evaluate_context(&ctx, &mut out);
        (bucket_of(out, &Owner::Bindings), writers)
    }

    /// Evaluate everything and rebuild what is kept per owner and per namespace.
    fn full(&mut self, reason: &'static str) -> Delta {
        self.rbac = RbacPart::of(&self.snapshot);
        let view = View::new(&self.snapshot, &self.inputs.settings);
        let mut by_owner: BTreeMap<Owner, Vec<Entry>> = BTreeMap::new();
        let mut unscoped = irregular(&self.snapshot);
        for finding in unsorted(&view, &self.inputs) {
            let key = finding.key();
            let owner = owner_of(&finding.object).to_owned();
            by_owner
                .entry(owner)
                .or_default()
                .push(Entry { key, finding });
        }
        self.classes = view.namespaces.clone();
        let (mut uses, writers) = state::uses(&view);
        self.writers = writers;
        drop(view);
        let links = state::links_by_namespace(&self.snapshot);
        self.links = LinkIndex::default();
        links.values().for_each(|l| self.links.add(l));
        if links.values().any(|l| self.links.crosses(l)) {
            unscoped.get_or_insert(CROSS);
        }
        self.states = links
            .into_iter()
            .map(|(namespace, links)| {
                let uses = uses.remove(&namespace).unwrap_or_default();
                (namespace, NamespaceState { uses, links })
            })
            .collect();
        for (namespace, uses) in uses {
            self.states.insert(
                namespace,
                NamespaceState {
                    uses,
                    links: Links::default(),
                },
            );
        }
        self.unscoped = unscoped;
        self.last = Recomputed {
            full: Some(reason),
            ..Recomputed::default()
        };
        let buckets = by_owner
            .into_iter()
            .map(|(owner, entries)| (owner, Bucket::new(entries)))
            .collect();
        self.store.update(buckets, true)
    }
}

/// The findings of `owner` among `findings`, as a bucket.
fn bucket_of(findings: Vec<crate::rules::Finding>, owner: &Owner) -> Bucket {
    let entries = findings
        .into_iter()
        .filter(|finding| owner_of(&finding.object).is(owner))
        .map(|finding| Entry {
            key: finding.key(),
            finding,
        })
        .collect();
    Bucket::new(entries)
}

/// Why some of the snapshot's findings could have no namespace to own them, if they could.
fn irregular(snapshot: &Snapshot) -> Option<&'static str> {
    let bad_namespace = snapshot.metas().into_iter().any(|(kind, meta)| {
        (kind.api().namespaced && !scope::regular_namespace(&meta.namespace))
            || (kind == Kind::Namespace && !scope::regular_namespace(&meta.name))
    });
    let bad_coverage = snapshot.coverage.values().any(|c| match c {
        Coverage::Partial { unknown_namespaces } => unknown_namespaces
            .keys()
            .any(|n| !scope::regular_namespace(n)),
        _ => false,
    });
    (bad_namespace || bad_coverage).then_some(scope::IRREGULAR)
}

#[cfg(test)]
impl Incremental<'_> {
    /// Whether what is kept in step with the snapshot (the RBAC part) equals a fresh copy.
    pub(super) fn caches_are_fresh(&self) -> bool {
        self.rbac.is_fresh(&self.snapshot)
    }
}
