//! `update`: the one place the app changes. It is pure: it reads an action, changes `App`,
//! and returns the effects to run. Keys become named actions through the keymap first.

use super::action::{Action, Effect};
use super::app::{App, KindProgress, Mode};
use super::input::{Edit, LineInput};
use super::keymap::{Key, Scope};
use super::view::ViewId;
use super::{layout, views};
use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEventKind};

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let before = app.view;
    let mut effects = dispatch(app, action);
    // The audit log is read again whenever its view is opened.
    if app.view == ViewId::AuditLog && before != ViewId::AuditLog {
        effects.push(Effect::LoadAuditLog);
    }
    effects
}

fn dispatch(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(event) => key(app, event),
        Action::Mouse(event) => {
            mouse(app, event);
            Vec::new()
        }
        Action::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        Action::Tick(now) => {
            app.now = now;
            app.ticks += 1;
            if app
                .message
                .as_ref()
                .is_some_and(|(_, until)| *until <= app.ticks)
            {
                app.message = None;
            }
            Vec::new()
        }
        Action::Quit => {
            app.quit = true;
            Vec::new()
        }
        Action::Connected { generation, info } if generation == app.generation => {
            app.flash(format!(
                "connected to {} as {}",
                info.context, info.identity.username
            ));
            app.connection = Some(info);
            app.stale_since = None;
            app.loading.active = true;
            app.loading.kinds.clear();
            Vec::new()
        }
        Action::ConnectFailed { generation, error } if generation == app.generation => {
            app.loading.active = false;
            // The very first connection failing leaves nothing to show: leave, as kubectl
            // would, with the reason. A failed context switch keeps the console open.
            if generation == 0 && app.connection.is_none() {
                app.fatal = Some(error.clone());
                app.quit = true;
            }
            app.error(error);
            Vec::new()
        }
        Action::Progress {
            generation,
            progress,
        } if generation == app.generation => {
            app.loading.kinds.insert(
                progress.kind,
                KindProgress {
                    loaded: progress.loaded,
                    total: progress.total,
                    done: progress.done,
                },
            );
            Vec::new()
        }
        Action::Derived { generation, data } if generation == app.generation => {
            app.loading.active = false;
            app.refreshed_at = Some(app.now.clone());
            app.stale_since = None;
            views::on_data(app, *data);
            super::plan::verify(app)
        }
        Action::LoadFailed { generation, error } if generation == app.generation => {
            app.loading.active = false;
            app.error(error);
            Vec::new()
        }
        Action::Disconnected {
            generation,
            error,
            until_reload,
        } if generation == app.generation => {
            if app.stale_since.is_none() {
                app.stale_since = Some(app.now.clone());
            }
            if until_reload {
                let reload = app.keymap.press_or_type(Scope::Global, "reload", "reload");
                app.error(format!("{error} ({reload} to reload)"));
            } else {
                app.error(error);
            }
            Vec::new()
        }
        Action::Reconnected { generation } if generation == app.generation => {
            app.stale_since = None;
            app.flash("connection restored");
            Vec::new()
        }
        Action::Warning {
            generation,
            message,
        } if generation == app.generation => {
            app.error(message);
            Vec::new()
        }
        Action::PlanLoaded { generation, plan } if generation == app.generation => {
            match plan {
                Ok(plan) => app.plan = Some(*plan),
                Err(e) => app.error(format!("the staged plan cannot be used: {e}")),
            }
            super::plan::verify(app)
        }
        Action::Notice(message) => {
            app.flash(message);
            Vec::new()
        }
        Action::PlanReviewed { id, reviewed } => {
            super::plan::reviewed(app, id, *reviewed);
            Vec::new()
        }
        Action::PlanApplied { id, result } => super::plan::applied(app, id, result.map(|r| *r)),
        Action::BaselineSaved(result) => super::accept::saved(app, result),
        Action::AuditLogLoaded(loaded) => {
            views::audit_log::loaded(&mut app.views.audit_log, loaded);
            Vec::new()
        }
        Action::GuidedReportWritten(result) => {
            super::guided::report_written(app, result);
            Vec::new()
        }
        // Results of an older generation (before a reload or context switch) are dropped,
        // so two clusters' data never mix.
        _ => Vec::new(),
    }
}

fn key(app: &mut App, event: KeyEvent) -> Vec<Effect> {
    match &mut app.mode {
        Mode::Filter(input) => {
            let edit = input.key(&event);
            let text = input.text().to_string();
            match edit {
                Edit::Changed => views::set_filter(app, &text),
                Edit::Submit => app.mode = Mode::Normal,
                Edit::Cancel => {
                    views::set_filter(app, "");
                    app.mode = Mode::Normal;
                }
                _ => {}
            }
            Vec::new()
        }
        Mode::Palette(input) => {
            let edit = input.key(&event);
            match edit {
                Edit::Submit => {
                    let command = input.text().trim().to_string();
                    app.mode = Mode::Normal;
                    palette_command(app, &command)
                }
                Edit::Cancel => {
                    app.mode = Mode::Normal;
                    Vec::new()
                }
                Edit::Complete => {
                    if let Some(done) = complete(input.text()).first() {
                        input.set(done);
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            }
        }
        Mode::Prompt(input) => {
            let edit = input.key(&event);
            let text = input.text().to_string();
            match edit {
                Edit::Submit => {
                    app.mode = Mode::Normal;
                    views::prompt_submitted(app, &text)
                }
                Edit::Cancel => {
                    app.mode = Mode::Normal;
                    Vec::new()
                }
                _ => Vec::new(),
            }
        }
        Mode::Help { scroll } | Mode::Errors { scroll } => {
            match event.code {
                KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::PageDown => *scroll = scroll.saturating_add(10),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                _ => app.mode = Mode::Normal,
            }
            Vec::new()
        }
        Mode::Contexts { selected } => {
            let count = app.connection.as_ref().map_or(0, |c| c.contexts.len());
            match event.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    *selected = (*selected + 1).min(count.saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                KeyCode::Enter => {
                    let chosen = app
                        .connection
                        .as_ref()
                        .and_then(|c| c.contexts.get(*selected))
                        .cloned();
                    app.mode = Mode::Normal;
                    if let Some(context) = chosen {
                        return switch_context(app, context);
                    }
                }
                _ => app.mode = Mode::Normal,
            }
            Vec::new()
        }
        Mode::Guided => super::guided::key(app, event),
        Mode::Plan => super::plan::key(app, event),
        Mode::Normal => match app.keymap.lookup(app.view, Key::from_event(&event)) {
            Some(name) => named(app, name),
            None => Vec::new(),
        },
    }
}

/// Run a named action: a view's own first, then the global ones.
pub fn named(app: &mut App, name: &str) -> Vec<Effect> {
    if let Some(effects) = views::handle(app, name) {
        return effects;
    }
    let page = usize::from(layout::table_height(app.size)).max(1) as isize;
    match name {
        "quit" => app.quit = true,
        "help" => app.mode = Mode::Help { scroll: 0 },
        "palette" => app.mode = Mode::Palette(LineInput::default()),
        "filter" => {
            let current = views::filter(app).unwrap_or_default();
            app.mode = Mode::Filter(LineInput::with(&current));
        }
        "back" => {
            if app.detail {
                app.detail = false;
            } else if views::filter(app).is_some_and(|f| !f.is_empty()) {
                views::set_filter(app, "");
            }
        }
        "detail" => app.detail = !app.detail,
        "next-view" => go(app, app.view.next()),
        "previous-view" => go(app, app.view.previous()),
        "down" => views::move_selection(app, 1),
        "up" => views::move_selection(app, -1),
        "page-down" => views::move_selection(app, page),
        "page-up" => views::move_selection(app, -page),
        "top" => views::move_selection(app, isize::MIN / 2),
        "bottom" => views::move_selection(app, isize::MAX / 2),
        "reload" => return reload(app),
        "guided" => super::guided::start(app),
        "plan" => super::plan::open(app),
        other => {
            if let Some(view) = ViewId::ALL.into_iter().find(|v| v.go_action() == other) {
                go(app, view);
            }
        }
    }
    Vec::new()
}

fn go(app: &mut App, view: ViewId) {
    app.view = view;
    app.detail = false;
}

fn reload(app: &mut App) -> Vec<Effect> {
    app.generation += 1;
    app.loading.active = true;
    app.loading.kinds.clear();
    app.flash("reloading");
    let mut effects = vec![Effect::Reload {
        generation: app.generation,
    }];
    if app.view == ViewId::AuditLog {
        effects.push(Effect::LoadAuditLog);
    }
    effects
}

fn switch_context(app: &mut App, context: String) -> Vec<Effect> {
    app.generation += 1;
    // Nothing of the old cluster stays on screen.
    app.data = None;
    app.views = Default::default();
    app.stale_since = None;
    app.refreshed_at = None;
    app.loading.active = true;
    app.loading.kinds.clear();
    app.flash(format!("switching to context {context}"));
    vec![Effect::Connect {
        generation: app.generation,
        context: Some(context),
    }]
}

/// Every palette command, for completion and help.
pub fn commands() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = ViewId::ALL
        .iter()
        .flat_map(|v| v.commands().iter().copied())
        .collect();
    all.extend([
        "ctx", "context", "errors", "help", "reload", "guided", "plan", "revert", "export", "q",
        "quit",
    ]);
    all
}

/// Commands starting with what was typed, shortest first.
pub fn complete(typed: &str) -> Vec<&'static str> {
    let typed = typed.trim().trim_start_matches(':');
    let mut matches: Vec<&'static str> = commands()
        .into_iter()
        .filter(|c| c.starts_with(typed))
        .collect();
    matches.sort_by_key(|c| (c.len(), *c));
    matches
}

fn palette_command(app: &mut App, command: &str) -> Vec<Effect> {
    let command = command.trim_start_matches(':').trim();
    let (word, rest) = command.split_once(' ').unwrap_or((command, ""));
    if let Some(view) = ViewId::ALL
        .into_iter()
        .find(|v| v.commands().contains(&word))
    {
        go(app, view);
        if !rest.trim().is_empty() {
            views::set_filter(app, rest.trim());
        }
        return Vec::new();
    }
    match word {
        "q" | "quit" | "q!" => app.quit = true,
        "help" => app.mode = Mode::Help { scroll: 0 },
        "errors" => app.mode = Mode::Errors { scroll: 0 },
        "reload" => return reload(app),
        "guided" => super::guided::start(app),
        "plan" => super::plan::open(app),
        "revert" => return super::plan::revert(app, rest.trim()),
        "export" => return super::plan::export(app, rest.trim()),
        "ctx" | "context" => {
            let rest = rest.trim();
            if rest.is_empty() {
                let current = app
                    .connection
                    .as_ref()
                    .and_then(|c| c.contexts.iter().position(|x| *x == c.context))
                    .unwrap_or(0);
                app.mode = Mode::Contexts { selected: current };
            } else if app
                .connection
                .as_ref()
                .is_some_and(|c| c.contexts.iter().any(|x| x == rest))
            {
                return switch_context(app, rest.to_string());
            } else {
                app.error(format!("no context {rest:?} in the kubeconfig"));
            }
        }
        "" => {}
        other => {
            let suggestions = complete(other);
            if suggestions.is_empty() {
                app.flash(format!("unknown command :{other} (try :help)"));
            } else {
                app.flash(format!(
                    "unknown command :{other}; did you mean :{}?",
                    suggestions[0]
                ));
            }
        }
    }
    Vec::new()
}

fn mouse(app: &mut App, event: ratatui::crossterm::event::MouseEvent) {
    if app.mode != Mode::Normal {
        return;
    }
    match event.kind {
        MouseEventKind::ScrollDown => views::move_selection(app, 3),
        MouseEventKind::ScrollUp => views::move_selection(app, -3),
        MouseEventKind::Down(MouseButton::Left) => {
            let areas = layout::areas(app.size, app.detail);
            if event.row == areas.tabs.y {
                if let Some(view) = layout::tab_at(areas.tabs, event.column) {
                    go(app, view);
                }
            } else {
                views::click(app, areas.body, event.column, event.row);
            }
        }
        _ => {}
    }
}
