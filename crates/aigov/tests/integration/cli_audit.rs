//! `aigov audit` through the real binary on the demo cluster: exit codes against the
//! findings actually printed, the severity and namespace filters, SARIF validated against the
//! official schema, and no control bytes or secret values in any format.
//!
//! The assertions on which rule fires for which demo object belong to the end-to-end test of
//! the rules; these check the command's contract, whatever the rules find.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use assert_cmd::Command;
use common::serve::aigov_binary;
use serde_json::Value;

/// The OASIS SARIF 2.1.0 schema, vendored from the `serde-sarif` crate (see
/// `src/report/findings/tests/sarif.rs`).
const SARIF_SCHEMA: &str = include_str!("../fixtures/sarif-schema-2.1.0.json");

const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

fn rank(severity: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .unwrap_or_else(|| panic!("unknown severity {severity:?}"))
}

/// The schema with the standard's one defect repaired: the `language` patterns of `run` and
/// `toolComponent` carry a stray `]` that is no valid ECMA-262 regex, so the validator would
/// refuse the schema itself; the later OASIS revision's pattern replaces it (see
/// `src/report/findings/tests/sarif.rs`).
fn sarif_schema() -> Value {
    const BROKEN: &str = "\"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$\"";
    const FIXED: &str = "\"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$\"";
    assert_eq!(SARIF_SCHEMA.matches(BROKEN).count(), 2);
    serde_json::from_str(&SARIF_SCHEMA.replace(BROKEN, FIXED)).unwrap()
}

fn aigov() -> Command {
    let mut cmd = Command::new(aigov_binary());
    // No user config or saved baseline leaks into the run.
    cmd.env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home")
        .env("XDG_CONFIG_HOME", "/nonexistent-home/.config")
        .env("XDG_DATA_HOME", "/nonexistent-home/.local/share");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn audit(args: &[&str]) -> Run {
    let output = aigov()
        .args(["--demo", "audit"])
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn json_audit(args: &[&str]) -> (i32, Value) {
    let run = audit(&[&["--format", "json"], args].concat());
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("one JSON document ({e}): {}", run.stdout));
    (run.code, doc)
}

fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().expect("findings array")
}

fn expected_code(doc: &Value, fail_on: &str) -> i32 {
    let failing = findings(doc)
        .iter()
        .any(|f| rank(f["severity"].as_str().unwrap()) >= rank(fail_on));
    i32::from(failing)
}

#[test]
fn exit_code_follows_the_findings_and_the_fail_on_threshold() {
    for fail_on in ["critical", "medium", "info"] {
        let (code, doc) = json_audit(&["--fail-on", fail_on]);
        assert_eq!(
            code,
            expected_code(&doc, fail_on),
            "--fail-on {fail_on}: exit code disagrees with the findings printed"
        );
        assert_eq!(doc["summary"]["failed"], code == 1, "--fail-on {fail_on}");
        assert_eq!(doc["filter"]["fail_on"], fail_on);
        assert_eq!(doc["schema_version"], 1);
        assert_eq!(doc["source"], "cluster");
        assert_eq!(
            doc["summary"]["total"].as_u64().unwrap() as usize,
            findings(&doc).len()
        );
    }
}

#[test]
fn min_severity_filters_and_counts_what_it_hid() {
    let (_, all) = json_audit(&[]);
    let (code, critical) = json_audit(&["--min-severity", "critical", "--fail-on", "critical"]);
    assert!(
        findings(&critical)
            .iter()
            .all(|f| f["severity"] == "critical"),
        "only critical findings are shown"
    );
    let expected: Vec<&Value> = findings(&all)
        .iter()
        .filter(|f| f["severity"] == "critical")
        .map(|f| &f["key"])
        .collect();
    let shown: Vec<&Value> = findings(&critical).iter().map(|f| &f["key"]).collect();
    assert_eq!(shown, expected, "the same critical findings as unfiltered");
    assert_eq!(
        critical["summary"]["hidden"].as_u64().unwrap() as usize,
        findings(&all).len() - shown.len()
    );
    assert_eq!(code, i32::from(!shown.is_empty()));
    // Findings below --fail-on but shown do not fail the run.
    let (code, _) = json_audit(&["--min-severity", "info", "--fail-on", "critical"]);
    assert_eq!(code, i32::from(!expected.is_empty()));
}

#[test]
fn namespace_filter_keeps_the_namespace_and_cluster_wide_findings() {
    let (_, all) = json_audit(&[]);
    let namespace = "notebooks";
    let (_, only) = json_audit(&["-n", namespace]);
    let belongs = |f: &Value| {
        let o = &f["object"];
        let ns = o["namespace"].as_str().unwrap();
        ns == namespace
            || (ns.is_empty() && o["kind"] != "Namespace")
            || (o["kind"] == "Namespace" && o["name"] == namespace)
    };
    for f in findings(&only) {
        assert!(belongs(f), "finding outside {namespace}: {f}");
    }
    let expected: Vec<&Value> = findings(&all)
        .iter()
        .filter(|f| belongs(f))
        .map(|f| &f["key"])
        .collect();
    let shown: Vec<&Value> = findings(&only).iter().map(|f| &f["key"]).collect();
    assert_eq!(shown, expected);
    let listed: Vec<&str> = only["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [namespace]);
    assert_eq!(only["filter"]["namespaces"], serde_json::json!([namespace]));
    // The demo classifies its AI namespaces.
    let ai: Vec<&str> = all["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ai"] == true)
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    for expected in ["ml-training", "llm-inference", "notebooks"] {
        assert!(ai.contains(&expected), "{expected} not AI: {ai:?}");
    }
    assert!(!ai.contains(&"web-shop"));
}

#[test]
fn an_unknown_namespace_is_an_error_not_a_clean_audit() {
    let run = audit(&["-n", "no-such-namespace"]);
    assert_eq!(run.code, 2, "stdout: {}", run.stdout);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("\"no-such-namespace\" not found") && run.stderr.contains("notebooks"),
        "{}",
        run.stderr
    );
}

#[test]
fn sarif_from_the_demo_validates_against_the_official_schema() {
    let run = audit(&["--format", "sarif", "--fail-on", "critical"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).expect("SARIF is one JSON document");
    let schema = sarif_schema();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run0 = &log["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "aigov");
    let critical = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["properties"]["severity"] == "critical");
    assert_eq!(run.code, i32::from(critical));
}

#[test]
fn every_format_is_free_of_control_bytes_and_secret_values() {
    for format in ["table", "json", "markdown", "sarif"] {
        let run = audit(&["--format", format]);
        assert!(run.code == 0 || run.code == 1, "{format}: {}", run.stderr);
        assert!(!run.stdout.is_empty(), "{format} printed nothing");
        assert!(
            !run.stdout.chars().any(|c| c.is_control() && c != '\n'),
            "{format} printed a control character (stdout is not a terminal: no colour)"
        );
        assert!(
            !run.stdout.contains("AIGOV-CANARY-SECRET"),
            "{format} printed a Secret's data"
        );
        match format {
            "table" => assert!(run.stdout.starts_with("aigov audit of context ")),
            "markdown" => assert!(run.stdout.starts_with("# aigov audit report\n")),
            _ => {}
        }
    }
}
