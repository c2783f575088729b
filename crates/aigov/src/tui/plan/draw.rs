//! Drawing the plan screen over the whole screen: the staged changes, the selected change's
//! review (warnings, a blocked reason, the coloured dry-run diff), the justification editor
//! and the confirmation modal. Every text from the cluster is sanitised.

use super::{Screen, Step};
use crate::tui::app::App;
use crate::tui::views::clean;
use aigov_remediation::diff::DiffLine;
use aigov_remediation::plan::{Plan, Status};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, Paragraph, Wrap};

fn status_text(status: &Status) -> String {
    match status {
        Status::Staged => "staged".into(),
        Status::Applied {
            verified, remains, ..
        } => match (verified, remains) {
            (Some(true), _) => "applied, verified".into(),
            (Some(false), Some(why)) => format!("applied, finding remains: {}", clean(why)),
            (Some(false), None) => "applied, finding remains".into(),
            (None, _) => "applied".into(),
        },
        Status::Failed { .. } => "not applied".into(),
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let (Some(plan), Some(screen)) = (app.plan.as_ref(), app.plan_screen.as_ref()) else {
        return;
    };
    let area = frame.area();
    frame.render_widget(Clear, area);
    let theme = &app.theme;
    let [header, body, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let context = app
        .connection
        .as_ref()
        .map(|c| {
            format!(
                "ctx {}  as {}",
                clean(&c.context),
                clean(&c.identity.username)
            )
        })
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" aigov staged plan ", theme.header),
            Span::raw(format!("  {context}  ")),
            Span::styled(screen.busy.clone().unwrap_or_default(), theme.accent),
        ])),
        header,
    );
    let [list, review] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(body);
    draw_list(frame, app, plan, screen, list);
    draw_review(frame, app, plan, screen, review);
    let hint = match screen.step {
        Step::List => "j/k move  v review (dry run)  a apply  u unstage  esc back",
        Step::Justify(_) => "type the justification  ctrl-s continue  esc cancel",
        Step::Confirm { .. } => "a apply  esc back",
    };
    frame.render_widget(Paragraph::new(hint).style(theme.muted), hints);
    match &screen.step {
        Step::Justify(editor) => {
            let modal = centered(area, 70, 8);
            frame.render_widget(Clear, modal);
            let mut editor = (**editor).clone();
            editor.set_block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.accent)
                    .title(" Justification (recorded in the audit log) "),
            );
            frame.render_widget(&editor, modal);
        }
        Step::Confirm { justification } => {
            draw_confirm(frame, app, plan, screen, justification, area);
        }
        Step::List => {}
    }
}

fn draw_list(frame: &mut Frame, app: &App, plan: &Plan, screen: &Screen, area: Rect) {
    let theme = &app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(format!(" Staged changes [{}] ", plan.changes.len()));
    if plan.changes.is_empty() {
        frame.render_widget(
            Paragraph::new(
                "Nothing staged. In the Findings view (7), s stages the selected finding's fix.",
            )
            .style(theme.muted)
            .wrap(Wrap { trim: true })
            .block(block),
            area,
        );
        return;
    }
    let items: Vec<ListItem> = plan
        .changes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let style = if i == screen.selected {
                theme.selection
            } else {
                theme.base
            };
            ListItem::new(format!(
                "{:<4} {:<24} {}",
                s.id,
                status_text(&s.status),
                clean(&s.change.description)
            ))
            .style(style)
        })
        .collect();
    frame.render_widget(List::new(items).block(block), area);
}

fn draw_review(frame: &mut Frame, app: &App, plan: &Plan, screen: &Screen, area: Rect) {
    let theme = &app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(" Review: live object against the server's dry run ");
    let Some(staged) = plan.changes.get(screen.selected) else {
        frame.render_widget(block, area);
        return;
    };
    let mut lines = vec![
        Line::styled(
            clean(&staged.change.description),
            theme.accent.add_modifier(Modifier::BOLD),
        ),
        Line::raw(format!(
            "target {}  fixes {}",
            clean(&staged.change.target.to_string()),
            clean(&staged.change.finding_key)
        )),
    ];
    if let Status::Failed { reason } = &staged.status {
        lines.push(Line::styled(
            format!("last attempt: {}", clean(reason)),
            theme.stale,
        ));
    }
    lines.push(Line::raw(""));
    match screen.reviews.get(&staged.id) {
        None => lines.push(Line::styled(
            "Not reviewed yet: v sends it as a server dry run.",
            theme.muted,
        )),
        Some(reviewed) => {
            if let Some((staged, now)) = reviewed.changed_since_staged() {
                lines.push(Line::styled(
                    format!(
                        "The object changed since this was staged (resourceVersion {} -> {}): the diff is against it as it is now.",
                        clean(&staged),
                        clean(&now)
                    ),
                    theme.accent,
                ));
            }
            for warning in reviewed.warnings() {
                lines.push(Line::styled(
                    format!("Warning: {}", clean(warning)),
                    theme.severity(aigov_core::rules::Severity::Medium),
                ));
            }
            if let Some(why) = reviewed.blocked() {
                lines.push(Line::styled(
                    format!("BLOCKED: {}", clean(&why)),
                    theme.stale.add_modifier(Modifier::BOLD),
                ));
            } else if reviewed.diff.is_empty() {
                lines.push(Line::styled("The dry run changes nothing.", theme.muted));
            }
            for line in &reviewed.diff {
                let style = match line {
                    DiffLine::Added(_) => Style::default().fg(Color::Green),
                    DiffLine::Removed(_) => Style::default().fg(Color::Red),
                    DiffLine::Header(_) => theme.accent,
                    DiffLine::Context(_) => theme.base,
                };
                let style = if theme.name == "no-color" {
                    theme.base
                } else {
                    style
                };
                lines.push(Line::styled(line.text(), style));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(Text::from(lines))
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn draw_confirm(
    frame: &mut Frame,
    app: &App,
    plan: &Plan,
    screen: &Screen,
    justification: &str,
    area: Rect,
) {
    let theme = &app.theme;
    let Some(staged) = plan.changes.get(screen.selected) else {
        return;
    };
    let action = match &staged.change.operation {
        aigov_remediation::Operation::Patch { patch_type, .. } => {
            format!("patch ({})", patch_type.content_type())
        }
        aigov_remediation::Operation::Create { .. } => "create".into(),
        aigov_remediation::Operation::Delete => "DELETE".into(),
    };
    let context = app
        .connection
        .as_ref()
        .map(|c| format!("{} as {}", clean(&c.context), clean(&c.identity.username)))
        .unwrap_or_default();
    let text = vec![
        Line::styled(
            format!("Apply {} to the cluster?", staged.id),
            theme.accent.add_modifier(Modifier::BOLD),
        ),
        Line::raw(""),
        Line::raw(format!(
            "object:  {}",
            clean(&staged.change.target.to_string())
        )),
        Line::raw(format!("action:  {action}")),
        Line::raw(format!("change:  {}", clean(&staged.change.description))),
        Line::raw(format!("context: {context}")),
        Line::raw(format!("reason:  {}", clean(justification))),
        Line::raw(""),
        Line::raw(
            "Sent as reviewed, with the reviewed resourceVersion; recorded in the audit log.",
        ),
        Line::styled("a apply   esc back", theme.accent),
    ];
    let modal = centered(area, 80, text.len() as u16 + 4);
    frame.render_widget(Clear, modal);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.stale)
                    .title(" Confirm "),
            )
            .style(theme.base),
        modal,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}
