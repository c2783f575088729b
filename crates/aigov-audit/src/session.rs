//! An audit session: every entry a command or console session writes carries its session id,
//! context and user; the first is preceded by a `session_start` entry (context, server, CA
//! fingerprint, identity, command) and [`Session::finish`] closes it with `session_end`. A
//! session that records nothing leaves no trace in the log.

use super::{Appended, AuditLog, AuditSink, Entry, EntryKind, Error, FileSink};
use serde_json::json;

/// Who and where a session runs, as its entries record it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionInfo {
    /// 128 random bits, hex (see [`super::new_session_id`]).
    pub id: String,
    pub context: String,
    pub server: String,
    /// SHA-256 of the CA certificates the connection trusts, when the kubeconfig names them.
    pub ca_fingerprint: Option<String>,
    pub user: String,
    pub groups: Vec<String>,
    /// What runs: `console`, `plan apply`, `baseline save`, ...
    pub command: String,
    /// The context skips TLS verification (`insecure-skip-tls-verify`).
    pub insecure_skip_tls_verify: bool,
    /// `--allow-insecure-apply` was given, so writes may go to that unverified server.
    pub allow_insecure_apply: bool,
}

/// An audit log used by one session. Dropped without [`Session::finish`] (a command that
/// failed half-way), it still writes `session_end`, marked `"ended": "early"`.
pub struct Session<S: AuditSink = FileSink> {
    /// `None` only once [`Session::finish`] has handed it back.
    log: Option<AuditLog<S>>,
    info: SessionInfo,
    started: bool,
    /// Entries written after `session_start`.
    recorded: u64,
}

impl<S: AuditSink> Session<S> {
    pub fn new(log: AuditLog<S>, info: SessionInfo) -> Self {
        Session {
            log: Some(log),
            info,
            started: false,
            recorded: 0,
        }
    }

    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// Append `entry`, stamped with the session's id, context and user where it has none; the
    /// session's first entry is preceded by `session_start`.
    pub fn append(&mut self, mut entry: Entry) -> Result<Appended, Error> {
        entry.session.get_or_insert_with(|| self.info.id.clone());
        entry
            .context
            .get_or_insert_with(|| self.info.context.clone());
        entry.user.get_or_insert_with(|| self.info.user.clone());
        let appended = self.log()?.append(entry)?;
        self.recorded += 1;
        Ok(appended)
    }

    /// The log, with `session_start` written, for writers that append themselves (an apply
    /// writes its intent and result). Count their entries with [`Session::count`].
    pub fn log(&mut self) -> Result<&mut AuditLog<S>, Error> {
        self.start()?;
        self.open_log()
    }

    /// Count `n` entries written through [`Session::log`].
    pub fn count(&mut self, n: u64) {
        self.recorded += n;
    }

    /// Write `session_end` if the session started; the log is handed back (its `head()` is
    /// what the operator should keep).
    pub fn finish(mut self) -> Result<AuditLog<S>, Error> {
        self.end("finished")?;
        self.log.take().ok_or_else(|| self.closed())
    }

    fn end(&mut self, how: &str) -> Result<(), Error> {
        if !self.started {
            return Ok(());
        }
        self.started = false;
        let end = self.stamped(EntryKind::SessionEnd).details(json!({
            "command": self.info.command,
            "entries": self.recorded,
            "ended": how,
        }));
        self.open_log()?.append(end).map(|_| ())
    }

    fn open_log(&mut self) -> Result<&mut AuditLog<S>, Error> {
        let closed = self.closed();
        self.log.as_mut().ok_or(closed)
    }

    fn closed(&self) -> Error {
        Error::Poisoned {
            path: format!("<audit session {} already finished>", self.info.id),
        }
    }

    fn start(&mut self) -> Result<(), Error> {
        if self.started {
            return Ok(());
        }
        let mut details = json!({"command": self.info.command});
        if self.info.insecure_skip_tls_verify {
            details["tls"] = json!("not verified: the context sets insecure-skip-tls-verify");
            details["allow_insecure_apply"] = json!(self.info.allow_insecure_apply);
        }
        let mut start = self.stamped(EntryKind::SessionStart).details(details);
        start.server = Some(self.info.server.clone());
        start.ca_fingerprint = self.info.ca_fingerprint.clone();
        start.groups = self.info.groups.clone();
        self.open_log()?.append(start)?;
        self.started = true;
        Ok(())
    }

    fn stamped(&self, kind: EntryKind) -> Entry {
        Entry::new(kind)
            .session(self.info.id.clone())
            .context(self.info.context.clone())
            .user(self.info.user.clone())
    }
}

impl<S: AuditSink> Drop for Session<S> {
    fn drop(&mut self) {
        // Best effort: the command is already failing with its own error.
        let _ = self.end("early");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemorySink;

    fn info() -> SessionInfo {
        SessionInfo {
            id: "s1".into(),
            context: "prod".into(),
            server: "https://10.0.0.1:6443".into(),
            ca_fingerprint: Some("ab".repeat(32)),
            user: "alice".into(),
            groups: vec!["ops".into()],
            command: "plan apply".into(),
            insecure_skip_tls_verify: false,
            allow_insecure_apply: false,
        }
    }

    fn lines_of(log: AuditLog<MemorySink>) -> Vec<serde_json::Value> {
        String::from_utf8_lossy(log.sink().bytes())
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_session_that_records_nothing_writes_nothing() {
        let session = Session::new(AuditLog::with_sink(MemorySink::default()).unwrap(), info());
        let log = session.finish().unwrap();
        assert_eq!(log.head().seq, 0);
        assert!(log.sink().bytes().is_empty());
    }

    #[test]
    fn entries_are_framed_by_start_and_end_and_stamped() {
        let mut session = Session::new(AuditLog::with_sink(MemorySink::default()).unwrap(), info());
        session.append(Entry::new(EntryKind::Stage)).unwrap();
        session
            .log()
            .unwrap()
            .append(Entry::new(EntryKind::Intent))
            .unwrap();
        session.count(1);
        let log = session.finish().unwrap();
        assert_eq!(log.head().seq, 4);
        let lines = lines_of(log);
        assert_eq!(lines[3]["kind"], "session_end");
        assert_eq!(lines[3]["details"]["entries"], 2);
    }

    #[test]
    fn the_start_entry_names_server_ca_and_identity() {
        let mut session = Session::new(AuditLog::with_sink(MemorySink::default()).unwrap(), info());
        session.append(Entry::new(EntryKind::Stage)).unwrap();
        let lines = lines_of(session.finish().unwrap());
        let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["session_start", "stage", "session_end"]);
        let start = &lines[0];
        assert_eq!(start["server"], "https://10.0.0.1:6443");
        assert_eq!(start["ca_fingerprint"], "ab".repeat(32));
        assert_eq!(start["user"], "alice");
        assert_eq!(start["groups"][0], "ops");
        assert_eq!(lines[1]["session"], "s1");
        assert_eq!(lines[1]["context"], "prod");
        assert_eq!(lines[2]["details"]["entries"], 1);
        assert_eq!(lines[2]["details"]["ended"], "finished");
    }

    #[test]
    fn a_session_dropped_half_way_still_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut session = Session::new(AuditLog::open(&path).unwrap(), info());
        session.append(Entry::new(EntryKind::DryRun)).unwrap();
        // The command fails here, before it finishes.
        drop(session);
        let text = std::fs::read_to_string(&path).unwrap();
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["kind"], "session_end");
        assert_eq!(last["details"]["ended"], "early");
        assert_eq!(crate::verify_file(&path).unwrap().entries, 3);
    }
}
