//! Data reach: the sensitive volumes (labelled as data, or mounted by AI workloads), the
//! workloads that mount them, and for the selected volume a tree of who can reach its data
//! and by which path (how, and the binding and role that allow it).

mod build;
#[cfg(test)]
pub(crate) mod tests;

pub use build::{Data, LineStyle, TreeLine, Volume, build};

use super::clean;
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, bind, hint};
use crate::tui::table::{Column, TableModel, TableRow, column};
use crate::tui::theme::Theme;
use crate::tui::view::ViewId;
use aigov_core::rules::Finding;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph};

pub const BINDINGS: &[Binding] = &[
    hint(
        &["t"],
        "reach.tree",
        "focus the tree: j/k, pgup/pgdn, home/end scroll it; t or esc go back",
    ),
    hint(&["m"], "reach.rw", "read-write mounts only (toggle)"),
    bind(&["J"], "reach.tree-down", "scroll the tree down"),
    bind(&["K"], "reach.tree-up", "scroll the tree up"),
    bind(&["l", "right"], "reach.tree-right", "scroll the tree right"),
    bind(&["h", "left"], "reach.tree-left", "scroll the tree left"),
    bind(&["f"], "reach.findings", "show this volume's findings"),
];

/// Columns the tree moves per left or right key.
const SIDE_STEP: u16 = 8;

#[derive(Default)]
pub struct State {
    pub table: TableModel,
    volumes: Vec<Volume>,
    /// Every row; the table holds these or the read-write subset.
    rows: Vec<TableRow>,
    pub rw_only: bool,
    /// Keys go to the tree instead of the table.
    pub tree_focus: bool,
    pub tree_scroll: usize,
    /// Columns scrolled to the right, for long lines.
    pub tree_column: u16,
    /// The volume the scroll position belongs to.
    tree_of: Option<String>,
    /// Lines the tree showed when last drawn, for paging.
    tree_height: usize,
}

fn columns() -> Vec<Column> {
    vec![
        column("NAMESPACE", Constraint::Length(13)),
        column("PVC", Constraint::Min(16)),
        column("DATA", Constraint::Length(10)),
        column("ACCESS", Constraint::Length(6)),
        column("ENC CLASS", Constraint::Length(12)),
        column("MOUNTS", Constraint::Length(6)),
        column("SUBJ", Constraint::Length(4)),
        column("WORST", Constraint::Length(8)),
    ]
}

pub fn take(state: &mut State, data: &mut Data) {
    if state.table.columns.is_empty() {
        state.table = TableModel::new(columns(), Vec::new());
    }
    state.volumes = std::mem::take(&mut data.volumes);
    state.rows = std::mem::take(&mut data.rows);
    apply_facets(state);
}

fn apply_facets(state: &mut State) {
    let rows = if state.rw_only {
        let volumes = &state.volumes;
        state
            .rows
            .iter()
            .filter(|r| volumes.get(r.source).is_some_and(|v| v.units_rw > 0))
            .cloned()
            .collect()
    } else {
        state.rows.clone()
    };
    state.table.replace_rows(rows);
    if state.table.is_empty() {
        state.tree_focus = false;
    }
}

pub fn table(state: &mut State) -> Option<&mut TableModel> {
    Some(&mut state.table)
}

/// The selected volume.
pub fn selected(state: &State) -> Option<&Volume> {
    state.volumes.get(state.table.selected_row()?.source)
}

/// Scroll the tree by `delta` lines (clamped to what it holds).
fn scroll(state: &mut State, delta: isize) {
    let lines = selected(state).map_or(0, |v| v.tree.len());
    let max = lines.saturating_sub(state.tree_height.max(1));
    state.tree_scroll = state.tree_scroll.saturating_add_signed(delta).min(max);
}

pub fn handle(app: &mut App, name: &str) -> Option<Vec<Effect>> {
    let detail = app.detail;
    let state = &mut app.views.reach;
    let page = state.tree_height.max(2) as isize;
    match name {
        "reach.tree" => state.tree_focus = !state.tree_focus && selected(state).is_some(),
        "reach.rw" => {
            state.rw_only = !state.rw_only;
            apply_facets(state);
            let message = if state.rw_only {
                "showing only volumes mounted read-write (m: all)"
            } else {
                "showing every sensitive volume"
            };
            app.flash(message);
        }
        "reach.tree-down" => scroll(state, page / 2),
        "reach.tree-up" => scroll(state, -(page / 2)),
        "reach.tree-right" => state.tree_column = state.tree_column.saturating_add(SIDE_STEP),
        "reach.tree-left" => state.tree_column = state.tree_column.saturating_sub(SIDE_STEP),
        "reach.findings" => {
            let Some((namespace, pvc)) =
                selected(state).map(|v| (v.namespace.clone(), v.pvc.clone()))
            else {
                return Some(Vec::new());
            };
            app.view = ViewId::Findings;
            app.detail = false;
            app.views.findings.namespace = Some(namespace);
            super::findings::set_filter(app, &pvc);
        }
        _ if state.tree_focus => match name {
            "down" => scroll(state, 1),
            "up" => scroll(state, -1),
            "page-down" => scroll(state, page),
            "page-up" => scroll(state, -page),
            "top" => state.tree_scroll = 0,
            "bottom" => scroll(state, isize::MAX / 2),
            "back" if !detail => state.tree_focus = false,
            _ => return None,
        },
        _ => return None,
    }
    Some(Vec::new())
}

/// The table's area and the tree's: side by side when wide, stacked when narrow.
fn split(body: Rect) -> (Rect, Rect) {
    if body.width >= 120 {
        let [table, tree] =
            Layout::horizontal([Constraint::Percentage(54), Constraint::Percentage(46)])
                .areas(body);
        (table, tree)
    } else {
        let [table, tree] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
        (table, tree)
    }
}

/// Where the volume table is drawn within the body (the tree takes the rest).
pub fn table_area(body: Rect) -> Rect {
    split(body).0
}

fn line_style(theme: &Theme, style: LineStyle) -> Style {
    match style {
        LineStyle::Heading => theme.accent.add_modifier(Modifier::BOLD),
        LineStyle::Plain => theme.base,
        LineStyle::Muted => theme.muted,
        LineStyle::Subject => theme.accent,
        LineStyle::Warn => theme.severity(aigov_core::rules::Severity::High),
    }
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    if app.data.is_none() {
        super::placeholder(
            frame,
            area,
            "Data reach",
            "Waiting for data from the cluster…",
            &app.theme,
        );
        return;
    }
    let (table_area, tree_area) = split(area);
    let theme = &app.theme;
    let state = &mut app.views.reach;
    let title = if state.rw_only {
        "Sensitive volumes (mounted read-write)"
    } else {
        "Sensitive volumes"
    };
    state
        .table
        .draw(frame, table_area, title, theme, !state.tree_focus);

    state.tree_height = usize::from(tree_area.height.saturating_sub(2));
    let key = state.table.selected_row().map(|r| r.key.clone());
    if key != state.tree_of {
        state.tree_of = key;
        state.tree_scroll = 0;
        state.tree_column = 0;
    }
    scroll(state, 0);
    let focused = state.tree_focus;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { theme.accent } else { theme.border });
    let Some(volume) = selected(state) else {
        let text = if state.rows.is_empty() {
            "No sensitive volumes: no PVC is labelled aigov.dev/data or mounted by an AI workload."
        } else {
            "No volume selected."
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.muted)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block.title(" Who can reach it ")),
            tree_area,
        );
        return;
    };
    let total = volume.tree.len();
    let start = state.tree_scroll.min(total);
    let end = (start + state.tree_height).min(total);
    let lines: Vec<Line> = volume.tree[start..end]
        .iter()
        .map(|l| {
            Line::from(vec![
                Span::styled(l.guide.as_str(), theme.muted),
                Span::styled(l.text.as_str(), line_style(theme, l.style)),
            ])
        })
        .collect();
    let position = if total > state.tree_height {
        format!(" [{}-{}/{}]", start + 1, end, total)
    } else {
        String::new()
    };
    let title = format!(" Reach {}/{}{position} ", volume.namespace, volume.pvc);
    frame.render_widget(
        Paragraph::new(lines)
            .style(theme.base)
            .scroll((0, state.tree_column))
            .block(block.title(title)),
        tree_area,
    );
}

/// A finding as detail lines: severity, rule and title, object, evidence and the fix.
pub fn finding_lines(f: &Finding, theme: &Theme) -> Vec<Line<'static>> {
    let mut head = vec![
        Span::styled(
            f.severity.name().to_uppercase(),
            theme.severity(f.severity).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("  {}  ", f.rule)),
        Span::styled(clean(&f.title), theme.accent),
    ];
    if f.incomplete {
        head.push(Span::styled("  INCOMPLETE", theme.stale));
    }
    let mut lines = vec![Line::from(head)];
    lines.push(Line::styled(
        format!("  {}", clean(&f.object.to_string())),
        theme.muted,
    ));
    lines.extend(
        f.evidence
            .iter()
            .map(|e| Line::raw(format!("  • {}", clean(e)))),
    );
    lines.push(Line::from(vec![
        Span::styled("  fix: ", theme.accent),
        Span::raw(f.rule.fix),
    ]));
    lines
}

pub fn detail(app: &App) -> Option<Text<'static>> {
    let data = app.data.as_ref()?;
    let v = selected(&app.views.reach)?;
    let theme = &app.theme;
    let or_none = |s: &str| {
        if s.is_empty() {
            "(none)".to_string()
        } else {
            s.to_string()
        }
    };
    let mut lines = vec![
        Line::styled(
            format!("PVC {}/{} ({})", v.namespace, v.pvc, v.data),
            theme.accent.add_modifier(Modifier::BOLD),
        ),
        Line::raw(format!(
            "PV {}, StorageClass {}, provisioner {}",
            v.pv,
            or_none(&v.storage_class),
            or_none(&v.provisioner)
        )),
        Line::raw(format!("encryption at rest: {}", v.encryption)),
        Line::raw(format!(
            "{}, {}, {}",
            if v.access_modes.is_empty() {
                "no access modes".to_string()
            } else {
                v.access_modes.join(", ")
            },
            or_none(&v.phase),
            if v.capacity.is_empty() {
                "size unknown"
            } else {
                &v.capacity
            }
        )),
        Line::raw(format!(
            "mounted by {} workload{} ({} read-write); {} subject{} reach the data",
            v.units,
            if v.units == 1 { "" } else { "s" },
            v.units_rw,
            v.subjects,
            if v.subjects == 1 { "" } else { "s" },
        )),
    ];
    if !v.unknown.is_empty() {
        lines.push(Line::styled(
            format!("incomplete: could not read {}", v.unknown.join(", ")),
            theme.stale,
        ));
    }
    lines.push(Line::raw(""));
    if v.findings.is_empty() {
        lines.push(Line::styled(
            "No REACH findings for this volume.",
            theme.muted,
        ));
    } else {
        lines.push(Line::styled(
            format!("Findings ({})", v.findings.len()),
            theme.accent,
        ));
        for f in v
            .findings
            .iter()
            .filter_map(|&i| data.evaluation.findings.get(i))
        {
            lines.extend(finding_lines(f, theme));
            lines.push(Line::raw(""));
        }
    }
    lines.push(Line::styled(
        format!(
            "aigov reach pvc/{} -n {} prints the same tree",
            v.pvc, v.namespace
        ),
        theme.muted,
    ));
    Some(Text::from(lines))
}
