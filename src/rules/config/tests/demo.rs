//! The demo cluster: each deliberate config problem is found, no value leaks, and a baseline
//! saved from it shows no drift.

use super::*;

#[tokio::test]
async fn the_demo_config_problems_are_found_and_a_fresh_baseline_shows_no_drift() {
    let snap = crate::rules::testing::demo_snapshot().await;
    let found = run(&snap, None);
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
                if let crate::model::workloads::EnvSource::Literal(v) = &e.source {
                    literals.push(v.expose().to_string());
                }
            }
        }
    }
    for f in found.iter().filter(|f| f.area == Area::Config) {
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
    let drift = run(&snap, Some(&baseline));
    assert!(
        drift.iter().all(
            |f| !["AIGOV-CFG-003", "AIGOV-CFG-004", "AIGOV-CFG-005"].contains(&f.rule.as_str())
        ),
        "{drift:#?}"
    );
}
