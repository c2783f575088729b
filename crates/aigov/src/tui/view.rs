//! The console's views, in the order the number keys and Tab visit them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ViewId {
    Overview,
    Namespaces,
    Rbac,
    Reach,
    Images,
    Drift,
    Findings,
    AuditLog,
}

impl ViewId {
    pub const ALL: [ViewId; 8] = [
        ViewId::Overview,
        ViewId::Namespaces,
        ViewId::Rbac,
        ViewId::Reach,
        ViewId::Images,
        ViewId::Drift,
        ViewId::Findings,
        ViewId::AuditLog,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewId::Overview => "Overview",
            ViewId::Namespaces => "Namespaces",
            ViewId::Rbac => "RBAC",
            ViewId::Reach => "Data reach",
            ViewId::Images => "Images",
            ViewId::Drift => "Config drift",
            ViewId::Findings => "Findings",
            ViewId::AuditLog => "Audit log",
        }
    }

    /// The title on narrow screens, where the eight full titles do not fit on one line.
    pub fn short_title(self) -> &'static str {
        match self {
            ViewId::Overview => "Overview",
            ViewId::Namespaces => "NS",
            ViewId::Rbac => "RBAC",
            ViewId::Reach => "Reach",
            ViewId::Images => "Images",
            ViewId::Drift => "Drift",
            ViewId::Findings => "Findings",
            ViewId::AuditLog => "Log",
        }
    }

    /// The palette command that opens the view, and its aliases.
    pub fn commands(self) -> &'static [&'static str] {
        match self {
            ViewId::Overview => &["overview", "home"],
            ViewId::Namespaces => &["ns", "namespaces"],
            ViewId::Rbac => &["rbac", "roles", "bindings"],
            ViewId::Reach => &["reach", "pvc", "data"],
            ViewId::Images => &["img", "images"],
            ViewId::Drift => &["drift", "config"],
            ViewId::Findings => &["findings", "f"],
            ViewId::AuditLog => &["log", "audit"],
        }
    }

    /// The action name of the number key that opens it (`go.rbac`).
    pub fn go_action(self) -> &'static str {
        match self {
            ViewId::Overview => "go.overview",
            ViewId::Namespaces => "go.namespaces",
            ViewId::Rbac => "go.rbac",
            ViewId::Reach => "go.reach",
            ViewId::Images => "go.images",
            ViewId::Drift => "go.drift",
            ViewId::Findings => "go.findings",
            ViewId::AuditLog => "go.log",
        }
    }

    pub fn index(self) -> usize {
        ViewId::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    pub fn next(self) -> ViewId {
        ViewId::ALL[(self.index() + 1) % ViewId::ALL.len()]
    }

    pub fn previous(self) -> ViewId {
        ViewId::ALL[(self.index() + ViewId::ALL.len() - 1) % ViewId::ALL.len()]
    }
}
