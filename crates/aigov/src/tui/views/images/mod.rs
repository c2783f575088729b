//! Images: every container of every workload with its image reference, the tag or digest it
//! names, the digest its pods actually run (`imageID`), and its image findings. Registry
//! columns (registry digest, moved?, immutability) appear once registry look-ups fill
//! [`RegistryInfo`].

mod build;
#[cfg(test)]
mod tests;

pub use build::{
    Data, ImageInfo, Parsed, RegistryInfo, Running, build, running_cell, short_digest,
    tag_or_digest,
};

use super::reach::finding_lines;
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, hint};
use crate::tui::table::{Column, TableModel, TableRow, column};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Text};

pub const BINDINGS: &[Binding] = &[
    hint(&["a"], "images.ai", "only AI workloads (toggle)"),
    hint(
        &["u"],
        "images.unpinned",
        "only images without a digest (toggle)",
    ),
    hint(
        &["R"],
        "images.recheck",
        "re-check (the selected image's tag with its registry, past the cache)",
    ),
];

#[derive(Default)]
pub struct State {
    pub table: TableModel,
    images: Vec<ImageInfo>,
    rows: Vec<TableRow>,
    registry: bool,
    pub ai_only: bool,
    pub unpinned_only: bool,
}

fn columns(registry: bool) -> Vec<Column> {
    let mut out = vec![
        column("NAMESPACE", Constraint::Length(13)),
        column("WORKLOAD", Constraint::Min(14)),
        column("CONTAINER", Constraint::Length(12)),
        column("IMAGE", Constraint::Min(16)),
        column("TAG/DIGEST", Constraint::Length(17)),
        column("RUNNING", Constraint::Length(19)),
    ];
    if registry {
        out.push(column("REGISTRY", Constraint::Length(16)));
        out.push(column("MOVED", Constraint::Length(5)));
        out.push(column("IMMUTABLE", Constraint::Length(9)));
        out.push(column("CHECKED", Constraint::Length(8)));
    }
    out.push(column("AI", Constraint::Length(3)));
    out.push(column("WORST", Constraint::Length(8)));
    out
}

pub fn take(state: &mut State, data: &mut Data) {
    if state.table.columns.is_empty() || state.registry != data.registry {
        state.table = TableModel::new(columns(data.registry), Vec::new());
    }
    state.registry = data.registry;
    state.images = std::mem::take(&mut data.images);
    state.rows = std::mem::take(&mut data.rows);
    apply_facets(state);
}

fn apply_facets(state: &mut State) {
    let (ai, unpinned) = (state.ai_only, state.unpinned_only);
    let images = &state.images;
    let rows = state
        .rows
        .iter()
        .filter(|r| {
            images.get(r.source).is_some_and(|i| {
                (!ai || i.ai)
                    && (!unpinned || i.reference.as_ref().map_or(true, |p| p.digest.is_none()))
            })
        })
        .cloned()
        .collect();
    state.table.replace_rows(rows);
}

pub fn table(state: &mut State) -> Option<&mut TableModel> {
    Some(&mut state.table)
}

pub fn selected(state: &State) -> Option<&ImageInfo> {
    state.images.get(state.table.selected_row()?.source)
}

pub fn handle(app: &mut App, name: &str) -> Option<Vec<Effect>> {
    if name == "images.recheck" {
        return Some(recheck_selected(app));
    }
    let state = &mut app.views.images;
    match name {
        "images.ai" => state.ai_only = !state.ai_only,
        "images.unpinned" => state.unpinned_only = !state.unpinned_only,
        _ => return None,
    }
    apply_facets(state);
    Some(Vec::new())
}

/// `R`: ask the registry about the selected image's tag again.
fn recheck_selected(app: &mut App) -> Vec<Effect> {
    let state = &app.views.images;
    let Some(info) = state
        .table
        .selected_row()
        .and_then(|row| state.images.get(row.source))
    else {
        return Vec::new();
    };
    if matches!(&info.reference, Ok(p) if p.digest.is_some()) {
        app.flash("pinned to a digest: there is no tag to re-check");
        return Vec::new();
    }
    let image = info.image.clone();
    app.flash(format!("re-checking {image} with its registry…"));
    vec![Effect::RecheckImage(image)]
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    if app.data.is_none() {
        super::placeholder(
            frame,
            area,
            "Images",
            "Waiting for data from the cluster…",
            &app.theme,
        );
        return;
    }
    let state = &mut app.views.images;
    let mut facets = Vec::new();
    if state.ai_only {
        facets.push("AI only");
    }
    if state.unpinned_only {
        facets.push("no digest");
    }
    let title = if facets.is_empty() {
        "Images".to_string()
    } else {
        format!("Images ({})", facets.join(", "))
    };
    state.table.draw(frame, area, &title, &app.theme, true);
}

pub fn detail(app: &App) -> Option<Text<'static>> {
    let data = app.data.as_ref()?;
    let info = selected(&app.views.images)?;
    let theme = &app.theme;
    let mut lines = vec![
        Line::styled(
            format!(
                "container {}{} of {} in {}",
                info.container,
                if info.init { " (init)" } else { "" },
                info.workload,
                info.namespace
            ),
            theme.accent.add_modifier(Modifier::BOLD),
        ),
        Line::raw(format!(
            "{}; pull policy {}",
            if info.ai {
                "AI workload"
            } else {
                "not an AI workload"
            },
            if info.pull_policy.is_empty() {
                "(default)"
            } else {
                &info.pull_policy
            }
        )),
        Line::raw(""),
        Line::styled("Reference", theme.accent),
        Line::raw(format!("as written: {}", info.image)),
    ];
    match &info.reference {
        Ok(p) => {
            lines.push(Line::raw(format!("registry:   {}", p.registry)));
            lines.push(Line::raw(format!("repository: {}", p.repository)));
            lines.push(Line::raw(format!(
                "tag:        {}",
                p.tag.as_deref().unwrap_or(if p.digest.is_some() {
                    "(none)"
                } else {
                    "(none: pulls latest)"
                })
            )));
            lines.push(Line::raw(format!(
                "digest:     {}",
                p.digest.as_deref().unwrap_or("(none: the tag can move)")
            )));
        }
        Err(e) => lines.push(Line::styled(format!("cannot be parsed: {e}"), theme.stale)),
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Running (the pods' imageID)", theme.accent));
    if info.running.is_empty() {
        lines.push(Line::styled(
            if info.pod_count == 0 {
                "no running pods"
            } else {
                "the pods report no image digest"
            },
            theme.muted,
        ));
    }
    for r in &info.running {
        lines.push(Line::raw(format!(
            "{}  ({} pod{})",
            r.digest,
            r.pods,
            if r.pods == 1 { "" } else { "s" }
        )));
    }
    if info.running.len() > 1 {
        lines.push(Line::styled(
            "replicas run different bits: the tag moved between pulls",
            theme.stale,
        ));
    }
    for (pod, image_id) in &info.pods {
        let id = if image_id.is_empty() {
            "(no imageID)"
        } else {
            image_id
        };
        lines.push(Line::styled(format!("  {pod}: {id}"), theme.muted));
    }
    if info.pod_count > info.pods.len() {
        lines.push(Line::styled(
            format!("  and {} more pods", info.pod_count - info.pods.len()),
            theme.muted,
        ));
    }
    if !info.annotations.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Pod annotations", theme.accent));
        for (key, value) in &info.annotations {
            lines.push(Line::raw(format!("{key} = {value}")));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Registry", theme.accent));
    match &info.registry {
        None => lines.push(Line::styled(
            "not checked: registry look-ups have not run for this image",
            theme.muted,
        )),
        Some(r) => {
            match (&r.digest, &r.unknown_reason) {
                (Some(d), _) => lines.push(Line::raw(format!("tag resolves to {d}"))),
                (None, reason) => lines.push(Line::styled(
                    format!("unknown: {}", reason.as_deref().unwrap_or("no answer")),
                    theme.stale,
                )),
            }
            lines.push(Line::raw(format!(
                "moved: {}; immutability: {}; checked {}",
                match r.moved {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "unknown",
                },
                r.immutability,
                r.checked
            )));
            lines.push(Line::raw(format!(
                "immutability from: {}",
                r.immutability_source
            )));
        }
    }
    lines.push(Line::raw(""));
    if info.findings.is_empty() {
        lines.push(Line::styled("No image findings.", theme.muted));
    } else {
        lines.push(Line::styled(
            format!("Findings ({})", info.findings.len()),
            theme.accent,
        ));
        for f in info
            .findings
            .iter()
            .filter_map(|&i| data.evaluation.findings.get(i))
        {
            lines.extend(finding_lines(f, theme));
            lines.push(Line::raw(""));
        }
    }
    Some(Text::from(lines))
}
