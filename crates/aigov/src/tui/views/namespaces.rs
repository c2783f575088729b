//! Namespaces: every namespace with its AI classification, isolation (Pod Security label,
//! NetworkPolicies) and finding counts per severity.

use super::{BuildInput, clean};
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, hint};
use crate::tui::table::{Column, TableModel, TableRow, Tone, column};
use aigov_core::rules::Severity;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Text};
use std::collections::BTreeMap;

pub const BINDINGS: &[Binding] = &[hint(
    &["f"],
    "namespaces.findings",
    "show this namespace's findings",
)];

/// What the detail pane shows for one namespace.
#[derive(Debug, Clone, Default)]
pub struct NamespaceInfo {
    pub name: String,
    pub ai: bool,
    pub score: u32,
    pub reasons: Vec<String>,
    pub enforce: String,
    pub network_policies: Vec<String>,
    pub counts: [usize; 5],
    pub workloads: usize,
    pub ai_workloads: usize,
    /// Recent events, warnings first: `Warning BackOff pod/x: message`.
    pub events: Vec<String>,
}

/// The events of one namespace as the detail pane lists them, warnings first, at most `limit`.
fn events_of(snapshot: &aigov_core::model::Snapshot, namespace: &str, limit: usize) -> Vec<String> {
    let mut events: Vec<&aigov_core::model::objects::Event> = snapshot
        .events
        .iter()
        .filter(|e| e.meta.namespace == namespace)
        .collect();
    events.sort_by_key(|e| (e.event_type != "Warning", std::cmp::Reverse(e.count)));
    events
        .into_iter()
        .take(limit)
        .map(|e| {
            clean(&format!(
                "{} {} {}/{}: {}",
                e.event_type,
                e.reason,
                e.involved_kind.to_lowercase(),
                e.involved_name,
                e.message
            ))
        })
        .collect()
}

#[derive(Default)]
pub struct Data {
    rows: Vec<TableRow>,
    infos: Vec<NamespaceInfo>,
}

#[derive(Default)]
pub struct State {
    pub table: TableModel,
    infos: Vec<NamespaceInfo>,
}

fn columns() -> Vec<Column> {
    vec![
        column("NAMESPACE", Constraint::Min(16)),
        column("AI", Constraint::Length(4)),
        column("SCORE", Constraint::Length(5)),
        column("WORKLOADS", Constraint::Length(9)),
        column("POD SECURITY", Constraint::Length(12)),
        column("NETPOL", Constraint::Length(6)),
        column("CRIT", Constraint::Length(4)),
        column("HIGH", Constraint::Length(4)),
        column("MED", Constraint::Length(4)),
        column("LOW", Constraint::Length(4)),
    ]
}

pub fn build(input: &BuildInput) -> Data {
    let mut counts: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    for f in &input.evaluation.findings {
        let ns = if f.object.kind == "Namespace" {
            f.object.name.as_str()
        } else {
            f.object.namespace.as_str()
        };
        counts.entry(ns).or_default()[f.severity as usize] += 1;
    }
    let mut infos = Vec::new();
    for ns in &input.snapshot.namespaces {
        let name = ns.meta.name.as_str();
        let class = input.view.namespaces.get(name);
        let policies: Vec<String> = input
            .snapshot
            .network_policies
            .iter()
            .filter(|p| p.meta.namespace == name)
            .map(|p| clean(&p.meta.name))
            .collect();
        infos.push(NamespaceInfo {
            name: clean(name),
            ai: class.is_some_and(|c| c.ai),
            score: class.map_or(0, |c| c.score),
            reasons: class
                .map(|c| c.reasons.iter().map(|r| clean(r)).collect())
                .unwrap_or_default(),
            enforce: clean(
                ns.meta
                    .labels
                    .get("pod-security.kubernetes.io/enforce")
                    .map_or("-", String::as_str),
            ),
            network_policies: policies,
            counts: counts.get(name).copied().unwrap_or_default(),
            workloads: class.map_or(0, |c| c.workloads),
            ai_workloads: class.map_or(0, |c| c.ai_workloads),
            events: events_of(input.snapshot, name, 8),
        });
    }
    let rows = infos
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let c = n.counts;
            let worst = (0..5).rev().find(|s| c[*s] > 0);
            let tone = match worst {
                Some(s) if s >= Severity::High as usize => Tone::Severity(if s == 4 {
                    Severity::Critical
                } else {
                    Severity::High
                }),
                _ if !n.ai => Tone::Muted,
                _ => Tone::Plain,
            };
            TableRow::new(
                vec![
                    n.name.clone(),
                    if n.ai { "yes".into() } else { "-".into() },
                    n.score.to_string(),
                    format!("{}/{}", n.ai_workloads, n.workloads),
                    n.enforce.clone(),
                    n.network_policies.len().to_string(),
                    c[4].to_string(),
                    c[3].to_string(),
                    c[2].to_string(),
                    c[1].to_string(),
                ],
                n.name.clone(),
                tone,
            )
            .source(i)
        })
        .collect();
    Data { rows, infos }
}

pub fn take(state: &mut State, data: &mut Data) {
    if state.table.columns.is_empty() {
        state.table = TableModel::new(columns(), Vec::new());
    }
    state.table.replace_rows(std::mem::take(&mut data.rows));
    state.infos = std::mem::take(&mut data.infos);
}

pub fn table(state: &mut State) -> Option<&mut TableModel> {
    Some(&mut state.table)
}

pub fn handle(app: &mut App, name: &str) -> Option<Vec<Effect>> {
    match name {
        "namespaces.findings" => {
            let selected = app
                .views
                .namespaces
                .table
                .selected_row()
                .map(|r| r.key.clone());
            if let Some(ns) = selected {
                app.view = crate::tui::view::ViewId::Findings;
                let state = &mut app.views.findings;
                state.namespace = Some(ns);
                let text = state.table.filter().to_string();
                super::findings::set_filter(app, &text);
            }
            Some(Vec::new())
        }
        _ => None,
    }
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    if app.data.is_none() {
        super::placeholder(
            frame,
            area,
            "Namespaces",
            "Waiting for data from the cluster…",
            &app.theme,
        );
        return;
    }
    app.views
        .namespaces
        .table
        .draw(frame, area, "Namespaces", &app.theme, true);
}

pub fn detail(app: &App) -> Option<Text<'static>> {
    let state = &app.views.namespaces;
    let info = state.infos.get(state.table.selected_row()?.source)?;
    let theme = &app.theme;
    let mut lines = vec![
        Line::styled(info.name.clone(), theme.accent),
        Line::raw(format!(
            "AI namespace: {} (score {}); {} of {} workloads show AI signals",
            if info.ai { "yes" } else { "no" },
            info.score,
            info.ai_workloads,
            info.workloads
        )),
    ];
    if !info.reasons.is_empty() {
        lines.push(Line::styled("Why", theme.accent));
        lines.extend(info.reasons.iter().map(|r| Line::raw(format!("• {r}"))));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Isolation", theme.accent));
    lines.push(Line::raw(format!("Pod Security enforce: {}", info.enforce)));
    if info.network_policies.is_empty() {
        lines.push(Line::raw("NetworkPolicies: none"));
    } else {
        lines.push(Line::raw(format!(
            "NetworkPolicies: {}",
            info.network_policies.join(", ")
        )));
    }
    let c = info.counts;
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(
        "Findings: {} critical, {} high, {} medium, {} low, {} info   (f: list them)",
        c[4], c[3], c[2], c[1], c[0]
    )));
    if !info.events.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Recent events", theme.accent));
        lines.extend(info.events.iter().map(|e| Line::raw(e.clone())));
    }
    Some(Text::from(lines))
}
