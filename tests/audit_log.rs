//! The audit trail end to end: logs written with the library, checked by the real binary
//! (`aigov log verify`, `aigov log show`). Covers a good chain and each kind of tampering,
//! torn-line repair on reopen, file and directory modes, refusal of symlinked and writable
//! logs, an append whose storage fails, and that secret values never reach the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aigov::audit::{
    AuditLog, AuditSink, Entry, EntryKind, Error, FileSink, ObjectRef, Record, sha256_hex,
};
use assert_cmd::Command;
use common::serve::aigov_binary;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const CANARY: &str = "AIGOV-CANARY-SECRET-7f3a9c";
/// A Hugging Face token shape carrying the canary's suffix.
const HF_CANARY: &str = "hf_AIGOVcanary7f3a9cSECRETxyz0123456789";

struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        Dir {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    /// Where `aigov log verify` looks by default.
    fn default_log(&self) -> PathBuf {
        self.data().join("audit").join("audit.jsonl")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn aigov(&self, args: &[&str]) -> (i32, String, String) {
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
    fn verify_fails(&self, file: &Path) -> String {
        let (code, stdout, stderr) = self.aigov(&["log", "verify", file.to_str().unwrap()]);
        assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        one_line_error(&stderr);
        stderr
    }

    fn verify_ok(&self, file: &Path) -> String {
        let (code, stdout, stderr) = self.aigov(&["log", "verify", file.to_str().unwrap()]);
        assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
        stdout
    }
}

fn one_line_error(stderr: &str) {
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("aigov: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
}

fn deployment() -> ObjectRef {
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
fn write_session(path: &Path) -> AuditLog {
    let mut log = AuditLog::open(path).unwrap();
    let session = aigov::audit::new_session_id();
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

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn verify_accepts_a_good_log_and_prints_its_head() {
    let dir = Dir::new();
    let path = dir.default_log();
    let log = write_session(&path);
    let head = log.head().clone();
    assert_eq!(head.seq, 6);
    let expected = format!("OK: 6 entries, head {} (seq 6)\n", head.hash);
    assert_eq!(dir.verify_ok(&path), expected);
    // Without FILE, the log in the data directory.
    let (code, stdout, _) = dir.aigov(&["log", "verify"]);
    assert_eq!((code, stdout), (0, expected));
    assert_eq!(aigov::audit::head(&path).unwrap(), head);
    // An empty log is a valid, empty chain.
    let empty = dir.path("empty.jsonl");
    drop(AuditLog::open(&empty).unwrap());
    assert_eq!(
        dir.verify_ok(&empty),
        format!("OK: 0 entries, head {} (seq 0)\n", "0".repeat(64))
    );
}

#[test]
fn verify_reports_a_modified_line() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    write_session(&path);
    let mut l = lines(&path);
    l[3] = l[3].replace("pin the image digest", "routine maintenance");
    write_lines(&path, &l);
    let err = dir.verify_fails(&path);
    assert!(err.contains("line 4 was modified"), "{err}");
    // A change in whitespace only is found too.
    write_session(&dir.path("b.jsonl"));
    let mut l = lines(&dir.path("b.jsonl"));
    l[1] = l[1].replacen("\":", "\": ", 1);
    write_lines(&dir.path("b.jsonl"), &l);
    let err = dir.verify_fails(&dir.path("b.jsonl"));
    assert!(err.contains("line 2 was edited"), "{err}");
}

#[test]
fn verify_reports_a_deleted_line() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    write_session(&path);
    let mut l = lines(&path);
    l.remove(3); // the intent
    write_lines(&path, &l);
    let err = dir.verify_fails(&path);
    assert!(
        err.contains("line 4 has seq 5 where 4 was expected") && err.contains("deleted"),
        "{err}"
    );
}

#[test]
fn verify_reports_an_inserted_line() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    write_session(&path);
    let mut l = lines(&path);
    let copy = l[1].clone();
    l.insert(4, copy);
    write_lines(&path, &l);
    let err = dir.verify_fails(&path);
    assert!(
        err.contains("line 5 has seq 2 where 5 was expected") && err.contains("inserted"),
        "{err}"
    );
}

#[test]
fn verify_reports_reordered_lines() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    write_session(&path);
    let mut l = lines(&path);
    l.swap(3, 4); // the result before its intent
    write_lines(&path, &l);
    let err = dir.verify_fails(&path);
    assert!(
        err.contains("line 4 has seq 5 where 4 was expected; seq 4 is at line 5")
            && err.contains("reordered"),
        "{err}"
    );
}

#[test]
fn verify_reports_a_torn_last_line_as_torn() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    write_session(&path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 30]).unwrap();
    let err = dir.verify_fails(&path);
    assert!(
        err.contains("line 6 is torn") && err.contains("no newline"),
        "{err}"
    );
    assert!(!err.contains("modified"), "{err}");
}

#[test]
fn torn_line_is_repaired_on_reopen() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    drop(write_session(&path));
    let good = std::fs::read(&path).unwrap();
    // A crash in the middle of writing entry 7.
    let torn = br#"{"kind":"intent","object":{"name":"vll"#;
    let mut bytes = good.clone();
    bytes.extend_from_slice(torn);
    std::fs::write(&path, &bytes).unwrap();
    assert!(dir.verify_fails(&path).contains("line 7 is torn"));

    let mut log = AuditLog::open(&path).unwrap();
    let repair = &log.repairs()[0];
    assert_eq!(repair.line, 7);
    assert_eq!(repair.bytes, torn.len());
    assert_eq!(repair.sha256, sha256_hex(torn));
    assert_eq!(repair.note_seq, 7);
    log.append(Entry::new(EntryKind::Note)).unwrap();
    drop(log);

    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(&good), "the good lines are untouched");
    let out = dir.verify_ok(&path);
    assert!(out.starts_with("OK: 8 entries"), "{out}");
    let note: Record = serde_json::from_str(&lines(&path)[6]).unwrap();
    assert_eq!(note.entry.kind, EntryKind::Note);
    let details = note.entry.details.unwrap();
    assert_eq!(details["event"], "repaired_torn_line");
    assert_eq!(details["torn_bytes"], torn.len());
    assert_eq!(details["torn_sha256"], sha256_hex(torn));
    let (code, stdout, _) = dir.aigov(&["log", "show", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("repaired_torn_line"), "{stdout}");
}

#[test]
fn a_corrupt_log_is_one_line_and_exit_2_never_a_panic() {
    let dir = Dir::new();
    let cases: [(&str, &[u8]); 6] = [
        (
            "binary.jsonl",
            &[0xff, 0xfe, 0x00, 0x9b, b'\n', b'x', b'\n'],
        ),
        ("objects.jsonl", b"{}\n{}\n"),
        ("array.jsonl", b"[1,2,3]\n{\"seq\":1}\n"),
        ("blank.jsonl", b"\n\n\n"),
        (
            "huge-seq.jsonl",
            b"{\"seq\":1e400,\"hash\":\"x\"}\nnot json\n",
        ),
        ("escape.jsonl", b"\x1b[2J\x1b]0;owned\x07\n{}\n"),
    ];
    for (name, bytes) in cases {
        let path = dir.path(name);
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = dir.verify_fails(&path);
        assert!(err.contains("line 1"), "{name}: {err}");
        assert!(!err.contains('\u{1b}'), "{name}: sanitised: {err:?}");
        for format in ["table", "json"] {
            let (code, stdout, stderr) =
                dir.aigov(&["log", "show", "--format", format, path.to_str().unwrap()]);
            assert_eq!(code, 2, "{name} show {format}: {stdout}");
            one_line_error(&stderr);
        }
    }
    // A missing log is an error too, naming it.
    let err = dir.verify_fails(&dir.path("missing.jsonl"));
    assert!(err.contains("no audit log at"), "{err}");
}

#[test]
fn the_log_is_0600_in_a_0700_directory() {
    let dir = Dir::new();
    let path = dir.default_log();
    drop(write_session(&path));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&dir.data()), 0o700, "missing parents are private too");
    // An existing log readable by others is made private when opened for writing.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(AuditLog::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_symlinked_log_is_refused() {
    let dir = Dir::new();
    let real = dir.path("real.jsonl");
    drop(write_session(&real));
    let link = dir.path("link.jsonl");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let err = dir.verify_fails(&link);
    assert!(
        err.contains("refusing") && err.contains("symbolic link"),
        "{err}"
    );
    let (code, _, stderr) = dir.aigov(&["log", "show", link.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    let err = AuditLog::open(&link).unwrap_err();
    assert!(matches!(err, Error::Insecure { .. }), "{err}");
}

#[test]
fn a_log_or_directory_others_can_write_is_refused() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    drop(write_session(&path));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = dir.verify_fails(&path);
    assert!(
        err.contains("refusing") && err.contains("writable by group or others"),
        "{err}"
    );
    assert!(matches!(
        AuditLog::open(&path).unwrap_err(),
        Error::Insecure { .. }
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    dir.verify_ok(&path);

    let shared = dir.path("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let in_shared = shared.join("audit.jsonl");
    assert!(matches!(
        AuditLog::open(&in_shared).unwrap_err(),
        Error::Insecure { .. }
    ));
    assert!(
        !in_shared.exists(),
        "nothing is created in a shared directory"
    );
    std::fs::copy(&path, &in_shared).unwrap();
    let err = dir.verify_fails(&in_shared);
    assert!(err.contains("its directory"), "{err}");
}

/// A file sink on a disk that fills up: the next append writes `fits` bytes of its line,
/// or all of them and then fails to sync (`fits: None`), and returns an error.
struct FullDisk {
    inner: FileSink,
    fits: Option<usize>,
    armed: bool,
}

impl AuditSink for FullDisk {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn size(&mut self) -> std::io::Result<u64> {
        self.inner.size()
    }
    fn read_from(&mut self, offset: u64) -> std::io::Result<Vec<u8>> {
        self.inner.read_from(offset)
    }
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if !self.armed {
            return self.inner.append(bytes);
        }
        let n = self.fits.unwrap_or(bytes.len()).min(bytes.len());
        self.inner.append(&bytes[..n])?;
        Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "no space left on device",
        ))
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.inner.truncate(len)
    }
    fn lock(&mut self) -> std::io::Result<()> {
        self.inner.lock()
    }
    fn unlock(&mut self) -> std::io::Result<()> {
        self.inner.unlock()
    }
}

#[test]
fn an_append_that_fails_returns_an_error_and_leaves_nothing_half_written() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    drop(write_session(&path));
    let before = std::fs::read(&path).unwrap();
    for fits in [Some(0), Some(17), Some(200), None] {
        let sink = FullDisk {
            inner: FileSink::open(&path).unwrap(),
            fits,
            armed: true,
        };
        let mut log = AuditLog::with_sink(sink).unwrap();
        let intent = Entry::new(EntryKind::Intent)
            .verb("delete")
            .object(deployment());
        let err = log.append(intent).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Write {
                    rolled_back: true,
                    ..
                }
            ),
            "{fits:?}: {err}"
        );
        assert!(err.to_string().contains("nothing was recorded"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{fits:?}");
        assert_eq!(log.head().seq, 6);
        // Once there is space again the chain continues from the same head.
        let mut sink = log.into_sink();
        sink.armed = false;
        let mut log = AuditLog::with_sink(sink).unwrap();
        assert_eq!(log.append(Entry::new(EntryKind::Note)).unwrap().seq, 7);
        let out = dir.verify_ok(&path);
        assert!(out.starts_with("OK: 7 entries"), "{out}");
        std::fs::write(&path, &before).unwrap();
    }
}

#[test]
fn secret_values_never_reach_the_log() {
    use base64::Engine;
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    let mut log = AuditLog::open(&path).unwrap();
    let secret = ObjectRef {
        version: "v1".into(),
        resource: "secrets".into(),
        namespace: "llm-inference".into(),
        name: "hf-token".into(),
        ..Default::default()
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(CANARY);
    // A merge patch to a Secret, and a JSON patch to it (no `kind` in the body).
    let merge = serde_json::to_vec(&json!({
        "data": {"token": encoded},
        "stringData": {"password": CANARY},
    }))
    .unwrap();
    let json_patch = serde_json::to_vec(&json!([
        {"op": "replace", "path": "/data/token", "value": encoded},
    ]))
    .unwrap();
    for body in [&merge, &json_patch] {
        let entry = Entry::new(EntryKind::Intent)
            .verb("patch")
            .object(secret.clone())
            .patch_body(body);
        assert_eq!(entry.patch_sha256, Some(sha256_hex(body)));
        log.append(entry).unwrap();
    }
    // A ConfigMap holding a token-shaped value, as a full object, and free text and
    // details that mention it.
    let config_map = serde_json::to_vec(&json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "hub", "namespace": "llm-inference"},
        "data": {"HUB_SETTINGS": format!("endpoint=https://hub\ntoken={HF_CANARY}\n"), "HF_TOKEN": HF_CANARY, "MODEL": "llama"},
    }))
    .unwrap();
    log.append(
        Entry::new(EntryKind::Intent)
            .verb("update")
            .object(ObjectRef {
                version: "v1".into(),
                resource: "configmaps".into(),
                namespace: "llm-inference".into(),
                name: "hub".into(),
                ..Default::default()
            })
            .patch_body(&config_map)
            .justification(format!("the old token {HF_CANARY} leaked"))
            .details(json!({"previous": {"HF_TOKEN": HF_CANARY}})),
    )
    .unwrap();
    // The same body set on an entry directly, bypassing patch_body: append redacts it.
    let mut direct = Entry::new(EntryKind::Review).object(secret.clone());
    direct.patch = Some(serde_json::from_slice(&merge).unwrap());
    log.append(direct).unwrap();
    drop(log);

    let file = std::fs::read_to_string(&path).unwrap();
    for needle in [CANARY, encoded.as_str(), HF_CANARY, "7f3a9cSECRET"] {
        assert!(!file.contains(needle), "{needle} in the log:\n{file}");
    }
    // What is not secret is kept, and the chain is intact.
    assert!(file.contains("\"MODEL\":\"llama\""), "{file}");
    assert!(file.contains("[REDACTED]"), "{file}");
    assert!(dir.verify_ok(&path).starts_with("OK: 4 entries"));
    for format in ["table", "json"] {
        let (code, stdout, stderr) =
            dir.aigov(&["log", "show", "--format", format, path.to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
        assert!(!stdout.contains(CANARY) && !stdout.contains(HF_CANARY));
    }
}

#[test]
fn show_prints_a_table_or_json_and_filters_by_time() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    drop(write_session(&path));
    let file = path.to_str().unwrap();
    let (code, stdout, stderr) = dir.aigov(&["log", "show", file]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        rows[0].split_whitespace().collect::<Vec<_>>(),
        ["SEQ", "TIME", "KIND", "USER", "VERB", "OBJECT", "RESULT"]
    );
    assert_eq!(rows.len(), 7, "{stdout}");
    assert!(rows[1].contains("session_start") && rows[1].contains("admin"));
    assert!(
        rows[5].starts_with("5 ")
            && rows[5].contains("result")
            && rows[5].contains("deployments.apps llm-inference/vllm")
            && rows[5].ends_with("200"),
        "{stdout}"
    );

    let (code, stdout, _) = dir.aigov(&["log", "show", "--format", "json", "--since", "1h", file]);
    assert_eq!(code, 0);
    let records: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(records.len(), 6);
    assert_eq!(records[3]["kind"], "intent");
    assert_eq!(records[3]["resource_version_before"], "41");
    assert_eq!(records[4]["refers_to"], 4);
    assert_eq!(records[4]["audit_id"], "5f0c");
    assert_eq!(records[0]["schema_version"], 1);

    let (code, stdout, _) = dir.aigov(&["log", "show", "--since", "2999-01-01T00:00:00Z", file]);
    assert_eq!((code, stdout.as_str()), (0, "no entries\n"));
    let (code, stdout, _) = dir.aigov(&[
        "log",
        "show",
        "--format",
        "json",
        "--since",
        "2999-01-01T00:00:00Z",
        file,
    ]);
    assert_eq!((code, stdout.as_str()), (0, "[]\n"));

    let (code, _, stderr) = dir.aigov(&["log", "show", "--since", "last tuesday", file]);
    assert_eq!(code, 2);
    one_line_error(&stderr);
    assert!(stderr.contains("RFC 3339"), "{stderr}");
}

#[test]
fn show_warns_about_a_torn_line_and_shows_the_rest() {
    let dir = Dir::new();
    let path = dir.path("audit.jsonl");
    drop(write_session(&path));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"kind\":");
    std::fs::write(&path, bytes).unwrap();
    let (code, stdout, stderr) = dir.aigov(&["log", "show", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 7);
    assert!(stderr.contains("line 7 is torn"), "{stderr}");
}
