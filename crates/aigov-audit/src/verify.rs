//! Checking a chain: every line parses, is in canonical form, hashes to its `hash`, links to
//! the line before by `prev`, and carries the next `seq`. The first failure is reported with
//! its line number and a one-line reason; a torn last line (an interrupted write) is reported
//! separately, because the writer repairs it on open.
//!
//! What this proves, and what it does not, is in `docs/audit-log.md`: a chain that verifies
//! may still have lost its tail, and anyone who can write the file can rewrite the whole
//! chain consistently. Compare the head with one kept elsewhere.

use super::chain::{Head, canonical, is_hash, record_hash};
use super::entry::{Record, SCHEMA_VERSION, sha256_hex};
use serde_json::Value;

/// Why a line fails. Each renders as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("is not valid JSON ({0})")]
    NotJson(String),
    #[error("is empty")]
    Empty,
    #[error("is not an audit record: {0}")]
    NotARecord(String),
    #[error(
        "was modified: its content does not hash to its stored hash (stored {}..., computed {}...)",
        &stored[..12.min(stored.len())],
        &computed[..12.min(computed.len())]
    )]
    Modified { stored: String, computed: String },
    #[error("was edited: its text is not the canonical form aigov writes")]
    NotCanonical,
    #[error(
        "has seq {found} where {expected} was expected, and seq {expected} is nowhere in the log: {} deleted",
        missing(*expected, *found)
    )]
    Deleted { expected: u64, found: u64 },
    #[error(
        "has seq {found} where {expected} was expected; seq {expected} is at line {at}: lines were reordered"
    )]
    Reordered {
        expected: u64,
        found: u64,
        at: usize,
    },
    #[error(
        "has seq {found} where {expected} was expected: seq {found} comes again, so a line was inserted (or lines were reordered)"
    )]
    Inserted { expected: u64, found: u64 },
    #[error(
        "does not link to the line before: its prev is not that line's hash (the line before was rewritten, or a line was inserted or removed here)"
    )]
    BrokenLink,
    #[error(
        "does not start a chain: its prev is not 64 zeros (the beginning of the log was removed or replaced)"
    )]
    NotGenesis,
    #[error(
        "is torn: the last line is incomplete ({bytes} bytes, {why}), from an interrupted write; the next aigov session that writes to the log truncates it and records a note"
    )]
    Torn { bytes: usize, why: &'static str },
}

fn missing(expected: u64, found: u64) -> String {
    if found == expected + 1 {
        format!("entry {expected} was")
    } else {
        format!("entries {expected} to {} were", found - 1)
    }
}

/// The first bad line: 1-based `line` and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} {problem}")]
pub struct Failure {
    pub line: usize,
    pub problem: Problem,
}

/// An incomplete last line: no newline at the end, or a final line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset (from the start of the scanned bytes) where the torn line starts.
    pub offset: usize,
    pub bytes: usize,
    /// SHA-256 of the torn bytes, so a repair can say what it removed.
    pub sha256: String,
    pub why: &'static str,
}

/// A chain scanned without a failure (possibly ending in a torn line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The last good record (the start head when no line was read).
    pub head: Head,
    /// Good records read.
    pub records: u64,
    /// Bytes of the good records, newlines included.
    pub good_bytes: usize,
    pub torn: Option<Torn>,
    /// The highest schema version seen (0 when no line was read).
    pub newest_schema: u64,
}

/// Check `bytes`, which continue a chain whose last record is `start` and whose first line
/// here is line number `first_line`. Each good record is passed to `each`, except records of
/// a newer schema that do not read as this version's [`Record`] (their chain is checked all
/// the same; see [`Scan::newest_schema`]).
pub fn scan(
    bytes: &[u8],
    start: &Head,
    first_line: usize,
    mut each: impl FnMut(Record),
) -> Result<Scan, Failure> {
    let mut result = Scan {
        head: start.clone(),
        records: 0,
        good_bytes: 0,
        torn: None,
        newest_schema: 0,
    };
    let mut pos = 0;
    let mut line_no = first_line;
    while pos < bytes.len() {
        let Some(newline) = bytes[pos..].iter().position(|&b| b == b'\n') else {
            result.torn = Some(torn(bytes, pos, line_no, "no newline at the end"));
            break;
        };
        let end = pos + newline;
        let line = &bytes[pos..end];
        let last = end + 1 == bytes.len();
        let fail = |problem| Failure {
            line: line_no,
            problem,
        };
        if line.is_empty() {
            return Err(fail(Problem::Empty));
        }
        let value: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(_) if last => {
                result.torn = Some(torn(bytes, pos, line_no, "not valid JSON"));
                break;
            }
            Err(e) => return Err(fail(Problem::NotJson(one_line(&e)))),
        };
        let (record, schema) =
            check_line(&value, line, &result.head, &bytes[end + 1..], line_no).map_err(fail)?;
        result.head = Head {
            seq: record.seq,
            hash: record.hash,
        };
        result.newest_schema = result.newest_schema.max(schema);
        result.records += 1;
        result.good_bytes = end + 1;
        if let Some(typed) = record.typed {
            each(typed);
        }
        pos = end + 1;
        line_no += 1;
    }
    Ok(result)
}

/// [`scan`] from the start of a log, with a torn last line as a failure: what `verify` says.
pub fn verify_bytes(bytes: &[u8]) -> Result<(Head, u64), Failure> {
    let scan = scan(bytes, &Head::genesis(), 1, |_| {})?;
    if let Some(t) = scan.torn {
        return Err(Failure {
            line: t.line,
            problem: Problem::Torn {
                bytes: t.bytes,
                why: t.why,
            },
        });
    }
    Ok((scan.head, scan.records))
}

fn torn(bytes: &[u8], offset: usize, line: usize, why: &'static str) -> Torn {
    Torn {
        line,
        offset,
        bytes: bytes.len() - offset,
        sha256: sha256_hex(&bytes[offset..]),
        why,
    }
}

fn field<'a>(map: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a Value, Problem> {
    map.get(name)
        .ok_or_else(|| Problem::NotARecord(format!("no {name:?} field")))
}

fn hash_field<'a>(map: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, Problem> {
    field(map, name)?
        .as_str()
        .filter(|h| is_hash(h))
        .ok_or_else(|| Problem::NotARecord(format!("{name:?} is not a SHA-256 hex string")))
}

/// One parsed line against the chain so far; `rest` is what follows it (to tell a reorder
/// from a deletion).
/// A line that passed: its chain fields, and the typed record when it reads as one.
struct Checked {
    seq: u64,
    hash: String,
    typed: Option<Record>,
}

fn check_line(
    value: &Value,
    line: &[u8],
    head: &Head,
    rest: &[u8],
    line_no: usize,
) -> Result<(Checked, u64), Problem> {
    let Value::Object(map) = value else {
        return Err(Problem::NotARecord("not a JSON object".into()));
    };
    let stored = hash_field(map, "hash")?;
    let prev = hash_field(map, "prev")?;
    let seq = field(map, "seq")?
        .as_u64()
        .ok_or_else(|| Problem::NotARecord("\"seq\" is not a whole number".into()))?;
    let schema = field(map, "schema_version")?
        .as_u64()
        .ok_or_else(|| Problem::NotARecord("\"schema_version\" is not a whole number".into()))?;
    let computed = record_hash(prev, value);
    if computed != stored {
        return Err(Problem::Modified {
            stored: stored.to_string(),
            computed,
        });
    }
    if canonical(value).as_bytes() != line {
        return Err(Problem::NotCanonical);
    }
    let expected = head.seq + 1;
    if seq > expected {
        return Err(match line_with_seq(rest, expected) {
            Some(offset) => Problem::Reordered {
                expected,
                found: seq,
                at: line_no + 1 + offset,
            },
            None => Problem::Deleted {
                expected,
                found: seq,
            },
        });
    }
    if seq < expected {
        return Err(Problem::Inserted {
            expected,
            found: seq,
        });
    }
    if prev != head.hash {
        return Err(if head.seq == 0 {
            Problem::NotGenesis
        } else {
            Problem::BrokenLink
        });
    }
    let typed = serde_json::from_value::<Record>(value.clone());
    let typed = if schema <= u64::from(SCHEMA_VERSION) {
        // A record in a layout this aigov knows must also read as one.
        // serde's message quotes the offending value, which the log's writer may have put
        // anything into (an escaped newline, say): the failure must stay one line.
        let record = typed.map_err(|e| Problem::NotARecord(one_line(&e)))?;
        if record.ts.parse::<jiff::Timestamp>().is_err() {
            return Err(Problem::NotARecord(format!(
                "\"ts\" {:?} is not an RFC 3339 time",
                record.ts
            )));
        }
        Some(record)
    } else {
        typed.ok()
    };
    Ok((
        Checked {
            seq,
            hash: stored.to_string(),
            typed,
        },
        schema,
    ))
}

/// How many lines after the current one the line with `seq` is, if any.
fn line_with_seq(rest: &[u8], seq: u64) -> Option<usize> {
    rest.split(|&b| b == b'\n').position(|line| {
        serde_json::from_slice::<Value>(line)
            .ok()
            .and_then(|v| v.get("seq").and_then(Value::as_u64))
            == Some(seq)
    })
}

/// An error's text as one sanitised line.
fn one_line(error: &serde_json::Error) -> String {
    aigov_core::sanitize::sanitize(&error.to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditLog, Entry, EntryKind, MemorySink};

    /// A log of `n` notes, as bytes.
    fn log_of(n: usize) -> Vec<u8> {
        let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
        for i in 0..n {
            log.append(Entry::new(EntryKind::Note).details(serde_json::json!({"i": i})))
                .unwrap();
        }
        log.into_sink().into_bytes()
    }

    fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        assert!(v.pop().unwrap().is_empty());
        v
    }

    fn join(lines: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for l in lines {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        out
    }

    fn failure(bytes: &[u8]) -> Failure {
        verify_bytes(bytes).unwrap_err()
    }

    #[test]
    fn a_good_log_verifies_to_its_head() {
        assert_eq!(verify_bytes(b"").unwrap(), (Head::genesis(), 0));
        let bytes = log_of(5);
        let (head, n) = verify_bytes(&bytes).unwrap();
        assert_eq!(n, 5);
        assert_eq!(head.seq, 5);
        let last: Value = serde_json::from_slice(&lines(&bytes)[4]).unwrap();
        assert_eq!(head.hash, last["hash"].as_str().unwrap());
    }

    #[test]
    fn a_modified_line_is_found() {
        let mut l = lines(&log_of(4));
        let text = String::from_utf8(l[2].clone()).unwrap();
        l[2] = text.replace("\"i\":2", "\"i\":7").into_bytes();
        let f = failure(&join(&l));
        assert_eq!(f.line, 3);
        assert!(matches!(f.problem, Problem::Modified { .. }), "{f}");
    }

    #[test]
    fn whitespace_edits_are_found() {
        let mut l = lines(&log_of(2));
        let text = String::from_utf8(l[1].clone()).unwrap();
        l[1] = text.replacen(',', ", ", 1).into_bytes();
        let f = failure(&join(&l));
        assert_eq!((f.line, f.problem), (2, Problem::NotCanonical));
    }

    #[test]
    fn a_deleted_line_is_found() {
        let mut l = lines(&log_of(5));
        l.remove(2);
        let f = failure(&join(&l));
        assert_eq!(f.line, 3);
        assert_eq!(
            f.problem,
            Problem::Deleted {
                expected: 3,
                found: 4
            }
        );
        assert!(f.to_string().contains("entry 3 was deleted"), "{f}");
        // The first line gone.
        let mut l = lines(&log_of(3));
        l.remove(0);
        assert_eq!(failure(&join(&l)).line, 1);
    }

    #[test]
    fn an_inserted_line_is_found() {
        let mut l = lines(&log_of(4));
        let copy = l[1].clone();
        l.insert(3, copy);
        let f = failure(&join(&l));
        assert_eq!(f.line, 4);
        assert_eq!(
            f.problem,
            Problem::Inserted {
                expected: 4,
                found: 2
            }
        );
    }

    #[test]
    fn a_forged_line_with_a_valid_hash_breaks_the_next_link() {
        // An attacker who knows the algorithm can forge a self-consistent line; the line
        // after it then repeats its seq.
        let l = lines(&log_of(3));
        let second: Value = serde_json::from_slice(&l[1]).unwrap();
        let mut forged = second.clone();
        forged["details"] = serde_json::json!({"i": "forged"});
        let h = record_hash(second["prev"].as_str().unwrap(), &forged);
        forged["hash"] = Value::String(h);
        let tampered = join(&[
            l[0].clone(),
            canonical(&forged).into_bytes(),
            l[1].clone(),
            l[2].clone(),
        ]);
        let f = failure(&tampered);
        assert_eq!(f.line, 3);
        assert!(matches!(f.problem, Problem::Inserted { .. }), "{f}");
        // A forged replacement (same seq) shows as a broken link on the next line.
        let replaced = join(&[l[0].clone(), canonical(&forged).into_bytes(), l[2].clone()]);
        let f = failure(&replaced);
        assert_eq!((f.line, f.problem), (3, Problem::BrokenLink));
    }

    #[test]
    fn reordered_lines_are_found() {
        let mut l = lines(&log_of(5));
        l.swap(1, 2);
        let f = failure(&join(&l));
        assert_eq!(f.line, 2);
        assert_eq!(
            f.problem,
            Problem::Reordered {
                expected: 2,
                found: 3,
                at: 3
            }
        );
    }

    #[test]
    fn a_torn_last_line_is_reported_as_torn() {
        let bytes = log_of(3);
        let cut = &bytes[..bytes.len() - 10];
        let f = failure(cut);
        assert_eq!(f.line, 3);
        assert!(
            matches!(
                f.problem,
                Problem::Torn {
                    why: "no newline at the end",
                    ..
                }
            ),
            "{f}"
        );
        // A final line that does not parse, newline or not.
        let mut garbage = bytes.clone();
        garbage.extend_from_slice(b"{\"seq\":4,\0\0\0\n");
        let f = failure(&garbage);
        assert_eq!(f.line, 4);
        assert!(matches!(f.problem, Problem::Torn { .. }), "{f}");
        // The same garbage before the last line is corruption, not a torn line.
        let mut l = lines(&bytes);
        l.insert(1, b"{\"seq\":".to_vec());
        let f = failure(&join(&l));
        assert_eq!(f.line, 2);
        assert!(matches!(f.problem, Problem::NotJson(_)), "{f}");
    }

    #[test]
    fn a_chain_not_starting_at_genesis_is_found() {
        let bytes = log_of(2);
        let l = lines(&bytes);
        let mut first: Value = serde_json::from_slice(&l[0]).unwrap();
        first["prev"] = Value::String("1".repeat(64));
        let h = record_hash(first["prev"].as_str().unwrap(), &first);
        first["hash"] = Value::String(h);
        let f = failure(&join(&[canonical(&first).into_bytes()]));
        assert_eq!((f.line, f.problem), (1, Problem::NotGenesis));
    }

    #[test]
    fn lines_that_are_not_records_are_reported() {
        for (text, needle) in [
            ("[1,2]", "not a JSON object"),
            ("{\"seq\":1}", "no \"hash\" field"),
            ("\"x\"", "not a JSON object"),
        ] {
            let mut bytes = text.as_bytes().to_vec();
            bytes.extend_from_slice(b"\n");
            // Not the last line, so not torn.
            bytes.extend_from_slice(&log_of(1));
            let f = failure(&bytes);
            assert_eq!(f.line, 1);
            assert!(f.to_string().contains(needle), "{f}");
        }
        assert_eq!(failure(b"\n\n").problem, Problem::Empty);
    }

    #[test]
    fn scan_continues_a_chain_from_a_head() {
        let bytes = log_of(4);
        let l = lines(&bytes);
        let first_two = join(&l[..2]);
        let (head, _) = verify_bytes(&first_two).unwrap();
        let mut seen = Vec::new();
        let rest = scan(&bytes[first_two.len()..], &head, 3, |r| seen.push(r.seq)).unwrap();
        assert_eq!(seen, [3, 4]);
        assert_eq!(rest.head.seq, 4);
        assert_eq!(rest.good_bytes, bytes.len() - first_two.len());
        assert!(rest.torn.is_none());
        // The wrong head fails at the first line of the continuation.
        let f = scan(&bytes[first_two.len()..], &Head::genesis(), 3, |_| {}).unwrap_err();
        assert_eq!(f.line, 3);
    }
}
