//! The demo platform loaded through the simulator like any cluster: each deliberate config
//! and image problem is found, no value leaks, and a baseline saved from it shows no drift.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use aigov_core::model::Snapshot;
use aigov_core::rules::config::Baseline;
use aigov_core::rules::{Area, Finding, Inputs, RulesConfig, Severity, View, evaluate};
use std::collections::BTreeSet;

/// The demo cluster, loaded through the simulator as its admin context sees it.
async fn demo_snapshot() -> Snapshot {
    common::console::snapshot_of(&common::demo_sim().await).await
}

/// The findings of one area over the whole evaluation.
fn run_in(snapshot: &Snapshot, area: Area, baseline: Option<&Baseline>) -> Vec<Finding> {
    let inputs = Inputs {
        baseline,
        ..Inputs::default()
    };
    evaluate(snapshot, &inputs)
        .findings
        .into_iter()
        .filter(|f| f.area() == area)
        .collect()
}

fn keys(findings: &[Finding], rule: &str) -> Vec<String> {
    let mut keys: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(Finding::key)
        .collect();
    keys.sort();
    keys
}

fn capture(snapshot: &Snapshot) -> Baseline {
    let settings = RulesConfig::default();
    Baseline::capture(&View::new(snapshot, &settings), "2025-06-01T10:00:00Z")
}

#[tokio::test]
async fn the_demo_config_problems_are_found_and_a_fresh_baseline_shows_no_drift() {
    let snap = demo_snapshot().await;
    let found = run_in(&snap, Area::Config, None);
    assert!(
        found.iter().all(|f| !f.incomplete),
        "the demo is fully read"
    );
    assert_eq!(
        keys(&found, "AIGOV-CFG-001"),
        [
            "AIGOV-CFG-001:ConfigMap/llm-inference/hf-hub-settings#data/HF_TOKEN",
            "AIGOV-CFG-001:ConfigMap/notebooks/notebook-env#data/HF_TOKEN",
            "AIGOV-CFG-001:ConfigMap/notebooks/notebook-env#data/OPENAI_API_KEY",
        ]
    );
    assert_eq!(
        keys(&found, "AIGOV-CFG-002"),
        [
            "AIGOV-CFG-002:Job/ml-training/llama3-8b-lora-finetune#container/finetune/env/HF_TOKEN",
            "AIGOV-CFG-002:Job/ml-training/llama3-8b-lora-finetune#container/finetune/env/WANDB_API_KEY",
            "AIGOV-CFG-002:Pod/default/jupyter-test#container/jupyter-test/env/HF_TOKEN",
            "AIGOV-CFG-002:StatefulSet/notebooks/priya#container/priya/env/HF_TOKEN",
        ]
    );
    // No literal of the demo's ConfigMaps or env reaches a finding.
    let mut literals: Vec<String> = snap
        .config_maps
        .iter()
        .flat_map(|c| c.data.values())
        .map(|v| v.expose().to_string())
        .collect();
    for pod in &snap.pods {
        for c in pod.spec.all_containers() {
            for e in &c.env {
                if let aigov_core::model::workloads::EnvSource::Literal(v) = &e.source {
                    literals.push(v.expose().to_string());
                }
            }
        }
    }
    for f in found.iter().filter(|f| f.area() == Area::Config) {
        let json = serde_json::to_string(f).unwrap();
        for secret in literals
            .iter()
            .filter(|l| l.starts_with("hf_") || l.starts_with("sk-") || l.len() == 40)
        {
            assert!(!json.contains(secret.as_str()), "{json}");
            assert!(!json.contains(&secret[..5]), "{json}");
        }
    }
    let baseline = capture(&snap);
    assert!(
        baseline
            .config_maps
            .contains_key("llm-inference/hf-hub-settings")
    );
    assert!(baseline.config_maps.contains_key("notebooks/notebook-env"));
    assert!(
        !baseline
            .config_maps
            .keys()
            .any(|k| k.starts_with("web-shop/") || k.starts_with("kube-system/"))
    );
    assert!(!baseline.secrets.is_empty());
    let drift = run_in(&snap, Area::Config, Some(&baseline));
    assert!(
        drift
            .iter()
            .all(|f| !["AIGOV-CFG-003", "AIGOV-CFG-004", "AIGOV-CFG-005"].contains(&f.rule.id)),
        "{drift:#?}"
    );
}

#[tokio::test]
async fn the_demo_image_problems_are_found() {
    let snap = demo_snapshot().await;
    let found = run_in(&snap, Area::Images, None);
    assert!(
        found.iter().all(|f| !f.incomplete),
        "the demo is fully read"
    );
    let keys = |rule: &str, severity: Option<Severity>| -> BTreeSet<String> {
        found
            .iter()
            .filter(|f| f.rule == rule && severity.is_none_or(|s| f.severity == s))
            .map(Finding::key)
            .collect()
    };
    // `:latest` and untagged images in AI workloads are high.
    let high = keys("AIGOV-IMG-001", Some(Severity::High));
    for key in [
        "AIGOV-IMG-001:Pod/default/jupyter-test#container/jupyter-test",
        "AIGOV-IMG-001:Pod/default/pytorch-debug#container/pytorch-debug",
        "AIGOV-IMG-001:Job/ml-training/llama3-8b-lora-finetune#container/finetune",
        "AIGOV-IMG-001:StatefulSet/notebooks/alice#container/alice",
        "AIGOV-IMG-001:StatefulSet/notebooks/bob#container/bob",
    ] {
        assert!(high.contains(key), "{key} missing from {high:#?}");
    }
    // Plain tags are medium; digest-pinned images and non-AI workloads are not IMG-001.
    let medium = keys("AIGOV-IMG-001", Some(Severity::Medium));
    assert!(
        medium.contains("AIGOV-IMG-001:Deployment/llm-inference/vllm-llama3-8b#container/vllm")
    );
    assert!(
        medium.contains("AIGOV-IMG-001:Job/ml-training/resnet50-train-imagenet#container/trainer")
    );
    let all = keys("AIGOV-IMG-001", None);
    for absent in [
        "AIGOV-IMG-001:Deployment/feature-store/feast-feature-server#container/feature-server",
        "AIGOV-IMG-001:Deployment/llm-inference/llama-guard-predictor#container/kserve-container",
        "AIGOV-IMG-001:Deployment/web-shop/frontend#container/frontend",
        "AIGOV-IMG-001:Deployment/web-shop/storefront-nginx#container/nginx",
    ] {
        assert!(!all.contains(absent), "{absent} reported");
    }
    // Replicas of vLLM run two digests of one tag; nothing else diverges.
    assert_eq!(
        keys("AIGOV-IMG-003", None),
        BTreeSet::from([
            "AIGOV-IMG-003:Deployment/llm-inference/vllm-llama3-8b#container/vllm".to_string()
        ])
    );
    // `imagePullPolicy: Always` (set, or defaulted for latest/untagged) on mutable tags.
    let always = keys("AIGOV-IMG-002", None);
    for key in [
        "AIGOV-IMG-002:Pod/default/jupyter-test#container/jupyter-test",
        "AIGOV-IMG-002:Job/ml-training/llama3-8b-lora-finetune#container/finetune",
    ] {
        assert!(always.contains(key), "{key} missing from {always:#?}");
    }
    assert!(
        always.iter().all(|k| !k.contains("feast-feature-server")),
        "{always:#?}"
    );
}
