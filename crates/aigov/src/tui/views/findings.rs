//! Findings: every finding, filterable by area, severity and namespace as well as by text,
//! with a detail pane (explanation, evidence, how to fix).

use super::{BuildInput, clean};
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, bind, hint};
use crate::tui::table::{Column, TableModel, TableRow, Tone, column};
use aigov_core::rules::{Area, Place, Severity};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use std::collections::BTreeSet;

pub const BINDINGS: &[Binding] = &[
    hint(&["a"], "findings.area", "cycle the area filter"),
    hint(&["v"], "findings.severity", "cycle the minimum severity"),
    hint(&["n"], "findings.namespace", "cycle the namespace filter"),
    bind(
        &["x"],
        "findings.clear",
        "clear the area, severity and namespace filters",
    ),
    hint(
        &["s"],
        "findings.stage",
        "stage the fix (of the selected finding, or of every marked one; p shows the plan; a drifted ConfigMap is restored from the baseline)",
    ),
    hint(
        &["space"],
        "findings.mark",
        "mark (or unmark) the selected finding, to stage several together",
    ),
    bind(
        &["b"],
        "findings.accept",
        "accept a drift finding's object as it is now into the baseline (local, audited)",
    ),
];

#[derive(Default)]
pub struct Data {
    rows: Vec<TableRow>,
    namespaces: Vec<String>,
}

#[derive(Default)]
pub struct State {
    pub table: TableModel,
    pub area: Option<Area>,
    pub min_severity: Option<Severity>,
    pub namespace: Option<String>,
    namespaces: Vec<String>,
    /// Keys of the findings marked for staging together.
    pub marked: BTreeSet<String>,
}

/// Shown before the severity of a marked finding.
const MARK: &str = "● ";

impl State {
    /// Mark or unmark the selected finding.
    fn toggle_mark(&mut self) {
        let Some(key) = self.table.selected_row().map(|r| r.key.clone()) else {
            return;
        };
        if !self.marked.remove(&key) {
            self.marked.insert(key);
        }
        self.show_marks();
    }

    /// Forget the marks (after staging them).
    pub fn clear_marks(&mut self) {
        self.marked.clear();
        self.show_marks();
    }

    /// Put the mark sign on marked rows (and take it off the others); marks of findings
    /// that are gone after a reload are forgotten.
    fn show_marks(&mut self) {
        let present: BTreeSet<&str> = self.table.rows.iter().map(|r| r.key.as_str()).collect();
        self.marked.retain(|k| present.contains(k.as_str()));
        for row in &mut self.table.rows {
            let plain = row.cells[0].trim_start_matches(MARK).to_string();
            row.cells[0] = if self.marked.contains(&row.key) {
                format!("{MARK}{plain}")
            } else {
                plain
            };
        }
    }
}

fn columns() -> Vec<Column> {
    vec![
        column("SEVERITY", Constraint::Length(9)),
        column("RULE", Constraint::Length(15)),
        column("NAMESPACE", Constraint::Length(16)),
        column("OBJECT", Constraint::Percentage(35)),
        column("TITLE", Constraint::Percentage(65)),
    ]
}

pub fn build(input: &BuildInput) -> Data {
    let rows = input
        .evaluation
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let o = &f.object;
            let mut object = format!("{}/{}", o.kind, o.name);
            if o.place != Place::Whole {
                object.push(' ');
                object.push_str(&o.place.to_string());
            }
            let mut title = clean(&f.title);
            if f.incomplete {
                title.insert_str(0, "[incomplete] ");
            }
            TableRow::new(
                vec![
                    f.severity.name().to_string(),
                    f.rule.id.to_string(),
                    clean(&o.namespace),
                    clean(&object),
                    title,
                ],
                f.key(),
                Tone::Severity(f.severity),
            )
            .source(i)
        })
        .collect();
    let mut namespaces: Vec<String> = input
        .evaluation
        .findings
        .iter()
        .map(|f| f.object.namespace.clone())
        .filter(|n| !n.is_empty())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    Data { rows, namespaces }
}

pub fn take(state: &mut State, data: &mut Data) {
    if state.table.columns.is_empty() {
        state.table = TableModel::new(columns(), Vec::new());
    }
    state.table.replace_rows(std::mem::take(&mut data.rows));
    state.show_marks();
    state.namespaces = std::mem::take(&mut data.namespaces);
    if state
        .namespace
        .as_ref()
        .is_some_and(|n| !state.namespaces.contains(n))
    {
        state.namespace = None;
    }
    let text = state.table.filter().to_string();
    refilter(state, &text);
}

pub fn table(state: &mut State) -> Option<&mut TableModel> {
    Some(&mut state.table)
}

/// The text filter plus the facets.
fn refilter(state: &mut State, text: &str) {
    state.table.set_filter(text);
    let (area, min, namespace) = (state.area, state.min_severity, state.namespace.clone());
    if area.is_none() && min.is_none() && namespace.is_none() {
        return;
    }
    state.table.retain_shown(|row| {
        let severity = match row.tone {
            Tone::Severity(s) => s,
            _ => Severity::Info,
        };
        area.is_none_or(|a| row.cells[1].starts_with(&format!("AIGOV-{}-", a.code())))
            && min.is_none_or(|m| severity >= m)
            && namespace.as_ref().is_none_or(|n| row.cells[2] == *n)
    });
}

pub fn set_filter(app: &mut App, text: &str) {
    refilter(&mut app.views.findings, text);
}

fn cycle<T: Clone + PartialEq>(current: &Option<T>, all: &[T]) -> Option<T> {
    match current {
        None => all.first().cloned(),
        Some(c) => all
            .iter()
            .position(|x| x == c)
            .and_then(|i| all.get(i + 1))
            .cloned(),
    }
}

pub fn handle(app: &mut App, name: &str) -> Option<Vec<Effect>> {
    if name == "findings.stage" {
        return Some(crate::tui::plan::stage_selected(app));
    }
    if name == "findings.accept" {
        return Some(crate::tui::accept::accept_selected(app));
    }
    let state = &mut app.views.findings;
    match name {
        "findings.area" => state.area = cycle(&state.area, &Area::ALL),
        "findings.severity" => {
            state.min_severity = cycle(
                &state.min_severity,
                &[
                    Severity::Low,
                    Severity::Medium,
                    Severity::High,
                    Severity::Critical,
                ],
            )
        }
        "findings.namespace" => {
            state.namespace = cycle(&state.namespace, &state.namespaces.clone())
        }
        "findings.mark" => {
            state.toggle_mark();
            return Some(Vec::new());
        }
        "findings.clear" => {
            state.area = None;
            state.min_severity = None;
            state.namespace = None;
        }
        _ => return None,
    }
    let text = state.table.filter().to_string();
    refilter(state, &text);
    Some(Vec::new())
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    let state = &mut app.views.findings;
    let mut facets = Vec::new();
    if let Some(a) = state.area {
        facets.push(format!("area {}", a.code()));
    }
    if let Some(s) = state.min_severity {
        facets.push(format!("≥ {s}"));
    }
    if let Some(n) = &state.namespace {
        facets.push(format!("ns {n}"));
    }
    if !state.marked.is_empty() {
        facets.push(format!("{} marked", state.marked.len()));
    }
    let title = if facets.is_empty() {
        "Findings".to_string()
    } else {
        format!("Findings ({})", facets.join(", "))
    };
    if app.data.is_none() {
        super::placeholder(
            frame,
            area,
            &title,
            "Waiting for data from the cluster…",
            &app.theme,
        );
        return;
    }
    state.table.draw(frame, area, &title, &app.theme, true);
}

pub fn detail(app: &App) -> Option<Text<'static>> {
    let data = app.data.as_ref()?;
    let row = app.views.findings.table.selected_row()?;
    let f = data.evaluation.findings.get(row.source)?;
    let theme = &app.theme;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                f.severity.name().to_uppercase(),
                theme.severity(f.severity).add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("  {}", f.rule)),
            if f.incomplete {
                Span::styled("  INCOMPLETE", theme.stale)
            } else {
                Span::raw("")
            },
        ]),
        Line::styled(clean(&f.title), theme.accent),
        Line::raw(format!("object: {}", clean(&f.object.to_string()))),
        Line::raw(""),
        Line::styled("Why it matters", theme.accent),
        Line::raw(clean(&f.explanation)),
    ];
    if !f.evidence.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Evidence", theme.accent));
        lines.extend(
            f.evidence
                .iter()
                .map(|e| Line::raw(format!("• {}", clean(e)))),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("How to fix", theme.accent));
    lines.push(Line::raw(f.rule.fix.to_string()));
    lines.push(Line::raw(""));
    lines.push(Line::styled("False positives", theme.muted));
    lines.push(Line::styled(
        f.rule.false_positives.to_string(),
        theme.muted,
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "remediation: {}   key: {}",
            if f.remediable {
                "available"
            } else {
                "guidance only"
            },
            clean(&f.key())
        ),
        theme.muted,
    ));
    Some(Text::from(lines))
}
