//! The tamper-evident audit trail: an append-only, hash-chained JSONL file in the data
//! directory (`<data dir>/audit/audit.jsonl`, file 0600, directory 0700). Every mutating
//! request is preceded by a durable `intent` entry and followed by a `result`; sessions,
//! reviews, dry runs, baseline changes, guided-audit marks and exports are recorded too.
//!
//! - [`AuditLog`] writes: [`AuditLog::open`] / [`AuditLog::open_default`], then
//!   [`AuditLog::append`], which fsyncs before returning. Its storage is an [`AuditSink`], so
//!   tests can use a [`MemorySink`] that fails like a full disk.
//! - [`verify_file`] and [`head`] check a chain; `show` reads entries for display.
//! - [`Session`] frames a command's or console's entries with `session_start` and
//!   `session_end` and stamps them with the session id, context and user.
//! - Entries are redacted before they are written (see `redact`).
//!
//! The format and what verification proves are described in `docs/audit-log.md`.

mod chain;
mod entry;
mod file;
pub mod redact;
mod session;
pub mod show;
mod sink;
pub mod verify;
mod writer;

pub use chain::{GENESIS, Head, canonical, record_hash};
pub use entry::{Entry, EntryKind, ObjectRef, Record, SCHEMA_VERSION, new_session_id, sha256_hex};
pub use file::{FileSink, read_checked};
pub use session::{Session, SessionInfo};
pub use sink::{AuditSink, MemorySink};
pub use verify::{Failure, Problem};
pub use writer::{Appended, AuditLog, Repair};

use std::path::PathBuf;

/// Everything that can go wrong reading or writing the audit log. Each message names the
/// file and, where there is one, the next step.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot determine a data directory for the audit log; set AIGOV_DATA_DIR")]
    NoDataDir,
    #[error("no audit log at {path} (aigov creates it when it first records something)")]
    NotFound { path: String },
    #[error("refusing the audit log {path}: {why}")]
    Insecure { path: String, why: String },
    #[error("cannot {action} the audit log {path}: {source}")]
    Io {
        path: String,
        action: &'static str,
        source: std::io::Error,
    },
    #[error(
        "cannot write to the audit log {path}: {source}{}",
        if *rolled_back { "; nothing was recorded" } else { "; part of the entry may be on disk (reopening the log repairs it)" }
    )]
    Write {
        path: String,
        source: std::io::Error,
        rolled_back: bool,
    },
    #[error(
        "the audit log {path} is not trusted after a failed write that could not be undone; reopen it"
    )]
    Poisoned { path: String },
    #[error("the audit log {path} fails verification: {failure}; see `aigov log verify`")]
    Broken { path: String, failure: Failure },
    #[error(
        "the audit log {path} shrank from {had} to {has} bytes while aigov was writing to it; keep it aside for investigation and start a new log"
    )]
    Shrunk { path: String, had: u64, has: u64 },
    #[error(
        "the audit log {path} was written by a newer aigov (schema version {found}; this one writes {SCHEMA_VERSION}); upgrade aigov, or move the log aside to start a new one"
    )]
    NewerSchema { path: String, found: u64 },
    #[error("cannot encode an audit entry: {0}")]
    Encode(#[from] serde_json::Error),
}

/// `<data dir>/audit/audit.jsonl` (`AIGOV_DATA_DIR` overrides the data directory).
pub fn default_path() -> Result<PathBuf, Error> {
    aigov_state::dirs::data_dir()
        .map(|d| d.join("audit").join("audit.jsonl"))
        .ok_or(Error::NoDataDir)
}

/// A chain that verified: how many entries and its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub head: Head,
}

/// Verify the log at `path` from its first line: permissions, then every line. A torn last
/// line is a failure here ([`Problem::Torn`]); the writer repairs it on open.
pub fn verify_file(path: &std::path::Path) -> Result<Verified, Error> {
    let bytes = read_checked(path)?;
    match verify::verify_bytes(&bytes) {
        Ok((head, entries)) => Ok(Verified { entries, head }),
        Err(failure) => Err(Error::Broken {
            path: path.display().to_string(),
            failure,
        }),
    }
}

/// The head of the verified log at `path`: what a session prints at its end.
pub fn head(path: &std::path::Path) -> Result<Head, Error> {
    verify_file(path).map(|v| v.head)
}
