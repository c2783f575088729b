//! Guidance-only findings, incomplete findings, and config drift (accept or restore).

use super::*;
use crate::{Remediation, accept_baseline, restore_config_map};
use aigov_core::rules::config::Baseline;
use aigov_core::rules::{RulesConfig, View};
use serde_json::json;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: llm, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: serving, namespace: llm, resourceVersion: "5"}
data: {MODEL_ID: meta-llama/Llama-3-8B, MAX_TOKENS: "4096", HF_TOKEN: hf_abcdefghijklmnopqrstuvwxyz0123456789}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vllm, namespace: llm}
spec:
  selector: {matchLabels: {app: vllm}}
  template:
    metadata: {labels: {app: vllm}}
    spec:
      containers:
      - name: s
        image: "vllm/vllm-openai@sha256:5555555555555555555555555555555555555555555555555555555555555555"
        envFrom: [{configMapRef: {name: serving}}]
        volumeMounts: [{name: cache, mountPath: /root/.cache}]
      volumes: [{name: cache, hostPath: {path: /mnt/models}}]
"#;

#[test]
fn host_paths_and_secret_literals_get_the_rules_own_guidance() {
    let snapshot = Objects::from_yaml(FIXTURE).snapshot();
    for key in [
        "AIGOV-REACH-002:Deployment/llm/vllm#volume/cache",
        "AIGOV-CFG-001:ConfigMap/llm/serving#data/HF_TOKEN",
    ] {
        let f = finding(&snapshot, key);
        assert!(!f.remediable);
        let rule = f.rule;
        assert_eq!(
            propose(&f, &snapshot),
            Proposal::Guidance(rule.fix.to_string())
        );
    }
}

#[test]
fn incomplete_findings_are_never_changed() {
    let mut snapshot = Objects::from_yaml(FIXTURE).snapshot();
    snapshot.coverage.insert(
        Kind::NetworkPolicy,
        Coverage::Unknown {
            reason: "forbidden".into(),
        },
    );
    let f = finding(&snapshot, "AIGOV-NS-004:Namespace//llm#");
    assert!(f.incomplete && !f.remediable);
    assert!(matches!(propose(&f, &snapshot), Proposal::Guidance(_)));
}

/// A CFG-003 finding: the baseline is captured, then the live ConfigMap changes.
fn drifted() -> (Objects, Snapshot, Baseline, Finding) {
    let original = Objects::from_yaml(FIXTURE);
    let settings = RulesConfig::default();
    let before = original.snapshot();
    let baseline = Baseline::capture(&View::new(&before, &settings), "2026-11-27T08:00:00Z");
    let mut live = original.clone();
    let cm = live
        .0
        .iter_mut()
        .find(|d| d["kind"] == "ConfigMap")
        .unwrap();
    cm["data"]["MODEL_ID"] = json!("evil/llama-backdoor");
    cm["data"]["EXTRA"] = json!("1");
    let snapshot = live.snapshot();
    let inputs = Inputs {
        baseline: Some(&baseline),
        ..Inputs::default()
    };
    let f = evaluate(&snapshot, &inputs)
        .findings
        .into_iter()
        .find(|f| f.key() == "AIGOV-CFG-003:ConfigMap/llm/serving#")
        .unwrap();
    (live, snapshot, baseline, f)
}

#[test]
fn drift_is_a_decision_so_propose_guides_and_accepting_is_local() {
    let (_, snapshot, baseline, f) = drifted();
    assert!(!f.remediable);
    assert!(matches!(propose(&f, &snapshot), Proposal::Guidance(g) if g.contains("baseline")));
    let accept = accept_baseline(&f).unwrap();
    assert!(matches!(
        &accept,
        Proposal::Change { remediation: Remediation::AcceptBaseline { object }, changes, .. }
            if object == "ConfigMap/llm/serving" && changes.is_empty()
    ));
    // A baseline saved before aigov kept content: restoring needs content it does not have.
    let mut old = baseline.clone();
    old.config_maps.get_mut("llm/serving").unwrap().content = None;
    assert!(matches!(
        restore_config_map(&f, &snapshot, &old),
        Proposal::Guidance(g) if g.contains("version control")
    ));
    let not_drift = finding(
        &snapshot,
        "AIGOV-CFG-001:ConfigMap/llm/serving#data/HF_TOKEN",
    );
    assert!(accept_baseline(&not_drift).is_none());
}

#[test]
fn a_config_map_is_restored_from_content_and_the_drift_is_gone() {
    let (live, snapshot, baseline, f) = drifted();
    // The captured baseline keeps the values, except the secret-like HF_TOKEN (a hash only).
    let record = &baseline.config_maps["llm/serving"];
    let content = record.content.as_ref().unwrap();
    assert_eq!(
        content.0.keys().collect::<Vec<_>>(),
        ["MAX_TOKENS", "MODEL_ID"]
    );
    assert!(record.keys.contains_key("HF_TOKEN"));
    let proposal = restore_config_map(&f, &snapshot, &baseline);
    let c = &proposal.changes()[0];
    assert_eq!(c.finding_key, f.key());
    assert_eq!(c.resource_version.as_deref(), Some("5"));
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"data": {"EXTRA": null, "MODEL_ID": "meta-llama/Llama-3-8B"}})
        }
    );
    let mut after = live.clone();
    after.apply_all(&proposal);
    let inputs = Inputs {
        baseline: Some(&baseline),
        ..Inputs::default()
    };
    let remaining: Vec<String> = evaluate(&after.snapshot(), &inputs)
        .findings
        .iter()
        .map(Finding::key)
        .collect();
    assert!(!remaining.contains(&f.key()), "{remaining:#?}");
    undo_restores(&live, &proposal, &after, true);
}

#[test]
fn a_secret_like_value_is_never_written_back_and_is_left_to_a_person() {
    let original = Objects::from_yaml(FIXTURE);
    let settings = RulesConfig::default();
    let baseline = Baseline::capture(
        &View::new(&original.snapshot(), &settings),
        "2026-11-27T08:00:00Z",
    );
    let mut live = original.clone();
    let cm = live
        .0
        .iter_mut()
        .find(|d| d["kind"] == "ConfigMap")
        .unwrap();
    cm["data"]["HF_TOKEN"] = json!("hf_zyxwvutsrqponmlkjihgfedcba9876543210");
    let snapshot = live.snapshot();
    let inputs = Inputs {
        baseline: Some(&baseline),
        ..Inputs::default()
    };
    let f = evaluate(&snapshot, &inputs)
        .findings
        .into_iter()
        .find(|f| f.key() == "AIGOV-CFG-003:ConfigMap/llm/serving#")
        .unwrap();
    match restore_config_map(&f, &snapshot, &baseline) {
        Proposal::Guidance(g) => assert!(g.contains("HF_TOKEN") && g.contains("by hand"), "{g}"),
        other => panic!("{other:?}"),
    }

    // Drift in both kinds of key: only the plain one is restored, and the change says so.
    let cm = live
        .0
        .iter_mut()
        .find(|d| d["kind"] == "ConfigMap")
        .unwrap();
    cm["data"]["MAX_TOKENS"] = json!("1");
    let snapshot = live.snapshot();
    let proposal = restore_config_map(&f, &snapshot, &baseline);
    let c = &proposal.changes()[0];
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"data": {"MAX_TOKENS": "4096"}})
        }
    );
    assert!(c.description.contains("not HF_TOKEN"), "{}", c.description);
}
