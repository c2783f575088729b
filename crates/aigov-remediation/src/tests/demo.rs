//! The demo platform: `propose` gives a change exactly for the remediable findings, and every
//! change, applied to the demo's objects, makes its finding disappear.

use super::*;
use std::collections::BTreeMap;

/// Every finding whose proposal disagrees with `remediable`, with the proposal.
fn mismatches(snapshot: &Snapshot) -> Vec<String> {
    findings(snapshot)
        .iter()
        .filter_map(|f| {
            let proposal = propose(f, snapshot);
            (proposal.is_change() != f.remediable).then(|| {
                format!(
                    "{} (remediable: {}): {proposal:?} / evidence {:?}",
                    f.key(),
                    f.remediable,
                    f.evidence
                )
            })
        })
        .collect()
}

#[tokio::test]
async fn propose_changes_exactly_the_remediable_findings_of_the_demo() {
    // Loaded through the simulator like any cluster: uids, resourceVersions, running digests.
    let snapshot = demo_snapshot().await;
    let all = findings(&snapshot);
    assert!(all.iter().any(|f| f.remediable) && all.iter().any(|f| !f.remediable));
    let wrong = mismatches(&snapshot);
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Every change carries the preconditions the simulator's objects have.
    for f in all.iter().filter(|f| f.remediable) {
        for change in propose(f, &snapshot).changes() {
            if !matches!(change.operation, Operation::Create { .. }) {
                assert!(
                    change.resource_version.is_some() && change.uid.is_some(),
                    "{}",
                    change.description
                );
            }
        }
    }
}

#[test]
fn every_demo_change_removes_its_finding_and_bodies_hold_no_secret_data() {
    let objects = Objects(aigov_sim::demo::objects().unwrap());
    let snapshot = objects.snapshot();
    assert!(
        mismatches(&snapshot).is_empty(),
        "{:#?}",
        mismatches(&snapshot)
    );
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings(&snapshot).iter().filter(|f| f.remediable) {
        let proposal = propose(f, &snapshot);
        let mut after = objects.clone();
        after.apply_all(&proposal);
        let key = f.key();
        assert!(
            !keys(&after.snapshot()).contains(&key),
            "{key} remains after {proposal:#?}"
        );
        for change in proposal.changes() {
            let text = serde_json::to_string(&change).unwrap();
            assert!(
                !text.contains("\"data\"") && !text.contains("stringData"),
                "{text}"
            );
        }
        *by_rule.entry(f.rule.id.to_string()).or_default() += 1;
        if let Proposal::Change { remediation, .. } = &proposal {
            let kind = serde_json::to_value(remediation).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string();
            *kinds.entry(kind).or_default() += 1;
        }
    }
    // The demo exercises the main remediations.
    for rule in [
        "AIGOV-NS-003",
        "AIGOV-NS-004",
        "AIGOV-RBAC-001",
        "AIGOV-RBAC-002",
        "AIGOV-RBAC-003",
        "AIGOV-RBAC-004",
        "AIGOV-RBAC-005",
        "AIGOV-RBAC-006",
        "AIGOV-RBAC-007",
        "AIGOV-RBAC-008",
        "AIGOV-RBAC-009",
        "AIGOV-RBAC-010",
        "AIGOV-REACH-003",
        "AIGOV-IMG-001",
        "AIGOV-ADM-001",
    ] {
        assert!(
            by_rule.contains_key(rule),
            "{rule} not exercised: {by_rule:?}"
        );
    }
    for kind in [
        "pin_image",
        "remove_subject",
        "replace_cluster_role_binding",
        "narrow_role",
        "disable_automount",
        "enforce_pod_security",
        "default_deny_network_policy",
        "read_only_mounts",
        "require_image_digests",
    ] {
        assert!(kinds.contains_key(kind), "{kind} not exercised: {kinds:?}");
    }
}

/// The demo cluster, loaded through the simulator like any cluster.
async fn demo_snapshot() -> aigov_core::model::Snapshot {
    let sim = aigov_sim::start(aigov_sim::SimOptions::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let connection = aigov_kube::connect(&aigov_kube::ConnectOptions {
        kubeconfig: Some(kubeconfig),
        context: None,
        timeout: std::time::Duration::from_secs(10),
        read_only: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let quiet: aigov_kube::load::ProgressFn = std::sync::Arc::new(|_| {});
    aigov_kube::load(&connection, &aigov_kube::LoadOptions::default(), quiet).await
}
