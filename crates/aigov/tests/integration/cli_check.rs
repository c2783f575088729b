//! `aigov check -f`: the rules over manifest files, with file and line for findings and for
//! malformed documents, and the usual exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use assert_cmd::Command;
use common::serve::aigov_binary;
use std::path::Path;

fn aigov() -> Command {
    let mut cmd = Command::new(aigov_binary());
    cmd.env_remove("KUBECONFIG")
        .env("AIGOV_CONFIG_DIR", "/nonexistent-aigov-config");
    cmd
}

const INFERENCE: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: llm
  labels: {aigov.dev/ai: \"true\", pod-security.kubernetes.io/enforce: restricted}
---
# the model server
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: llm}
spec:
  selector: {matchLabels: {app: server}}
  template:
    metadata: {labels: {app: server}}
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:latest
        env:
        - {name: HF_TOKEN, value: hf_QmVyeVNlY3JldFRva2VuVmFsdWUxMjM0NTY3}
";

const LIST_JSON: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "model-config", "namespace": "llm"}, "data": {"MAX_TOKENS": "4096"}},
  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "llm"},
   "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
]}"#;

const MALFORMED: &str = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: ok-one, namespace: llm}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: broken, namespace: llm
data: {a: b}
";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn findings_point_at_their_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inference.yaml", INFERENCE);
    write(dir.path(), "extra.json", LIST_JSON);
    let out = aigov()
        .args(["check", "-f"])
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["source"], "files");
    let findings = report["findings"].as_array().unwrap();
    let image = findings
        .iter()
        .find(|f| f["rule"] == "AIGOV-IMG-001")
        .expect("the latest tag is reported");
    assert!(
        image["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("inference.yaml")
    );
    assert_eq!(
        image["location"]["line"], 7,
        "the Deployment's document starts after the comment"
    );
    let literal = findings
        .iter()
        .find(|f| f["rule"] == "AIGOV-CFG-002")
        .expect("the HF_TOKEN literal is reported");
    let text = serde_json::to_string(literal).unwrap();
    assert!(
        !text.contains("QmVyeVNlY3JldFRva2Vu"),
        "the literal is masked: {text}"
    );
    // The NetworkPolicy from the JSON List isolates the namespace, so NS-004 does not fire.
    assert!(
        !findings.iter().any(|f| f["rule"] == "AIGOV-NS-004"),
        "{findings:?}"
    );
}

#[test]
fn a_malformed_document_is_reported_with_file_and_line_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inference.yaml", INFERENCE);
    write(dir.path(), "bad.yaml", MALFORMED);
    let out = aigov()
        .args(["check", "-f"])
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let bad = dir.path().join("bad.yaml").display().to_string();
    let line = stderr
        .lines()
        .find(|l| l.contains(&bad))
        .expect("the malformed file is named");
    let number: usize = line
        .trim_start_matches("aigov: ")
        .trim_start_matches(&bad)
        .trim_start_matches(':')
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (5..=8).contains(&number),
        "the line is inside the broken document: {line}"
    );
    assert!(stderr.contains("malformed document"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "AIGOV-IMG-001"),
        "the rest was still checked"
    );
}

#[test]
fn clean_manifests_exit_0_and_sarif_carries_physical_locations() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}]\n",
    );
    let clean = aigov()
        .args(["check", "-f"])
        .arg(dir.path().join("web.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    write(dir.path(), "inference.yaml", INFERENCE);
    let sarif = aigov()
        .args(["check", "-f"])
        .arg(dir.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let located = results
        .iter()
        .find(|r| r["ruleId"] == "AIGOV-IMG-001")
        .unwrap();
    let physical = &located["locations"][0]["physicalLocation"];
    assert!(
        physical["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("inference.yaml")
    );
    assert_eq!(physical["region"]["startLine"], 7);
}

#[test]
fn a_missing_path_is_one_line_and_exit_2() {
    let out = aigov()
        .args(["check", "-f", "/no/such/manifests"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/no/such/manifests"));
}
