//! Headless output: what the commands print, as tables or JSON.

pub mod access;
pub mod findings;
pub mod inventory;
pub mod reach;
pub mod watch;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// How finding reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuditFormat {
    #[default]
    Table,
    Json,
    Markdown,
    Sarif,
    /// One JSON object per line: the stream of `audit --watch`.
    Jsonl,
}
