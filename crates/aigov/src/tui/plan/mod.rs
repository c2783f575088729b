//! The staged plan in the console. `s` in the Findings view stages the selected finding's fix
//! (or those of every finding marked with space);
//! `p` (or `:plan`) opens the plan screen: the staged changes, and for the selected one the
//! server's dry-run diff (`v` reviews it). `a` asks for a justification (at least 10
//! characters, in a text editor), then a confirmation that names the object and the action;
//! `a` there applies, `Esc` goes back. `u` unstages. Applying goes through the audit trail in
//! the runner; afterwards the console reloads and the plan shows whether the finding is gone.
//! In read-only mode nothing can be staged.

mod draw;
#[cfg(test)]
mod tests;

pub use draw::draw;

use super::action::Effect;
use super::app::{App, Mode};
use aigov_remediation::apply::MIN_JUSTIFICATION;
use aigov_remediation::plan::{Plan, Status, status_after};
use aigov_remediation::review::Reviewed;
use aigov_remediation::{Proposal, propose_to_stage};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use std::collections::HashMap;

/// Where the plan screen is.
#[derive(Debug, Clone, Default)]
pub enum Step {
    #[default]
    List,
    /// Writing the justification.
    Justify(Box<TextArea<'static>>),
    /// The last question before the change is sent.
    Confirm { justification: String },
}

/// The plan screen's state, in `App::plan_screen` while it is open.
#[derive(Debug, Clone, Default)]
pub struct Screen {
    pub selected: usize,
    pub step: Step,
    /// The last review of each change id.
    pub reviews: HashMap<String, Reviewed>,
    /// A change being reviewed or applied, shown as busy.
    pub busy: Option<String>,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Stage the fixes of the findings marked in the Findings view (space), or of the selected
/// one when none is marked.
pub fn stage_selected(app: &mut App) -> Vec<Effect> {
    if app.read_only() {
        app.flash("read-only: nothing can be staged");
        return Vec::new();
    }
    let Some(data) = app.data.as_ref() else {
        return Vec::new();
    };
    let state = &app.views.findings;
    let findings: Vec<&aigov_core::rules::Finding> = if state.marked.is_empty() {
        state
            .table
            .selected_row()
            .and_then(|row| data.evaluation.findings.get(row.source))
            .into_iter()
            .collect()
    } else {
        data.evaluation
            .findings
            .iter()
            .filter(|f| state.marked.contains(&f.key()))
            .collect()
    };
    if findings.is_empty() {
        return Vec::new();
    }
    let Some(plan) = app.plan.as_mut() else {
        app.flash("the plan is not loaded yet");
        return Vec::new();
    };
    let mut effects = Vec::new();
    let mut ids = Vec::new();
    let mut not_staged = Vec::new();
    // The view the findings were judged on: the same settings, so the same facts.
    let view = data.evaluation.view_of(&data.snapshot);
    for finding in &findings {
        let key = finding.key();
        match propose_to_stage(finding, &view, data.baseline.as_ref()) {
            Proposal::Change { changes, .. } => {
                for change in changes {
                    let description = change.description.clone();
                    let id = plan.stage(change, &now());
                    effects.push(Effect::Record(Box::new(stage_entry(
                        app.connection.as_ref(),
                        &id,
                        &key,
                        &description,
                    ))));
                    ids.push(id);
                }
            }
            Proposal::Guidance(text) => not_staged.push(format!(
                "no automatic fix: {}",
                text.lines().next().unwrap_or_default()
            )),
            Proposal::NotApplicable(why) => not_staged.push(format!("nothing to stage: {why}")),
        }
    }
    let message = match (ids.is_empty(), findings.len(), not_staged.first()) {
        (true, 1, Some(why)) => why.clone(),
        (true, _, _) => format!(
            "none of the {} marked findings has an automatic fix",
            findings.len()
        ),
        (false, _, _) if not_staged.is_empty() => {
            format!("staged {}: p opens the plan", ids.join(", "))
        }
        (false, _, _) => format!(
            "staged {}; {} finding(s) have no automatic fix: p opens the plan",
            ids.join(", "),
            not_staged.len()
        ),
    };
    if !ids.is_empty() {
        effects.insert(0, Effect::SavePlan(Box::new(plan.clone())));
    }
    app.flash(super::views::clean(&message));
    app.views.findings.clear_marks();
    effects
}

/// The audit entry of a staged change.
fn stage_entry(
    connection: Option<&super::app::ConnectionInfo>,
    id: &str,
    finding: &str,
    description: &str,
) -> aigov_audit::Entry {
    let mut entry = aigov_audit::Entry::new(aigov_audit::EntryKind::Stage)
        .details(serde_json::json!({"id": id, "finding": finding, "description": description}));
    if let Some(c) = connection {
        entry = entry
            .context(c.context.clone())
            .user(c.identity.username.clone());
    }
    entry
}

/// Open the plan screen.
pub fn open(app: &mut App) {
    if app.plan.is_none() {
        app.flash("the plan is not loaded yet");
        return;
    }
    app.plan_screen.get_or_insert_with(Screen::default);
    app.mode = Mode::Plan;
}

fn selected_id(plan: &Plan, screen: &Screen) -> Option<String> {
    plan.changes.get(screen.selected).map(|s| s.id.clone())
}

/// A key on the plan screen.
pub fn key(app: &mut App, event: KeyEvent) -> Vec<Effect> {
    let (Some(plan), Some(screen)) = (app.plan.as_mut(), app.plan_screen.as_mut()) else {
        app.mode = Mode::Normal;
        return Vec::new();
    };
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    match &mut screen.step {
        Step::Justify(editor) => {
            match event.code {
                KeyCode::Esc => screen.step = Step::List,
                KeyCode::Char('s') if ctrl => {
                    let text = editor.lines().join("\n").trim().to_string();
                    if text.chars().count() < MIN_JUSTIFICATION {
                        app.message = Some((
                            format!(
                                "a justification needs at least {MIN_JUSTIFICATION} characters"
                            ),
                            app.ticks + 12,
                        ));
                    } else {
                        screen.step = Step::Confirm {
                            justification: text,
                        };
                    }
                }
                _ => {
                    editor.input(event);
                }
            }
            return Vec::new();
        }
        Step::Confirm { justification } => {
            return match event.code {
                KeyCode::Char('a') => {
                    let justification = std::mem::take(justification);
                    screen.step = Step::List;
                    let Some(id) = selected_id(plan, screen) else {
                        return Vec::new();
                    };
                    let Some(reviewed) = screen.reviews.get(&id).cloned() else {
                        return Vec::new();
                    };
                    screen.busy = Some(format!("applying {id}…"));
                    vec![Effect::ApplyChange {
                        id,
                        reviewed: Box::new(reviewed),
                        justification,
                    }]
                }
                KeyCode::Esc => {
                    screen.step = Step::List;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        Step::List => {}
    }
    let count = plan.changes.len();
    match event.code {
        KeyCode::Esc | KeyCode::Char('q') => {
            app.mode = Mode::Normal;
            Vec::new()
        }
        KeyCode::Down | KeyCode::Char('j') => {
            screen.selected = (screen.selected + 1).min(count.saturating_sub(1));
            Vec::new()
        }
        KeyCode::Up | KeyCode::Char('k') => {
            screen.selected = screen.selected.saturating_sub(1);
            Vec::new()
        }
        KeyCode::Char('v') | KeyCode::Enter => {
            let Some(staged) = plan.changes.get(screen.selected) else {
                return Vec::new();
            };
            screen.busy = Some(format!("reviewing {}…", staged.id));
            vec![Effect::ReviewChange {
                id: staged.id.clone(),
                change: Box::new(staged.change.clone()),
            }]
        }
        KeyCode::Char('a') => {
            let Some(id) = selected_id(plan, screen) else {
                return Vec::new();
            };
            let why = match (plan.get(&id).map(|s| &s.status), screen.reviews.get(&id)) {
                (Some(Status::Applied { .. }), _) => Some("already applied".to_string()),
                (_, None) => Some("review it first (v)".to_string()),
                (_, Some(r)) => r.blocked().map(|b| format!("the review is blocked: {b}")),
            };
            if let Some(why) = why {
                app.flash(format!(
                    "{id} cannot be applied: {}",
                    super::views::clean(&why)
                ));
                return Vec::new();
            }
            let mut editor = TextArea::default();
            editor.set_placeholder_text(
                "why this change (at least 10 characters); Ctrl-S to continue, Esc to cancel",
            );
            screen.step = Step::Justify(Box::new(editor));
            Vec::new()
        }
        KeyCode::Char('u') => {
            let Some(id) = selected_id(plan, screen) else {
                return Vec::new();
            };
            if matches!(
                plan.get(&id).map(|s| &s.status),
                Some(Status::Applied { .. })
            ) {
                app.flash(format!("{id} is applied: revert it with :revert {id}"));
                return Vec::new();
            }
            plan.changes.retain(|s| s.id != id);
            screen.reviews.remove(&id);
            screen.selected = screen.selected.min(plan.changes.len().saturating_sub(1));
            let saved = Box::new(plan.clone());
            app.flash(format!("unstaged {id}"));
            vec![Effect::SavePlan(saved)]
        }
        _ => Vec::new(),
    }
}

/// `:revert ID`: stage the inverse of an applied change.
pub fn revert(app: &mut App, id: &str) -> Vec<Effect> {
    if app.read_only() {
        app.flash("read-only: nothing can be staged");
        return Vec::new();
    }
    let Some(plan) = app.plan.as_mut() else {
        return Vec::new();
    };
    let Some(staged) = plan.get(id) else {
        app.error(format!("no change {} in the plan", super::views::clean(id)));
        return Vec::new();
    };
    if !matches!(staged.status, Status::Applied { .. }) {
        app.error(format!("{id} was not applied: nothing to revert"));
        return Vec::new();
    }
    let inverse = staged.change.inverse();
    let (finding, description) = (inverse.finding_key.clone(), inverse.description.clone());
    let new_id = plan.stage(inverse, &now());
    let saved = Box::new(plan.clone());
    app.flash(format!(
        "staged {new_id}, the inverse of {id}: review it in the plan (p)"
    ));
    let entry = stage_entry(app.connection.as_ref(), &new_id, &finding, &description);
    vec![Effect::SavePlan(saved), Effect::Record(Box::new(entry))]
}

/// `:export FILE`: write the staged plan as YAML for review in Git or by another person.
pub fn export(app: &mut App, path: &str) -> Vec<Effect> {
    if path.is_empty() {
        app.error("usage: :export FILE".to_string());
        return Vec::new();
    }
    let Some(plan) = app.plan.as_ref() else {
        app.flash("the plan is not loaded yet");
        return Vec::new();
    };
    vec![Effect::ExportPlan {
        plan: Box::new(plan.clone()),
        path: std::path::PathBuf::from(path),
    }]
}

/// A review came back.
pub fn reviewed(app: &mut App, id: String, reviewed: Reviewed) {
    if let Some(screen) = app.plan_screen.as_mut() {
        screen.busy = None;
        screen.reviews.insert(id, reviewed);
    }
}

/// An apply came back: record its status, save the plan, and reload to verify. After a
/// conflict nothing was written: the change is reviewed again against the object as it is
/// now, and the operator decides again.
pub fn applied(
    app: &mut App,
    id: String,
    result: Result<aigov_remediation::apply::Report, String>,
) -> Vec<Effect> {
    use aigov_remediation::apply::{Applied, Landed};
    if let Some(screen) = app.plan_screen.as_mut() {
        screen.busy = None;
        screen.reviews.remove(&id);
    }
    let Some(plan) = app.plan.as_mut() else {
        return Vec::new();
    };
    let (status, message) = match &result {
        Ok(report) => {
            let message = match &report.applied {
                Applied::Done { .. } => format!("applied {id}; reloading to verify"),
                Applied::Conflict { .. } => format!(
                    "{id}: the object changed since the review; nothing was written. Reviewing it again: check the new diff and apply again"
                ),
                Applied::Refused { status, .. } => format!("{id} was refused ({status})"),
                Applied::Unknown {
                    landed: Landed::Yes,
                    ..
                } => format!(
                    "{id}: no answer, but the object re-read shows the change; reloading to verify"
                ),
                Applied::Unknown {
                    landed: Landed::No, ..
                } => format!("{id}: no answer, and the object re-read is unchanged: not applied"),
                Applied::Unknown { .. } => format!("{id}: outcome unknown; check the object"),
            };
            (status_after(report, &now()), message)
        }
        Err(e) => (
            Status::Failed { reason: e.clone() },
            format!("{id} was not applied: {e}"),
        ),
    };
    let conflict = matches!(&result, Ok(r) if matches!(r.applied, Applied::Conflict { .. }));
    let done = matches!(status, Status::Applied { .. });
    let change = plan.get(&id).map(|s| s.change.clone());
    if let Some(staged) = plan.get_mut(&id) {
        staged.status = status;
    }
    let saved = Box::new(plan.clone());
    if done {
        app.flash(message);
    } else {
        app.error(message);
    }
    let mut effects = vec![Effect::SavePlan(saved)];
    if let (true, Some(change)) = (conflict, change) {
        if let Some(screen) = app.plan_screen.as_mut() {
            screen.busy = Some(format!("reviewing {id} again…"));
        }
        effects.push(Effect::ReviewChange {
            id,
            change: Box::new(change),
        });
    }
    if done {
        app.generation += 1;
        app.loading.active = true;
        effects.push(Effect::Reload {
            generation: app.generation,
        });
    }
    effects
}

/// New data: an applied change is verified when its finding is gone, otherwise its status
/// says why it remains.
pub fn verify(app: &mut App) -> Vec<Effect> {
    let (Some(plan), Some(data)) = (app.plan.as_mut(), app.data.as_ref()) else {
        return Vec::new();
    };
    if plan.verify(&data.evaluation.findings) {
        vec![Effect::SavePlan(Box::new(plan.clone()))]
    } else {
        Vec::new()
    }
}
