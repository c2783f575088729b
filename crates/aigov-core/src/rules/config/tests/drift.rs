//! The baseline and drift: what is recorded, drift per key, changed and vanished objects.

use super::*;
use crate::rules::config::drift::sha256_hex;

#[test]
fn the_baseline_records_hashes_and_plain_values_of_used_config_maps_and_versions_of_used_secrets() {
    let baseline = capture(&snapshot(&fixture()));
    assert_eq!(baseline.context, "test");
    assert_eq!(
        baseline.config_maps.keys().collect::<Vec<_>>(),
        ["llm/hf-hub-settings", "llm/vllm-config", "web/jupyter-env"]
    );
    let vllm = &baseline.config_maps["llm/vllm-config"];
    assert_eq!(vllm.keys["MAX_MODEL_LEN"], sha256_hex("8192"));
    assert_eq!(
        sha256_hex("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(vllm.keys["MAX_MODEL_LEN"].len(), 64);
    assert!(vllm.binary_keys.contains("tokenizer.bin"));
    let content = &vllm.content.as_ref().unwrap().0;
    assert_eq!(content["MAX_MODEL_LEN"], "8192", "kept, to restore from");
    let hf = &baseline.config_maps["llm/hf-hub-settings"];
    let hf_content = &hf.content.as_ref().unwrap().0;
    assert_eq!(hf_content["HF_HOME"], "/models/.cache");
    assert!(
        !hf_content.contains_key("HF_TOKEN") && hf.keys.contains_key("HF_TOKEN"),
        "a secret-like value is kept as a hash only"
    );
    assert!(
        !format!("{:?}", hf.content).contains("/models"),
        "Debug shows key names only"
    );
    assert_eq!(
        baseline.secrets.keys().collect::<Vec<_>>(),
        ["llm/hf-token", "llm/registry-creds"],
        "unused Secrets and those of non-AI workloads are left out"
    );
    assert_eq!(baseline.secrets["llm/hf-token"].resource_version, "20");
}

#[test]
fn no_drift_right_after_capture_and_drift_per_key_after_changes() {
    let snap = snapshot(&fixture());
    let baseline = capture(&snap);
    let found = run(&snap, Some(&baseline));
    let drift: Vec<&Finding> = found
        .iter()
        .filter(|f| ["AIGOV-CFG-003", "AIGOV-CFG-004", "AIGOV-CFG-005"].contains(&f.rule.id))
        .collect();
    assert!(drift.is_empty(), "{drift:#?}");

    let mut changed = snap.clone();
    let vllm = changed
        .config_maps
        .iter_mut()
        .find(|c| c.meta.name == "vllm-config")
        .unwrap();
    vllm.data
        .insert("MAX_MODEL_LEN".into(), ConfigValue::new("16384"));
    vllm.data.remove("DTYPE");
    vllm.data
        .insert("ENFORCE_EAGER".into(), ConfigValue::new("true"));
    vllm.binary_keys.clear();
    let found = run(&changed, Some(&baseline));
    assert_eq!(
        keys(&found, "AIGOV-CFG-003"),
        ["AIGOV-CFG-003:ConfigMap/llm/vllm-config#"]
    );
    let f = one(&found, "AIGOV-CFG-003:ConfigMap/llm/vllm-config#");
    assert_eq!(f.severity, Severity::Medium);
    let short = |v: &str| sha256_hex(v)[..8].to_string();
    assert_eq!(
        f.evidence[..4],
        [
            format!("added ENFORCE_EAGER (sha256 {}…)", short("true")),
            format!(
                "changed MAX_MODEL_LEN (sha256 {}… -> {}…)",
                short("8192"),
                short("16384")
            ),
            format!("removed DTYPE (was sha256 {}…)", short("bfloat16")),
            "removed binaryData tokenizer.bin".to_string(),
        ]
    );
    assert!(f.title.contains("4 keys differ"), "{}", f.title);
    for value in ["16384", "bfloat16", "8192"] {
        assert!(
            f.evidence.iter().all(|e| !e.contains(value)) && !f.title.contains(value),
            "{value} shown"
        );
    }
}

#[test]
fn secrets_that_changed_or_objects_that_went_are_reported() {
    let snap = snapshot(&fixture());
    let baseline = capture(&snap);
    let mut changed = snap.clone();
    changed
        .secrets
        .iter_mut()
        .find(|s| s.meta.name == "hf-token")
        .unwrap()
        .meta
        .resource_version = "99".into();
    changed.secrets.retain(|s| s.meta.name != "registry-creds");
    changed
        .config_maps
        .retain(|c| c.meta.name != "hf-hub-settings");
    changed
        .config_maps
        .iter_mut()
        .find(|c| c.meta.name == "vllm-config")
        .unwrap()
        .meta
        .resource_version = "500".into(); // a write that changed no data is not drift
    let found = run(&changed, Some(&baseline));
    assert_eq!(
        keys(&found, "AIGOV-CFG-004"),
        ["AIGOV-CFG-004:Secret/llm/hf-token#"]
    );
    let f = one(&found, "AIGOV-CFG-004:Secret/llm/hf-token#");
    assert_eq!(f.evidence[0], "resourceVersion 20 -> 99 (values not read)");
    assert_eq!(
        keys(&found, "AIGOV-CFG-005"),
        [
            "AIGOV-CFG-005:ConfigMap/llm/hf-hub-settings#",
            "AIGOV-CFG-005:Secret/llm/registry-creds#"
        ]
    );
    let unused = one(&found, "AIGOV-CFG-005:ConfigMap/llm/hf-hub-settings#");
    assert_eq!(unused.severity, Severity::Low);
    let still_used = one(&found, "AIGOV-CFG-005:Secret/llm/registry-creds#");
    assert_eq!(
        still_used.severity,
        Severity::Medium,
        "vllm still pulls with it"
    );
    assert!(keys(&found, "AIGOV-CFG-003").is_empty());
}

#[test]
fn objects_new_since_the_baseline_are_drift() {
    let snap = snapshot(&fixture());
    let mut older = snap.clone();
    older.config_maps.retain(|c| c.meta.name != "jupyter-env");
    older.secrets.retain(|s| s.meta.name != "hf-token");
    let baseline = capture(&older);
    let found = run(&snap, Some(&baseline));
    assert_eq!(
        keys(&found, "AIGOV-CFG-003"),
        ["AIGOV-CFG-003:ConfigMap/web/jupyter-env#"]
    );
    let f = one(&found, "AIGOV-CFG-003:ConfigMap/web/jupyter-env#");
    assert!(f.title.contains("not in the baseline"));
    assert!(f.evidence[0].starts_with("added app.env (sha256 "));
    assert_eq!(
        keys(&found, "AIGOV-CFG-004"),
        ["AIGOV-CFG-004:Secret/llm/hf-token#"]
    );
}

#[test]
fn unknown_kinds_make_drift_incomplete_and_hide_nothing_as_gone() {
    let snap = snapshot(&fixture());
    let baseline = capture(&snap);
    let mut unknown = snap.clone();
    unknown.config_maps.clear();
    unknown.secrets.clear();
    for kind in [Kind::ConfigMap, Kind::Secret] {
        unknown.coverage.insert(
            kind,
            Coverage::Unknown {
                reason: "forbidden".into(),
            },
        );
    }
    let found = run(&unknown, Some(&baseline));
    assert!(
        keys(&found, "AIGOV-CFG-005")
            .iter()
            .all(|k| k == "AIGOV-CFG-005:Namespace//*#")
    );
    for rule in ["AIGOV-CFG-003", "AIGOV-CFG-004", "AIGOV-CFG-005"] {
        assert_eq!(keys(&found, rule), [format!("{rule}:Namespace//*#")]);
        assert!(
            found
                .iter()
                .filter(|f| f.rule == rule)
                .all(|f| f.incomplete)
        );
    }
}
