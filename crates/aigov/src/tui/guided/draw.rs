//! Drawing the guided audit over the whole screen: the layout, the header and step bar, the
//! status line (note prompt, confirmation) and the key hints; `pages` draws each step's body.
//! Every cluster string was sanitised when the audit began; notes and messages are sanitised
//! here.

use super::model::STEPS;
use super::pages::{area_step, intro, summary};
use super::{Confirm, SUMMARY, State};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::views::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// Where each part goes.
pub(super) struct Regions {
    header: Rect,
    steps: Rect,
    body: Rect,
    /// The explanation (or, on narrow screens, the selected finding) above the list.
    pub(super) about: Rect,
    pub(super) list: Option<Rect>,
    pub(super) detail: Option<Rect>,
    status: Rect,
    hints: Rect,
}

/// Side by side at this width and above; otherwise `d` swaps the explanation for the detail.
pub(super) const WIDE: u16 = 120;

fn regions(area: Rect, state: &State) -> Regions {
    let [header, steps, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if state.expanded {
        return Regions {
            header,
            steps,
            body,
            about: body,
            list: None,
            detail: None,
            status,
            hints,
        };
    }
    // A narrow screen showing the selected finding gives it half the body.
    let top = if body.width < WIDE && state.show_detail {
        body.height / 2
    } else {
        (body.height / 3).clamp(5, 14).min(body.height)
    };
    let [about, rest] = Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(body);
    let (list, detail) = if rest.width >= WIDE {
        let [l, d] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(rest);
        (l, Some(d))
    } else {
        (rest, None)
    };
    Regions {
        header,
        steps,
        body,
        about,
        list: Some(list),
        detail,
        status,
        hints,
    }
}

/// Finding rows the list shows at this screen size (page up and down move by this).
pub fn list_height(size: (u16, u16), state: &State) -> usize {
    let r = regions(Rect::new(0, 0, size.0, size.1), state);
    r.list
        .map_or(0, |l| usize::from(l.height.saturating_sub(3)))
}

/// The first visible row once `selected` is kept inside a window of `height` rows.
pub fn follow(offset: usize, selected: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let fresh = State::default();
    let state = app.guided.as_ref().unwrap_or(&fresh);
    let theme = &app.theme;
    let area = frame.area();
    frame.render_widget(Clear, area);
    frame.render_widget(Block::default().style(theme.base), area);
    let r = regions(area, state);
    header(frame, app, state, r.header);
    step_bar(frame, state, theme, r.steps);
    match (state.step, state.current()) {
        (0, _) => intro(frame, app, state, r.body),
        (s, _) if s >= SUMMARY => summary(frame, app, state, r.body),
        (_, Some(step)) => area_step(frame, app, state, step, &r),
        _ => {}
    }
    status(frame, app, state, r.status);
    hints(frame, state, theme, r.hints);
}

fn header(frame: &mut Frame, app: &App, state: &State, area: Rect) {
    let theme = &app.theme;
    let mut spans = vec![Span::styled(
        " aigov guided audit ",
        theme.header.add_modifier(Modifier::BOLD),
    )];
    // The badge first, so a narrow screen never cuts it off.
    if app.read_only() {
        spans.push(Span::styled(" READ-ONLY ", theme.badge));
    }
    let who = match (&state.audit, &app.connection) {
        (Some(a), _) => Some((a.context.clone(), a.server.clone(), a.identity.clone())),
        (None, Some(c)) => Some((
            clean(&c.context),
            clean(&c.server),
            aigov_core::model::Identity {
                username: clean(&c.identity.username),
                groups: c.identity.groups.iter().map(|g| clean(g)).collect(),
                source: String::new(),
            },
        )),
        (None, None) => None,
    };
    match who {
        Some((context, server, identity)) => {
            let groups = if identity.groups.is_empty() {
                String::new()
            } else {
                format!(" ({})", identity.groups.join(", "))
            };
            spans.push(Span::styled(
                format!(
                    " ctx {context}  as {}{groups}  {server} ",
                    identity.username
                ),
                theme.header,
            ));
        }
        None => spans.push(Span::styled(" connecting… ", theme.header)),
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), area);
}

fn step_bar(frame: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    let labels: Vec<(String, String)> = STEPS
        .iter()
        .enumerate()
        .map(|(i, def)| {
            let progress = state
                .audit
                .as_ref()
                .and_then(|a| a.steps.get(i))
                .map(|s| {
                    let c = s.counts();
                    format!(" {}/{}", c.marked(), c.findings)
                })
                .unwrap_or_default();
            (
                format!(" {} {}{progress} ", i + 1, def.short),
                format!(" {} ", i + 1),
            )
        })
        .collect();
    let full: usize = labels
        .iter()
        .map(|(l, _)| l.chars().count() + 1)
        .sum::<usize>()
        + 16;
    // Narrow screens name only the current step.
    let compact = full > usize::from(area.width);
    let style = |i: usize| {
        if i == state.step {
            theme.selection
        } else {
            theme.muted
        }
    };
    let mut spans = vec![Span::styled(" Intro ", style(0))];
    for (i, (long, short)) in labels.into_iter().enumerate() {
        spans.push(Span::styled("›", theme.border));
        let label = if compact && i + 1 != state.step {
            short
        } else {
            long
        };
        spans.push(Span::styled(label, style(i + 1)));
    }
    spans.push(Span::styled("›", theme.border));
    spans.push(Span::styled(" Summary ", style(SUMMARY)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status(frame: &mut Frame, app: &App, state: &State, area: Rect) {
    let theme = &app.theme;
    let line = if let Some(prompt) = &state.prompt {
        let what = match prompt.target {
            super::Target::One(_) => String::new(),
            super::Target::AllUnmarked => " for every unmarked finding".to_string(),
        };
        let need = if prompt.mark.note_required() {
            "required"
        } else {
            "optional"
        };
        let label = format!("{}{what}: note ({need}): ", prompt.mark.name());
        let x = area.x + (label.chars().count() + prompt.input.cursor()) as u16;
        frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        let mut spans = vec![
            Span::styled(label, theme.accent),
            Span::raw(clean(prompt.input.text())),
        ];
        if let Some(e) = &prompt.error {
            spans.push(Span::styled(format!("   {e}"), theme.stale));
        }
        Line::from(spans)
    } else if let Some(confirm) = state.confirm {
        let what = match confirm {
            Confirm::Leave => "Leave the guided audit",
            Confirm::Quit => "Quit aigov",
        };
        Line::styled(
            format!(
                "{what} and lose {} mark(s) not in a written report? y: yes, any other key: stay",
                state.unsaved()
            ),
            theme.stale,
        )
    } else {
        match &app.message {
            Some((message, _)) => Line::styled(clean(message), theme.accent),
            None => Line::raw(""),
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn hints(frame: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    let keys: &[(&str, &str)] = if state.prompt.is_some() {
        &[("enter", "save"), ("esc", "cancel")]
    } else if state.step > 0 && state.step < SUMMARY && area.width < WIDE {
        &[
            ("a", "accept"),
            ("f", "fix"),
            ("n", "n/a"),
            ("u", "unmark"),
            ("d", "detail"),
            ("←/→", "step"),
            ("esc", "leave"),
        ]
    } else if state.step == 0 {
        &[("→/enter", "begin"), ("esc", "leave"), ("ctrl-c", "quit")]
    } else if state.step >= SUMMARY {
        &[("w", "write report"), ("←", "back"), ("esc", "leave")]
    } else {
        &[
            ("a", "accepted risk"),
            ("f", "needs fix"),
            ("n", "not applicable"),
            ("u", "unmark"),
            ("A/F/N", "all unmarked"),
            ("←/→", "step"),
            ("i", "about"),
            ("d", "detail"),
            ("esc", "leave"),
        ]
    };
    let spans: Vec<Span> = keys
        .iter()
        .flat_map(|(k, help)| {
            [
                Span::styled(format!("<{k}>"), theme.accent),
                Span::styled(format!(" {help}  "), theme.muted),
            ]
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
