//! Which owners a batch of changes can affect: the namespaces whose findings must be
//! evaluated again, whether the binding rules and the cluster's own findings must be, or
//! why everything must be. Read once before the batch is applied (to keep what the RBAC
//! objects were) and once after.

use crate::model::Snapshot;
use crate::model::kinds::Kind;
use crate::model::rbac::{Binding, PolicyRule};
use crate::model::snapshot::{Change, ObjectKey};
use crate::rules::rbac::{RbacIndex, resource_matches, verb_matches};
use std::collections::{BTreeMap, BTreeSet};

use super::extract::default_account_namespaces;
use super::state::RbacPart;

/// What to evaluate again after a batch.
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub namespaces: BTreeSet<String>,
    pub bindings: bool,
    pub cluster: bool,
    /// Evaluate everything, for this reason.
    pub full: Option<&'static str>,
}

/// What a batch touches, read before it is applied.
#[derive(Debug, Default)]
pub(super) struct Before {
    plan: Plan,
    /// Whether it changes roles or bindings.
    rbac: bool,
    volumes: BTreeSet<String>,
    classes: BTreeSet<String>,
}

/// A namespace name a finding can be owned by: not empty.
pub(super) fn regular_namespace(name: &str) -> bool {
    !name.is_empty()
}

const ADMISSION: &str = "admission policies apply to every AI namespace";
pub(super) const IRREGULAR: &str = "a namespaced object without a namespace";
const RELISTED: &str = "a kind listed again in every namespace";
const REACH: &str = "a cluster-wide grant that can change who reaches data";

impl Before {
    pub(super) fn of(changes: &[Change]) -> Self {
        let mut before = Before::default();
        for change in changes {
            match change {
                Change::Upsert(object) => before.touch(object.kind(), &object.key()),
                Change::Remove(key) => before.touch(key.kind, key),
                Change::ReplaceKind {
                    kind,
                    namespace,
                    objects,
                } => {
                    if is_rbac(*kind) {
                        // The comparison of the roles and bindings finds what changed.
                        before.plan.bindings = true;
                    } else if let Some(namespace) =
                        namespace.as_ref().filter(|_| kind.api().namespaced)
                    {
                        before.touch(*kind, &ObjectKey::new(*kind, namespace.clone(), ""));
                    } else {
                        before.widen(RELISTED);
                    }
                    for object in objects {
                        before.touch(object.kind(), &object.key());
                    }
                }
            }
        }
        before.rbac = changes.iter().any(|c| is_rbac(c.kind()));
        before
    }

    fn widen(&mut self, reason: &'static str) {
        self.plan.full.get_or_insert(reason);
    }

    fn touch(&mut self, kind: Kind, key: &ObjectKey) {
        let namespaced = kind.api().namespaced;
        if namespaced && !regular_namespace(&key.namespace) {
            return self.widen(IRREGULAR);
        }
        match kind {
            Kind::Role | Kind::RoleBinding | Kind::ClusterRole | Kind::ClusterRoleBinding => {
                self.plan.bindings = true;
            }
            Kind::Namespace if regular_namespace(&key.name) => {
                self.plan.namespaces.insert(key.name.clone());
                self.plan.bindings = true;
            }
            Kind::Namespace => self.widen(IRREGULAR),
            Kind::PersistentVolume => {
                self.plan.cluster = true;
                self.volumes.insert(key.name.clone());
            }
            Kind::StorageClass => {
                self.classes.insert(key.name.clone());
            }
            Kind::ValidatingAdmissionPolicy | Kind::ValidatingAdmissionPolicyBinding => {
                self.widen(ADMISSION)
            }
            _ => {
                self.plan.namespaces.insert(key.namespace.clone());
                // RBAC-008 reads which service accounts exist.
                if kind == Kind::ServiceAccount {
                    self.plan.bindings = true;
                }
            }
        }
    }

    /// The plan, from the snapshot after the batch and the RBAC objects before it (with the
    /// index of the roles and bindings after it, when the batch changed them).
    pub(super) fn plan(mut self, snapshot: &Snapshot, old: &RbacPart) -> (Plan, Option<RbacIndex>) {
        if self.plan.full.is_some() {
            return (self.plan, None);
        }
        if !self.volumes.is_empty() || !self.classes.is_empty() {
            self.claims(snapshot);
        }
        let index = self.rbac.then(|| self.rbac_changes(old, snapshot));
        (self.plan, index)
    }

    /// A volume's or a class's change reaches the namespaces of the claims on it.
    fn claims(&mut self, snapshot: &Snapshot) {
        let mut volumes = self.volumes.clone();
        volumes.extend(
            snapshot
                .pvs
                .iter()
                .filter(|pv| {
                    pv.storage_class
                        .as_ref()
                        .is_some_and(|c| self.classes.contains(c))
                })
                .map(|pv| pv.meta.name.clone()),
        );
        for claim in &snapshot.pvcs {
            let on_volume = claim
                .volume_name
                .as_ref()
                .is_some_and(|v| volumes.contains(v));
            let on_class = claim
                .storage_class
                .as_ref()
                .is_some_and(|c| self.classes.contains(c));
            if on_volume || on_class {
                self.plan.namespaces.insert(claim.meta.namespace.clone());
            }
        }
    }

    /// Bindings whose object or effective rules changed: RBAC-009 reads them in the
    /// namespaces whose `default` ServiceAccount they name, and data reach reads them in
    /// their own namespace (a RoleBinding) or in every namespace (a ClusterRoleBinding that
    /// grants what the reach engine asks about).
    fn rbac_changes(&mut self, old: &RbacPart, snapshot: &Snapshot) -> RbacIndex {
        let (bindings, old_index) = (&old.part.bindings, &old.index);
        let new_index = RbacIndex::new(&snapshot.roles, &snapshot.bindings);
        type Id<'a> = (bool, &'a str, &'a str);
        fn id(b: &Binding) -> (bool, &str, &str) {
            (b.is_cluster_binding(), &b.meta.namespace, &b.meta.name)
        }
        let mut by_id: BTreeMap<Id, (Vec<&Binding>, Vec<&Binding>)> = BTreeMap::new();
        for b in bindings {
            by_id.entry(id(b)).or_default().0.push(b);
        }
        for b in &snapshot.bindings {
            by_id.entry(id(b)).or_default().1.push(b);
        }
        fn rules<'i>(index: &'i RbacIndex, b: &Binding) -> Option<&'i [PolicyRule]> {
            index.effective_rules(b.role_ref.kind, &b.role_ref.name, &b.meta.namespace)
        }
        for (old, new) in by_id.values() {
            let old: Vec<(&Binding, Option<&[PolicyRule]>)> =
                old.iter().map(|b| (*b, rules(old_index, b))).collect();
            let new: Vec<(&Binding, Option<&[PolicyRule]>)> =
                new.iter().map(|b| (*b, rules(&new_index, b))).collect();
            if old == new {
                continue;
            }
            for (binding, rules) in old.iter().chain(&new) {
                self.plan.namespaces.extend(
                    default_account_namespaces(binding)
                        .filter(|n| regular_namespace(n))
                        .map(String::from),
                );
                if !binding.is_cluster_binding() {
                    self.plan.namespaces.insert(binding.meta.namespace.clone());
                } else if rules.is_some_and(reaches_data) {
                    self.widen(REACH);
                }
            }
        }
        new_index
    }
}

fn is_rbac(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Role | Kind::RoleBinding | Kind::ClusterRole | Kind::ClusterRoleBinding
    )
}

/// Whether some rule may grant what the reach engine asks about (`reach::engine::questions`).
/// API groups and resource names are not compared, so a rule that matches here may still
/// grant nothing the engine asks: a wider recomputation, never a missed one.
fn reaches_data(rules: &[PolicyRule]) -> bool {
    let questions = crate::rules::reach::engine::questions();
    rules.iter().any(|rule| {
        questions.iter().any(|(verbs, (_, resource, sub))| {
            verbs.iter().any(|v| verb_matches(rule, v)) && resource_matches(rule, resource, sub)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            api_groups: vec!["*".into()],
            resources: resources.iter().map(|r| r.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn only_rules_granting_what_reach_asks_about_reach_data() {
        assert!(!reaches_data(&[rule(
            &["get", "list", "watch"],
            &["pods", "configmaps"]
        )]));
        assert!(!reaches_data(&[rule(
            &["create"],
            &["configmaps", "pods/log"]
        )]));
        assert!(reaches_data(&[rule(&["create"], &["pods/exec"])]));
        assert!(reaches_data(&[rule(&["*"], &["*"])]));
        assert!(reaches_data(&[rule(&["get"], &["persistentvolumeclaims"])]));
        assert!(reaches_data(&[rule(
            &["impersonate"],
            &["serviceaccounts"]
        )]));
        assert!(reaches_data(&[rule(&["create"], &["*/attach"])]));
    }

    #[test]
    fn only_an_empty_namespace_cannot_own_findings() {
        assert!(regular_namespace("ml-team"));
        // Owners come from the typed object, not from key text: any name can own findings.
        assert!(regular_namespace("a/b#c"));
        assert!(!regular_namespace(""));
    }
}
