//! `aigov images` on the demo, through the real binary: the simulator's demo registry answers
//! offline, the tags the demo moved under running pods are reported as moved (exit 1), the
//! facts are JSON on request (immutability unknown: the mirror serves no settings API),
//! `--offline` asks no registry, and `aigov audit` gains the registry rules unless
//! `--offline`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::serve::run_aigov;
use serde_json::Value;

#[test]
fn the_demo_registry_answers_and_moved_tags_are_reported() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = run_aigov(data.path(), &["--demo", "images", "--format", "json"]);
    assert_eq!(code, 1, "moved tags make it exit 1: {err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let vllm = rows
        .iter()
        .find(|r| r["image"] == "docker.io/vllm/vllm-openai:v0.6.3")
        .unwrap();
    assert!(
        vllm["registry_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(vllm["moved"], true, "{vllm}");
    assert!(
        vllm["workloads"][0]
            .as_str()
            .unwrap()
            .starts_with("llm-inference/")
    );
    let matching = rows.iter().filter(|r| r["moved"] == false).count();
    assert!(
        matching > 5,
        "most tags still point at what runs: {rows:#?}"
    );
    assert!(
        rows.iter().all(|r| r["registry_unknown"].is_null()),
        "every demo tag resolved offline: {rows:#?}"
    );
    // The demo's mirror does not serve a registry's settings API, and nothing was seen
    // overwritten yet: every tag's immutability is unknown, and says why.
    assert!(
        rows.iter().all(|r| r["immutability"] == "unknown"
            && r["immutability_source"]
                .as_str()
                .is_some_and(|s| s.contains("demo registry mirror"))),
        "{rows:#?}"
    );
    // The tag history was written, private.
    let history = std::fs::read_dir(data.path().join("registry"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&history).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let (code, table, _) = run_aigov(data.path(), &["--demo", "images"]);
    assert_eq!(code, 1);
    assert!(table.starts_with("IMAGE"), "{table}");
    assert!(table.contains("MOVED"), "{table}");
}

#[test]
fn offline_asks_no_registry_and_audit_gains_the_registry_rules_otherwise() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = run_aigov(
        data.path(),
        &["--demo", "--offline", "images", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["registry_unknown"] == "offline" && r["moved"].is_null())
    );
    assert!(
        !data.path().join("registry").exists(),
        "no look-up, no history"
    );

    let rules = |args: &[&str]| -> Vec<String> {
        let (code, out, err) = run_aigov(data.path(), args);
        assert!(code == 0 || code == 1, "{err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let online = rules(&["--demo", "audit", "--format", "json"]);
    assert!(online.iter().any(|r| r == "AIGOV-IMG-004"), "{online:?}");
    let offline = rules(&["--demo", "--offline", "audit", "--format", "json"]);
    assert!(!offline.iter().any(|r| r == "AIGOV-IMG-004"), "{offline:?}");
}
