//! Building the Images view off the UI thread: one owned, sanitised row per workload unit and
//! container, with the reference parsed, the digests its pods run (`imageID`), and the
//! indexes of its IMG (and, later, REG) findings.

use super::super::{BuildInput, clean};
use crate::tui::table::{TableRow, Tone};
use aigov_core::model::ConfigValue;
use aigov_core::model::image::{ImageRef, digest_of_image_id};
use aigov_core::rules::view::Unit;
use aigov_core::rules::{Area, Evaluation, Place, Severity};
use std::collections::{BTreeMap, HashMap};

/// Pods listed with their imageID in the detail pane; the rest are counted.
const PODS_SHOWN: usize = 20;

/// A reference parsed by the OCI grammar, Docker Hub defaults filled in (sanitised).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// One digest the pods run, and how many pods run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub digest: String,
    pub pods: usize,
}

/// What a registry said about the row's tag (filled from the rules' `RegistryFacts` once the
/// runner's look-ups are in); `None` is drawn as "not checked", never as clean.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryInfo {
    /// The digest the registry resolves the tag to; `None` when the look-up failed.
    pub digest: Option<String>,
    /// Why the look-up failed (unreachable, refused, ...): reported as unknown.
    pub unknown_reason: Option<String>,
    /// Whether the registry's digest differs from what the pods run.
    pub moved: Option<bool>,
    /// `immutable`, `mutable` or `unknown` (the IMMUTABLE column).
    pub immutability: String,
    /// Where that came from: a Harbor rule, ECR's setting, the tag history's overwrite, or
    /// why it is unknown (the detail pane).
    pub immutability_source: String,
    pub checked: String,
}

/// One container of one workload unit.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    pub namespace: String,
    /// `Kind/name`.
    pub workload: String,
    pub container: String,
    pub init: bool,
    /// The reference as written in the spec.
    pub image: String,
    pub pull_policy: String,
    /// The parsed reference, or the parser's error.
    pub reference: Result<Parsed, String>,
    pub running: Vec<Running>,
    /// (pod, its imageID for this container), at most [`PODS_SHOWN`].
    pub pods: Vec<(String, String)>,
    /// `pod: key` and value of the first pods' annotations (what `kubectl describe` shows),
    /// sanitised and cut to [`ANNOTATION_CHARS`]: the cluster's text, drawn safely.
    pub annotations: Vec<(String, String)>,
    pub pod_count: usize,
    pub ai: bool,
    /// Indexes into the evaluation's findings.
    pub findings: Vec<usize>,
    pub worst: Option<Severity>,
    pub registry: Option<RegistryInfo>,
}

#[derive(Default)]
pub struct Data {
    pub(super) rows: Vec<TableRow>,
    pub(super) images: Vec<ImageInfo>,
    /// Whether any row has registry facts (then the registry columns are drawn).
    pub(super) registry: bool,
}

/// `sha256:1a2b3c4d…`: the algorithm and eight hex characters.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.chars().count() > 8 => {
            let prefix: String = hex.chars().take(8).collect();
            format!("{algorithm}:{prefix}…")
        }
        _ => digest.to_string(),
    }
}

/// The TAG/DIGEST cell: what the reference pins or points at.
pub fn tag_or_digest(reference: &Result<Parsed, String>) -> String {
    match reference {
        Err(_) => "unparsable".into(),
        Ok(p) => match (&p.tag, &p.digest) {
            (Some(t), Some(d)) => format!("{t}@{}", short_digest(d)),
            (None, Some(d)) => format!("@{}", short_digest(d)),
            (Some(t), None) => t.clone(),
            (None, None) => "latest (implied)".into(),
        },
    }
}

/// The RUNNING cell: the digest the pods run, or how many differ.
pub fn running_cell(info: &ImageInfo) -> String {
    match info.running.as_slice() {
        [] if info.pod_count == 0 => "no pods".into(),
        [] => "-".into(),
        [one] => short_digest(&one.digest),
        [first, rest @ ..] => format!("{} +{}", short_digest(&first.digest), rest.len()),
    }
}

type FindingIndex<'e> = HashMap<(&'e str, &'e str, &'e str, &'e str), Vec<usize>>;

/// IMG and REG findings on containers by (kind, namespace, name, container).
fn image_findings(evaluation: &Evaluation) -> FindingIndex<'_> {
    let mut index: FindingIndex = HashMap::new();
    for (i, f) in evaluation.findings.iter().enumerate() {
        let o = &f.object;
        if let (Area::Images | Area::Registry, Place::Container { container }) =
            (f.area(), &o.place)
        {
            index
                .entry((&o.kind, &o.namespace, &o.name, container))
                .or_default()
                .push(i);
        }
    }
    index
}

fn parsed(image: &str) -> Result<Parsed, String> {
    ImageRef::parse(image)
        .map(|r| Parsed {
            registry: clean(&r.registry),
            repository: clean(&r.repository),
            tag: r.tag.as_deref().map(clean),
            digest: r.digest.as_deref().map(clean),
        })
        .map_err(|e| clean(&e.to_string()))
}

/// At most this many annotations per row, and this many characters of each value.
const ANNOTATIONS_SHOWN: usize = 12;
pub const ANNOTATION_CHARS: usize = 200;

fn annotations(unit: &Unit) -> Vec<(String, String)> {
    unit.pods
        .iter()
        .take(PODS_SHOWN)
        .flat_map(|pod| {
            pod.meta.annotations.iter().map(move |(key, value)| {
                (
                    format!("{}: {}", clean(&pod.meta.name), clean(key)),
                    annotation_value(key, value),
                )
            })
        })
        .take(ANNOTATIONS_SHOWN)
        .collect()
}

/// An annotation's value as drawn: kubectl's last-applied copy of the object is left out (it
/// holds every env value in clear), a secret-like value is masked as in the Config drift
/// view, anything else is sanitised and cut.
fn annotation_value(key: &str, value: &str) -> String {
    if key == "kubectl.kubernetes.io/last-applied-configuration" {
        return "(kubectl's copy of the applied object; not shown, it can hold env values)".into();
    }
    let threshold = aigov_core::rules::RulesConfig::default().secret_entropy_bits;
    let hits = aigov_core::rules::config::scan(key, &ConfigValue::new(value), threshold);
    if let Some(hit) = hits.first() {
        return format!("(secret-like: {}) {}", hit.why, clean(&hit.masked));
    }
    let mut value = clean(value);
    if let Some((cut, _)) = value.char_indices().nth(ANNOTATION_CHARS) {
        value.truncate(cut);
        value.push('…');
    }
    value
}

fn info(unit: &Unit, container: &aigov_core::model::workloads::Container, init: bool) -> ImageInfo {
    let mut digests: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pods = Vec::new();
    for (pod, status) in unit.statuses_of(&container.name) {
        if let Some(d) = digest_of_image_id(&status.image_id) {
            *digests.entry(d).or_default() += 1;
        }
        if pods.len() < PODS_SHOWN {
            pods.push((clean(&pod.meta.name), clean(&status.image_id)));
        }
    }
    ImageInfo {
        namespace: clean(unit.namespace),
        workload: clean(&format!("{}/{}", unit.kind, unit.name)),
        container: clean(&container.name),
        init,
        image: clean(&container.image),
        pull_policy: container
            .image_pull_policy
            .as_deref()
            .map_or_else(String::new, clean),
        reference: parsed(&container.image),
        running: digests
            .into_iter()
            .map(|(digest, pods)| Running {
                digest: clean(digest),
                pods,
            })
            .collect(),
        pods,
        annotations: annotations(unit),
        pod_count: unit.pods.len(),
        ai: unit.is_ai(),
        findings: Vec::new(),
        worst: None,
        registry: None,
    }
}

/// What the registry look-ups said about a container's tag; `None` when the reference pins a
/// digest (nothing to look up) or the look-ups have not run (offline, or not yet).
fn registry_info(
    info: &ImageInfo,
    image: &str,
    facts: &aigov_core::rules::images::RegistryFacts,
) -> Option<RegistryInfo> {
    let reference = ImageRef::parse(image).ok()?;
    if reference.is_pinned() {
        return None;
    }
    let fact = facts.tag(&reference);
    let unknown = facts.unknown_reason(&reference);
    if fact.is_none() && unknown.is_none() {
        return None;
    }
    let immutability = facts.immutability(&reference);
    Some(RegistryInfo {
        digest: fact.map(|f| clean(&f.digest)),
        unknown_reason: unknown.map(clean),
        moved: fact
            .filter(|_| !info.running.is_empty())
            .map(|f| info.running.iter().all(|r| r.digest != f.digest)),
        immutability: immutability.state.name().into(),
        immutability_source: clean(&immutability.source),
        checked: fact.map_or_else(|| "failed".into(), |f| clean(&f.checked_at)),
    })
}

pub(super) fn row(i: usize, info: &ImageInfo, registry: bool) -> TableRow {
    let container = if info.init {
        format!("{} (init)", info.container)
    } else {
        info.container.clone()
    };
    let mut cells = vec![
        info.namespace.clone(),
        info.workload.clone(),
        container,
        info.image.clone(),
        tag_or_digest(&info.reference),
        running_cell(info),
    ];
    let pinned = matches!(&info.reference, Ok(p) if p.digest.is_some());
    if registry && pinned {
        // A digest names the bits: there is no tag to look up.
        cells.extend(["pinned", "-", "-", "-"].map(String::from));
    } else if registry {
        let r = info.registry.as_ref();
        cells.push(r.map_or_else(
            || "not checked".into(),
            |r| {
                r.digest
                    .as_deref()
                    .map_or_else(|| "unknown".into(), short_digest)
            },
        ));
        cells.push(match r.and_then(|r| r.moved) {
            Some(true) => "MOVED".into(),
            Some(false) => "no".into(),
            None => "?".into(),
        });
        cells.push(r.map_or_else(|| "?".into(), |r| r.immutability.clone()));
        // HH:MM:SS of an RFC 3339 time.
        cells.push(r.map_or_else(
            || "-".into(),
            |r| r.checked.get(11..19).unwrap_or(&r.checked).to_string(),
        ));
    }
    cells.push(if info.ai { "yes" } else { "-" }.into());
    cells.push(info.worst.map_or("-", Severity::name).into());
    let tone = match info.worst {
        Some(s) => Tone::Severity(s),
        None if !info.ai => Tone::Muted,
        None => Tone::Plain,
    };
    let key = format!("{}/{}/{}", info.namespace, info.workload, info.container);
    TableRow::new(cells, key, tone).source(i)
}

pub fn build(input: &BuildInput) -> Data {
    let index = image_findings(input.evaluation);
    let mut units: Vec<&Unit> = input.view.units.iter().collect();
    units.sort_by_key(|u| (u.namespace, u.kind, u.name));
    let mut images = Vec::new();
    for unit in units {
        let inits = &unit.spec.init_containers;
        for container in unit.spec.all_containers() {
            let init = inits.iter().any(|c| std::ptr::eq(c, container));
            let mut image = info(unit, container, init);
            image.registry = registry_info(&image, &container.image, input.registry);
            let at = (
                unit.kind,
                unit.namespace,
                unit.name,
                container.name.as_str(),
            );
            if let Some(found) = index.get(&at) {
                image.findings = found.clone();
                image.worst = found
                    .iter()
                    .map(|&i| &input.evaluation.findings[i])
                    .filter(|f| !f.incomplete)
                    .map(|f| f.severity)
                    .max();
            }
            images.push(image);
        }
    }
    let registry = images.iter().any(|i| i.registry.is_some());
    let rows = images
        .iter()
        .enumerate()
        .map(|(i, info)| row(i, info, registry))
        .collect();
    Data {
        rows,
        images,
        registry,
    }
}
