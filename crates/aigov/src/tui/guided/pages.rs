//! The bodies of the guided audit's steps: the introduction (a loading step until data
//! arrives), an area's explanation, findings and selected finding, and the summary.

use super::State;
use super::draw::{Regions, follow};
use super::model::{Audit, Counts, Item, Mark, RULE_COLUMN, STEPS, StepState, preview};
use crate::tui::app::App;
use crate::tui::table::Tone;
use crate::tui::theme::Theme;
use crate::tui::views::clean;
use aigov_core::rules::catalog;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

fn boxed<'a>(title: String, theme: &Theme, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { theme.accent } else { theme.border })
        .title(title)
}

fn paragraph(frame: &mut Frame, area: Rect, text: Text<'static>, block: Block, scroll: u16) {
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

pub(super) fn intro(frame: &mut Frame, app: &App, state: &State, area: Rect) {
    let theme = &app.theme;
    let mut lines = vec![
        Line::styled(
            "Walk through six areas in order: namespaces, RBAC, data reach, images, config and admission. Each step explains what is checked and why it matters for AI data, then lists the area's findings.",
            theme.accent,
        ),
        Line::raw(""),
    ];
    match (&state.audit, preview(app)) {
        (Some(audit), _) => {
            let c = audit.counts();
            lines.push(Line::styled(
                format!(
                    "Audit in progress: {} of {} findings marked. → goes on.",
                    c.marked(),
                    c.findings
                ),
                theme.accent,
            ));
            if app.refreshed_at != audit.data_at {
                lines.push(Line::styled(
                    format!(
                        "Newer data arrived at {}; this audit keeps reviewing the data loaded at {}.",
                        app.refreshed_at.as_deref().unwrap_or("?"),
                        audit.data_at.as_deref().unwrap_or("?")
                    ),
                    theme.stale,
                ));
            }
        }
        (None, Some(counts)) => {
            let total: usize = counts.iter().sum();
            let parts: Vec<String> = STEPS
                .iter()
                .zip(&counts)
                .map(|(def, n)| format!("{n} {}", def.short))
                .collect();
            lines.push(Line::styled(
                format!(
                    "{total} findings to review: {}. → or enter begins.",
                    parts.join(" · ")
                ),
                theme.accent,
            ));
        }
        (None, None) => {
            let done = app.loading.kinds.values().filter(|k| k.done).count();
            lines.push(Line::styled(
                format!(
                    "Loading the cluster's data ({done}/{} kinds)… the audit begins when it has arrived.",
                    aigov_core::model::Kind::ALL.len()
                ),
                theme.stale,
            ));
            if let Some(e) = app.errors.last() {
                lines.push(Line::styled(
                    format!("last error: {}", clean(&e.message)),
                    theme.stale,
                ));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw("Mark each finding:"));
    for (key, mark, note) in [
        ("a", Mark::AcceptedRisk, "a note saying why is required"),
        ("f", Mark::NeedsFix, "the note is optional"),
        ("n", Mark::NotApplicable, "a note saying why is required"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {key}  "), theme.accent),
            Span::raw(format!("{:<16}", mark.name())),
            Span::styled(note, theme.muted),
        ]));
    }
    lines.push(Line::styled(
        "  A F N mark every unmarked finding of a step at once; u removes a mark.",
        theme.muted,
    ));
    lines.push(Line::raw(""));
    lines.push(Line::raw(
        "The summary writes a Markdown and a JSON report with your marks, the context, your identity and the time. The audit only reads the cluster; the report is the one thing it writes, on this machine.",
    ));
    paragraph(
        frame,
        area,
        Text::from(lines),
        boxed(" Guided read-only audit ".into(), theme, true),
        0,
    );
}

/// The step's introduction and every rule it covers: what it checks and why it matters.
fn explanation(step: &StepState, theme: &Theme) -> Text<'static> {
    let mut lines = vec![Line::raw(step.def.intro), Line::raw("")];
    for rule in step.rules() {
        let n = step.items.iter().filter(|i| i.rule == rule.id).count();
        let found = match n {
            0 => "no findings".to_string(),
            n => format!("{n} finding(s)"),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} {}", rule.id, rule.title), theme.accent),
            Span::styled(format!("  {found}"), theme.muted),
        ]));
        lines.push(Line::raw(format!("  Checks: {}", rule.checks)));
        lines.push(Line::raw(format!("  Why it matters: {}", rule.why)));
    }
    Text::from(lines)
}

fn finding_detail(item: Option<&Item>, theme: &Theme) -> Text<'static> {
    let Some(item) = item else {
        return Text::styled("No finding selected.", theme.muted);
    };
    let mut head = vec![
        Span::styled(
            item.severity.name().to_uppercase(),
            theme.severity(item.severity).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("  {}", item.rule)),
    ];
    if item.incomplete {
        head.push(Span::styled("  INCOMPLETE", theme.stale));
    }
    let mut lines = vec![
        Line::from(head),
        Line::styled(item.title.clone(), theme.accent),
        Line::raw(format!("object: {}", item.object)),
        Line::raw(""),
    ];
    match item.mark {
        Some(mark) => {
            lines.push(Line::from(vec![
                Span::styled("Marked ", theme.accent),
                Span::styled(mark.name(), theme.accent.add_modifier(Modifier::BOLD)),
            ]));
            if !item.note.is_empty() {
                lines.push(Line::raw(format!("note: {}", clean(&item.note))));
            }
        }
        None => lines.push(Line::styled(
            "Not marked yet: a accepted risk, f needs fix, n not applicable.",
            theme.muted,
        )),
    }
    if !item.evidence.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Evidence", theme.accent));
        lines.extend(item.evidence.iter().map(|e| Line::raw(format!("• {e}"))));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Why it matters", theme.accent));
    lines.push(Line::raw(item.explanation.clone()));
    if let Some(rule) = catalog::find(&item.rule) {
        lines.push(Line::raw(""));
        lines.push(Line::styled("How to fix", theme.accent));
        lines.push(Line::raw(rule.fix));
    }
    Text::from(lines)
}

pub(super) fn area_step(
    frame: &mut Frame,
    app: &App,
    state: &State,
    step: &StepState,
    r: &Regions,
) {
    let theme = &app.theme;
    let number = state.step;
    let selected = step.selected().and_then(|i| step.items.get(i));
    if r.detail.is_none() && state.show_detail && !state.expanded {
        paragraph(
            frame,
            r.about,
            finding_detail(selected, theme),
            boxed(
                " Selected finding (d: back to the explanation, [ ] scroll) ".into(),
                theme,
                false,
            ),
            state.scroll,
        );
    } else {
        let hint = if state.expanded {
            "i or esc shrinks, [ ] scroll"
        } else {
            "i expands, [ ] scroll"
        };
        paragraph(
            frame,
            r.about,
            explanation(step, theme),
            boxed(
                format!(
                    " {number}/{} {}: what is checked and why ({hint}) ",
                    STEPS.len(),
                    step.def.title
                ),
                theme,
                false,
            ),
            state.scroll,
        );
    }
    if let Some(list) = r.list {
        findings(frame, step, theme, list);
    }
    if let Some(detail) = r.detail {
        paragraph(
            frame,
            detail,
            finding_detail(selected, theme),
            boxed(" Selected finding ".into(), theme, false),
            0,
        );
    }
}

/// The visible rows only, so a step with 100k findings draws as fast as one with ten.
fn findings(frame: &mut Frame, step: &StepState, theme: &Theme, area: Rect) {
    let c = step.counts();
    let title = format!(
        " Findings [{}]  {} marked, {} left ",
        c.findings,
        c.marked(),
        c.not_reviewed
    );
    let block = boxed(title, theme, true);
    if step.items.is_empty() {
        frame.render_widget(
            Paragraph::new("No findings in this area: every rule above passed here. → goes on.")
                .style(theme.muted)
                .wrap(Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }
    let table = &step.table;
    // A narrow list leaves out the rule id (the detail shows it) to keep the finding readable.
    let keep = |column: usize| area.width >= 90 || column != RULE_COLUMN;
    let height = usize::from(area.height.saturating_sub(3));
    let selected = table.selected_position();
    let offset = follow(step.offset, selected, height);
    let end = (offset + height).min(table.rows.len());
    let rows: Vec<Row> = table.rows[offset.min(end)..end]
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let style = if offset + i == selected {
                theme.selection
            } else {
                match row.tone {
                    Tone::Plain => theme.base,
                    Tone::Muted => theme.muted,
                    Tone::Severity(s) => theme.severity(s),
                }
            };
            Row::new(
                row.cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| keep(*i))
                    .map(|(_, c)| Cell::from(c.as_str())),
            )
            .style(style)
        })
        .collect();
    let columns: Vec<_> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, c)| c)
        .collect();
    let header = Row::new(columns.iter().map(|c| Cell::from(c.title))).style(theme.accent);
    frame.render_widget(
        Table::new(rows, columns.iter().map(|c| c.width))
            .header(header)
            .block(block)
            .style(theme.base)
            .column_spacing(1),
        area,
    );
}

fn counts_cells(label: String, c: &Counts) -> Row<'static> {
    Row::new(vec![
        label,
        c.findings.to_string(),
        c.accepted_risk.to_string(),
        c.needs_fix.to_string(),
        c.not_applicable.to_string(),
        c.not_reviewed.to_string(),
    ])
}

pub(super) fn summary(frame: &mut Frame, app: &App, state: &State, area: Rect) {
    let theme = &app.theme;
    let Some(audit) = &state.audit else {
        return;
    };
    let total = audit.counts();
    let table_height = (STEPS.len() as u16 + 4).min(area.height);
    let [counts, rest] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(area);
    let mut rows: Vec<Row> = audit
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| counts_cells(format!("{}. {}", i + 1, s.def.title), &s.counts()))
        .collect();
    rows.push(counts_cells("Total".into(), &total).style(theme.accent));
    let header = Row::new(vec![
        "AREA",
        "FINDINGS",
        "ACCEPTED",
        "NEEDS FIX",
        "N/A",
        "NOT REVIEWED",
    ])
    .style(theme.accent);
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(28),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(5),
                Constraint::Length(12),
            ],
        )
        .header(header)
        .block(boxed(" Summary ".into(), theme, true))
        .flex(ratatui::layout::Flex::Start)
        .style(theme.base),
        counts,
    );
    paragraph(
        frame,
        rest,
        summary_text(audit, state, &total, theme),
        boxed(" Report ".into(), theme, false),
        0,
    );
}

fn summary_text(audit: &Audit, state: &State, total: &Counts, theme: &Theme) -> Text<'static> {
    let mut lines = Vec::new();
    if total.not_reviewed > 0 {
        lines.push(Line::styled(
            format!(
                "{} finding(s) are not marked; the report lists them as not reviewed.",
                total.not_reviewed
            ),
            theme.stale,
        ));
    }
    if total.incomplete > 0 {
        lines.push(Line::styled(
            format!(
                "{} finding(s) are incomplete: their rule could not be evaluated everywhere.",
                total.incomplete
            ),
            theme.stale,
        ));
    }
    if state.pending_revision.is_some() {
        lines.push(Line::styled("Writing the report…", theme.accent));
    } else if !state.written.is_empty() && state.saved_revision == Some(audit.revision) {
        lines.push(Line::styled("Report written:", theme.accent));
        lines.extend(
            state
                .written
                .iter()
                .map(|p| Line::raw(format!("  {}", clean(&p.display().to_string())))),
        );
    } else {
        lines.push(Line::styled(
            "w writes the report (Markdown and JSON) to reports/ in the aigov data directory.",
            theme.accent,
        ));
    }
    let fixes: Vec<&Item> = audit
        .steps
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.mark == Some(Mark::NeedsFix))
        .collect();
    if !fixes.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Needs fix ({})", fixes.len()),
            theme.accent,
        ));
        for item in fixes.into_iter().take(200) {
            let mut line = vec![
                Span::styled(
                    format!("{:<9}", item.severity.name()),
                    theme.severity(item.severity),
                ),
                Span::raw(format!("{} {}: {}", item.rule, item.object, item.title)),
            ];
            if !item.note.is_empty() {
                line.push(Span::styled(
                    format!("  ({})", clean(&item.note)),
                    theme.muted,
                ));
            }
            lines.push(Line::from(line));
        }
    }
    Text::from(lines)
}
