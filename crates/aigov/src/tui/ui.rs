//! Drawing the chrome around the views: header, tabs, status line, hint bar, the detail pane
//! and the overlays (help, palette, errors, contexts). The hint bar and the help screen are
//! generated from the key binding declarations.

use super::app::{App, Mode};
use super::keymap::Scope;
use super::layout::{self, Areas};
use super::views::{self, clean};
use super::{guided, update};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &mut App) {
    let size = frame.area();
    app.size = (size.width, size.height);
    let areas = layout::areas(app.size, app.detail);
    frame.render_widget(Block::default().style(app.theme.base), size);
    header(frame, app, areas.header);
    tabs(frame, app, areas.tabs);
    views::draw(app, frame, areas.body);
    if let Some(pane) = areas.detail {
        detail(frame, app, pane);
    }
    status(frame, app, &areas);
    hints(frame, app, areas.hints);
    match &app.mode {
        Mode::Help { scroll } => help(frame, app, *scroll),
        Mode::Errors { scroll } => errors(frame, app, *scroll),
        Mode::Contexts { selected } => contexts(frame, app, *selected),
        Mode::Palette(input) => {
            let typed = input.text().to_string();
            palette(frame, app, &areas, &typed);
        }
        Mode::Guided => guided::draw(frame, app),
        Mode::Plan => super::plan::draw(frame, app),
        _ => {}
    }
}

fn header(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut first = vec![Span::styled(
        " aigov ",
        theme.header.add_modifier(Modifier::BOLD),
    )];
    match &app.connection {
        Some(c) => {
            first.push(Span::styled(
                format!(" ctx {} ", clean(&c.context)),
                theme.header,
            ));
            first.push(Span::styled(
                format!(" {} ", clean(&c.server)),
                theme.header,
            ));
            if c.insecure_skip_tls_verify {
                first.push(Span::styled(
                    if c.allow_insecure_apply {
                        " TLS NOT VERIFIED: writes allowed "
                    } else {
                        " TLS NOT VERIFIED: writes refused "
                    },
                    theme.stale.add_modifier(Modifier::REVERSED),
                ));
            }
            let groups = if c.identity.groups.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    c.identity
                        .groups
                        .iter()
                        .map(|g| clean(g))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            first.push(Span::styled(
                format!(" as {}{} ", clean(&c.identity.username), groups),
                theme.header,
            ));
        }
        None => first.push(Span::styled(" connecting… ", theme.header)),
    }
    if app.read_only() {
        first.push(Span::raw(" "));
        first.push(Span::styled(" READ-ONLY ", theme.badge));
    }
    let mut second = Vec::new();
    match (&app.refreshed_at, app.loading.active) {
        (_, true) => {
            let done = app.loading.kinds.values().filter(|k| k.done).count();
            second.push(Span::styled(
                format!(
                    " loading {done}/{} kinds",
                    aigov_core::model::Kind::ALL.len()
                ),
                theme.accent,
            ));
        }
        (Some(at), false) => second.push(Span::styled(format!(" refreshed {at}"), theme.muted)),
        (None, false) => second.push(Span::styled(" no data yet", theme.muted)),
    }
    if let Some(since) = &app.stale_since {
        second.push(Span::styled(
            format!("  STALE since {since}: the connection is down"),
            theme.stale,
        ));
    }
    if let Some(data) = &app.data {
        let incomplete = data
            .evaluation
            .findings
            .iter()
            .filter(|f| f.incomplete)
            .count();
        second.push(Span::styled(
            format!("  {} findings", data.evaluation.findings.len()),
            theme.muted,
        ));
        if incomplete > 0 {
            second.push(Span::styled(
                format!(" ({incomplete} incomplete)"),
                theme.stale,
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]).style(theme.header),
        area,
    );
}

fn tabs(frame: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    for (label, view) in layout::tab_labels(area.width)
        .into_iter()
        .zip(super::view::ViewId::ALL)
    {
        let style = if view == app.view {
            app.theme.selection
        } else {
            app.theme.muted
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn detail(frame: &mut Frame, app: &App, area: Rect) {
    let text =
        views::detail(app).unwrap_or_else(|| Text::styled("Nothing selected.", app.theme.muted));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.accent)
        .title(" Detail (esc closes) ");
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: false })
            .style(app.theme.base),
        area,
    );
}

fn status(frame: &mut Frame, app: &App, areas: &Areas) {
    let area = areas.status;
    let theme = &app.theme;
    let line = match &app.mode {
        Mode::Filter(input) => {
            frame.set_cursor_position(Position::new(area.x + 1 + input.cursor() as u16, area.y));
            Line::from(vec![
                Span::styled("/", theme.accent),
                Span::raw(input.text().to_string()),
            ])
        }
        Mode::Palette(input) => {
            frame.set_cursor_position(Position::new(area.x + 1 + input.cursor() as u16, area.y));
            Line::from(vec![
                Span::styled(":", theme.accent),
                Span::raw(input.text().to_string()),
            ])
        }
        Mode::Prompt(input) => {
            let label = "who-can (VERB RESOURCE [-n NS]): ";
            frame.set_cursor_position(Position::new(
                area.x + label.len() as u16 + input.cursor() as u16,
                area.y,
            ));
            Line::from(vec![
                Span::styled(label, theme.accent),
                Span::raw(input.text().to_string()),
            ])
        }
        _ => match &app.message {
            Some((message, _)) => Line::styled(clean(message), theme.accent),
            None if !app.errors.is_empty() => Line::styled(
                format!("{} error(s): :errors to see them", app.errors.len()),
                theme.muted,
            ),
            None => Line::raw(""),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn hints(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    let view_hints = app.keymap.describe(Scope::View(app.view));
    let global_hints = app.keymap.describe(Scope::Global);
    for (keys, help, shown) in view_hints.into_iter().chain(global_hints) {
        if !shown || keys.is_empty() {
            continue;
        }
        let short = help.split([':', '(']).next().unwrap_or(help).trim();
        spans.push(Span::styled(format!("<{keys}>"), theme.accent));
        spans.push(Span::styled(format!(" {short}  "), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A centred rectangle of at most `width` x `height`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2));
    let height = height.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

fn overlay(
    frame: &mut Frame,
    app: &App,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: u16,
    width: u16,
    height: u16,
) {
    let area = centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.accent)
        .title(format!(" {title} "));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll, 0))
            .wrap(Wrap { trim: false })
            .style(app.theme.base),
        area,
    );
}

fn help(frame: &mut Frame, app: &App, scroll: u16) {
    let theme = &app.theme;
    let mut lines = vec![Line::styled(
        format!("{} view", app.view.title()),
        theme.accent,
    )];
    let own = app.keymap.describe(Scope::View(app.view));
    if own.is_empty() {
        lines.push(Line::styled("  (no keys of its own)", theme.muted));
    }
    for (keys, help, _) in own {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<14}"), theme.accent),
            Span::raw(help),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Everywhere", theme.accent));
    for (keys, help, _) in app.keymap.describe(Scope::Global) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<14}"), theme.accent),
            Span::raw(help),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Commands (:)", theme.accent));
    lines.push(Line::raw(format!("  {}", update::commands().join("  "))));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Keys can be changed in config.toml under [keys]. Any key closes this.",
        theme.muted,
    ));
    overlay(frame, app, "Help", lines, scroll, 90, 40);
}

fn errors(frame: &mut Frame, app: &App, scroll: u16) {
    let mut lines: Vec<Line> = app
        .errors
        .iter()
        .rev()
        .map(|e| {
            Line::from(vec![
                Span::styled(format!("{} ", e.at), app.theme.muted),
                Span::raw(e.message.clone()),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled("No errors.", app.theme.muted));
    }
    overlay(frame, app, "Errors (newest first)", lines, scroll, 120, 30);
}

fn contexts(frame: &mut Frame, app: &App, selected: usize) {
    let Some(connection) = &app.connection else {
        return;
    };
    let area = centered(frame.area(), 60, connection.contexts.len() as u16 + 4);
    frame.render_widget(Clear, area);
    let items: Vec<ListItem> = connection
        .contexts
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let current = if *name == connection.context {
                " (current)"
            } else {
                ""
            };
            let style = if i == selected {
                app.theme.selection
            } else {
                app.theme.base
            };
            ListItem::new(format!("{}{current}", clean(name))).style(style)
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.accent)
        .title(" Switch context (enter) ");
    frame.render_widget(List::new(items).block(block), area);
}

fn palette(frame: &mut Frame, app: &App, areas: &Areas, typed: &str) {
    let matches = update::complete(typed);
    if matches.is_empty() {
        return;
    }
    let height = (matches.len() as u16).min(8) + 2;
    let [_, list] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(height)]).areas(areas.body);
    let area = Rect::new(list.x, list.y, 30.min(list.width), list.height);
    frame.render_widget(Clear, area);
    let items: Vec<ListItem> = matches
        .iter()
        .take(8)
        .map(|m| ListItem::new(format!(":{m}")))
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.accent)
        .title(" tab completes ");
    frame.render_widget(List::new(items).block(block).style(app.theme.base), area);
}
