//! Fuzz harness: the audit log's reader and verifier. The first byte picks what the rest is:
//! - raw log bytes, given to `verify::verify_bytes`, `verify::scan` (what `aigov log show`
//!   reads), the writer's open-and-repair (`AuditLog::with_sink`) and the `show` table/JSON;
//! - JSON lines that are re-chained here (seq, prev and hash set as the writer sets them),
//!   so the fuzzer gets past the hash check into the record checks: such a chain must
//!   verify, or fail only because a record is not a valid audit record.
//!
//! Shared by `fuzz/fuzz_targets/audit_log.rs` and the replay in `tests/fuzz_regressions.rs`.

#[path = "forbidden.rs"]
mod forbidden;

use aigov_audit::verify::{Problem, scan, verify_bytes};
use aigov_audit::{
    AuditLog, Entry, EntryKind, GENESIS, Head, MemorySink, canonical, record_hash, show,
};
use forbidden::forbidden;
use serde_json::{Value, json};

/// Feed one input; panics on a property failure.
pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        read_raw(rest);
    } else {
        read_rechained(rest);
    }
}

fn read_raw(bytes: &[u8]) {
    let verified = verify_bytes(bytes);
    let mut records = Vec::new();
    let scanned = scan(bytes, &Head::genesis(), 1, |r| records.push(r));
    match (&verified, &scanned) {
        (Ok((head, count)), Ok(s)) => {
            assert!(s.torn.is_none());
            assert_eq!((&s.head, s.records), (head, *count));
            assert_eq!(s.good_bytes, bytes.len());
        }
        (Err(f), Ok(s)) => {
            assert!(matches!(f.problem, Problem::Torn { .. }), "{f}");
            assert!(s.torn.is_some());
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Ok(_), Err(f)) => panic!("verify passed but scan failed: {f}"),
    }
    if let Err(f) = &verified {
        let shown = f.to_string();
        assert!(!shown.contains('\n'), "multi-line failure {shown:?}");
    }
    // One line per record under the header, and nothing the sanitiser neutralises: a raw
    // newline or carriage return inside a cell would split or overwrite a row.
    let table = show::table(&records);
    assert_eq!(table.lines().count(), records.len() + 1, "{table:?}");
    assert!(
        !table.chars().any(|c| c != '\n' && forbidden(c)),
        "unsanitised {table:?}"
    );
    let shown = show::json(&records).expect("show::json serialises every record it read");
    match serde_json::from_str::<Value>(&shown) {
        Ok(Value::Array(items)) => assert_eq!(items.len(), records.len(), "{shown}"),
        other => panic!("show::json is not a JSON array ({other:?}): {shown}"),
    }
    reopen_and_append(bytes, scanned.is_ok());
}

/// The writer opens a log (repairing a torn tail) and appends; the result must verify.
fn reopen_and_append(bytes: &[u8], scans: bool) {
    let log = AuditLog::with_sink(MemorySink::from_bytes(bytes.to_vec()));
    let Ok(mut log) = log else {
        return;
    };
    assert!(scans, "the writer accepted a log that does not scan");
    if log
        .append(Entry::new(EntryKind::Note).details(json!({"event": "fuzz"})))
        .is_err()
    {
        return;
    }
    let head = log.head().clone();
    let after = log.into_sink().into_bytes();
    match verify_bytes(&after) {
        Ok((verified, _)) => assert_eq!(verified, head),
        Err(f) => panic!("log does not verify after open and append: {f}"),
    }
}

fn read_rechained(bytes: &[u8]) {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut seq = 0u64;
    for line in bytes.split(|&b| b == b'\n') {
        let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        seq += 1;
        map.insert("seq".into(), json!(seq));
        map.insert("prev".into(), json!(prev));
        map.entry("schema_version").or_insert(json!(1));
        map.remove("hash");
        let mut value = Value::Object(map);
        let hash = record_hash(&prev, &value);
        value["hash"] = json!(hash);
        out.extend_from_slice(canonical(&value).as_bytes());
        out.push(b'\n');
        prev = hash;
    }
    if let Err(f) = verify_bytes(&out) {
        assert!(
            matches!(f.problem, Problem::NotARecord(_)),
            "a chain built like the writer's fails with {f}"
        );
    }
    read_raw(&out);
}
