//! Shared set-up for the audit trail tests: a private directory with a data dir, the real
//! binary run against it, a realistic session written with the library, and line helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::serve::aigov_binary;
use aigov_audit::{AuditLog, Entry, EntryKind, ObjectRef};
use assert_cmd::Command;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const CANARY: &str = "AIGOV-CANARY-SECRET-7f3a9c";
/// A Hugging Face token shape carrying the canary's suffix.
pub const HF_CANARY: &str = "hf_AIGOVcanary7f3a9cSECRETxyz0123456789";

pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Self {
        Dir {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    /// Where `aigov log verify` looks by default.
    pub fn default_log(&self) -> PathBuf {
        self.data().join("audit").join("audit.jsonl")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn aigov(&self, args: &[&str]) -> (i32, String, String) {
        let output = Command::new(aigov_binary())
            .env_remove("KUBECONFIG")
            .env("HOME", "/nonexistent-home")
            .env("AIGOV_CONFIG_DIR", self.tmp.path().join("no-config"))
            .env("AIGOV_DATA_DIR", self.data())
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        (
            output.status.code().expect("exited, not killed"),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// `aigov log verify FILE`, expected to fail: its one stderr line.
    pub fn verify_fails(&self, file: &Path) -> String {
        let (code, stdout, stderr) = self.aigov(&["log", "verify", file.to_str().unwrap()]);
        assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        one_line_error(&stderr);
        stderr
    }

    pub fn verify_ok(&self, file: &Path) -> String {
        let (code, stdout, stderr) = self.aigov(&["log", "verify", file.to_str().unwrap()]);
        assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
        stdout
    }
}

pub fn one_line_error(stderr: &str) {
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("aigov: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
}

pub fn deployment() -> ObjectRef {
    ObjectRef {
        group: "apps".into(),
        version: "v1".into(),
        resource: "deployments".into(),
        namespace: "llm-inference".into(),
        name: "vllm".into(),
        uid: "7c1e".into(),
    }
}

/// A realistic session: start, stage, dry run, intent, result, end.
pub fn write_session(path: &Path) -> AuditLog {
    let mut log = AuditLog::open(path).unwrap();
    let session = aigov_audit::new_session_id();
    let mut start = Entry::new(EntryKind::SessionStart)
        .session(&session)
        .context("aigov-demo-admin")
        .user("admin");
    start.server = Some("https://127.0.0.1:6443".into());
    start.ca_fingerprint = Some("ab".repeat(32));
    log.append(start).unwrap();
    log.append(
        Entry::new(EntryKind::Stage)
            .session(&session)
            .object(deployment())
            .details(json!({"finding": "AIGOV-IMG-001"})),
    )
    .unwrap();
    let mut dry = Entry::new(EntryKind::DryRun)
        .session(&session)
        .verb("patch")
        .object(deployment());
    dry.http_status = Some(200);
    log.append(dry).unwrap();
    let mut intent = Entry::new(EntryKind::Intent)
        .session(&session)
        .user("admin")
        .verb("patch")
        .object(deployment())
        .justification("pin the image digest")
        .patch_body(br#"{"spec":{"template":{"spec":{"containers":[{"name":"vllm","image":"vllm/vllm-openai@sha256:0123"}]}}}}"#);
    intent.resource_version_before = Some("41".into());
    intent.field_manager = Some("aigov".into());
    intent.dry_run = Some(false);
    let intent_seq = log.append(intent).unwrap().seq;
    let mut result = Entry::new(EntryKind::Result)
        .session(&session)
        .user("admin")
        .verb("patch")
        .object(deployment());
    result.http_status = Some(200);
    result.resource_version_after = Some("42".into());
    result.audit_id = Some("5f0c".into());
    result.refers_to = Some(intent_seq);
    log.append(result).unwrap();
    let head = log.head().clone();
    log.append(
        Entry::new(EntryKind::SessionEnd)
            .session(&session)
            .details(json!({"head": head.hash, "head_seq": head.seq})),
    )
    .unwrap();
    log
}

pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
