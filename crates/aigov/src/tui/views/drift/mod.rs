//! Config drift: the ConfigMaps and Secrets AI workloads use, per key, against the approved
//! baseline (hash prefixes and resourceVersions; values never shown), and the secret-like
//! literals in their configuration with the values masked.

mod build;
#[cfg(test)]
mod tests;

pub use build::{BaselineInfo, Change, Data, Entry, build};

use super::reach::finding_lines;
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, Keymap, Scope, hint};
use crate::tui::table::{Column, TableModel, TableRow, column};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub const BINDINGS: &[Binding] = &[hint(
    &["c"],
    "drift.change",
    "cycle the change filter (drifted, added, removed, changed, unchanged, secret-like)",
)];

/// Which entries the table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Facet {
    #[default]
    All,
    /// Added, removed or changed.
    Drifted,
    Only(Change),
}

impl Facet {
    const CYCLE: [Facet; 7] = [
        Facet::All,
        Facet::Drifted,
        Facet::Only(Change::Added),
        Facet::Only(Change::Removed),
        Facet::Only(Change::Changed),
        Facet::Only(Change::Unchanged),
        Facet::Only(Change::SecretLike),
    ];

    fn next(self) -> Facet {
        let at = Self::CYCLE.iter().position(|f| *f == self).unwrap_or(0);
        Self::CYCLE[(at + 1) % Self::CYCLE.len()]
    }

    fn keeps(self, change: Change) -> bool {
        match self {
            Facet::All => true,
            Facet::Drifted => change.is_drift(),
            Facet::Only(c) => c == change,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Facet::All => "all",
            Facet::Drifted => "drifted",
            Facet::Only(c) => c.name(),
        }
    }
}

#[derive(Default)]
pub struct State {
    pub table: TableModel,
    entries: Vec<Entry>,
    rows: Vec<TableRow>,
    baseline: Option<BaselineInfo>,
    pub facet: Facet,
}

fn columns() -> Vec<Column> {
    vec![
        column("NAMESPACE", Constraint::Length(13)),
        column("OBJECT", Constraint::Percentage(30)),
        column("KEY", Constraint::Percentage(25)),
        column("CHANGE", Constraint::Length(11)),
        column("BASELINE", Constraint::Length(10)),
        column("CURRENT", Constraint::Length(12)),
        column("USED BY", Constraint::Percentage(25)),
    ]
}

pub fn take(state: &mut State, data: &mut Data) {
    if state.table.columns.is_empty() {
        state.table = TableModel::new(columns(), Vec::new());
    }
    state.entries = std::mem::take(&mut data.entries);
    state.rows = std::mem::take(&mut data.rows);
    state.baseline = data.baseline.take();
    apply_facet(state);
}

fn apply_facet(state: &mut State) {
    let facet = state.facet;
    let entries = &state.entries;
    let rows = state
        .rows
        .iter()
        .filter(|r| entries.get(r.source).is_some_and(|e| facet.keeps(e.change)))
        .cloned()
        .collect();
    state.table.replace_rows(rows);
}

pub fn table(state: &mut State) -> Option<&mut TableModel> {
    Some(&mut state.table)
}

pub fn selected(state: &State) -> Option<&Entry> {
    state.entries.get(state.table.selected_row()?.source)
}

pub fn handle(app: &mut App, name: &str) -> Option<Vec<Effect>> {
    let state = &mut app.views.drift;
    match name {
        "drift.change" => {
            state.facet = state.facet.next();
            apply_facet(state);
            Some(Vec::new())
        }
        _ => None,
    }
}

/// What to say when no baseline is loaded.
const NO_BASELINE: &str = "No baseline is loaded for this context, so drift cannot be shown.";
const LISTED_INSTEAD: &str = "Listed below: secret-like literals in the configuration of AI workloads (AIGOV-CFG-001/002), values masked.";

/// How to record a baseline, naming the user's reload key.
fn how_to_record(keymap: &Keymap) -> String {
    let reload = keymap.press_or_type(Scope::Global, "reload", "reload");
    format!(
        "Record one with `aigov baseline save` (same --context), then {reload} to reload. It keeps a SHA-256 per ConfigMap key (and the values that are not secret-like, to restore from) and each Secret's resourceVersion, never a Secret value."
    )
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    if app.data.is_none() {
        super::placeholder(
            frame,
            area,
            "Config drift",
            "Waiting for data from the cluster…",
            &app.theme,
        );
        return;
    }
    let theme = &app.theme;
    let keymap = &app.keymap;
    let state = &mut app.views.drift;
    let facet = if state.facet == Facet::All {
        String::new()
    } else {
        format!(" ({})", state.facet.name())
    };
    if let Some(b) = &state.baseline {
        let title = format!(
            "Config drift vs baseline of {}: {} ConfigMaps, {} keys, {} Secrets{facet}",
            b.context, b.config_maps, b.keys, b.secrets
        );
        state.table.draw(frame, area, &title, theme, true);
        return;
    }
    let height = if area.width >= 120 { 5 } else { 7 };
    let [notice, table_area] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(3)]).areas(area);
    let lines = vec![
        Line::styled(NO_BASELINE, theme.stale.add_modifier(Modifier::BOLD)),
        Line::raw(how_to_record(keymap)),
        Line::styled(LISTED_INSTEAD, theme.muted),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .style(theme.base)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border)
                    .title(" No baseline "),
            ),
        notice,
    );
    let title = format!("Secret-like config literals{facet}");
    state.table.draw(frame, table_area, &title, theme, true);
}

pub fn detail(app: &App) -> Option<Text<'static>> {
    let data = app.data.as_ref()?;
    let state = &app.views.drift;
    let e = selected(state)?;
    let theme = &app.theme;
    let mut lines = vec![Line::styled(
        format!("{}/{} in {}, key {}", e.kind, e.name, e.namespace, e.key),
        theme.accent.add_modifier(Modifier::BOLD),
    )];
    // A hash prefix gets an ellipsis; a placeholder does not.
    let hash = |h: &str| {
        if h.chars().all(|c| c.is_ascii_hexdigit()) {
            format!("sha256 {h}…")
        } else {
            h.to_string()
        }
    };
    let what = match (e.change, e.kind.as_str()) {
        (Change::SecretLike, _) => format!("secret-like literal: {} (masked)", e.current),
        (_, "Secret") => format!(
            "{}: resourceVersion {} -> {}",
            e.change.name(),
            e.baseline,
            e.current
        ),
        (Change::Added, _) => format!("added since the baseline: {}", hash(&e.current)),
        (Change::Removed, _) => format!("removed since the baseline: was {}", hash(&e.baseline)),
        (Change::Changed, _) => format!("changed: {} -> {}", hash(&e.baseline), hash(&e.current)),
        (Change::Unchanged, _) => format!("unchanged: {}", hash(&e.current)),
    };
    lines.push(Line::raw(what));
    if !e.note.is_empty() {
        lines.push(Line::styled(e.note.clone(), theme.muted));
    }
    lines.push(Line::raw(if e.users.is_empty() {
        "used by: no AI workload references it by name".to_string()
    } else {
        format!("used by: {}", e.users.join(", "))
    }));
    lines.push(Line::raw(""));
    if e.findings.is_empty() {
        lines.push(Line::styled("No findings for this object.", theme.muted));
    } else {
        lines.push(Line::styled(
            format!("Findings ({})", e.findings.len()),
            theme.accent,
        ));
        for f in e
            .findings
            .iter()
            .filter_map(|&i| data.evaluation.findings.get(i))
        {
            lines.extend(finding_lines(f, theme));
            lines.push(Line::raw(""));
        }
    }
    lines.push(Line::styled(
        "Values are never shown: ConfigMap keys as SHA-256 prefixes, literals as at most 4 characters, Secrets by resourceVersion only.",
        theme.muted,
    ));
    if state.baseline.is_none() {
        lines.push(Line::styled(how_to_record(&app.keymap), theme.muted));
    }
    Some(Text::from(lines))
}
