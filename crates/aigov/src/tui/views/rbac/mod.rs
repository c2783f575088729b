//! RBAC: every RoleBinding and ClusterRoleBinding (role, subjects, risky permissions, a risk
//! marker from the RBAC findings), and every subject's effective permissions in each AI
//! namespace with risky rows highlighted; an inline who-can prompt answers with the
//! subjects and granting bindings.

mod detail;
mod model;
mod perms;
#[cfg(test)]
mod tests;
mod who_can;

use super::{BuildInput, clean};
use crate::tui::action::Effect;
use crate::tui::app::{App, Mode};
use crate::tui::input::LineInput;
use crate::tui::keymap::{Binding, bind, hint};
use crate::tui::table::{Column, TableModel, TableRow, Tone, column};
use aigov_core::rules::RulesConfig;
use model::{BindingInfo, Model, SubjectRow, class_label, role_kind_name, subject_short};
use perms::Classifier;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::Paragraph;
use who_can::Answer;

pub const BINDINGS: &[Binding] = &[
    hint(
        &["b"],
        "rbac.bindings",
        "bindings: every RoleBinding and ClusterRoleBinding",
    ),
    hint(
        &["s"],
        "rbac.subjects",
        "subjects: effective permissions per AI namespace",
    ),
    hint(
        &["w"],
        "rbac.who-can",
        "who-can: VERB RESOURCE[/SUB] [-n NS] [--name N]",
    ),
    bind(
        &["x"],
        "rbac.risky",
        "show only rows with risky permissions or findings (toggle)",
    ),
];

/// Which table the view shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Bindings,
    Subjects,
}

#[derive(Default)]
pub struct Data {
    model: Model,
    binding_rows: Vec<TableRow>,
    subject_rows: Vec<TableRow>,
    classifier: Classifier,
    settings: RulesConfig,
}

#[derive(Default)]
pub struct State {
    pub tab: Tab,
    pub bindings: TableModel,
    pub subjects: TableModel,
    pub risky_only: bool,
    /// The last who-can answer, shown under the table until Esc or the next query.
    pub who: Option<Answer>,
    /// New data arrived since the answer was computed: it is asked again at the next draw.
    who_stale: bool,
    last_query: String,
    model: Model,
    all_bindings: Vec<TableRow>,
    all_subjects: Vec<TableRow>,
    classifier: Classifier,
    settings: RulesConfig,
}

fn binding_columns() -> Vec<Column> {
    vec![
        column("RISK", Constraint::Length(8)),
        column("KIND", Constraint::Length(18)),
        column("NAMESPACE", Constraint::Length(14)),
        column("NAME", Constraint::Percentage(22)),
        column("ROLE", Constraint::Percentage(22)),
        column("PERMISSIONS", Constraint::Percentage(24)),
        column("SUBJECTS", Constraint::Percentage(32)),
    ]
}

fn subject_columns() -> Vec<Column> {
    vec![
        column("RISK", Constraint::Length(8)),
        column("NAMESPACE", Constraint::Length(16)),
        column("SUBJECT", Constraint::Percentage(40)),
        column("PERMISSIONS", Constraint::Percentage(48)),
        column("BINDINGS", Constraint::Length(8)),
    ]
}

fn risk_cell(risk: Option<aigov_core::rules::Severity>) -> String {
    risk.map_or_else(|| "-".to_string(), |s| s.name().to_string())
}

fn tone(risk: Option<aigov_core::rules::Severity>, quiet: bool) -> Tone {
    match risk {
        Some(s) => Tone::Severity(s),
        None if quiet => Tone::Muted,
        None => Tone::Plain,
    }
}

/// At most this many subjects are named in a binding's row.
const SUBJECTS_SHOWN: usize = 3;

fn binding_row(i: usize, b: &BindingInfo) -> TableRow {
    let mut subjects: Vec<String> = b
        .subjects
        .iter()
        .take(SUBJECTS_SHOWN)
        .map(subject_short)
        .collect();
    if b.subjects.len() > SUBJECTS_SHOWN {
        subjects.push(format!("+{}", b.subjects.len() - SUBJECTS_SHOWN));
    }
    let mut role = format!("{}/{}", role_kind_name(b.role_kind), clean(&b.role_name));
    if !b.role_exists {
        role.push_str(" (missing)");
    }
    let quiet = b.perms.is_empty() || !b.role_exists;
    TableRow::new(
        vec![
            risk_cell(b.risk),
            b.kind.to_string(),
            clean(&b.namespace),
            clean(&b.name),
            role,
            b.perms.summary(b.is_cluster()),
            subjects.join(", "),
        ],
        format!("{}/{}/{}", b.kind, clean(&b.namespace), clean(&b.name)),
        tone(b.risk, quiet),
    )
    .source(i)
}

fn subject_row(i: usize, r: &SubjectRow) -> TableRow {
    let subject = format!("{}{}", subject_short(&r.subject), class_label(r.who));
    let namespace = clean(&r.namespace);
    TableRow::new(
        vec![
            risk_cell(r.risk),
            namespace.clone(),
            subject.clone(),
            r.perms.summary(r.admin_cluster_wide),
            r.grants.len().to_string(),
        ],
        format!("{namespace}|{subject}"),
        tone(r.risk, r.perms.is_empty()),
    )
    .source(i)
}

pub fn build(input: &BuildInput) -> Data {
    let classifier = Classifier::new(input.view.settings);
    let model = model::build(input.view, input.evaluation, &classifier);
    let binding_rows = (model.bindings.iter().enumerate())
        .map(|(i, b)| binding_row(i, b))
        .collect();
    let subject_rows = (model.subjects.iter().enumerate())
        .map(|(i, r)| subject_row(i, r))
        .collect();
    Data {
        model,
        binding_rows,
        subject_rows,
        classifier,
        settings: input.view.settings.clone(),
    }
}

/// The rows a table shows: all of them, or only the risky ones.
fn shown(rows: &[TableRow], risky_only: bool) -> Vec<TableRow> {
    rows.iter()
        .filter(|r| !risky_only || is_risky(r))
        .cloned()
        .collect()
}

/// A row with a finding or a risky permission (muted rows have neither).
fn is_risky(row: &TableRow) -> bool {
    row.tone != Tone::Muted
}

fn apply_rows(state: &mut State) {
    state
        .bindings
        .replace_rows(shown(&state.all_bindings, state.risky_only));
    state
        .subjects
        .replace_rows(shown(&state.all_subjects, state.risky_only));
}

pub fn take(state: &mut State, data: &mut Data) {
    if state.bindings.columns.is_empty() {
        state.bindings = TableModel::new(binding_columns(), Vec::new());
    }
    if state.subjects.columns.is_empty() {
        state.subjects = TableModel::new(subject_columns(), Vec::new());
    }
    state.all_bindings = std::mem::take(&mut data.binding_rows);
    state.all_subjects = std::mem::take(&mut data.subject_rows);
    state.model = std::mem::take(&mut data.model);
    state.classifier = std::mem::take(&mut data.classifier);
    state.settings = std::mem::take(&mut data.settings);
    apply_rows(state);
    state.who_stale = state.who.is_some();
}

/// The focused table: the who-can answer while it is shown, else the current tab's.
pub fn table(state: &mut State) -> Option<&mut TableModel> {
    if let Some(who) = &mut state.who {
        return Some(&mut who.table);
    }
    Some(match state.tab {
        Tab::Bindings => &mut state.bindings,
        Tab::Subjects => &mut state.subjects,
    })
}

pub fn handle(app: &mut App, name: &str) -> Option<Vec<Effect>> {
    let state = &mut app.views.rbac;
    match name {
        "rbac.bindings" => state.tab = Tab::Bindings,
        "rbac.subjects" => state.tab = Tab::Subjects,
        "rbac.risky" => {
            state.risky_only = !state.risky_only;
            apply_rows(state);
        }
        "rbac.who-can" => {
            if app.data.is_none() {
                app.flash("who-can: no data loaded yet");
            } else {
                app.mode = Mode::Prompt(LineInput::with(&state.last_query));
            }
        }
        // Esc closes the who-can answer once the detail pane and its filter are gone.
        "back"
            if !app.detail
                && state
                    .who
                    .as_ref()
                    .is_some_and(|w| w.table.filter().is_empty()) =>
        {
            state.who = None;
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// The who-can prompt was submitted: answer it, or say in one line what is wrong.
pub fn prompt_submitted(app: &mut App, text: &str) -> Vec<Effect> {
    let Some(data) = app.data.as_ref() else {
        app.flash("who-can: no data loaded yet");
        return Vec::new();
    };
    let state = &mut app.views.rbac;
    state.last_query = text.trim().to_string();
    match who_can::answer(text, &data.snapshot, &data.rbac, &state.settings) {
        Ok(answer) => {
            let message = answer.title();
            state.who = Some(answer);
            state.who_stale = false;
            app.flash(message);
        }
        Err(message) => app.flash(message),
    }
    Vec::new()
}

/// Ask the shown who-can question again when new data arrived.
fn refresh_who_can(app: &mut App) {
    let state = &mut app.views.rbac;
    if !state.who_stale {
        return;
    }
    state.who_stale = false;
    let (Some(data), Some(who)) = (app.data.as_ref(), state.who.as_mut()) else {
        return;
    };
    if who
        .refresh(&data.snapshot, &data.rbac, &state.settings)
        .is_err()
    {
        state.who = None;
    }
}

/// Where the main table, the who-can notes and the who-can table go.
fn split(state: &State, area: Rect) -> (Rect, Option<(Rect, Rect)>) {
    let Some(who) = &state.who else {
        return (area, None);
    };
    let notes = who.notes().len().min(3) as u16;
    let [main, lower] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let [notes_area, results] =
        Layout::vertical([Constraint::Length(notes), Constraint::Min(3)]).areas(lower);
    (main, Some((notes_area, results)))
}

/// Where the focused table is drawn, for mouse clicks.
pub fn table_area(state: &State, body: Rect) -> Rect {
    match split(state, body) {
        (_, Some((_, results))) => results,
        (main, None) => main,
    }
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    let title = match app.views.rbac.tab {
        Tab::Bindings => "RBAC bindings",
        Tab::Subjects => "RBAC subjects × AI namespace",
    };
    let title = if app.views.rbac.risky_only {
        format!("{title} (risky only)")
    } else {
        title.to_string()
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
    refresh_who_can(app);
    let theme = &app.theme;
    let state = &mut app.views.rbac;
    let (main, lower) = split(state, area);
    let focused = state.who.is_none();
    match state.tab {
        Tab::Bindings => state.bindings.draw(frame, main, &title, theme, focused),
        Tab::Subjects => state.subjects.draw(frame, main, &title, theme, focused),
    }
    if let (Some(who), Some((notes_area, results))) = (state.who.as_mut(), lower) {
        let notes: Vec<Line> = who
            .notes()
            .into_iter()
            .map(|n| Line::styled(format!(" note: {n}"), theme.muted))
            .collect();
        frame.render_widget(Paragraph::new(notes), notes_area);
        let title = who.title();
        who.table.draw(frame, results, &title, theme, true);
    }
}

pub fn detail(app: &App) -> Option<Text<'static>> {
    let state = &app.views.rbac;
    let theme = &app.theme;
    if let Some(who) = &state.who {
        return detail::who_can(who, theme);
    }
    let data = app.data.as_ref()?;
    let findings = &data.evaluation.findings;
    match state.tab {
        Tab::Bindings => {
            let row = state.bindings.selected_row()?;
            let binding = state.model.bindings.get(row.source)?;
            Some(detail::binding(
                binding,
                &data.rbac,
                findings,
                &state.classifier,
                &state.settings,
                theme,
            ))
        }
        Tab::Subjects => {
            let row = state.subjects.selected_row()?;
            let subject = state.model.subjects.get(row.source)?;
            Some(detail::subject(
                subject,
                &state.model.bindings,
                &data.rbac,
                findings,
                &state.classifier,
                theme,
            ))
        }
    }
}
