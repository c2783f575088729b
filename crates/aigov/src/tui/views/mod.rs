//! The views. Each module declares its key bindings, builds its rows off the UI thread
//! (`build`), takes them into its state when they arrive (`take`), handles its own named
//! actions, and draws itself. This module dispatches to the current view.

pub mod audit_log;
pub mod drift;
pub mod findings;
pub mod images;
pub mod namespaces;
pub mod overview;
pub mod rbac;
pub mod reach;

use super::action::Effect;
use super::app::App;
use super::data::Derived;
use super::keymap::Binding;
use super::table::TableModel;
use super::view::ViewId;
use aigov_core::model::Snapshot;
use aigov_core::rules::config::Baseline;
use aigov_core::rules::{Evaluation, View};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Text;

/// What a view's `build` reads.
pub struct BuildInput<'a> {
    pub snapshot: &'a Snapshot,
    pub evaluation: &'a Evaluation,
    pub view: &'a View<'a>,
    pub baseline: Option<&'a Baseline>,
    /// What the registries said (empty when offline or before the look-ups finish).
    pub registry: &'a aigov_core::rules::images::RegistryFacts,
}

/// Every view's state, owned by `App`.
#[derive(Default)]
pub struct ViewStates {
    pub overview: overview::State,
    pub namespaces: namespaces::State,
    pub rbac: rbac::State,
    pub reach: reach::State,
    pub images: images::State,
    pub drift: drift::State,
    pub findings: findings::State,
    pub audit_log: audit_log::State,
}

/// Every view's freshly built rows, on their way from the builder to the states.
#[derive(Default)]
pub struct ViewData {
    pub overview: overview::Data,
    pub namespaces: namespaces::Data,
    pub rbac: rbac::Data,
    pub reach: reach::Data,
    pub images: images::Data,
    pub drift: drift::Data,
    pub findings: findings::Data,
    pub audit_log: audit_log::Data,
}

impl ViewData {
    pub fn build(
        snapshot: &Snapshot,
        evaluation: &Evaluation,
        view: &View<'_>,
        baseline: Option<&Baseline>,
        registry: &aigov_core::rules::images::RegistryFacts,
    ) -> ViewData {
        let input = BuildInput {
            snapshot,
            evaluation,
            view,
            baseline,
            registry,
        };
        // Each view on its own thread: at 100k pods building them one after another takes
        // about as long as the rules, and they only read the same data.
        let input = &input;
        std::thread::scope(|scope| {
            let overview = scope.spawn(|| overview::build(input));
            let namespaces = scope.spawn(|| namespaces::build(input));
            let rbac = scope.spawn(|| rbac::build(input));
            let reach = scope.spawn(|| reach::build(input));
            let images = scope.spawn(|| images::build(input));
            let drift = scope.spawn(|| drift::build(input));
            let findings = scope.spawn(|| findings::build(input));
            ViewData {
                audit_log: audit_log::build(input),
                overview: joined(overview),
                namespaces: joined(namespaces),
                rbac: joined(rbac),
                reach: joined(reach),
                images: joined(images),
                drift: joined(drift),
                findings: joined(findings),
            }
        })
    }
}

/// The result of a builder thread; a panic in it goes on in the caller, as it would have
/// without the thread.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

pub fn bindings(view: ViewId) -> &'static [Binding] {
    match view {
        ViewId::Overview => overview::BINDINGS,
        ViewId::Namespaces => namespaces::BINDINGS,
        ViewId::Rbac => rbac::BINDINGS,
        ViewId::Reach => reach::BINDINGS,
        ViewId::Images => images::BINDINGS,
        ViewId::Drift => drift::BINDINGS,
        ViewId::Findings => findings::BINDINGS,
        ViewId::AuditLog => audit_log::BINDINGS,
    }
}

/// New data arrived: every view takes its rows; the rest stays in `app.data`.
pub fn on_data(app: &mut App, mut data: Derived) {
    let s = &mut app.views;
    let d = &mut data.views;
    overview::take(&mut s.overview, &mut d.overview);
    namespaces::take(&mut s.namespaces, &mut d.namespaces);
    rbac::take(&mut s.rbac, &mut d.rbac);
    reach::take(&mut s.reach, &mut d.reach);
    images::take(&mut s.images, &mut d.images);
    drift::take(&mut s.drift, &mut d.drift);
    findings::take(&mut s.findings, &mut d.findings);
    audit_log::take(&mut s.audit_log, &mut d.audit_log);
    app.data = Some(Box::new(data));
}

/// The current view's own named action, if `name` is one.
pub fn handle(app: &mut App, name: &str) -> Option<Vec<Effect>> {
    match app.view {
        ViewId::Overview => overview::handle(app, name),
        ViewId::Namespaces => namespaces::handle(app, name),
        ViewId::Rbac => rbac::handle(app, name),
        ViewId::Reach => reach::handle(app, name),
        ViewId::Images => images::handle(app, name),
        ViewId::Drift => drift::handle(app, name),
        ViewId::Findings => findings::handle(app, name),
        ViewId::AuditLog => audit_log::handle(app, name),
    }
}

/// The current view's focused table, which the generic keys (move, filter, click) act on.
pub fn table(app: &mut App) -> Option<&mut TableModel> {
    let s = &mut app.views;
    match app.view {
        ViewId::Overview => overview::table(&mut s.overview),
        ViewId::Namespaces => namespaces::table(&mut s.namespaces),
        ViewId::Rbac => rbac::table(&mut s.rbac),
        ViewId::Reach => reach::table(&mut s.reach),
        ViewId::Images => images::table(&mut s.images),
        ViewId::Drift => drift::table(&mut s.drift),
        ViewId::Findings => findings::table(&mut s.findings),
        ViewId::AuditLog => audit_log::table(&mut s.audit_log),
    }
}

pub fn filter(app: &mut App) -> Option<String> {
    table(app).map(|t| t.filter().to_string())
}

pub fn set_filter(app: &mut App, text: &str) {
    if app.view == ViewId::Findings {
        findings::set_filter(app, text);
    } else if let Some(t) = table(app) {
        t.set_filter(text);
    }
}

pub fn move_selection(app: &mut App, delta: isize) {
    if let Some(t) = table(app) {
        t.move_by(delta);
    }
}

/// A left click in the body: select the row under it.
pub fn click(app: &mut App, body: Rect, x: u16, y: u16) {
    let area = table_area(app, body);
    if x < area.x || x >= area.x + area.width {
        return;
    }
    if let Some(t) = table(app)
        && let Some(position) = t.position_at(area, y)
    {
        t.select_position(position);
    }
}

/// Where the focused table is drawn within the body (views with a side panel narrow it).
fn table_area(app: &App, body: Rect) -> Rect {
    match app.view {
        ViewId::Reach => reach::table_area(body),
        ViewId::Rbac => rbac::table_area(&app.views.rbac, body),
        _ => body,
    }
}

/// The text a view's prompt produced (the RBAC who-can query).
pub fn prompt_submitted(app: &mut App, text: &str) -> Vec<Effect> {
    match app.view {
        ViewId::Rbac => rbac::prompt_submitted(app, text),
        _ => Vec::new(),
    }
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    match app.view {
        ViewId::Overview => overview::draw(app, frame, area),
        ViewId::Namespaces => namespaces::draw(app, frame, area),
        ViewId::Rbac => rbac::draw(app, frame, area),
        ViewId::Reach => reach::draw(app, frame, area),
        ViewId::Images => images::draw(app, frame, area),
        ViewId::Drift => drift::draw(app, frame, area),
        ViewId::Findings => findings::draw(app, frame, area),
        ViewId::AuditLog => audit_log::draw(app, frame, area),
    }
}

/// The detail pane's text for the selected row.
pub fn detail(app: &App) -> Option<Text<'static>> {
    match app.view {
        ViewId::Overview => overview::detail(app),
        ViewId::Namespaces => namespaces::detail(app),
        ViewId::Rbac => rbac::detail(app),
        ViewId::Reach => reach::detail(app),
        ViewId::Images => images::detail(app),
        ViewId::Drift => drift::detail(app),
        ViewId::Findings => findings::detail(app),
        ViewId::AuditLog => audit_log::detail(app),
    }
}

/// Untrusted text made safe to draw.
pub fn clean(text: &str) -> String {
    aigov_core::sanitize::sanitize(text).into_owned()
}

/// A placeholder paragraph inside a bordered block, for views with nothing to show yet.
pub fn placeholder(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    text: &str,
    theme: &super::theme::Theme,
) {
    use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(format!(" {title} "));
    frame.render_widget(
        Paragraph::new(text.to_string())
            .style(theme.muted)
            .wrap(Wrap { trim: true })
            .block(block),
        area,
    );
}
