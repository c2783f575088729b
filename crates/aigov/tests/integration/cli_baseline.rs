//! `aigov baseline save` through the real binary on the demo cluster: where the file goes and
//! its permissions, what it holds (hashes, and the values of ConfigMap keys that are not
//! secret-like, never a secret-like one), and how `audit` reads it back: no drift right after
//! saving, drift per key after a change, exit 2 for a corrupt baseline. `aigov baseline
//! accept` takes one drift finding's object into the baseline, audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use assert_cmd::Command;
use common::serve::aigov_binary;
use serde_json::Value;
use std::path::{Path, PathBuf};

const DEMO_CONTEXT: &str = "aigov-demo-admin";
/// The HF_TOKEN literal of the demo's `llm-inference/hf-hub-settings` ConfigMap.
const DEMO_HF_TOKEN: &str = "hf_WbHEeV3oEVFVfFodyLmmXJJt4JbLuOBOBz";

struct Data {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Data {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("aigov-data");
        Data { _tmp: tmp, dir }
    }

    fn baselines(&self) -> PathBuf {
        self.dir.join("baselines")
    }

    fn file(&self) -> PathBuf {
        self.baselines()
            .join(aigov_state::baseline::file_name(DEMO_CONTEXT))
    }

    fn aigov(&self, args: &[&str]) -> (i32, String, String) {
        let config = self._tmp.path().join("no-config");
        let output = Command::new(aigov_binary())
            .env_remove("KUBECONFIG")
            .env("HOME", "/nonexistent-home")
            .env("AIGOV_CONFIG_DIR", &config)
            .env("AIGOV_DATA_DIR", &self.dir)
            .args(args)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        (
            output.status.code().expect("exited, not killed"),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn save(&self) {
        let (code, stdout, stderr) = self.aigov(&["--demo", "baseline", "save"]);
        assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
        assert!(
            stdout.contains("saved the baseline for context aigov-demo-admin"),
            "{stdout}"
        );
        assert!(
            stdout.contains(&self.file().display().to_string()),
            "{stdout}"
        );
        // Every save is recorded in the audit trail first.
        let log = std::fs::read_to_string(self.dir.join("audit").join("audit.jsonl")).unwrap();
        let kinds: Vec<&str> = log
            .lines()
            .rev()
            .take(3)
            .map(|l| {
                let at = l.find("\"kind\":\"").unwrap() + 8;
                &l[at..at + l[at..].find('"').unwrap()]
            })
            .collect();
        assert_eq!(
            kinds,
            ["session_end", "baseline_change", "session_start"],
            "{log}"
        );
    }

    /// The drift findings (CFG-003/004/005) of `aigov --demo audit --format json`.
    fn drift(&self) -> Vec<Value> {
        let (code, stdout, stderr) = self.aigov(&["--demo", "audit", "--format", "json"]);
        assert!(code == 0 || code == 1, "exit {code}: {stderr}");
        let doc: Value = serde_json::from_str(&stdout).unwrap();
        doc["findings"]
            .as_array()
            .expect("a findings array")
            .iter()
            .filter(|f| {
                matches!(
                    f["rule"].as_str(),
                    Some("AIGOV-CFG-003" | "AIGOV-CFG-004" | "AIGOV-CFG-005")
                )
            })
            .cloned()
            .collect()
    }

    fn baseline(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.file()).unwrap()).unwrap()
    }

    fn write_baseline(&self, baseline: &Value) {
        std::fs::write(self.file(), serde_json::to_string_pretty(baseline).unwrap()).unwrap();
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn save_writes_a_private_baseline_of_hashes_and_audit_then_reports_no_drift() {
    let data = Data::new();
    data.save();
    #[cfg(unix)]
    {
        assert_eq!(mode(&data.baselines()), 0o700);
        assert_eq!(mode(&data.file()), 0o600);
    }
    let text = std::fs::read_to_string(data.file()).unwrap();
    assert!(
        !text.contains(DEMO_HF_TOKEN) && !text.contains("AIGOV-CANARY"),
        "values never go into the baseline"
    );
    let b = data.baseline();
    assert_eq!(b["schema_version"], 1);
    assert_eq!(b["context"], DEMO_CONTEXT);
    assert!(
        b["server"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    assert!(b["saved_at"].as_str().unwrap().ends_with('Z'));
    let hf = &b["config_maps"]["llm-inference/hf-hub-settings"];
    assert_eq!(hf["keys"]["HF_TOKEN"], sha256_hex(DEMO_HF_TOKEN));
    assert!(
        hf["content"]["HF_TOKEN"].is_null(),
        "a secret-like value is kept as a hash only"
    );
    // Plain values are kept, to restore a drifted ConfigMap.
    let vllm = &b["config_maps"]["llm-inference/vllm-serving-config"];
    assert_eq!(vllm["content"]["VLLM_DTYPE"], "bfloat16");
    assert!(
        b["config_maps"]["web-shop/frontend-config"].is_null(),
        "not used by AI workloads"
    );
    let secrets = b["secrets"].as_object().unwrap();
    assert!(!secrets.is_empty());
    assert!(secrets.values().all(|s| {
        s["resource_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    }));
    // Nothing else is left in the directory (no temporary files).
    assert_eq!(std::fs::read_dir(data.baselines()).unwrap().count(), 1);

    let drift = data.drift();
    assert!(drift.is_empty(), "drift right after saving: {drift:#?}");
}

#[test]
fn audit_reports_drift_per_key_against_an_older_baseline() {
    let data = Data::new();
    data.save();
    // Make the saved baseline look as if the cluster had been different when it was saved.
    let mut b = data.baseline();
    let keys = &mut b["config_maps"]["llm-inference/vllm-serving-config"]["keys"];
    keys["VLLM_MAX_MODEL_LEN"] = Value::from("0".repeat(64));
    keys.as_object_mut().unwrap().remove("VLLM_DTYPE");
    keys["VLLM_OLD_FLAG"] = Value::from("1".repeat(64));
    let secret = b["secrets"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    secret["resource_version"] = Value::from("1");
    let secret_name = secret["name"].as_str().unwrap().to_string();
    data.write_baseline(&b);

    let drift = data.drift();
    let config = drift
        .iter()
        .find(|f| f["rule"] == "AIGOV-CFG-003")
        .unwrap_or_else(|| panic!("no CFG-003 in {drift:#?}"));
    assert_eq!(config["object"]["name"], "vllm-serving-config");
    let evidence: Vec<&str> = config["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("added VLLM_DTYPE (sha256 ")),
        "{evidence:?}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("changed VLLM_MAX_MODEL_LEN (sha256 00000000… -> ")),
        "{evidence:?}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("removed VLLM_OLD_FLAG (was sha256 11111111…)")),
        "{evidence:?}"
    );
    assert!(
        !evidence
            .iter()
            .any(|e| e.contains("8192") || e.contains("bfloat16")),
        "values shown: {evidence:?}"
    );
    let secret = drift
        .iter()
        .find(|f| f["rule"] == "AIGOV-CFG-004")
        .unwrap_or_else(|| panic!("no CFG-004 in {drift:#?}"));
    assert_eq!(secret["object"]["name"], secret_name.as_str());
    assert_eq!(drift.len(), 2, "{drift:#?}");
}

#[test]
fn a_corrupt_baseline_is_an_error_naming_the_file() {
    let data = Data::new();
    data.save();
    std::fs::write(data.file(), "{ not json").unwrap();
    let (code, _, stderr) = data.aigov(&["--demo", "audit"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&data.file().display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains("baseline save"),
        "says how to fix it: {stderr}"
    );
}

#[test]
fn accepting_a_drift_finding_records_it_and_takes_that_object_into_the_baseline() {
    let data = Data::new();
    data.save();
    let mut b = data.baseline();
    b["config_maps"]["llm-inference/vllm-serving-config"]["keys"]["VLLM_DTYPE"] =
        Value::from("0".repeat(64));
    let secret = b["secrets"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    secret["resource_version"] = Value::from("1");
    data.write_baseline(&b);
    let keys: Vec<String> = data
        .drift()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    let config = keys
        .iter()
        .find(|k| k.starts_with("AIGOV-CFG-003:"))
        .unwrap()
        .clone();
    assert_eq!(keys.len(), 2, "{keys:?}");

    let (code, out, err) = data.aigov(&["--demo", "baseline", "accept", &config]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("accepted 1 finding into the baseline"),
        "{out}"
    );
    let left: Vec<String> = data
        .drift()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left.len(), 1, "only the Secret's drift is left: {left:?}");
    assert!(left[0].starts_with("AIGOV-CFG-004:"), "{left:?}");
    let log = std::fs::read_to_string(data.dir.join("audit").join("audit.jsonl")).unwrap();
    let accepted = log
        .lines()
        .find(|l| l.contains("\"accepted\""))
        .expect("the acceptance is recorded");
    assert!(
        accepted.contains("\"kind\":\"baseline_change\""),
        "{accepted}"
    );
    assert!(accepted.contains(&config), "{accepted}");

    // Not a drift finding: refused, the baseline untouched.
    let before = std::fs::read_to_string(data.file()).unwrap();
    let (code, _, err) = data.aigov(&[
        "--demo",
        "baseline",
        "accept",
        "AIGOV-NS-003:Namespace//notebooks#",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a drift finding"), "{err}");
    assert_eq!(std::fs::read_to_string(data.file()).unwrap(), before);
}
