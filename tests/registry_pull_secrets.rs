//! `--read-pull-secrets`: the workloads' image pull secrets sign aigov in to their registries.
//! Against the real Distribution registry with basic auth: without the secret the tag is
//! unknown; with it, the tag resolves. Through the real binary on the demo: the opt-in is
//! recorded in the audit log (which secrets, for which registries) before anything is read,
//! nothing is recorded without the flag, and no secret value reaches any output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aigov::cluster::{LoadOptions, load};
use aigov::registry::{RegistryClient, RegistryOptions, gather, pull_secrets, tagged_images};
use aigov::rules::{RulesConfig, View};
use common::registry::{TestRegistry, registry_available};
use common::serve::run_aigov;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, PostParams};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "pull-secret-canary-7f3a9c";

#[tokio::test]
async fn a_pull_secret_signs_in_to_the_registry_its_pod_pulls_from() {
    if !registry_available("a_pull_secret_signs_in_to_the_registry_its_pod_pulls_from") {
        return;
    }
    let registry = TestRegistry::start_with_basic_auth("puller", PASSWORD).await;
    let host = registry.host.clone();
    let blobs = registry.push_image_blobs("team/app", false).await;
    let (digest, _) = registry.push_image("team/app", "v1", &blobs, "a").await;

    let t = common::demo_sim().await;
    let admin = t.admin().await;
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("puller:{PASSWORD}"));
    let config = json!({"auths": {host.clone(): {"auth": auth}}}).to_string();
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": "app-pull", "namespace": "llm-inference"},
        "data": {".dockerconfigjson": base64::engine::general_purpose::STANDARD.encode(config)},
    }))
    .unwrap();
    Api::<Secret>::namespaced(admin.clone(), "llm-inference")
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "app", "namespace": "llm-inference"},
        "spec": {"imagePullSecrets": [{"name": "app-pull"}],
            "containers": [{"name": "app", "image": format!("{host}/team/app:v1")}]},
    }))
    .unwrap();
    Api::<Pod>::namespaced(admin, "llm-inference")
        .create(&PostParams::default(), &pod)
        .await
        .unwrap();

    let connection = t.connect_as("aigov-demo-admin").await;
    let snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    let settings = RulesConfig::default();
    let view = View::new(&snapshot, &settings);
    let images: Vec<_> = tagged_images(&view)
        .into_iter()
        .filter(|i| i.registry == host)
        .collect();
    assert_eq!(images.len(), 1);
    let refs = pull_secrets::referenced(&view, &images);
    assert_eq!(
        refs.keys().map(ToString::to_string).collect::<Vec<_>>(),
        ["llm-inference/app-pull"]
    );

    let lookup = |credentials| {
        let client = RegistryClient::new(RegistryOptions {
            insecure_http_hosts: vec![host.clone()],
            request_timeout: Duration::from_secs(5),
            credentials,
            ..Default::default()
        })
        .unwrap();
        let images = images.clone();
        async move { gather(&client, images, None).await.lookups }
    };
    let anonymous = lookup(Default::default()).await;
    assert!(anonymous[0].resolved().is_none(), "{anonymous:?}");

    let (credentials, problems) = pull_secrets::read(&connection, &refs).await;
    assert!(problems.is_empty(), "{problems:?}");
    assert!(!format!("{credentials:?}").contains(PASSWORD));
    let signed_in = lookup(credentials).await;
    assert_eq!(
        signed_in[0].resolved().map(|r| r.digest.as_str()),
        Some(digest.as_str()),
        "{signed_in:?}"
    );
}

#[test]
fn the_opt_in_is_audited_before_any_secret_is_read() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("audit").join("audit.jsonl");

    let (code, out, err) = run_aigov(data.path(), &["--demo", "images"]);
    assert!(code <= 1, "{out}{err}");
    assert!(!log.exists(), "nothing to record without the flag");

    let (code, out, err) = run_aigov(data.path(), &["--demo", "images", "--read-pull-secrets"]);
    assert!(code <= 1, "{out}{err}");
    let text = std::fs::read_to_string(&log).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["session_start", "note", "session_end"], "{text}");
    let note = &entries[1]["details"];
    assert_eq!(note["event"], "pull_secrets_read");
    assert_eq!(note["flag"], "--read-pull-secrets");
    let secrets: Vec<&str> = note["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        !secrets.is_empty() && secrets.iter().all(|s| s.contains('/')),
        "{note}"
    );
    let (code, verified, _) = run_aigov(data.path(), &["log", "verify"]);
    assert_eq!(code, 0, "{verified}");
}
