//! The guided read-only audit (`aigov --read-only --guided`, or `g` in the console): it walks
//! an auditor through the areas in order (namespaces, RBAC, data reach, images, config,
//! admission), explains what each checks and why it matters for AI data, lets them mark
//! every finding, and ends in a Markdown and JSON report in `<data dir>/reports/`.
//!
//! Marks: `a` accepted risk and `n` not applicable need a note saying why (an empty note is
//! refused); `f` needs fix takes an optional note. `A`/`F`/`N` mark every unmarked finding of
//! the step at once, with one note. The findings are frozen when the audit begins (leaving
//! the introduction), so live updates never move findings under the auditor's marks.
//!
//! Read-only: nothing here talks to the cluster; the only write is the local report.

mod draw;
mod keys;
mod model;
mod pages;
mod report;
#[cfg(test)]
mod tests;

pub use draw::draw;
pub use model::{Audit, Counts, Item, Mark, STEPS, StepDef, StepState};
pub use report::{Report, write_report};

use super::action::Effect;
use super::app::{App, Mode};
use super::input::LineInput;
use ratatui::crossterm::event::KeyEvent;
use std::path::PathBuf;

/// The step after the areas.
pub const SUMMARY: usize = STEPS.len() + 1;

/// The guided audit's state, in `App::guided` while it runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// 0 is the introduction, 1..=6 the areas in `STEPS` order, [`SUMMARY`] the summary.
    pub step: usize,
    /// `None` until the auditor leaves the introduction with data loaded.
    pub audit: Option<Audit>,
    pub prompt: Option<NotePrompt>,
    pub confirm: Option<Confirm>,
    /// The explanation fills the body instead of sharing it with the findings.
    pub expanded: bool,
    /// Scroll of the explanation.
    pub scroll: u16,
    /// On narrow screens the top box shows the selected finding instead of the explanation.
    pub show_detail: bool,
    /// The audit revision the last written report holds, and the one being written.
    pub saved_revision: Option<u64>,
    pub pending_revision: Option<u64>,
    /// The files of the last report written.
    pub written: Vec<PathBuf>,
}

/// Asking for the note of a mark.
#[derive(Debug, Clone, PartialEq)]
pub struct NotePrompt {
    pub mark: Mark,
    pub target: Target,
    pub input: LineInput,
    /// Why the last submission was refused.
    pub error: Option<String>,
}

/// What a mark applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One item of the current step.
    One(usize),
    /// Every unmarked item of the current step.
    AllUnmarked,
}

/// A question that needs `y` before unsaved marks are thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Leave,
    Quit,
}

impl State {
    /// The area step shown, if the current step is one.
    pub fn current(&self) -> Option<&StepState> {
        let i = self.step.checked_sub(1)?;
        self.audit.as_ref()?.steps.get(i)
    }

    pub fn current_mut(&mut self) -> Option<&mut StepState> {
        let i = self.step.checked_sub(1)?;
        self.audit.as_mut()?.steps.get_mut(i)
    }

    /// Marks made since the last report was written (none made is nothing to lose).
    pub fn unsaved(&self) -> usize {
        match &self.audit {
            Some(a) if self.saved_revision != Some(a.revision) => a.counts().marked(),
            _ => 0,
        }
    }
}

/// Open the guided audit (`g`, `:guided`). It resumes one in progress; with no data yet it
/// shows the introduction as a loading step until the data arrives.
pub fn start(app: &mut App) {
    if app.guided.is_none() {
        app.guided = Some(State::default());
    }
    app.mode = Mode::Guided;
    if app.data.is_none() {
        app.flash("no data yet: the guided audit can begin once the cluster's data has loaded");
    }
}

/// Every key while the guided audit is open. Pure, like `update`.
pub fn key(app: &mut App, event: KeyEvent) -> Vec<Effect> {
    // Launched with --guided, App::new sets the mode before any state exists.
    let mut state = app.guided.take().unwrap_or_default();
    let (effects, outcome) = keys::handle(app, &mut state, event);
    match outcome {
        keys::Outcome::Stay => app.guided = Some(state),
        keys::Outcome::Leave => {
            app.mode = Mode::Normal;
            app.flash("left the guided audit");
        }
        keys::Outcome::Quit => app.quit = true,
    }
    effects
}

/// The report writer's answer (from the effect runner).
pub fn report_written(app: &mut App, result: Result<Vec<PathBuf>, String>) {
    match result {
        Ok(paths) => {
            app.flash(format!(
                "report written: {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            if let Some(state) = app.guided.as_mut() {
                state.saved_revision = state.pending_revision.take();
                state.written = paths;
            }
        }
        Err(e) => {
            if let Some(state) = app.guided.as_mut() {
                state.pending_revision = None;
            }
            app.error(e);
        }
    }
}
