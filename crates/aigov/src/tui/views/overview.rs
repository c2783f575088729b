//! Overview: the AI namespaces with their score and reasons, findings per area and per
//! severity as bar charts, the top critical findings, kinds that could not be read, and the
//! loading gauges while data arrives.

use super::{BuildInput, clean};
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, Scope};
use crate::tui::table::TableModel;
use aigov_core::model::Coverage;
use aigov_core::rules::{Area, Severity};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Gauge, Paragraph, Wrap};

pub const BINDINGS: &[Binding] = &[];

#[derive(Debug, Clone, Default)]
pub struct Data {
    /// (name, score, reasons) of the AI namespaces.
    ai_namespaces: Vec<(String, u32, Vec<String>)>,
    other_namespaces: usize,
    per_area: Vec<(Area, usize)>,
    per_severity: [usize; 5],
    /// (rule, object, title) of the most severe findings.
    top: Vec<(Severity, String, String, String)>,
    unreadable: Vec<String>,
    incomplete: usize,
}

#[derive(Default)]
pub struct State {
    data: Data,
}

pub fn build(input: &BuildInput) -> Data {
    let mut data = Data::default();
    for class in input.view.namespaces.values() {
        if class.ai {
            data.ai_namespaces.push((
                clean(&class.name),
                class.score,
                class.reasons.iter().map(|r| clean(r)).collect(),
            ));
        } else {
            data.other_namespaces += 1;
        }
    }
    data.ai_namespaces
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for area in Area::ALL {
        let n = input
            .evaluation
            .findings
            .iter()
            .filter(|f| f.area() == area)
            .count();
        data.per_area.push((area, n));
    }
    for f in &input.evaluation.findings {
        data.per_severity[f.severity as usize] += 1;
        if f.incomplete {
            data.incomplete += 1;
        }
    }
    data.top = input
        .evaluation
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .take(12)
        .map(|f| {
            (
                f.severity,
                f.rule.id.to_string(),
                clean(&f.object.to_string()),
                clean(&f.title),
            )
        })
        .collect();
    data.unreadable = input
        .snapshot
        .coverage
        .iter()
        .filter_map(|(kind, c)| match c {
            Coverage::Unknown { reason } => Some(format!("{kind}: {}", clean(reason))),
            Coverage::Partial { unknown_namespaces } => Some(format!(
                "{kind}: {} namespace(s) unreadable",
                unknown_namespaces.len()
            )),
            _ => None,
        })
        .collect();
    data
}

pub fn take(state: &mut State, data: &mut Data) {
    state.data = std::mem::take(data);
}

pub fn table(_state: &mut State) -> Option<&mut TableModel> {
    None
}

pub fn handle(_app: &mut App, _name: &str) -> Option<Vec<Effect>> {
    None
}

fn block<'a>(title: &'a str, app: &App) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(format!(" {title} "))
}

fn loading(app: &App, frame: &mut Frame, area: Rect) {
    let kinds: Vec<_> = app.loading.kinds.iter().collect();
    let outer = block("Loading", app);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let rows = usize::from(inner.height);
    let columns = kinds.len().div_ceil(rows.max(1)).max(1);
    let column_areas =
        Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (i, (kind, progress)) in kinds.iter().enumerate() {
        let column = column_areas[(i / rows.max(1)).min(columns - 1)];
        let y = column.y + (i % rows.max(1)) as u16;
        let cell = Rect::new(column.x, y, column.width.saturating_sub(1), 1);
        let ratio = match (progress.done, progress.total) {
            (true, _) => 1.0,
            (false, Some(total)) if total > 0 => (progress.loaded as f64 / total as f64).min(1.0),
            _ => 0.0,
        };
        let label = match (progress.done, progress.total) {
            (false, Some(total)) => format!("{kind} {}/{total}", progress.loaded),
            (false, None) => format!("{kind} {}", progress.loaded),
            (true, _) => format!("{kind} {} ✓", progress.loaded),
        };
        frame.render_widget(
            Gauge::default()
                .gauge_style(app.theme.accent)
                .ratio(ratio)
                .label(label),
            cell,
        );
    }
    if kinds.is_empty() {
        frame.render_widget(Paragraph::new("connecting…").style(app.theme.muted), inner);
    }
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    if app.data.is_none() {
        loading(app, frame, area);
        return;
    }
    let data = &app.views.overview.data;
    let theme = &app.theme;
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let [namespaces, charts] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);

    // One line per namespace, with its reasons underneath when there is room for them.
    let room = usize::from(namespaces.height.saturating_sub(2));
    let needed: usize = data
        .ai_namespaces
        .iter()
        .map(|(_, _, r)| 1 + r.len())
        .sum::<usize>()
        + 1;
    let mut lines: Vec<Line> = Vec::new();
    for (name, score, reasons) in &data.ai_namespaces {
        lines.push(Line::from(vec![
            Span::styled(format!("{name} "), theme.accent),
            Span::raw(format!("score {score}")),
        ]));
        if needed <= room {
            for r in reasons {
                lines.push(Line::styled(format!("  {r}"), theme.muted));
            }
        }
    }
    if data.ai_namespaces.is_empty() {
        lines.push(Line::styled("No AI namespaces found.", theme.muted));
    }
    lines.push(Line::styled(
        format!("{} other namespace(s)", data.other_namespaces),
        theme.muted,
    ));
    let title = format!("AI namespaces ({})", data.ai_namespaces.len());
    frame.render_widget(Paragraph::new(lines).block(block(&title, app)), namespaces);

    let [by_area, by_severity] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts);
    let area_bars: Vec<Bar> = data
        .per_area
        .iter()
        .map(|(a, n)| {
            Bar::default()
                .label(Line::from(a.code()))
                .value(*n as u64)
                .style(theme.accent)
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .block(block("Findings per area", app))
            .data(BarGroup::default().bars(&area_bars))
            .bar_width(5)
            .bar_gap(1),
        by_area,
    );
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    let severity_bars: Vec<Bar> = severities
        .iter()
        .map(|s| {
            Bar::default()
                .label(Line::from(&s.name()[..4.min(s.name().len())]))
                .value(data.per_severity[*s as usize] as u64)
                .style(theme.severity(*s))
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .block(block("Findings per severity", app))
            .data(BarGroup::default().bars(&severity_bars))
            .bar_width(5)
            .bar_gap(1),
        by_severity,
    );

    let [critical, unreadable] =
        Layout::horizontal([Constraint::Percentage(70), Constraint::Percentage(30)]).areas(bottom);
    let top_lines: Vec<Line> = data
        .top
        .iter()
        .map(|(s, rule, object, title)| {
            Line::from(vec![
                Span::styled(format!("{:<8} ", s.name()), theme.severity(*s)),
                Span::raw(format!("{rule:<15} ")),
                Span::styled(format!("{object}  "), theme.muted),
                Span::raw(title.clone()),
            ])
        })
        .collect();
    let total: usize = data.per_severity.iter().sum();
    let all_findings_key = app
        .keymap
        .key_or_command(Scope::Global, "go.findings", "findings");
    let top_title = format!(
        "Most severe findings: {} of {total} ({all_findings_key} for all)",
        data.top.len()
    );
    frame.render_widget(
        Paragraph::new(top_lines).block(block(&top_title, app)),
        critical,
    );
    let mut unread: Vec<Line> = data
        .unreadable
        .iter()
        .map(|u| Line::styled(u.clone(), theme.stale))
        .collect();
    if unread.is_empty() {
        unread.push(Line::styled("Every kind was read.", theme.muted));
    }
    if data.incomplete > 0 {
        unread.push(Line::styled(
            format!("{} rule result(s) incomplete", data.incomplete),
            theme.stale,
        ));
    }
    frame.render_widget(
        Paragraph::new(unread)
            .block(block("Could not read", app))
            .wrap(Wrap { trim: true })
            .style(Style::default()),
        unreadable,
    );
}

pub fn detail(_app: &App) -> Option<Text<'static>> {
    None
}
