//! `aigov images`: every image a workload uses by tag, with what the registry says the tag
//! points at now, the digests the pods run, whether the tag moved under them, and whether the
//! tag can be overwritten (the registry's settings, and what aigov's history saw). Exit 1 when
//! a tag moved or was overwritten.

use super::{Outcome, print};
use crate::engine::Error;
use crate::engine::analysis::{load_snapshot, registry_facts};
use crate::report::Format;
use crate::settings::Settings;
use aigov_core::model::image::{ImageRef, digest_of_image_id};
use aigov_core::rules::View;
use aigov_core::sanitize::sanitize;
use aigov_registry::{Gathered, Lookup};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One image by tag, as printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageFacts {
    pub image: String,
    /// `namespace/kind/name` of the workloads that use it.
    pub workloads: Vec<String>,
    pub registry_digest: Option<String>,
    pub media_type: Option<String>,
    /// Why the registry could not be asked or did not answer (`offline` with `--offline`).
    pub registry_unknown: Option<String>,
    pub running_digests: Vec<String>,
    /// `Some(true)` when pods run other bits than the tag names now; `None` when unknown.
    pub moved: Option<bool>,
    /// `immutable`, `mutable` or `unknown`: the registry's setting (Harbor immutable-tag rules,
    /// ECR `imageTagMutability`), overridden by `mutable` when aigov saw the tag overwritten.
    pub immutability: String,
    /// Where that came from (`harbor rule 3 of project ml (...)`, `ecr IMMUTABLE`,
    /// `history: overwritten at ...`), or why it is unknown.
    pub immutability_source: String,
    /// Earlier digests of the tag, from aigov's tag history.
    pub overwritten: Vec<String>,
    pub checked_at: Option<String>,
}

pub async fn run(settings: &Settings, format: Format) -> Result<Outcome, Error> {
    let (session, snapshot) = load_snapshot(settings).await?;
    crate::engine::analysis::refuse_if_nothing_was_read(&snapshot)?;
    let view = View::new(&snapshot, &settings.rules);
    let gathered = registry_facts(settings, &session, &view).await?;
    let rows = facts(&view, gathered.as_ref());
    match format {
        Format::Table => print(&table(&rows)),
        Format::Json => print(
            &(serde_json::to_string_pretty(&rows).map_err(|e| Error::Io(e.to_string()))? + "\n"),
        ),
    }
    let alarming = rows
        .iter()
        .any(|r| r.moved == Some(true) || !r.overwritten.is_empty());
    Ok(if alarming { Outcome::No } else { Outcome::Yes })
}

/// The facts per image by tag, in name order. Pure.
pub fn facts(view: &View<'_>, gathered: Option<&Gathered>) -> Vec<ImageFacts> {
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut running: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for unit in &view.units {
        for container in unit.spec.all_containers() {
            let Ok(image) = ImageRef::parse(&container.image) else {
                continue;
            };
            if image.is_pinned() {
                continue;
            }
            let name = image.to_string();
            users
                .entry(name.clone())
                .or_default()
                .insert(format!("{}/{}/{}", unit.namespace, unit.kind, unit.name));
            let digests = running.entry(name).or_default();
            for (_, status) in unit.statuses_of(&container.name) {
                if let Some(digest) = digest_of_image_id(&status.image_id) {
                    digests.insert(digest.to_string());
                }
            }
        }
    }
    let answers: BTreeMap<String, (&ImageRef, &Lookup)> = gathered
        .map(|g| {
            g.images
                .iter()
                .zip(&g.lookups)
                .map(|(i, l)| (i.to_string(), (i, l)))
                .collect()
        })
        .unwrap_or_default();
    users
        .into_iter()
        .map(|(image, workloads)| {
            let running_digests: Vec<String> = running
                .remove(&image)
                .unwrap_or_default()
                .into_iter()
                .collect();
            let answer = answers.get(&image);
            let resolved = answer.and_then(|(_, l)| l.resolved());
            let registry_unknown = match (gathered, answer) {
                (None, _) => Some("offline".to_string()),
                (Some(_), None) => Some("not looked up".to_string()),
                (Some(_), Some((_, l))) => l.unknown_reason().map(ToString::to_string),
            };
            let overwritten: Vec<String> = match (gathered, answer) {
                (Some(g), Some((i, _))) => g
                    .facts
                    .moves(i)
                    .iter()
                    .map(|m| format!("{} (seen {})", m.from_digest, m.from_seen))
                    .collect(),
                _ => Vec::new(),
            };
            let immutability = match (gathered, answer) {
                (Some(g), Some((i, _))) => g.facts.immutability(i),
                _ => aigov_core::rules::images::Immutability::decide(None, &[]),
            };
            let moved = resolved
                .filter(|_| !running_digests.is_empty())
                .map(|r| !running_digests.contains(&r.digest));
            ImageFacts {
                image,
                workloads: workloads.into_iter().collect(),
                registry_digest: resolved.map(|r| r.digest.clone()),
                media_type: resolved.map(|r| r.media_type.clone()),
                registry_unknown,
                running_digests,
                moved,
                immutability: immutability.state.name().into(),
                immutability_source: immutability.source,
                overwritten,
                checked_at: resolved.map(|r| r.checked_at.to_string()),
            }
        })
        .collect()
}

fn short(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("{}…", hex.get(..12).unwrap_or(hex))
}

fn table(rows: &[ImageFacts]) -> String {
    let mut lines = vec![[
        "IMAGE".to_string(),
        "REGISTRY DIGEST".into(),
        "RUNNING".into(),
        "MOVED".into(),
        "IMMUTABILITY".into(),
        "CHECKED".into(),
    ]];
    for r in rows {
        let registry = match (&r.registry_digest, &r.registry_unknown) {
            (Some(d), _) => short(d),
            (None, Some(why)) => format!("unknown: {why}"),
            (None, None) => "-".into(),
        };
        let running = match r.running_digests.as_slice() {
            [] => "-".to_string(),
            [one] => short(one),
            many => format!("{} digests", many.len()),
        };
        let moved = match r.moved {
            Some(true) => "MOVED",
            Some(false) => "no",
            None => "-",
        };
        lines.push([
            sanitize(&r.image).into_owned(),
            sanitize(&registry).into_owned(),
            running,
            moved.into(),
            r.immutability.clone(),
            r.checked_at
                .as_deref()
                .map(|t| t.get(..19).unwrap_or(t).replace('T', " "))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    for r in rows
        .iter()
        .filter(|r| r.registry_unknown.as_deref() != Some("offline"))
    {
        out.push_str(&format!(
            "{}: {} ({})\n",
            sanitize(&r.image),
            r.immutability,
            sanitize(&r.immutability_source)
        ));
    }
    for r in rows.iter().filter(|r| !r.overwritten.is_empty()) {
        out.push_str(&format!(
            "{}: the registry let the tag be overwritten; it pointed at {}\n",
            sanitize(&r.image),
            sanitize(&r.overwritten.join(", "))
        ));
    }
    out
}
