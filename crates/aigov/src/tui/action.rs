//! Actions: everything that can change the app. Terminal input and the results of background
//! work both arrive as actions; `update` turns them into state changes and effects.

use super::app::ConnectionInfo;
use super::data::Derived;
use aigov_kube::Progress;
use ratatui::crossterm::event::{KeyEvent, MouseEvent};
use std::path::PathBuf;

pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// A clock tick, with the wall time as HH:MM:SS.
    Tick(String),
    /// SIGTERM or similar: leave cleanly.
    Quit,
    Connected {
        generation: u64,
        info: ConnectionInfo,
    },
    ConnectFailed {
        generation: u64,
        error: String,
    },
    Progress {
        generation: u64,
        progress: Progress,
    },
    /// A new evaluation with every view's rows (after a load or live changes).
    Derived {
        generation: u64,
        data: Box<Derived>,
    },
    LoadFailed {
        generation: u64,
        error: String,
    },
    /// The live connection failed: the data is stale until it recovers, or, with
    /// `until_reload`, until the operator reloads (the UI names the reload key).
    Disconnected {
        generation: u64,
        error: String,
        until_reload: bool,
    },
    Reconnected {
        generation: u64,
    },
    /// Something the user should know that stops nothing (shown and kept in the history).
    Warning {
        generation: u64,
        message: String,
    },
    GuidedReportWritten(Result<Vec<PathBuf>, String>),
    /// The audit log as read (and verified) from the data directory.
    AuditLogLoaded(super::views::audit_log::Loaded),
    /// The staged plan of the generation's context, or why it could not be read.
    PlanLoaded {
        generation: u64,
        plan: Result<Box<aigov_remediation::plan::Plan>, String>,
    },
    /// Something done in the background that the user should see in passing.
    Notice(String),
    /// A staged change's review (dry run and diff).
    PlanReviewed {
        id: String,
        reviewed: Box<aigov_remediation::review::Reviewed>,
    },
    /// A staged change's apply, or why it was not sent.
    PlanApplied {
        id: String,
        result: Result<Box<aigov_remediation::apply::Report>, String>,
    },
    /// The baseline with an accepted drift was recorded and saved (its path), or why not.
    BaselineSaved(Result<String, String>),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Key(k) => write!(f, "Key({k:?})"),
            Action::Mouse(m) => write!(f, "Mouse({m:?})"),
            Action::Resize(w, h) => write!(f, "Resize({w}, {h})"),
            Action::Tick(t) => write!(f, "Tick({t})"),
            Action::Quit => write!(f, "Quit"),
            Action::Connected { generation, info } => {
                write!(f, "Connected({generation}, {})", info.context)
            }
            Action::ConnectFailed { generation, error } => {
                write!(f, "ConnectFailed({generation}, {error})")
            }
            Action::Progress {
                generation,
                progress,
            } => write!(f, "Progress({generation}, {:?})", progress.kind),
            Action::Derived { generation, .. } => write!(f, "Derived({generation})"),
            Action::LoadFailed { generation, error } => {
                write!(f, "LoadFailed({generation}, {error})")
            }
            Action::Disconnected {
                generation, error, ..
            } => {
                write!(f, "Disconnected({generation}, {error})")
            }
            Action::Reconnected { generation } => write!(f, "Reconnected({generation})"),
            Action::Warning {
                generation,
                message,
            } => write!(f, "Warning({generation}, {message})"),
            Action::GuidedReportWritten(r) => write!(f, "GuidedReportWritten({r:?})"),
            Action::AuditLogLoaded(_) => write!(f, "AuditLogLoaded"),
            Action::PlanLoaded { generation, plan } => {
                write!(f, "PlanLoaded({generation}, {})", plan.is_ok())
            }
            Action::PlanReviewed { id, .. } => write!(f, "PlanReviewed({id})"),
            Action::Notice(message) => write!(f, "Notice({message})"),
            Action::PlanApplied { id, result } => {
                write!(f, "PlanApplied({id}, {})", result.is_ok())
            }
            Action::BaselineSaved(result) => write!(f, "BaselineSaved({})", result.is_ok()),
        }
    }
}

/// Work `update` asks for; the effect runner performs it and reports back with actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Connect (or reconnect to another context), then load and watch.
    Connect {
        generation: u64,
        context: Option<String>,
    },
    /// Load everything again on the current connection.
    Reload { generation: u64 },
    /// Write the guided audit's report (Markdown and JSON).
    WriteGuidedReport(Box<super::guided::Report>),
    /// Read and verify the audit log, for the Audit log view.
    LoadAuditLog,
    /// Save the staged plan for the connected context.
    SavePlan(Box<aigov_remediation::plan::Plan>),
    /// Write the staged plan as YAML to a file the user named (and record the export).
    ExportPlan {
        plan: Box<aigov_remediation::plan::Plan>,
        path: std::path::PathBuf,
    },
    /// Append an entry to the audit trail (the runner adds the session id).
    Record(Box<aigov_audit::Entry>),
    /// Dry-run a staged change and diff it against the live object.
    ReviewChange {
        id: String,
        change: Box<aigov_remediation::PlannedChange>,
    },
    /// Record `entry` in the audit trail, then (only if that worked) save `baseline` as the
    /// connected context's.
    SaveBaseline {
        baseline: Box<aigov_core::rules::config::Baseline>,
        entry: Box<aigov_audit::Entry>,
    },
    /// Ask the registry about one image's tag again (`R` in the Images view).
    RecheckImage(String),
    /// Apply a reviewed change through the audit trail.
    ApplyChange {
        id: String,
        reviewed: Box<aigov_remediation::review::Reviewed>,
        justification: String,
    },
}
