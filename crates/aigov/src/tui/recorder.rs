//! The console's audit trail: one audit session per connection, opened (`session_start`) by
//! its first entry, closed (`session_end`) when the console connects elsewhere or exits. All
//! of the console's entries and applies go through it, one at a time.

use aigov_audit::{AuditLog, Entry, Head, Session, SessionInfo};
use aigov_kube::write::Writer;
use aigov_remediation::apply::{Actor, Report, apply};
use aigov_remediation::review::Reviewed;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Shared by the runner's tasks; cheap to clone.
#[derive(Clone, Default)]
pub struct Recorder {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// The log written to: the data directory's (`None`), or this one.
    path: Option<std::path::PathBuf>,
    /// The current connection's session, as entries will name it.
    info: Option<SessionInfo>,
    /// The open session, once something was recorded on the current connection.
    open: Option<Session>,
}

impl State {
    /// The current session, opening the log on first use.
    fn session(&mut self) -> Result<&mut Session, String> {
        if self.open.is_none() {
            let info = self
                .info
                .clone()
                .ok_or_else(|| "not connected".to_string())?;
            let log = match &self.path {
                Some(path) => AuditLog::open(path),
                None => AuditLog::open_default(),
            }
            .map_err(|e| e.to_string())?;
            self.open = Some(Session::new(log, info));
        }
        self.open
            .as_mut()
            .ok_or_else(|| "not connected".to_string())
    }

    fn close(&mut self) -> Result<Option<Head>, String> {
        match self.open.take() {
            Some(session) => session
                .finish()
                .map(|log| Some(log.head().clone()))
                .map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }
}

impl Recorder {
    /// A recorder that writes the log at `path` instead of the data directory's.
    pub fn at(path: impl Into<std::path::PathBuf>) -> Recorder {
        Recorder {
            state: Arc::new(Mutex::new(State {
                path: Some(path.into()),
                ..State::default()
            })),
        }
    }

    /// The console is connected as `info` describes. A reload of the same context and server
    /// keeps the session; anything else closes it, and the next entry opens a new one.
    pub async fn connected(&self, info: SessionInfo) -> Result<(), String> {
        let mut state = self.state.lock().await;
        let same = state.info.as_ref().is_some_and(|current| {
            current.context == info.context && current.server == info.server
        });
        if same {
            return Ok(());
        }
        state.info = Some(info);
        state.close().map(|_| ())
    }

    /// Who the current session's entries name.
    pub async fn actor(&self) -> Actor {
        let state = self.state.lock().await;
        state.info.as_ref().map(Actor::of).unwrap_or(Actor {
            session: String::new(),
            context: String::new(),
            user: String::new(),
        })
    }

    /// Append `entry` to the current session.
    pub async fn record(&self, entry: Entry) -> Result<(), String> {
        let mut state = self.state.lock().await;
        state
            .session()?
            .append(entry)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Apply `reviewed` through the current session's log (intent, request, result).
    pub async fn apply(
        &self,
        writer: &Writer,
        reviewed: &Reviewed,
        justification: &str,
    ) -> Result<Report, String> {
        let mut state = self.state.lock().await;
        let session = state.session()?;
        let actor = Actor::of(session.info());
        let log = session.log().map_err(|e| e.to_string())?;
        let report = apply(writer, log, &actor, reviewed, justification)
            .await
            .map_err(|e| e.to_string())?;
        session.count(if report.result_not_recorded.is_none() {
            2
        } else {
            1
        });
        Ok(report)
    }

    /// Close the current session (the console is exiting); the log's head if it was open.
    pub async fn close(&self) -> Result<Option<Head>, String> {
        self.state.lock().await.close()
    }
}
