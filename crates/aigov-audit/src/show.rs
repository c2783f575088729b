//! Reading the log for people: the records of a verified log, filtered by time, as a table
//! (SEQ, TIME, KIND, USER, VERB, OBJECT, RESULT) or as JSON. Every string from the log goes
//! through `aigov_core::sanitize` before it is printed: the log holds text from the cluster.

use super::chain::{Head, canonical};
use super::entry::{EntryKind, Record, SCHEMA_VERSION};
use super::verify::{self, Torn};
use super::{Error, read_checked};
use aigov_core::sanitize::{sanitize, truncate_display};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::path::Path;

/// The records of the log at `path`, after checking its permissions and its chain. A torn
/// last line is left out and returned, so the caller can warn; any other failure is an error.
pub fn read(path: &Path) -> Result<(Vec<Record>, Option<Torn>), Error> {
    let bytes = read_checked(path)?;
    let mut records = Vec::new();
    let scan =
        verify::scan(&bytes, &Head::genesis(), 1, |r| records.push(r)).map_err(|failure| {
            Error::Broken {
                path: path.display().to_string(),
                failure,
            }
        })?;
    if scan.newest_schema > u64::from(SCHEMA_VERSION) {
        return Err(Error::NewerSchema {
            path: path.display().to_string(),
            found: scan.newest_schema,
        });
    }
    Ok((records, scan.torn))
}

/// `--since`: an RFC 3339 time, or a duration back from `now` (`90s`, `30m`, `1h`, `7d`, `2w`).
pub fn parse_since(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let bad = || {
        format!(
            "--since {text:?} is neither an RFC 3339 time (2025-06-01T10:00:00Z) nor a duration (90s, 30m, 1h, 7d, 2w)"
        )
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .filter(|&i| i > 0)
        .ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let seconds = n.checked_mul(seconds_per).ok_or_else(bad)?;
    now.checked_sub(SignedDuration::from_secs(seconds))
        .map_err(|_| bad())
}

/// The records at or after `since`. A record whose time does not parse is kept: hiding it
/// would hide exactly the odd entry someone should look at.
pub fn since(records: Vec<Record>, since: Option<Timestamp>) -> Vec<Record> {
    let Some(since) = since else {
        return records;
    };
    records
        .into_iter()
        .filter(|r| r.ts.parse::<Timestamp>().map_or(true, |t| t >= since))
        .collect()
}

fn clean(text: &str, max: usize) -> String {
    truncate_display(&sanitize(text), max).into_owned()
}

fn or_dash(text: Option<&str>, max: usize) -> String {
    match text {
        Some(t) if !t.is_empty() => clean(t, max),
        _ => "-".into(),
    }
}

fn time(ts: &str) -> String {
    match ts.parse::<Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => clean(ts, 32),
    }
}

/// The RESULT cell: the answer for results and dry runs, "dry-run" for dry-run intents, the
/// event of a note.
fn result_cell(r: &Record) -> String {
    let e = &r.entry;
    if let Some(status) = e.http_status {
        return match &e.reason {
            Some(reason) if !reason.is_empty() => format!("{status} {}", clean(reason, 40)),
            _ => status.to_string(),
        };
    }
    if e.kind == EntryKind::Intent && e.dry_run == Some(true) {
        return "dry-run".into();
    }
    if e.kind == EntryKind::Note
        && let Some(event) = e
            .details
            .as_ref()
            .and_then(|d| d.get("event"))
            .and_then(Value::as_str)
    {
        return clean(event, 40);
    }
    "-".into()
}

/// The table's columns.
pub const COLUMNS: [&str; 7] = ["SEQ", "TIME", "KIND", "USER", "VERB", "OBJECT", "RESULT"];

/// One record as the table's cells, sanitised (the console's Audit log view uses them too).
pub fn cells(r: &Record) -> [String; 7] {
    let e = &r.entry;
    [
        r.seq.to_string(),
        time(&r.ts),
        e.kind.as_str().to_string(),
        or_dash(e.user.as_deref(), 40),
        or_dash(e.verb.as_deref(), 20),
        or_dash(e.object.as_ref().map(|o| o.display()).as_deref(), 80),
        result_cell(r),
    ]
}

/// The records as an aligned table.
pub fn table(records: &[Record]) -> String {
    let mut rows: Vec<[String; 7]> = vec![COLUMNS.map(String::from)];
    rows.extend(records.iter().map(cells));
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count();
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The records as a JSON array, one record (canonical JSON, strings sanitised) per line.
pub fn json(records: &[Record]) -> Result<String, Error> {
    if records.is_empty() {
        return Ok("[]\n".into());
    }
    let mut out = String::from("[\n");
    for (i, r) in records.iter().enumerate() {
        let mut value = serde_json::to_value(r)?;
        sanitize_value(&mut value);
        out.push_str(&canonical(&value));
        out.push_str(if i + 1 < records.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    Ok(out)
}

/// JSON escaping hides C0 controls but not C1, bidi or zero-width characters.
fn sanitize_value(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = sanitize(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sanitize_value),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut v) in entries {
                sanitize_value(&mut v);
                map.insert(sanitize(&key).into_owned(), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditLog, Entry, ObjectRef};

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn record(seq: u64, when: &str, entry: Entry) -> Record {
        Record {
            schema_version: 1,
            seq,
            ts: when.into(),
            entry,
            prev: crate::GENESIS.into(),
            hash: crate::GENESIS.into(),
        }
    }

    #[test]
    fn since_takes_a_time_or_a_duration() {
        let now = ts("2025-06-08T12:00:00Z");
        assert_eq!(
            parse_since("2025-06-01T10:00:00Z", now).unwrap(),
            ts("2025-06-01T10:00:00Z")
        );
        assert_eq!(
            parse_since("2025-06-01T12:00:00+02:00", now).unwrap(),
            ts("2025-06-01T10:00:00Z")
        );
        assert_eq!(parse_since("1h", now).unwrap(), ts("2025-06-08T11:00:00Z"));
        assert_eq!(parse_since("90s", now).unwrap(), ts("2025-06-08T11:58:30Z"));
        assert_eq!(parse_since("7d", now).unwrap(), ts("2025-06-01T12:00:00Z"));
        assert_eq!(parse_since("1w", now).unwrap(), ts("2025-06-01T12:00:00Z"));
        for bad in [
            "",
            "h",
            "1y",
            "yesterday",
            "2025-06-01",
            "99999999999999999999s",
        ] {
            let err = parse_since(bad, now).unwrap_err();
            assert!(err.contains("RFC 3339"), "{bad}: {err}");
        }
    }

    #[test]
    fn since_filters_by_time() {
        let records = vec![
            record(1, "2025-06-01T10:00:00Z", Entry::new(EntryKind::Note)),
            record(2, "2025-06-02T10:00:00Z", Entry::new(EntryKind::Note)),
            record(3, "not a time", Entry::new(EntryKind::Note)),
        ];
        let kept: Vec<u64> = since(records.clone(), Some(ts("2025-06-02T00:00:00Z")))
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(kept, [2, 3]);
        assert_eq!(since(records, None).len(), 3);
    }

    #[test]
    fn the_table_has_the_columns_and_sanitises_text() {
        let mut result = Entry::new(EntryKind::Result)
            .user("alice\u{1b}[31m")
            .verb("patch")
            .object(ObjectRef {
                group: "apps".into(),
                resource: "deployments".into(),
                namespace: "llm".into(),
                name: "vllm\u{202e}".into(),
                ..Default::default()
            });
        result.http_status = Some(409);
        result.reason = Some("Conflict".into());
        let mut intent = Entry::new(EntryKind::Intent);
        intent.dry_run = Some(true);
        let records = vec![
            record(1, "2025-06-01T10:00:00.123456Z", result),
            record(2, "2025-06-01T10:00:01Z", intent),
        ];
        let out = table(&records);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["SEQ", "TIME", "KIND", "USER", "VERB", "OBJECT", "RESULT"]
        );
        assert!(
            lines[1].starts_with("1    2025-06-01T10:00:00Z  result"),
            "{out}"
        );
        assert!(lines[1].contains("alice^[[31m"), "{out}");
        assert!(
            lines[1].contains("deployments.apps llm/vllm\\u{202e}"),
            "{out}"
        );
        assert!(lines[1].ends_with("409 Conflict"), "{out}");
        assert!(lines[2].ends_with("dry-run"), "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'));
    }

    #[test]
    fn json_is_an_array_of_one_sanitised_record_per_line() {
        let records = vec![
            record(
                1,
                "2025-06-01T10:00:00Z",
                Entry::new(EntryKind::Note).user("bob\u{9b}"),
            ),
            record(2, "2025-06-01T10:00:01Z", Entry::new(EntryKind::Export)),
        ];
        let out = json(&records).unwrap();
        assert_eq!(out.lines().count(), 4);
        let parsed: Vec<Value> = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0]["user"], "bob\\u{9b}");
        assert_eq!(parsed[1]["kind"], "export");
        assert_eq!(json(&[]).unwrap(), "[]\n");
    }

    #[test]
    fn read_returns_records_and_a_torn_tail() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path).unwrap();
        log.append(Entry::new(EntryKind::Note)).unwrap();
        log.append(Entry::new(EntryKind::Export)).unwrap();
        drop(log);
        let (records, torn) = read(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert!(torn.is_none());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"{\"seq\"");
        std::fs::write(&path, &bytes).unwrap();
        let (records, torn) = read(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(torn.unwrap().line, 3);
        std::fs::write(&path, b"garbage\n{}\n").unwrap();
        assert!(matches!(read(&path), Err(Error::Broken { .. })));
    }

    #[test]
    fn a_log_from_a_newer_aigov_is_not_shown() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit.jsonl");
        let mut value = serde_json::json!({
            "schema_version": SCHEMA_VERSION + 1,
            "seq": 1,
            "ts": "2030-01-01T00:00:00Z",
            "kind": "hologram",
            "prev": crate::GENESIS,
        });
        let hash = crate::record_hash(crate::GENESIS, &value);
        value["hash"] = Value::String(hash);
        std::fs::write(&path, format!("{}\n", canonical(&value))).unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, Error::NewerSchema { found: 2, .. }), "{err}");
        assert_eq!(crate::verify_file(&path).unwrap().entries, 1);
    }
}
