//! `aigov plan` through the real binary against `aigov sim serve`: stage a demo finding's fix,
//! show, review (the dry-run diff), refuse to apply without --yes or with a short reason,
//! apply (applied and verified, recorded in an audit log that verifies), revert through the
//! inverse, export as YAML; and a plan is never used on another cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::serve::{ServedSim, serve};
use std::path::Path;

const FINDING: &str = "AIGOV-NS-003:Namespace//notebooks#";

fn aigov(sim: &ServedSim, data: &Path, args: &[&str]) -> (i32, String, String) {
    let kubeconfig = sim.kubeconfig.display().to_string();
    common::serve::run_aigov(
        data,
        &[&["--kubeconfig", kubeconfig.as_str()], args].concat(),
    )
}

#[test]
fn stage_review_apply_verify_revert_and_export() {
    let sim = serve(&[]);
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| aigov(&sim, data.path(), args);

    let (code, out, err) = run(&["plan", "stage", FINDING]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("staged c1: "), "{out}");
    let (_, shown, _) = run(&["plan", "show"]);
    assert!(shown.contains("c1  staged"), "{shown}");

    let (code, reviewed, err) = run(&["plan", "review"]);
    assert_eq!(code, 0, "{reviewed}{err}");
    assert!(
        reviewed.contains("--- live") && reviewed.contains("+++ dry-run"),
        "{reviewed}"
    );
    assert!(
        reviewed.contains("+    pod-security.kubernetes.io/enforce: baseline"),
        "{reviewed}"
    );

    let (code, _, err) = run(&["plan", "apply", "--reason", "enforce PSA on notebooks"]);
    assert_eq!(code, 2);
    assert!(err.contains("without --yes"), "{err}");
    let (code, _, err) = run(&["plan", "apply", "--reason", "short", "--yes"]);
    assert_eq!(code, 2);
    assert!(err.contains("at least 10 characters"), "{err}");

    let (code, applied, err) = run(&[
        "plan",
        "apply",
        "--reason",
        "enforce PSA on notebooks",
        "--yes",
    ]);
    assert_eq!(code, 0, "{applied}{err}");
    assert!(applied.contains("c1  applied and verified"), "{applied}");
    assert!(applied.contains("audit log head "), "{applied}");
    let (code, verified, _) = run(&["log", "verify"]);
    assert_eq!(code, 0, "{verified}");
    // Three sessions (stage, review, apply), each framed by its start and end.
    assert!(verified.starts_with("OK: 11 entries"), "{verified}");
    let records = log_records(&sim, data.path());
    assert_eq!(
        kinds(&records),
        [
            "session_start",
            "stage",
            "session_end",
            "session_start",
            "dry_run",
            "session_end",
            "session_start",
            "dry_run",
            "intent",
            "result",
            "session_end",
        ]
    );
    let start = &records[6];
    assert_eq!(start["server"], sim.url.as_str());
    assert!(
        start["ca_fingerprint"]
            .as_str()
            .is_some_and(|f| f.len() == 64),
        "the CA the session trusted: {start}"
    );
    assert_eq!(start["user"], "aigov-demo-admin");
    assert_eq!(start["details"]["command"], "plan apply");
    for record in &records[6..] {
        assert_eq!(record["session"], start["session"], "one session id");
    }
    assert_eq!(records[10]["details"]["entries"], 3);

    let (code, out, _) = run(&["plan", "revert", "c1"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("staged c2: undo: "), "{out}");
    let (code, applied, err) = run(&[
        "plan",
        "apply",
        "--reason",
        "roll back the PSA label",
        "--yes",
    ]);
    // The rollback brings the finding back, so c2 reads "applied, finding remains" (exit 1).
    assert_eq!(code, 1, "{applied}{err}");
    assert!(
        applied.contains("c2  applied, finding remains"),
        "{applied}"
    );
    let (_, audit, _) = run(&["audit", "--format", "json"]);
    assert!(
        audit.contains(FINDING),
        "the rollback restored the original"
    );

    let export = data.path().join("plan.yaml");
    let (code, _, err) = run(&["plan", "export", export.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let yaml = std::fs::read_to_string(&export).unwrap();
    let plan = aigov_remediation::plan::Plan::parse(&yaml, "plan.yaml").unwrap();
    assert_eq!(plan.changes.len(), 2);
}

#[test]
fn a_plan_is_never_used_on_another_cluster_and_unknown_keys_are_errors() {
    let first = serve(&[]);
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = aigov(&first, data.path(), &["plan", "stage", FINDING]);
    assert_eq!(code, 0, "{out}{err}");
    // Another simulator: the same context name, another server.
    let second = serve(&[]);
    let (code, _, err) = aigov(&second, data.path(), &["plan", "show"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("never applies a plan to another cluster"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let (code, _, err) = aigov(&first, data.path(), &["plan", "stage", "AIGOV-NOPE:x"]);
    assert_eq!(code, 2);
    assert!(err.contains("no finding AIGOV-NOPE:x"), "{err}");
}

#[test]
fn an_exported_plan_is_applied_by_another_operator_on_the_same_cluster_only() {
    let sim = serve(&[]);
    let author = tempfile::tempdir().unwrap();
    let applier = tempfile::tempdir().unwrap();
    let (code, out, err) = aigov(&sim, author.path(), &["plan", "stage", FINDING]);
    assert_eq!(code, 0, "{out}{err}");
    let file = author.path().join("reviewed-plan.yaml");
    let (code, _, err) = aigov(
        &sim,
        author.path(),
        &["plan", "export", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");

    let apply = [
        "plan",
        "apply",
        "--plan",
        file.to_str().unwrap(),
        "--reason",
        "reviewed and approved in PR 42",
        "--yes",
    ];
    let other = serve(&[]);
    let (code, _, err) = aigov(&other, applier.path(), &apply);
    assert_eq!(code, 2, "another cluster");
    assert!(
        err.contains("never applies a plan to another cluster"),
        "{err}"
    );

    let (code, out, err) = aigov(&sim, applier.path(), &apply);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("c1  applied and verified"), "{out}");
    let (code, verified, _) = aigov(&sim, applier.path(), &["log", "verify"]);
    assert_eq!(code, 0);
    let records = log_records(&sim, applier.path());
    assert_eq!(
        kinds(&records),
        [
            "session_start",
            "stage",
            "dry_run",
            "intent",
            "result",
            "session_end"
        ],
        "{verified}"
    );
    assert!(
        records[1]["details"]["from"]
            .as_str()
            .is_some_and(|f| f.ends_with("reviewed-plan.yaml")),
        "the imported change names its file"
    );
}

/// The audit log of a data directory, as `aigov log show --format json` prints it.
/// The settings of the issue's report: a low threshold, and nginx counted as an AI image, so
/// web-shop (an nginx storefront) is an AI namespace only because of config.toml.
const NGINX_IS_AI: &str = r#"
[rules.ai]
threshold = 10
images = ["pytorch", "tensorflow", "vllm", "jupyter", "kserve", "nginx"]
"#;

#[test]
fn a_namespace_ai_only_by_config_toml_gets_adm_001_and_its_fix_stages_reviews_and_applies() {
    const KEY: &str = "AIGOV-ADM-001:Namespace//web-shop#";
    let sim = serve(&[]);
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| aigov(&sim, data.path(), args);
    let keys = |json: &str| -> Vec<String> {
        let report: serde_json::Value = serde_json::from_str(json).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap().to_string())
            .collect()
    };
    // Without the config, web-shop is not an AI namespace: no ADM-001 for it.
    let (_, before, err) = run(&["audit", "--offline", "--format", "json"]);
    assert!(!keys(&before).contains(&KEY.to_string()), "{err}");

    std::fs::create_dir_all(data.path().join("config")).unwrap();
    std::fs::write(data.path().join("config/config.toml"), NGINX_IS_AI).unwrap();
    let (_, after, err) = run(&["audit", "--offline", "--format", "json"]);
    assert!(keys(&after).contains(&KEY.to_string()), "{err}");

    // Staging judges the finding with the same settings, so the fix stages.
    let (code, out, err) = run(&["plan", "stage", "--offline", KEY]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("staged c1: "), "{out}");
    let (code, reviewed, err) = run(&["plan", "review"]);
    assert_eq!(code, 0, "{reviewed}{err}");
    assert!(reviewed.contains("web-shop"), "{reviewed}");
    let (code, applied, err) = run(&[
        "plan",
        "apply",
        "--reason",
        "require digests in web-shop",
        "--yes",
    ]);
    assert_eq!(code, 0, "{applied}{err}");
    assert!(applied.contains("c1  applied and verified"), "{applied}");
}

#[test]
fn stage_exits_1_when_nothing_was_staged_and_2_for_a_malformed_key() {
    let sim = serve(&[]);
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| aigov(&sim, data.path(), args);
    // A secret literal in a ConfigMap has guidance only: nothing is staged.
    let guidance = "AIGOV-CFG-001:ConfigMap/llm-inference/hf-hub-settings#data/HF_TOKEN";
    let (code, out, err) = run(&["plan", "stage", "--offline", guidance]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("not staged: "), "{out}");
    let (_, shown, _) = run(&["plan", "show"]);
    assert!(shown.starts_with("the plan is empty"), "{shown}");

    let (code, _, err) = run(&["plan", "stage", "--offline", "web-shop"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a finding key"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

fn log_records(sim: &ServedSim, data: &Path) -> Vec<serde_json::Value> {
    let (code, out, err) = aigov(sim, data, &["log", "show", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn kinds(records: &[serde_json::Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect()
}
