//! The audit log as a file: 0600 in a 0700 directory, refusal of symlinked and writable logs,
//! an append whose storage fails leaves nothing half-written, and secret values never reach
//! the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_audit::{AuditLog, AuditSink, Entry, EntryKind, Error, FileSink, ObjectRef, sha256_hex};
use common::audit::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

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
