//! Tests of the incremental evaluator: what each kind of change evaluates again, and that
//! the findings and deltas always equal those of a full evaluation.

mod cluster;
mod prop;
mod rbac;

use super::{Delta, Incremental};
use crate::model::snapshot::{Change, ObjectKey};
use crate::model::{Kind, Object, Snapshot};
use crate::rules::finding::Finding;
use crate::rules::{Inputs, evaluate};
use cluster::*;
use rbac::*;
use std::collections::BTreeMap;

/// The delta between two full evaluations, written out plainly: by key, in list order.
pub(super) fn reference_delta(before: &[Finding], after: &[Finding]) -> Delta {
    let by_key = |list: &[Finding]| {
        let mut map: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for f in list {
            map.entry(f.key()).or_default().push(f.clone());
        }
        map
    };
    let (old, new) = (by_key(before), by_key(after));
    Delta {
        added: (after.iter())
            .filter(|f| !old.contains_key(&f.key()))
            .cloned()
            .collect(),
        resolved: (before.iter())
            .filter(|f| !new.contains_key(&f.key()))
            .cloned()
            .collect(),
        changed: (after.iter())
            .filter(|f| old.get(&f.key()).is_some_and(|was| *was != new[&f.key()]))
            .cloned()
            .collect(),
    }
}

/// Apply `changes` and check the findings, the classification and the delta against full
/// evaluations before and after; return the delta.
fn step(live: &mut Incremental, changes: Vec<Change>) -> Delta {
    let before = evaluate(live.snapshot(), live.inputs()).findings;
    let delta = live.apply(changes);
    let expected = evaluate(live.snapshot(), live.inputs());
    let got = live.evaluation();
    assert_eq!(got.findings, expected.findings);
    assert_eq!(got.namespaces, expected.namespaces);
    assert_eq!(delta, reference_delta(&before, &expected.findings));
    delta
}

fn upsert(object: Object) -> Vec<Change> {
    vec![Change::Upsert(Box::new(object))]
}

fn live() -> Incremental<'static> {
    let live = Incremental::new(base(), Inputs::default());
    assert_eq!(live.last_recomputed().full, Some("first evaluation"));
    assert_eq!(
        live.evaluation().findings,
        evaluate(live.snapshot(), live.inputs()).findings
    );
    live
}

fn keys(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(Finding::key).collect()
}

#[test]
fn a_pod_created_and_deleted_evaluates_only_its_namespace_again() {
    let mut live = live();
    // A bare pod with a mutable tag in the AI namespace `lab`, using no ConfigMap or claim.
    let delta = step(&mut live, upsert(pod("lab", "debug", 0, 0, 0, 0)));
    let last = live.last_recomputed();
    assert_eq!(
        (last.namespaces.clone(), last.cluster, last.full),
        (vec!["lab".to_string()], false, None)
    );
    assert!(keys(&delta.added).contains(&"AIGOV-IMG-001:Pod/lab/debug#container/main".to_string()));
    let delta = step(
        &mut live,
        vec![Change::Remove(ObjectKey::new(Kind::Pod, "lab", "debug"))],
    );
    assert!(
        keys(&delta.resolved).contains(&"AIGOV-IMG-001:Pod/lab/debug#container/main".to_string())
    );
    assert_eq!(live.last_recomputed().namespaces, vec!["lab".to_string()]);
}

#[test]
fn the_binding_rules_run_again_only_when_what_they_read_changes() {
    let mut live = live();
    // New data in a ConfigMap the AI workloads use: existence and use unchanged.
    step(&mut live, upsert(config_map("ml", "model-config", false)));
    assert!(!live.last_recomputed().bindings);
    // An AI pod that uses it: RBAC-010 lists its users, and ml's developers may write it.
    step(&mut live, upsert(pod("ml", "new", 0, 0, 8 | 32, 0)));
    assert!(live.last_recomputed().bindings);
    // In lab only alice may write ConfigMaps, through a ClusterRoleBinding.
    step(&mut live, upsert(pod("lab", "new", 0, 0, 8 | 32, 0)));
    assert!(live.last_recomputed().bindings);
    step(
        &mut live,
        vec![Change::Remove(ObjectKey::new(
            Kind::ClusterRoleBinding,
            "",
            "crb-2",
        ))],
    );
    // Now nobody may: the binding rules do not read lab's ConfigMap users.
    step(
        &mut live,
        vec![Change::Remove(ObjectKey::new(Kind::Pod, "lab", "new"))],
    );
    let last = live.last_recomputed();
    assert!(!last.bindings && last.full.is_none());
    // Labelled false, ml is no longer AI, which every binding's scope reads.
    step(&mut live, upsert(namespace("ml", 2, 1)));
    let last = live.last_recomputed();
    assert!(last.bindings && last.full.is_none());
    assert_eq!(last.namespaces, vec!["ml".to_string()]);
}

#[test]
fn rbac_changes_evaluate_their_namespace_and_the_default_accounts_they_name() {
    let mut live = live();
    // A RoleBinding in `web` naming the default ServiceAccount of `ml`.
    step(&mut live, upsert(binding("web", 1, 1, 32)));
    let last = live.last_recomputed();
    assert!(last.bindings && last.full.is_none());
    assert_eq!(last.namespaces, vec!["ml".to_string(), "web".to_string()]);
    // A role no binding uses: the binding rules only.
    step(&mut live, upsert(role("ops", 1)));
    assert!(live.last_recomputed().namespaces.is_empty());
}

#[test]
fn cluster_bindings_reevaluate_everything_only_when_they_can_change_data_reach() {
    let mut live = live();
    // cr-2 reads pods and ConfigMaps only (rules 5): the binding rules and nothing else.
    step(&mut live, upsert(cluster_role(2, 5, false)));
    step(&mut live, upsert(binding("", 2, 2, 4)));
    let last = live.last_recomputed();
    assert_eq!(
        (last.full, last.bindings, last.namespaces.len()),
        (None, true, 0)
    );
    // Now to cr-1, which execs into pods: who reaches every namespace's claims may change.
    step(&mut live, upsert(binding("", 2, 1, 4)));
    assert!(live.last_recomputed().full.is_some());
}

#[test]
fn an_object_owned_across_namespaces_stops_the_scoping_until_it_is_gone() {
    let mut live = live();
    // A pod in `ml` whose owner uid is a ReplicaSet of another namespace.
    step(&mut live, upsert(pod("ml", "odd", 2, 0, 0, 0)));
    assert!(live.last_recomputed().full.is_some());
    step(&mut live, upsert(config_map("web", "model-config", true)));
    assert!(
        live.last_recomputed().full.is_some(),
        "still there: every batch in full"
    );
    step(
        &mut live,
        vec![Change::Remove(ObjectKey::new(Kind::Pod, "ml", "odd"))],
    );
    step(&mut live, upsert(config_map("web", "model-config", false)));
    assert_eq!(live.last_recomputed().full, None);
}

#[test]
fn an_unchanged_object_changes_nothing_and_a_namespaced_object_without_namespace_widens() {
    let mut live = live();
    let delta = step(&mut live, upsert(config_map("ml", "model-config", true)));
    assert!(delta.is_empty());
    assert_eq!(*live.last_recomputed(), super::Recomputed::default());
    step(&mut live, upsert(config_map("", "loose", true)));
    assert!(live.last_recomputed().full.is_some());
}

#[test]
fn new_inputs_are_evaluated_in_full() {
    let mut live = live();
    let before = live.evaluation().findings;
    let mut inputs = Inputs::default();
    inputs.settings.ai.threshold = 100;
    let delta = live.set_inputs(inputs);
    assert_eq!(live.last_recomputed().full, Some("inputs changed"));
    let after = evaluate(live.snapshot(), live.inputs()).findings;
    assert_eq!(live.evaluation().findings, after);
    assert!(!delta.is_empty());
    assert_eq!(delta, reference_delta(&before, &after));
}

/// The demo platform (the simulator's), as a snapshot.
fn demo() -> Snapshot {
    let mut snapshot = Snapshot::default();
    for doc in aigov_sim::demo::objects().expect("the demo's objects parse") {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        if let Some(kind) = Kind::from_api(&api_version, &kind)
            && let Ok(object) = crate::model::convert::from_json(kind, doc)
        {
            snapshot.insert(object);
        }
    }
    for kind in Kind::ALL {
        snapshot
            .coverage
            .insert(kind, crate::model::Coverage::Complete);
    }
    snapshot
}

#[test]
fn on_the_demo_platform_every_kind_of_event_matches_a_full_evaluation() {
    let mut live = Incremental::new(demo(), Inputs::default());
    let namespaces: Vec<String> = live.namespaces().map(|c| c.name.clone()).collect();
    assert!(namespaces.len() >= 5, "{namespaces:?}");
    let findings = live.findings().len();
    assert!(findings > 20, "{findings} findings");
    let mut scoped = 0;
    for (i, ns) in namespaces.iter().enumerate() {
        let i = i as u8;
        for changes in [
            upsert(pod(ns, "watch", 0, 0, i, i)),
            upsert(config_map(ns, "model-config", i.is_multiple_of(2))),
            upsert(binding(ns, 0, i, i.wrapping_mul(37))),
            upsert(namespace(ns, i, i)),
            vec![Change::Remove(ObjectKey::new(
                Kind::Pod,
                ns.clone(),
                "watch",
            ))],
        ] {
            step(&mut live, changes);
            scoped += usize::from(live.last_recomputed().full.is_none());
        }
    }
    assert!(scoped > namespaces.len() * 3, "{scoped} batches scoped");
}
