//! [`AuditLog`]: the writer. Each append takes the sink's lock, catches up with anything
//! another process appended (verifying it), writes one canonical JSON line and fsyncs it
//! before returning. A failed append returns an error and truncates whatever part of the
//! line reached the sink, so nothing half-written stays behind; if even that fails, the log
//! refuses further appends until it is reopened (which repairs the torn line).

use super::Error;
use super::chain::{Head, canonical, record_hash};
use super::entry::{Entry, EntryKind, Record, SCHEMA_VERSION};
use super::file::FileSink;
use super::sink::AuditSink;
use super::verify;
use serde_json::{Value, json};
use std::path::Path;

/// What an append wrote: keep `seq` to refer to it (a result names its intent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: String,
    pub ts: String,
}

/// A torn last line cut off when the log was opened (or caught up), and the note recording it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The line number the torn line had.
    pub line: usize,
    /// How many bytes were cut, and their SHA-256.
    pub bytes: usize,
    pub sha256: String,
    /// The seq of the `note` entry that records the repair.
    pub note_seq: u64,
}

/// The append-only, hash-chained audit log.
#[derive(Debug)]
pub struct AuditLog<S: AuditSink = FileSink> {
    sink: S,
    name: String,
    head: Head,
    /// Bytes of the sink known to hold good records.
    end: u64,
    /// Lines in those bytes.
    lines: usize,
    repairs: Vec<Repair>,
    /// A failed append could not be undone: the sink's state is unknown.
    poisoned: bool,
}

impl AuditLog<FileSink> {
    /// Open (or create) the log at `path`: checks its permissions, verifies the chain and
    /// repairs a torn last line.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::with_sink(FileSink::open(path.as_ref())?)
    }

    /// Open the log at [`default_path`](super::default_path), creating its 0700 directory.
    pub fn open_default() -> Result<Self, Error> {
        let path = super::default_path()?;
        if let Some(dir) = path.parent() {
            super::file::prepare_default_dir(dir, &path)?;
        }
        Self::open(&path)
    }

    pub fn path(&self) -> &Path {
        self.sink.path()
    }
}

impl<S: AuditSink> AuditLog<S> {
    /// Open a log on any sink: verifies what it holds and repairs a torn last line.
    pub fn with_sink(sink: S) -> Result<Self, Error> {
        let name = sink.name();
        let mut log = AuditLog {
            sink,
            name,
            head: Head::genesis(),
            end: 0,
            lines: 0,
            repairs: Vec::new(),
            poisoned: false,
        };
        log.locked(|log| log.catch_up())?;
        Ok(log)
    }

    /// The last record written (or read): print it at the end of a session and keep it, so
    /// a truncated tail or a rewritten chain can be detected later.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// Torn lines repaired since this log was opened.
    pub fn repairs(&self) -> &[Repair] {
        &self.repairs
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn into_sink(self) -> S {
        self.sink
    }

    /// Redact the entry, chain it and write it as one line, durable before this returns.
    /// An error means the entry is not in the log: a caller about to send a mutating
    /// request must not send it.
    pub fn append(&mut self, entry: Entry) -> Result<Appended, Error> {
        if self.poisoned {
            return Err(Error::Poisoned {
                path: self.name.clone(),
            });
        }
        self.locked(|log| {
            log.catch_up()?;
            log.write(entry)
        })
    }

    /// Run `f` holding the sink's lock; the lock is released whatever `f` returns.
    fn locked<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        self.sink.lock().map_err(|source| Error::Io {
            path: self.name.clone(),
            action: "lock",
            source,
        })?;
        let result = f(self);
        let unlocked = self.sink.unlock();
        let value = result?;
        unlocked.map_err(|source| Error::Io {
            path: self.name.clone(),
            action: "unlock",
            source,
        })?;
        Ok(value)
    }

    /// Verify what was appended since `end` (everything, on open) and repair a torn tail.
    fn catch_up(&mut self) -> Result<(), Error> {
        let io = |action| {
            let path = self.name.clone();
            move |source| Error::Io {
                path,
                action,
                source,
            }
        };
        let size = self.sink.size().map_err(io("read"))?;
        if size == self.end {
            return Ok(());
        }
        if size < self.end {
            return Err(Error::Shrunk {
                path: self.name.clone(),
                had: self.end,
                has: size,
            });
        }
        let bytes = self.sink.read_from(self.end).map_err(io("read"))?;
        let scan = verify::scan(&bytes, &self.head, self.lines + 1, |_| {}).map_err(|failure| {
            Error::Broken {
                path: self.name.clone(),
                failure,
            }
        })?;
        if scan.newest_schema > u64::from(SCHEMA_VERSION) {
            return Err(Error::NewerSchema {
                path: self.name.clone(),
                found: scan.newest_schema,
            });
        }
        self.head = scan.head;
        self.end += scan.good_bytes as u64;
        self.lines += usize::try_from(scan.records).unwrap_or(usize::MAX);
        if let Some(torn) = scan.torn {
            self.sink
                .truncate(self.end)
                .map_err(io("truncate the torn last line of"))?;
            let note = Entry::new(EntryKind::Note).details(json!({
                "event": "repaired_torn_line",
                "line": torn.line,
                "torn_bytes": torn.bytes,
                "torn_sha256": torn.sha256,
                "reason": torn.why,
            }));
            let appended = self.write(note)?;
            self.repairs.push(Repair {
                line: torn.line,
                bytes: torn.bytes,
                sha256: torn.sha256,
                note_seq: appended.seq,
            });
        }
        Ok(())
    }

    /// Append one record after `head`; the lock is held.
    fn write(&mut self, mut entry: Entry) -> Result<Appended, Error> {
        entry.redact();
        let ts = now();
        let record = Record {
            schema_version: SCHEMA_VERSION,
            seq: self.head.seq + 1,
            ts: ts.clone(),
            entry,
            prev: self.head.hash.clone(),
            hash: String::new(),
        };
        let mut value = serde_json::to_value(&record)?;
        let hash = record_hash(&record.prev, &value);
        if let Value::Object(map) = &mut value {
            map.insert("hash".into(), Value::String(hash.clone()));
        }
        let mut line = canonical(&value);
        line.push('\n');
        if let Err(source) = self.sink.append(line.as_bytes()) {
            let rolled_back = self.sink.truncate(self.end).is_ok();
            self.poisoned = !rolled_back;
            return Err(Error::Write {
                path: self.name.clone(),
                source,
                rolled_back,
            });
        }
        self.end += line.len() as u64;
        self.lines += 1;
        self.head = Head {
            seq: record.seq,
            hash: hash.clone(),
        };
        Ok(Appended {
            seq: record.seq,
            hash,
            ts,
        })
    }
}

/// UTC, RFC 3339, to the microsecond.
fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemorySink, ObjectRef, verify::verify_bytes};

    fn intent() -> Entry {
        let mut e = Entry::new(EntryKind::Intent)
            .session("s1")
            .context("prod")
            .user("alice")
            .verb("patch")
            .object(ObjectRef {
                group: "apps".into(),
                version: "v1".into(),
                resource: "deployments".into(),
                namespace: "llm".into(),
                name: "vllm".into(),
                uid: "u-1".into(),
            })
            .patch_body(br#"{"spec":{"replicas":1}}"#);
        e.dry_run = Some(false);
        e.resource_version_before = Some("41".into());
        e.field_manager = Some("aigov".into());
        e
    }

    #[test]
    fn appends_chain_from_one_and_verify() {
        let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
        assert_eq!(log.head(), &Head::genesis());
        let a = log.append(intent()).unwrap();
        let b = log
            .append(Entry::new(EntryKind::Result).session("s1"))
            .unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_eq!(log.head().hash, b.hash);
        assert!(a.ts.parse::<jiff::Timestamp>().is_ok(), "{}", a.ts);
        assert!(a.ts.ends_with('Z'));
        let bytes = log.into_sink().into_bytes();
        let (head, n) = verify_bytes(&bytes).unwrap();
        assert_eq!((head.seq, n), (2, 2));
        let first: Record =
            serde_json::from_slice(bytes.split(|&b| b == b'\n').next().unwrap()).unwrap();
        assert_eq!(first.prev, crate::GENESIS);
        assert_eq!(first.schema_version, SCHEMA_VERSION);
        assert_eq!(first.entry, intent());
    }

    #[test]
    fn reopening_continues_the_chain() {
        let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
        log.append(intent()).unwrap();
        let bytes = log.into_sink().into_bytes();
        let mut log = AuditLog::with_sink(MemorySink::from_bytes(bytes)).unwrap();
        assert_eq!(log.head().seq, 1);
        assert_eq!(log.append(intent()).unwrap().seq, 2);
        assert!(log.repairs().is_empty());
        verify_bytes(log.sink().bytes()).unwrap();
    }

    #[test]
    fn a_torn_last_line_is_cut_and_noted() {
        let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
        log.append(intent()).unwrap();
        log.append(intent()).unwrap();
        let mut bytes = log.into_sink().into_bytes();
        let good = bytes.clone();
        let torn = br#"{"kind":"intent","seq":3,"#;
        bytes.extend_from_slice(torn);
        let log = AuditLog::with_sink(MemorySink::from_bytes(bytes)).unwrap();
        let sha = crate::entry::sha256_hex(torn);
        assert_eq!(
            log.repairs(),
            [Repair {
                line: 3,
                bytes: torn.len(),
                sha256: sha.clone(),
                note_seq: 3
            }]
        );
        let repaired = log.into_sink().into_bytes();
        assert!(repaired.starts_with(&good));
        let (head, n) = verify_bytes(&repaired).unwrap();
        assert_eq!((head.seq, n), (3, 3));
        let note: Record =
            serde_json::from_slice(&repaired[good.len()..repaired.len() - 1]).unwrap();
        assert_eq!(note.entry.kind, EntryKind::Note);
        let details = note.entry.details.unwrap();
        assert_eq!(details["torn_bytes"], torn.len());
        assert_eq!(details["torn_sha256"], sha);
        assert_eq!(details["event"], "repaired_torn_line");
    }

    #[test]
    fn a_broken_chain_is_not_appended_to() {
        let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
        log.append(intent()).unwrap();
        log.append(intent()).unwrap();
        let bytes = log.into_sink().into_bytes();
        let text = String::from_utf8(bytes)
            .unwrap()
            .replacen("alice", "mallory", 1);
        let err = AuditLog::with_sink(MemorySink::from_bytes(text.into_bytes())).unwrap_err();
        assert!(matches!(err, Error::Broken { .. }), "{err}");
        assert!(err.to_string().contains("line 1 was modified"), "{err}");
    }

    #[test]
    fn a_failed_append_returns_an_error_and_leaves_nothing_behind() {
        let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
        log.append(intent()).unwrap();
        let before = log.sink().bytes().to_vec();
        let head = log.head().clone();
        // The disk fills up: only part of the next line fits.
        let mut log =
            AuditLog::with_sink(MemorySink::from_bytes(before.clone()).fail_after(40)).unwrap();
        let err = log.append(intent()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Write {
                    rolled_back: true,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("no space left"), "{err}");
        assert_eq!(log.sink().bytes(), before, "the partial line was removed");
        assert_eq!(log.head(), &head);
        // Space comes back: the next append continues the chain.
        let mut sink = log.into_sink();
        sink.free_space();
        let mut log = AuditLog::with_sink(sink).unwrap();
        assert_eq!(log.append(intent()).unwrap().seq, 2);
        verify_bytes(log.sink().bytes()).unwrap();
    }

    #[test]
    fn a_failed_append_that_cannot_be_undone_poisons_the_log() {
        let sink = MemorySink::new().fail_after(10).fail_truncate();
        let mut log = AuditLog::with_sink(sink).unwrap();
        let err = log.append(intent()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Write {
                    rolled_back: false,
                    ..
                }
            ),
            "{err}"
        );
        assert!(matches!(log.append(intent()), Err(Error::Poisoned { .. })));
        // Reopened, the torn bytes are cut and noted.
        let mut sink = log.into_sink();
        sink.free_space();
        let sink = MemorySink::from_bytes(sink.into_bytes());
        let log = AuditLog::with_sink(sink).unwrap();
        assert_eq!(log.repairs().len(), 1);
        assert_eq!(log.repairs()[0].bytes, 10);
        verify_bytes(log.sink().bytes()).unwrap();
    }

    #[test]
    fn a_log_from_a_newer_aigov_is_not_appended_to() {
        let mut value = json!({
            "schema_version": SCHEMA_VERSION + 1,
            "seq": 1,
            "ts": "2030-01-01T00:00:00Z",
            "kind": "hologram",
            "prev": crate::GENESIS,
        });
        let hash = record_hash(crate::GENESIS, &value);
        value["hash"] = json!(hash);
        let mut bytes = canonical(&value).into_bytes();
        bytes.push(b'\n');
        // verify accepts it: the chain is all it checks for newer versions.
        assert_eq!(verify_bytes(&bytes).unwrap().1, 1);
        let err = AuditLog::with_sink(MemorySink::from_bytes(bytes)).unwrap_err();
        assert!(matches!(err, Error::NewerSchema { .. }), "{err}");
    }

    #[test]
    fn appends_by_another_writer_are_picked_up() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit.jsonl");
        let mut one = AuditLog::open(&path).unwrap();
        let mut two = AuditLog::open(&path).unwrap();
        assert_eq!(one.append(intent()).unwrap().seq, 1);
        assert_eq!(two.append(intent()).unwrap().seq, 2);
        assert_eq!(one.append(intent()).unwrap().seq, 3);
        let (head, n) = verify_bytes(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!((head.seq, n), (3, 3));
        assert_eq!(&head, one.head());
    }

    #[test]
    fn a_log_that_shrank_under_the_writer_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path).unwrap();
        log.append(intent()).unwrap();
        log.append(intent()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(bytes.len() as u64 / 2)
            .unwrap();
        let err = log.append(intent()).unwrap_err();
        assert!(matches!(err, Error::Shrunk { .. }), "{err}");
    }
}
