//! Snapshot loading against the simulator: completeness, coverage of what cannot be read,
//! progress, and faults that must never turn into silently missing objects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::model::{Coverage, Kind, Snapshot};
use aigov_core::rules::rbac::UserInfo;
use aigov_kube::{LoadOptions, Progress, load};
use aigov_sim::{Dataset, FaultSettings, SimOptions};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn quiet() -> aigov_kube::load::ProgressFn {
    Arc::new(|_| {})
}

/// Every kind the snapshot claims complete holds exactly the simulator's objects.
fn assert_matches_simulator(snapshot: &Snapshot, sim: &aigov_sim::SimHandle) {
    let totals = snapshot.counts();
    for kind in Kind::ALL {
        let coverage = snapshot
            .coverage
            .get(&kind)
            .expect("every kind has a coverage entry");
        let api = kind.api();
        let in_snapshot: usize = totals
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, n)| n)
            .sum();
        match coverage {
            Coverage::Complete => assert_eq!(
                in_snapshot,
                sim.count(&api.api_version(), api.kind),
                "{kind} count"
            ),
            Coverage::NotServed => assert_eq!(in_snapshot, 0),
            Coverage::Unknown { .. } | Coverage::Partial { .. } => {}
        }
    }
}

#[tokio::test]
async fn the_demo_loads_completely_and_matches_the_simulator() {
    let t = common::demo_sim().await;
    let connection = t.connect_as("aigov-demo-admin").await;
    let events = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let sink = events.clone();
    let options = LoadOptions {
        page_size: 10,
        ..Default::default()
    };
    let snapshot = load(
        &connection,
        &options,
        Arc::new(move |p| sink.lock().unwrap().push(p)),
    )
    .await;
    assert_eq!(snapshot.origin.identity.username, "aigov-demo-admin");
    assert_eq!(
        snapshot.coverage.get(&Kind::TFJob),
        Some(&Coverage::NotServed)
    );
    assert_eq!(snapshot.coverage.get(&Kind::Pod), Some(&Coverage::Complete));
    assert!(
        snapshot.incomplete_kinds().next().is_none(),
        "{:?}",
        snapshot.coverage
    );
    assert_matches_simulator(&snapshot, &t.sim);
    let events = events.lock().unwrap();
    let done: Vec<Kind> = events.iter().filter(|p| p.done).map(|p| p.kind).collect();
    assert_eq!(done.len(), Kind::ALL.len(), "one finished event per kind");
    assert!(
        events
            .iter()
            .any(|p| p.kind == Kind::Pod && !p.done && p.loaded == 10),
        "paged progress"
    );
}

#[tokio::test]
async fn secrets_are_loaded_as_metadata_without_annotations() {
    let t = common::demo_sim().await;
    let snapshot = load(
        &t.connect_as("aigov-demo-admin").await,
        &LoadOptions::default(),
        quiet(),
    )
    .await;
    assert!(!snapshot.secrets.is_empty());
    assert!(
        snapshot
            .secrets
            .iter()
            .all(|s| s.meta.annotations.is_empty())
    );
    let everything = serde_json::to_string(&snapshot).unwrap();
    assert!(!everything.contains("AIGOV-CANARY-SECRET-7f3a9c"));
}

#[tokio::test]
async fn a_user_limited_to_some_namespaces_gets_partial_coverage_not_empty_kinds() {
    let limited = UserInfo {
        username: "ml-lead".into(),
        groups: vec!["system:authenticated".into()],
    };
    let options = SimOptions {
        extra_tokens: vec![("ml-lead-token".into(), limited)],
        ..Default::default()
    };
    let t = common::sim_with(options).await;
    // Bind ml-lead to read everything in ml-training only (through the admin, over the API).
    let admin = t.admin().await;
    let rb: kube::Api<k8s_openapi::api::rbac::v1::RoleBinding> =
        kube::Api::namespaced(admin.clone(), "ml-training");
    let binding = serde_json::from_value(serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "ml-lead-view", "namespace": "ml-training"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ml-lead"}]
    }))
    .unwrap();
    rb.create(&Default::default(), &binding).await.unwrap();
    let ns_reader: kube::Api<k8s_openapi::api::rbac::v1::ClusterRoleBinding> =
        kube::Api::all(admin);
    let list_namespaces = serde_json::from_value(serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "ml-lead-namespaces"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "aigov-demo-view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ml-lead"}]
    }))
    .unwrap();
    ns_reader
        .create(&Default::default(), &list_namespaces)
        .await
        .unwrap();
    let text = std::fs::read_to_string(&t.kubeconfig)
        .unwrap()
        .replace(&t.sim.admin_token, "ml-lead-token");
    std::fs::write(&t.kubeconfig, text).unwrap();
    let connection = t.connect_as("aigov-demo-admin").await;
    assert_eq!(connection.identity.username, "ml-lead");
    let snapshot = load(&connection, &LoadOptions::default(), quiet()).await;
    match snapshot.coverage.get(&Kind::Secret).unwrap() {
        Coverage::Partial { unknown_namespaces } => {
            assert!(!unknown_namespaces.contains_key("ml-training"));
            assert!(unknown_namespaces.contains_key("web-shop"));
        }
        other => panic!("expected partial coverage of secrets, got {other:?}"),
    }
    assert!(
        snapshot
            .secrets
            .iter()
            .all(|s| s.meta.namespace == "ml-training")
    );
    assert!(
        snapshot
            .secrets
            .iter()
            .any(|s| s.meta.namespace == "ml-training")
    );
    assert!(
        snapshot.coverage[&Kind::Pod].is_complete(),
        "pods are readable cluster-wide through the view role"
    );
    assert!(snapshot.list_versions.contains_key(&Kind::Pod));
    assert!(
        !snapshot.list_versions.contains_key(&Kind::Secret),
        "read namespace by namespace, secrets have no one list version"
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_never_silently_drop_objects() {
    let t = common::demo_sim().await;
    let connection = t.connect_as("aigov-demo-admin").await;
    t.sim.set_faults(FaultSettings {
        error_rate: 0.2,
        ..Default::default()
    });
    let snapshot = load(
        &connection,
        &LoadOptions {
            page_size: 5,
            ..Default::default()
        },
        quiet(),
    )
    .await;
    t.sim.set_faults(FaultSettings::default());
    // Each kind is either complete and exact, or marked unknown: never short.
    assert_matches_simulator(&snapshot, &t.sim);
    let failed = t.sim.requests().iter().filter(|r| r.status == 500).count();
    assert!(failed > 0, "faults were injected");
}

/// The Retry-After of the throttled answers: longer than the loader's 1 s fallback for a 429
/// without one, so a load that took at least this long waited for the header's value.
const RETRY_AFTER: Duration = Duration::from_secs(2);

#[tokio::test]
async fn throttling_with_retry_after_is_honoured() {
    let t = common::demo_sim().await;
    let connection = t.connect_as("aigov-demo-admin").await;
    t.sim.set_faults(FaultSettings {
        throttle_rate: 0.1,
        retry_after_seconds: RETRY_AFTER.as_secs(),
        ..Default::default()
    });
    let options = LoadOptions {
        kinds: vec![Kind::Namespace, Kind::Pod, Kind::ConfigMap],
        page_size: 5,
        attempts: 6,
        ..Default::default()
    };
    let started = Instant::now();
    let snapshot = load(&connection, &options, quiet()).await;
    let elapsed = started.elapsed();
    t.sim.set_faults(FaultSettings::default());
    assert_matches_simulator_kinds(
        &snapshot,
        &t.sim,
        &[Kind::Namespace, Kind::Pod, Kind::ConfigMap],
    );
    let throttled = t.sim.requests().iter().filter(|r| r.status == 429).count();
    eprintln!(
        "throttling 10% with Retry-After {RETRY_AFTER:?}: {throttled} requests answered 429, load took {:.2} s",
        elapsed.as_secs_f64()
    );
    assert!(throttled > 0, "some requests were answered 429");
    // Each 429 is followed by a wait of its Retry-After before the page is asked again.
    assert!(
        elapsed >= RETRY_AFTER,
        "a 429 was waited out: the load took {elapsed:?}, less than Retry-After {RETRY_AFTER:?}"
    );
}

fn assert_matches_simulator_kinds(snapshot: &Snapshot, sim: &aigov_sim::SimHandle, kinds: &[Kind]) {
    let totals = snapshot.counts();
    for kind in kinds {
        let api = kind.api();
        let n: usize = totals
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|(_, n)| n)
            .sum();
        match &snapshot.coverage[kind] {
            Coverage::Complete => assert_eq!(n, sim.count(&api.api_version(), api.kind)),
            Coverage::Unknown { reason } => assert!(
                reason.contains("429") || reason.contains("too many"),
                "{reason}"
            ),
            other => panic!("{kind}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn continue_tokens_that_always_expire_make_the_kind_unknown() {
    let t = common::demo_sim().await;
    let connection = t.connect_as("aigov-demo-admin").await;
    t.sim.set_faults(FaultSettings {
        expire_continue: true,
        ..Default::default()
    });
    let options = LoadOptions {
        kinds: vec![Kind::Pod],
        page_size: 5,
        ..Default::default()
    };
    let snapshot = load(&connection, &options, quiet()).await;
    match &snapshot.coverage[&Kind::Pod] {
        Coverage::Unknown { reason } => assert!(reason.contains("410"), "{reason}"),
        other => panic!("expected unknown after repeated expiry, got {other:?}"),
    }
    assert!(
        snapshot.pods.is_empty(),
        "a half-read kind is not handed on as if complete"
    );
}

#[tokio::test]
async fn a_list_restarted_after_its_continue_token_expired_keeps_the_restarted_lists_version() {
    let t = Arc::new(common::demo_sim().await);
    let connection = t.connect_as("aigov-demo-admin").await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::all(t.admin().await);
    let version_now = || async {
        let list = pods
            .list(&kube::api::ListParams::default().limit(1))
            .await
            .unwrap();
        list.metadata.resource_version.unwrap()
    };
    let before = version_now().await;
    // After the first page: writes, then a compaction, so the continue token is too old.
    let sim = t.clone();
    let done = std::sync::atomic::AtomicBool::new(false);
    let compact_once: aigov_kube::load::ProgressFn = Arc::new(move |p: Progress| {
        if p.kind == Kind::Pod && !p.done && !done.swap(true, std::sync::atomic::Ordering::SeqCst) {
            assert!(sim.sim.apply_demo_drift() > 0);
            sim.sim.compact();
        }
    });
    let options = LoadOptions {
        kinds: vec![Kind::Pod],
        page_size: 5,
        ..Default::default()
    };
    let snapshot = load(&connection, &options, compact_once).await;
    let after = version_now().await;
    assert_ne!(before, after);
    assert_eq!(snapshot.coverage[&Kind::Pod], Coverage::Complete);
    assert_eq!(snapshot.pods.len(), t.sim.count("v1", "Pod"));
    assert_eq!(
        snapshot.list_versions.get(&Kind::Pod),
        Some(&after),
        "the restarted list's version, not the expired one's"
    );
    let expired = t
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods" && r.query.contains("continue=") && r.status == 410)
        .count();
    assert_eq!(expired, 1, "the list restarted once");
}

#[tokio::test]
async fn a_scaled_cluster_loads_every_pod() {
    let options = SimOptions {
        datasets: vec![Dataset::Scale(3_000)],
        ..Default::default()
    };
    let t = common::sim_with(options).await;
    let snapshot = load(
        &t.connect_as("aigov-demo-admin").await,
        &LoadOptions::default(),
        quiet(),
    )
    .await;
    assert_eq!(snapshot.pods.len(), t.sim.count("v1", "Pod"));
    assert!(snapshot.pods.len() >= 3_000);
    assert_matches_simulator(&snapshot, &t.sim);
}
