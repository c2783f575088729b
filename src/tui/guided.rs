//! The guided read-only audit (being written).

use super::action::Effect;
use super::app::{App, Mode};
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use std::path::PathBuf;

/// The guided audit's report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {}

pub fn start(app: &mut App) {
    app.mode = Mode::Normal;
    app.flash("the guided audit is not built yet");
}

pub fn key(app: &mut App, _event: KeyEvent) -> Vec<Effect> {
    app.mode = Mode::Normal;
    Vec::new()
}

pub fn draw(_frame: &mut Frame, _app: &App) {}

/// Write the report (Markdown and JSON) to the data directory.
pub fn write_report(_report: &Report) -> Result<Vec<PathBuf>, String> {
    Err("the guided audit is not built yet".into())
}

pub fn report_written(app: &mut App, result: Result<Vec<PathBuf>, String>) {
    match result {
        Ok(paths) => app.flash(format!(
            "report written: {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(e) => app.error(e),
    }
}
