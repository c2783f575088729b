//! `--read-only` is structural: the client refuses every write in its transport layer, so the
//! simulator sees only reads (and access reviews) however the console or a command behaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov::tui::action::{Action, Effect};
use aigov::tui::data::BuildInputs;
use aigov::tui::runner::{Baselines, RunnerConfig, start};
use aigov_kube::{ConnectOptions, LoadOptions, connect, load};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use std::sync::Arc;
use std::time::Duration;

fn read_only_options(t: &common::TestSim) -> ConnectOptions {
    ConnectOptions {
        kubeconfig: Some(t.kubeconfig.clone()),
        context: None,
        timeout: Duration::from_secs(10),
        read_only: true,
        ..Default::default()
    }
}

fn writes_seen(t: &common::TestSim) -> Vec<String> {
    t.sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !(r.method == "POST" && r.path.ends_with("reviews")))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn a_read_only_connection_never_sends_a_write() {
    let t = common::demo_sim().await;
    let connection = connect(&read_only_options(&t)).await.unwrap();
    assert!(connection.read_only);
    let snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    assert!(!snapshot.pods.is_empty(), "reads work");
    let cms: Api<ConfigMap> = Api::namespaced(connection.client.clone(), "web-shop");
    let cm: ConfigMap =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "nope"}})).unwrap();
    let requests_before = t.sim.requests().len();
    let refused = [
        cms.create(&PostParams::default(), &cm).await.err(),
        cms.patch(
            "frontend-config",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"data": {"x": "y"}})),
        )
        .await
        .err(),
        cms.delete("frontend-config", &DeleteParams::default())
            .await
            .err(),
    ];
    for err in refused {
        let text = err.expect("every write fails").to_string();
        assert!(
            text.contains("read-only"),
            "refused by the transport layer: {text}"
        );
    }
    assert_eq!(
        t.sim.requests().len(),
        requests_before,
        "the refused writes never reached the server"
    );
    assert!(writes_seen(&t).is_empty(), "{:?}", writes_seen(&t));
    assert_eq!(t.sim.committed_writes(), 0);
}

#[tokio::test]
async fn a_read_only_console_session_sends_only_reads() {
    let t = common::demo_sim().await;
    let (runner, mut actions) = start(RunnerConfig {
        connect: read_only_options(&t),
        inputs: BuildInputs::default(),
        baselines: Baselines::Given,
        registry: None,
    });
    runner.send(Effect::Connect {
        generation: 0,
        context: None,
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut derived = false;
    while let Ok(Some(action)) = tokio::time::timeout_at(deadline, actions.recv()).await {
        match action {
            Action::Connected { info, .. } => assert!(info.read_only),
            Action::Derived { .. } => {
                derived = true;
                break;
            }
            Action::ConnectFailed { error, .. } | Action::LoadFailed { error, .. } => {
                panic!("{error}")
            }
            _ => {}
        }
    }
    assert!(derived, "the console got its data");
    // Let any watches run for a moment too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(writes_seen(&t).is_empty(), "{:?}", writes_seen(&t));
    assert_eq!(t.sim.committed_writes(), 0);
}
