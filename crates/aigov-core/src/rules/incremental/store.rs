//! The findings the incremental evaluator keeps: one bucket per owner (a namespace, the
//! bindings, the cluster), read from each finding's key, and the deltas between two states.
//!
//! Every finding with a given key has the same owner, so buckets never share a key and can be
//! replaced whole. The list `evaluate` returns is the buckets merged in its order (most
//! severe first, then by key) with consecutive findings of one key kept once: the same sort
//! and deduplication over the same findings.

use crate::rules::order;
use crate::rules::{Finding, ObjectRef};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Who a finding belongs to, from its key `RULE:Kind/namespace/name#path`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Owner {
    /// Objects of one namespace, or the namespace itself (`Namespace//N`): these findings
    /// depend on that namespace's objects and on cluster-scoped ones only.
    Namespace(String),
    /// RoleBindings and ClusterRoleBindings (RBAC-001..008 and 010): these depend on every
    /// binding and role and on what each namespace's AI workloads use.
    Bindings,
    /// Cluster-scoped objects (PersistentVolumes) and cluster-wide gaps (`Cluster//...`).
    Cluster,
}

/// The owner of a finding, from its object: the bindings for a RoleBinding or a
/// ClusterRoleBinding, a namespace for an object in one (or the Namespace itself), and the
/// cluster for anything else.
pub(super) fn owner_of(object: &ObjectRef) -> OwnerRef<'_> {
    match object.kind.as_str() {
        "RoleBinding" | "ClusterRoleBinding" => OwnerRef::Bindings,
        _ if !object.namespace.is_empty() => OwnerRef::Namespace(&object.namespace),
        "Namespace" => OwnerRef::Namespace(&object.name),
        _ => OwnerRef::Cluster,
    }
}

/// [`Owner`] borrowed from a key, so filtering allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OwnerRef<'k> {
    Namespace(&'k str),
    Bindings,
    Cluster,
}

impl OwnerRef<'_> {
    pub(super) fn is(self, owner: &Owner) -> bool {
        match (self, owner) {
            (OwnerRef::Namespace(a), Owner::Namespace(b)) => a == b,
            (OwnerRef::Bindings, Owner::Bindings) | (OwnerRef::Cluster, Owner::Cluster) => true,
            _ => false,
        }
    }

    pub(super) fn to_owned(self) -> Owner {
        match self {
            OwnerRef::Namespace(n) => Owner::Namespace(n.to_string()),
            OwnerRef::Bindings => Owner::Bindings,
            OwnerRef::Cluster => Owner::Cluster,
        }
    }
}

/// A finding with its key, built once.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub key: String,
    pub finding: Finding,
}

fn cmp(a: &Entry, b: &Entry) -> Ordering {
    order((&a.key, &a.finding), (&b.key, &b.finding))
}

/// The findings of one owner in `evaluate`'s order. Findings equal in that order (same
/// severity and key) are kept once, the first produced; findings of one key with different
/// severities are all kept, because whether `evaluate` keeps them depends on what sorts
/// between them, which only the merged list shows.
#[derive(Debug, Clone, Default)]
pub(super) struct Bucket {
    entries: Vec<Entry>,
    /// Whether some key has more than one finding.
    repeated: bool,
}

impl Bucket {
    /// From findings in the order the rules produced them.
    pub(super) fn new(mut entries: Vec<Entry>) -> Self {
        // Stable, so equal findings stay in production order and the first is kept.
        entries.sort_by(cmp);
        entries.dedup_by(|b, a| cmp(a, b) == Ordering::Equal);
        let mut keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        keys.sort_unstable();
        let repeated = keys.windows(2).any(|w| w[0] == w[1]);
        Bucket { entries, repeated }
    }
}

/// What changed between two evaluations, each list in `evaluate`'s order.
///
/// Findings are compared by key: `added` holds findings whose key was not reported before,
/// `resolved` those whose key is no longer reported (as they were), and `changed` those whose
/// key is still reported with different content (as they are now). In the rare case of one
/// key reported more than once (with different severities), all of its findings are listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delta {
    pub added: Vec<Finding>,
    pub resolved: Vec<Finding>,
    pub changed: Vec<Finding>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.resolved.is_empty() && self.changed.is_empty()
    }

    /// The delta between two lists sorted and deduplicated as `evaluate` returns them.
    pub fn between(before: &[Finding], after: &[Finding]) -> Delta {
        let keyed = |list: &[Finding]| -> Vec<(String, Finding)> {
            list.iter().map(|f| (f.key(), f.clone())).collect()
        };
        let (before, after) = (keyed(before), keyed(after));
        diff(
            &before
                .iter()
                .map(|(k, f)| (k.as_str(), f))
                .collect::<Vec<_>>(),
            &after
                .iter()
                .map(|(k, f)| (k.as_str(), f))
                .collect::<Vec<_>>(),
        )
    }
}

/// The delta between two visible lists (in `evaluate`'s order), grouping findings by key.
fn group<'f>(list: &[(&'f str, &'f Finding)]) -> BTreeMap<&'f str, Vec<&'f Finding>> {
    let mut by_key: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for (key, finding) in list {
        by_key.entry(*key).or_default().push(*finding);
    }
    by_key
}

fn diff(before: &[(&str, &Finding)], after: &[(&str, &Finding)]) -> Delta {
    let (old, new) = (group(before), group(after));
    let mut delta = Delta::default();
    for (key, finding) in after {
        match old.get(key) {
            None => delta.added.push((*finding).clone()),
            Some(was) if *was != new[key] => delta.changed.push((*finding).clone()),
            Some(_) => {}
        }
    }
    for (key, finding) in before {
        if !new.contains_key(key) {
            delta.resolved.push((*finding).clone());
        }
    }
    delta
}

/// Every bucket, by owner.
#[derive(Debug, Default)]
pub(super) struct Store {
    buckets: BTreeMap<Owner, Bucket>,
}

impl Store {
    /// The findings `evaluate` would return: buckets merged in its order, a key's
    /// consecutive findings kept once.
    pub(super) fn visible(&self) -> Vec<&Entry> {
        let mut all: Vec<&Entry> = self.buckets.values().flat_map(|b| &b.entries).collect();
        // Keys are unique across buckets, so the merge needs no tie-break between them.
        all.sort_by(|a, b| cmp(a, b));
        all.dedup_by(|b, a| a.key == b.key);
        all
    }

    fn repeated(&self) -> bool {
        self.buckets.values().any(|b| b.repeated)
    }

    /// Replace the buckets of `updates` (an empty bucket removes its owner) and return what
    /// changed in the merged list. With `everything`, owners not in `updates` are removed too.
    pub(super) fn update(&mut self, updates: Vec<(Owner, Bucket)>, everything: bool) -> Delta {
        // With a key reported under several severities, whether `evaluate` keeps each one
        // depends on its neighbours in the merged list: compare the merged lists in full.
        if self.repeated() || updates.iter().any(|(_, b)| b.repeated) {
            let before: Vec<(String, Finding)> = self
                .visible()
                .into_iter()
                .map(|e| (e.key.clone(), e.finding.clone()))
                .collect();
            self.replace(updates, everything);
            let before: Vec<(&str, &Finding)> =
                before.iter().map(|(k, f)| (k.as_str(), f)).collect();
            return diff(&before, &pairs(self.visible()));
        }
        let old = self.replace(updates, everything);
        let owners: BTreeSet<&Owner> = old.iter().map(|(o, _)| o).collect();
        let mut before: Vec<&Entry> = old.iter().flat_map(|(_, b)| &b.entries).collect();
        let mut after: Vec<&Entry> = if everything {
            self.buckets.values().flat_map(|b| &b.entries).collect()
        } else {
            self.buckets
                .iter()
                .filter(|(o, _)| owners.contains(o))
                .flat_map(|(_, b)| &b.entries)
                .collect()
        };
        before.sort_by(|a, b| cmp(a, b));
        after.sort_by(|a, b| cmp(a, b));
        // No key repeats, so every entry is visible and is its key's only finding.
        diff(&pairs(before), &pairs(after))
    }

    /// Put the new buckets in; return the old ones of every owner touched (with an empty
    /// bucket for an owner that had none).
    fn replace(&mut self, updates: Vec<(Owner, Bucket)>, everything: bool) -> Vec<(Owner, Bucket)> {
        let mut old: Vec<(Owner, Bucket)> = if everything {
            std::mem::take(&mut self.buckets).into_iter().collect()
        } else {
            Vec::new()
        };
        for (owner, bucket) in updates {
            let was = self.buckets.remove(&owner);
            if !everything {
                old.push((owner.clone(), was.unwrap_or_default()));
            }
            if !bucket.entries.is_empty() {
                self.buckets.insert(owner, bucket);
            }
        }
        old
    }
}

fn pairs(entries: Vec<&Entry>) -> Vec<(&str, &Finding)> {
    entries
        .into_iter()
        .map(|e| (e.key.as_str(), &e.finding))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::finding::{Place, Severity};

    fn finding(rule: &str, object: ObjectRef, severity: Severity, title: &str) -> Finding {
        let mut finding = crate::rules::catalog::find(rule)
            .unwrap()
            .finding(object, title);
        finding.severity = severity;
        finding.explanation = String::new();
        finding.remediable = false;
        finding
    }

    fn entry(f: Finding) -> Entry {
        Entry {
            key: f.key(),
            finding: f,
        }
    }

    #[test]
    fn owners_come_from_the_finding_object() {
        let cases = [
            (
                ObjectRef::new("Deployment", "ml", "vllm"),
                OwnerRef::Namespace("ml"),
            ),
            (
                ObjectRef::new("Namespace", "", "ml"),
                OwnerRef::Namespace("ml"),
            ),
            (
                ObjectRef::new("ServiceAccount", "ml", "default"),
                OwnerRef::Namespace("ml"),
            ),
            (
                ObjectRef::new("RoleBinding", "ml", "devs"),
                OwnerRef::Bindings,
            ),
            (
                ObjectRef::new("ClusterRoleBinding", "", "admins"),
                OwnerRef::Bindings,
            ),
            (
                ObjectRef::new("PersistentVolume", "", "pv-1"),
                OwnerRef::Cluster,
            ),
            (
                ObjectRef::new("Cluster", "", "namespaces"),
                OwnerRef::Cluster,
            ),
        ];
        for (object, expected) in cases {
            assert_eq!(owner_of(&object), expected, "{object}");
        }
    }

    #[test]
    fn a_bucket_keeps_the_first_of_equal_findings_and_both_severities_of_one_key() {
        let object = ObjectRef::new("Pod", "ml", "a").at(Place::container("x"));
        let first = finding("AIGOV-IMG-001", object.clone(), Severity::High, "first");
        let second = finding("AIGOV-IMG-001", object.clone(), Severity::High, "second");
        let lower = finding("AIGOV-IMG-001", object, Severity::Medium, "lower");
        let bucket = Bucket::new(vec![
            entry(lower.clone()),
            entry(first.clone()),
            entry(second),
        ]);
        let kept: Vec<&Finding> = bucket.entries.iter().map(|e| &e.finding).collect();
        assert_eq!(kept, vec![&first, &lower]);
        assert!(bucket.repeated);
    }

    #[test]
    fn the_merged_list_drops_a_repeated_key_only_where_evaluate_would() {
        let x = ObjectRef::new("Pod", "ml", "x");
        let high = finding("AIGOV-IMG-001", x.clone(), Severity::High, "h");
        let medium = finding("AIGOV-IMG-001", x, Severity::Medium, "m");
        let between = finding(
            "AIGOV-IMG-001",
            ObjectRef::new("Pod", "web", "y"),
            Severity::High,
            "y",
        );
        let mut store = Store::default();
        let ml = Owner::Namespace("ml".into());
        store.update(
            vec![(
                ml.clone(),
                Bucket::new(vec![entry(high.clone()), entry(medium.clone())]),
            )],
            false,
        );
        // Adjacent in the merged list: evaluate keeps the first only.
        let visible: Vec<&Finding> = store.visible().into_iter().map(|e| &e.finding).collect();
        assert_eq!(visible, vec![&high]);
        // Another namespace's finding sorts between them: both are kept, and the delta says so.
        let delta = store.update(
            vec![(
                Owner::Namespace("web".into()),
                Bucket::new(vec![entry(between.clone())]),
            )],
            false,
        );
        let visible: Vec<&Finding> = store.visible().into_iter().map(|e| &e.finding).collect();
        assert_eq!(visible, vec![&high, &between, &medium]);
        assert_eq!(delta.added, vec![between]);
        assert_eq!(delta.changed, vec![high, medium]);
        assert!(delta.resolved.is_empty());
    }
}
