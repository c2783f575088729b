//! The audit trail's chain end to end: logs written with the library, checked by the real
//! binary (`aigov log verify`, `aigov log show`): a good chain and each kind of tampering,
//! torn-line repair on reopen, corrupt files, and `show` as a table or JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_audit::{AuditLog, Entry, EntryKind, Record, sha256_hex};
use common::audit::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

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
    assert_eq!(aigov_audit::head(&path).unwrap(), head);
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
