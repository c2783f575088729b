//! Tag movement end to end: a small image is pushed to the real Distribution registry
//! (`docker-registry` on 127.0.0.1), a pod in the simulator reports that digest as its
//! `imageID`, and then another manifest is pushed under the same tag. aigov's look-ups (with
//! the tag history in a data directory) must then report the tag as moved under the pod
//! (AIGOV-IMG-004) and as overwritten by the registry (AIGOV-IMG-005), with both digests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::rules::{Finding, Inputs, RulesConfig, View, evaluate};
use aigov_kube::{LoadOptions, load};
use aigov_registry::{RegistryClient, gather, tagged_images};
use common::registry::{TestRegistry, options_for, registry_available};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

const POD: &str = "model-server";

async fn findings(t: &common::TestSim, host: &str, history: &Path) -> Vec<Finding> {
    let connection = t.connect_as("aigov-demo-admin").await;
    let snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    // A new client each time: nothing is served from its cache.
    let client = RegistryClient::new(options_for(host)).unwrap();
    let settings = RulesConfig::default();
    let images = tagged_images(&View::new(&snapshot, &settings));
    let gathered = gather(&client, images, Some(history)).await;
    let inputs = Inputs {
        registry: gathered.facts,
        ..Default::default()
    };
    evaluate(&snapshot, &inputs)
        .findings
        .into_iter()
        .filter(|f| f.object.name == POD)
        .collect()
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

#[tokio::test]
async fn a_tag_pushed_again_under_a_running_pod_is_reported_moved_and_mutable() {
    if !registry_available("a_tag_pushed_again_under_a_running_pod_is_reported_moved_and_mutable") {
        return;
    }
    let registry = TestRegistry::start().await;
    let host = registry.host.clone();
    let blobs = registry.push_image_blobs("ml/model-server", false).await;
    let (digest_a, _) = registry
        .push_image("ml/model-server", "v1", &blobs, "a")
        .await;
    let image = format!("{host}/ml/model-server:v1");

    let t = common::demo_sim().await;
    let pods: Api<Pod> = Api::namespaced(t.admin().await, "llm-inference");
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": POD, "namespace": "llm-inference"},
        // A GPU makes it an AI workload, which IMG-001 looks at.
        "spec": {"containers": [{"name": "server", "image": image,
            "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let status = json!({"status": {"phase": "Running", "containerStatuses": [{
        "name": "server", "image": image, "imageID": format!("{host}/ml/model-server@{digest_a}"),
        "ready": true, "restartCount": 0, "started": true, "state": {"running": {}},
    }]}});
    pods.patch_status(POD, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();

    let data = tempfile::tempdir().unwrap();
    let history = data.path().join("registry");
    let before = findings(&t, &host, &history).await;
    assert!(
        of(&before, "AIGOV-IMG-004").is_empty() && of(&before, "AIGOV-IMG-005").is_empty(),
        "the tag points at what runs: {before:#?}"
    );
    let pin = of(&before, "AIGOV-IMG-001");
    assert!(
        pin[0]
            .evidence
            .iter()
            .any(|e| e.contains(&digest_a) && e.contains("registry")),
        "the registry's digest is evidence: {pin:#?}"
    );

    // Someone pushes other bits under the same tag.
    let (digest_b, _) = registry
        .push_image("ml/model-server", "v1", &blobs, "b")
        .await;
    assert_ne!(digest_a, digest_b);
    let after = findings(&t, &host, &history).await;
    let moved = of(&after, "AIGOV-IMG-004");
    assert_eq!(moved.len(), 1, "{after:#?}");
    let evidence = moved[0].evidence.join("\n");
    assert!(
        evidence.contains(&format!("registry digest: {digest_b}"))
            && evidence.contains(&format!("running digest: {digest_a}")),
        "{evidence}"
    );
    let mutable = of(&after, "AIGOV-IMG-005");
    assert_eq!(mutable.len(), 1, "{after:#?}");
    assert!(
        mutable[0].evidence[0].contains(&digest_a) && mutable[0].evidence[0].contains(&digest_b),
        "both digests, with their times: {:?}",
        mutable[0].evidence
    );
}

#[tokio::test]
async fn a_registry_that_is_down_claims_nothing_either_way() {
    let t = common::demo_sim().await;
    let host = format!("127.0.0.1:{}", common::registry::free_port());
    let image = format!("{host}/ml/model-server:v1");
    let pods: Api<Pod> = Api::namespaced(t.admin().await, "llm-inference");
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": POD, "namespace": "llm-inference"},
        // A GPU makes it an AI workload, which IMG-001 looks at.
        "spec": {"containers": [{"name": "server", "image": image,
            "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let found = findings(&t, &host, &data.path().join("registry")).await;
    assert!(of(&found, "AIGOV-IMG-004").is_empty());
    assert!(of(&found, "AIGOV-IMG-005").is_empty());
    let pin = of(&found, "AIGOV-IMG-001");
    assert!(
        pin[0]
            .evidence
            .iter()
            .any(|e| e.starts_with("registry look-up failed: ")),
        "unknown, with the reason: {pin:#?}"
    );
}
