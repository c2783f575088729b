//! Keys of the guided audit: moving between steps and findings, marking with notes, the
//! confirmations and writing the report. Pure: the report is written by the effect runner.

use super::model::{Audit, Mark};
use super::report::Report;
use super::{Confirm, NotePrompt, SUMMARY, State, Target};
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::input::{Edit, LineInput};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the key did to the guided audit as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Leave,
    Quit,
}

pub fn handle(app: &mut App, state: &mut State, event: KeyEvent) -> (Vec<Effect>, Outcome) {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    if state.prompt.is_some() {
        prompt_key(app, state, &event);
        return (Vec::new(), Outcome::Stay);
    }
    if let Some(confirm) = state.confirm.take() {
        if matches!(event.code, KeyCode::Char('y') | KeyCode::Char('Y')) && !ctrl {
            return (
                Vec::new(),
                match confirm {
                    Confirm::Leave => Outcome::Leave,
                    Confirm::Quit => Outcome::Quit,
                },
            );
        }
        app.flash("kept the guided audit open");
        return (Vec::new(), Outcome::Stay);
    }
    if ctrl {
        if matches!(event.code, KeyCode::Char('c')) {
            return (Vec::new(), leave(app, state, Confirm::Quit));
        }
        return (Vec::new(), Outcome::Stay);
    }
    let page = super::draw::list_height(app.size, state).max(1) as isize;
    match event.code {
        KeyCode::Esc if state.expanded => state.expanded = false,
        KeyCode::Esc => return (Vec::new(), leave(app, state, Confirm::Leave)),
        KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => next(app, state),
        KeyCode::Left | KeyCode::Char('h') => go(state, state.step.saturating_sub(1)),
        KeyCode::Down | KeyCode::Char('j') => move_by(app, state, 1),
        KeyCode::Up | KeyCode::Char('k') => move_by(app, state, -1),
        KeyCode::PageDown => move_by(app, state, page),
        KeyCode::PageUp => move_by(app, state, -page),
        KeyCode::Home => move_by(app, state, isize::MIN / 2),
        KeyCode::End | KeyCode::Char('G') => move_by(app, state, isize::MAX / 2),
        KeyCode::Char(c @ ('a' | 'f' | 'n' | 'A' | 'F' | 'N')) => ask_note(app, state, c),
        KeyCode::Char('u') => unmark(app, state),
        KeyCode::Char('i' | '?') => {
            state.expanded = !state.expanded;
            state.scroll = 0;
        }
        KeyCode::Char('d') => {
            state.show_detail = !state.show_detail;
            state.scroll = 0;
        }
        KeyCode::Char(']') => state.scroll = state.scroll.saturating_add(3),
        KeyCode::Char('[') => state.scroll = state.scroll.saturating_sub(3),
        KeyCode::Char('w') => return (write(app, state), Outcome::Stay),
        _ => {}
    }
    (Vec::new(), Outcome::Stay)
}

/// Leave (or quit), after asking when marks would be lost.
fn leave(app: &mut App, state: &mut State, how: Confirm) -> Outcome {
    let unsaved = state.unsaved();
    if unsaved == 0 {
        return match how {
            Confirm::Leave => Outcome::Leave,
            Confirm::Quit => Outcome::Quit,
        };
    }
    state.confirm = Some(how);
    app.flash(format!(
        "{unsaved} mark(s) are not in a written report and would be lost"
    ));
    Outcome::Stay
}

fn go(state: &mut State, step: usize) {
    if step != state.step {
        state.step = step.min(SUMMARY);
        state.expanded = false;
        state.scroll = 0;
        state.show_detail = false;
    }
}

fn next(app: &mut App, state: &mut State) {
    if state.step == 0 && state.audit.is_none() {
        match Audit::build(app) {
            Some(audit) => state.audit = Some(audit),
            None => {
                app.flash(
                    "still waiting for the cluster's data; the audit begins when it has loaded",
                );
                return;
            }
        }
    }
    if state.step >= SUMMARY {
        app.flash("this is the last step: w writes the report, ← goes back");
        return;
    }
    go(state, state.step + 1);
}

fn move_by(app: &App, state: &mut State, delta: isize) {
    let height = super::draw::list_height(app.size, state);
    if let Some(step) = state.current_mut() {
        step.table.move_by(delta);
        step.offset = super::draw::follow(step.offset, step.table.selected_position(), height);
    }
}

fn ask_note(app: &mut App, state: &mut State, key: char) {
    let mark = match key.to_ascii_lowercase() {
        'a' => Mark::AcceptedRisk,
        'f' => Mark::NeedsFix,
        _ => Mark::NotApplicable,
    };
    let Some(step) = state.current() else {
        app.flash("marks are made on the area steps");
        return;
    };
    let (target, input) = if key.is_ascii_uppercase() {
        let left = step.counts().not_reviewed;
        if left == 0 {
            app.flash("every finding of this step is marked already");
            return;
        }
        (Target::AllUnmarked, LineInput::default())
    } else {
        let Some(index) = step.selected() else {
            app.flash("no finding to mark in this step");
            return;
        };
        // Marking again edits: the note typed before comes back.
        let note = step.items.get(index).map_or("", |i| i.note.as_str());
        (Target::One(index), LineInput::with(note))
    };
    state.prompt = Some(NotePrompt {
        mark,
        target,
        input,
        error: None,
    });
}

fn prompt_key(app: &mut App, state: &mut State, event: &KeyEvent) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    match prompt.input.key(event) {
        Edit::Cancel => state.prompt = None,
        Edit::Submit => {
            let note = prompt.input.text().trim().to_string();
            if prompt.mark.note_required() && note.is_empty() {
                prompt.error = Some(format!(
                    "a note is required for {}: say why",
                    prompt.mark.name()
                ));
                return;
            }
            let (mark, target) = (prompt.mark, prompt.target);
            state.prompt = None;
            apply(app, state, mark, target, note);
        }
        Edit::Changed => prompt.error = None,
        _ => {}
    }
}

fn apply(app: &mut App, state: &mut State, mark: Mark, target: Target, note: String) {
    let height = super::draw::list_height(app.size, state);
    let Some(step) = state.current_mut() else {
        return;
    };
    let mut changed = 0;
    match target {
        Target::One(index) => {
            if let Some(item) = step.items.get_mut(index) {
                item.mark = Some(mark);
                item.note = note;
                changed = 1;
                step.refresh_row(index);
                // On to the next finding, as a reviewer reads down the list.
                step.table.move_by(1);
                step.offset =
                    super::draw::follow(step.offset, step.table.selected_position(), height);
            }
        }
        Target::AllUnmarked => {
            for index in 0..step.items.len() {
                if step.items[index].mark.is_none() {
                    step.items[index].mark = Some(mark);
                    step.items[index].note = note.clone();
                    step.refresh_row(index);
                    changed += 1;
                }
            }
        }
    }
    if changed > 0
        && let Some(audit) = state.audit.as_mut()
    {
        audit.revision += 1;
    }
    app.flash(format!("marked {changed} finding(s) {}", mark.name()));
}

fn unmark(app: &mut App, state: &mut State) {
    let Some(step) = state.current_mut() else {
        return;
    };
    let Some(index) = step.selected() else {
        return;
    };
    let had = step.items.get_mut(index).and_then(|item| {
        item.note.clear();
        item.mark.take()
    });
    if had.is_some() {
        step.refresh_row(index);
        if let Some(audit) = state.audit.as_mut() {
            audit.revision += 1;
        }
        app.flash("mark removed");
    }
}

fn write(app: &mut App, state: &mut State) -> Vec<Effect> {
    if state.step != SUMMARY {
        app.flash("the report is written from the summary: → to the last step, then w");
        return Vec::new();
    }
    let Some(audit) = &state.audit else {
        app.flash("nothing to report yet");
        return Vec::new();
    };
    if state.pending_revision.is_some() {
        app.flash("a report is being written");
        return Vec::new();
    }
    state.pending_revision = Some(audit.revision);
    app.flash("writing the report…");
    vec![Effect::WriteGuidedReport(Box::new(Report::build(
        audit, &app.now,
    )))]
}
