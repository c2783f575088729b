//! The audit log view: the entries of aigov's tamper-evident trail (`audit/`), read from the
//! data directory off the UI thread whenever the view is opened or `r` is pressed, with the
//! chain's state in the title. Enter shows the selected entry in full. Nothing here writes.

use super::BuildInput;
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::Binding;
use crate::tui::table::{Column, TableModel, TableRow, Tone, column};
use aigov_audit::Record;
use aigov_audit::show::{COLUMNS, cells};
use aigov_core::sanitize::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Text};

pub const BINDINGS: &[Binding] = &[];

/// What reading the log found.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// No log yet: aigov has recorded nothing on this machine.
    Missing { path: String },
    /// A log whose chain verified up to `records`' last entry; `torn` when its last line was
    /// cut off (the next writer repairs it).
    Read {
        path: String,
        records: Vec<Record>,
        torn: bool,
    },
    /// The log cannot be trusted or read: the reason, one line.
    Failed(String),
}

#[derive(Default)]
pub struct Data;

#[derive(Default)]
pub struct State {
    pub loaded: Option<Loaded>,
    pub table: TableModel,
}

pub fn build(_input: &BuildInput) -> Data {
    Data
}

pub fn take(_state: &mut State, _data: &mut Data) {}

fn columns() -> Vec<Column> {
    let width = |title: &str| match title {
        "SEQ" => Constraint::Length(6),
        "TIME" => Constraint::Length(20),
        "KIND" => Constraint::Length(10),
        _ => Constraint::Min(8),
    };
    COLUMNS.iter().map(|t| column(t, width(t))).collect()
}

/// The log as read by the runner: newest first, as `kubectl get events` users expect at the top.
pub fn loaded(state: &mut State, loaded: Loaded) {
    let rows = match &loaded {
        Loaded::Read { records, .. } => records
            .iter()
            .enumerate()
            .rev()
            .map(|(i, r)| {
                TableRow::new(cells(r).to_vec(), r.seq.to_string(), Tone::Plain).source(i)
            })
            .collect(),
        _ => Vec::new(),
    };
    if state.table.columns.is_empty() {
        state.table = TableModel::new(columns(), Vec::new());
    }
    state.table.replace_rows(rows);
    state.loaded = Some(loaded);
}

pub fn table(state: &mut State) -> Option<&mut TableModel> {
    matches!(state.loaded, Some(Loaded::Read { .. })).then_some(&mut state.table)
}

pub fn handle(_app: &mut App, _name: &str) -> Option<Vec<Effect>> {
    None
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    let theme = app.theme.clone();
    match &app.views.audit_log.loaded {
        None => super::placeholder(frame, area, "Audit log", "reading the audit log…", &theme),
        Some(Loaded::Missing { path }) => super::placeholder(
            frame,
            area,
            "Audit log",
            &format!(
                "No entries: aigov has recorded no change from this machine yet. Every staged, \
                 reviewed and applied remediation will be recorded in {path}, hash-chained; \
                 `aigov log verify` checks it."
            ),
            &theme,
        ),
        Some(Loaded::Failed(reason)) => super::placeholder(
            frame,
            area,
            "Audit log: cannot be trusted",
            &format!("{reason}\n\nRun `aigov log verify` for the first bad line."),
            &theme,
        ),
        Some(Loaded::Read {
            path,
            records,
            torn,
        }) => {
            let head = records.last().map_or_else(
                || "empty".to_string(),
                |r| format!("head {}… (seq {})", &r.hash[..r.hash.len().min(12)], r.seq),
            );
            let title = format!(
                "Audit log {path}: chain OK, {} entries, {head}{}",
                records.len(),
                if *torn {
                    "; last line torn (repaired on the next write)"
                } else {
                    ""
                }
            );
            app.views
                .audit_log
                .table
                .draw(frame, area, &title, &theme, true);
        }
    }
}

/// The selected entry in full, as canonical JSON, sanitised.
pub fn detail(app: &App) -> Option<Text<'static>> {
    let Some(Loaded::Read { records, .. }) = &app.views.audit_log.loaded else {
        return None;
    };
    let row = app.views.audit_log.table.selected_row()?;
    let record = records.get(row.source)?;
    let json = serde_json::to_value(record).ok()?;
    let pretty = serde_json::to_string_pretty(&json).ok()?;
    Some(Text::from(
        pretty
            .lines()
            .map(|l| Line::raw(sanitize(l).into_owned()))
            .collect::<Vec<_>>(),
    ))
}
