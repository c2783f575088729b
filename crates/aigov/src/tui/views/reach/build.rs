//! Building the Data reach view off the UI thread: every sensitive volume as an owned,
//! sanitised row, with its reach tree (mounts, subjects, paths) flattened into lines and the
//! indexes of its REACH findings. The analysis borrows the snapshot; nothing here does.
//! Cluster text is sanitised by `report::reach::build`, which this reuses.

use super::super::BuildInput;
use crate::report::reach::{self as report, ReachReport};
use crate::tui::table::{TableRow, Tone};
use aigov_core::rules::reach::{VolumeReach, sensitive_volumes};
use aigov_core::rules::{Area, Evaluation, Place, Severity};
use std::collections::HashMap;

/// How a tree line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    /// The volume itself, and the section headings.
    Heading,
    Plain,
    /// Metadata-only paths, system subjects, bindings.
    Muted,
    /// A subject that reaches the data.
    Subject,
    /// A read-write mount.
    Warn,
}

/// One line of the reach tree: the box-drawing guide, then the text (sanitised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    pub guide: String,
    pub text: String,
    pub style: LineStyle,
}

/// One sensitive volume, owned and sanitised.
#[derive(Debug, Clone, Default)]
pub struct Volume {
    pub namespace: String,
    pub pvc: String,
    pub pv: String,
    pub storage_class: String,
    pub provisioner: String,
    /// `encrypted (PARAM)`, `not encrypted (missing ...)` or `cannot tell`.
    pub encryption: String,
    pub data: String,
    pub access_modes: Vec<String>,
    pub phase: String,
    pub capacity: String,
    /// Workload units that mount it, and how many of them mount it read-write.
    pub units: usize,
    pub units_rw: usize,
    pub subjects: usize,
    /// What could not be read, so the tree may be incomplete.
    pub unknown: Vec<String>,
    pub tree: Vec<TreeLine>,
    /// Indexes into the evaluation's findings: the claim's and its mounts' REACH findings.
    pub findings: Vec<usize>,
    pub worst: Option<Severity>,
}

#[derive(Default)]
pub struct Data {
    pub(super) rows: Vec<TableRow>,
    pub(super) volumes: Vec<Volume>,
}

/// A node of the tree before it is flattened into lines.
struct Node {
    text: String,
    style: LineStyle,
    children: Vec<Node>,
}

fn node(text: impl Into<String>, style: LineStyle) -> Node {
    Node {
        text: text.into(),
        style,
        children: Vec::new(),
    }
}

fn flatten(node: &Node, prefix: &str, last: bool, root: bool, out: &mut Vec<TreeLine>) {
    let (guide, child_prefix) = if root {
        (String::new(), String::new())
    } else if last {
        (format!("{prefix}└─ "), format!("{prefix}   "))
    } else {
        (format!("{prefix}├─ "), format!("{prefix}│  "))
    };
    out.push(TreeLine {
        guide,
        text: node.text.clone(),
        style: node.style,
    });
    let n = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        flatten(child, &child_prefix, i + 1 == n, false, out);
    }
}

/// `ReadWriteMany` -> `RWX`, and so on; anything else as written.
pub fn short_mode(mode: &str) -> String {
    match mode {
        "ReadWriteOnce" => "RWO".into(),
        "ReadWriteMany" => "RWX".into(),
        "ReadOnlyMany" => "ROX".into(),
        "ReadWriteOncePod" => "RWOP".into(),
        other => other.to_string(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The tree of one volume: what mounts it, then who reaches it and how.
fn tree(report: &ReachReport) -> Vec<TreeLine> {
    let v = &report.volume;
    let mut facts = vec![v.data.clone()];
    if !v.access_modes.is_empty() {
        let modes: Vec<String> = v.access_modes.iter().map(|m| short_mode(m)).collect();
        facts.push(modes.join(","));
    }
    if let Some(c) = &v.capacity {
        facts.push(c.clone());
    }
    let mut root = node(
        format!("PVC {}/{} ({})", v.namespace, v.pvc, facts.join(", ")),
        LineStyle::Heading,
    );

    // Mounts, grouped by workload unit in the order they came.
    let mut units: Vec<(String, Vec<Node>)> = Vec::new();
    for m in &report.mounted_by {
        let unit = format!("{}/{}", m.unit_kind, m.unit_name);
        let container = if m.container.is_empty() {
            "(declared, no container mounts it)".to_string()
        } else {
            format!("{}: {}", m.container, m.mount_path)
        };
        let (mode, style) = if m.read_only {
            ("read-only", LineStyle::Plain)
        } else {
            ("READ-WRITE", LineStyle::Warn)
        };
        let line = format!(
            "{container}, {mode}, sa {}, {}",
            m.service_account,
            plural(m.pods.len(), "pod", "pods")
        );
        match units.iter_mut().find(|(u, _)| *u == unit) {
            Some((_, list)) => list.push(node(line, style)),
            None => units.push((unit, vec![node(line, style)])),
        }
    }
    let mut mounts = node(
        if units.is_empty() {
            "Mounted by: no workload mounts it".to_string()
        } else {
            format!(
                "Mounted by {}",
                plural(units.len(), "workload", "workloads")
            )
        },
        LineStyle::Heading,
    );
    for (unit, containers) in units {
        let mut n = node(unit, LineStyle::Plain);
        n.children = containers;
        mounts.children.push(n);
    }
    root.children.push(mounts);

    let mut reached = node(
        format!(
            "Reached by {} (* = metadata only)",
            plural(report.subjects_reaching_data, "subject", "subjects")
        ),
        LineStyle::Heading,
    );
    if report.subjects.is_empty() {
        reached
            .children
            .push(node("nobody found", LineStyle::Muted));
    }
    for s in &report.subjects {
        let mut label = if s.namespace.is_empty() {
            format!("{}/{}", s.kind, s.name)
        } else {
            format!("{}/{}/{}", s.kind, s.namespace, s.name)
        };
        let data = s.paths.iter().any(|p| p.reaches_data);
        if s.system {
            label.push_str(" (system)");
        }
        if !data {
            label.push_str(" (metadata only)");
        }
        let style = if s.system || !data {
            LineStyle::Muted
        } else {
            LineStyle::Subject
        };
        let mut subject = node(label, style);
        // (granted by, ways): the ways of one binding together.
        let mut grants: Vec<(&str, Vec<Node>)> = Vec::new();
        for (way, granted_by) in &s.rows {
            let style = if way.starts_with("* ") {
                LineStyle::Muted
            } else {
                LineStyle::Plain
            };
            let way = node(way.clone(), style);
            match grants.iter_mut().find(|(g, _)| g == granted_by) {
                Some((_, ways)) => ways.push(way),
                None => grants.push((granted_by, vec![way])),
            }
        }
        for (granted_by, ways) in grants {
            let mut g = node(format!("via {granted_by}"), LineStyle::Muted);
            g.children = ways;
            subject.children.push(g);
        }
        reached.children.push(subject);
    }
    root.children.push(reached);
    if !report.unknown.is_empty() {
        root.children.push(node(
            format!("Incomplete: could not read {}", report.unknown.join(", ")),
            LineStyle::Warn,
        ));
    }
    let mut out = Vec::new();
    flatten(&root, "", true, true, &mut out);
    out
}

/// REACH findings by (kind, namespace, name), as indexes into the evaluation.
fn reach_findings(evaluation: &Evaluation) -> HashMap<(&str, &str, &str), Vec<usize>> {
    let mut index: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, f) in evaluation.findings.iter().enumerate() {
        if f.area() == Area::Reach {
            let o = &f.object;
            index
                .entry((o.kind.as_str(), o.namespace.as_str(), o.name.as_str()))
                .or_default()
                .push(i);
        }
    }
    index
}

/// The findings about one volume: on the claim, and on its mounts (`volume/NAME`).
fn findings_of(
    evaluation: &Evaluation,
    index: &HashMap<(&str, &str, &str), Vec<usize>>,
    reach: &VolumeReach,
) -> Vec<usize> {
    let mut out: Vec<usize> = index
        .get(&("PersistentVolumeClaim", reach.namespace, reach.pvc))
        .cloned()
        .unwrap_or_default();
    for m in &reach.mounted_by {
        let place = Place::volume(m.volume);
        for &i in index
            .get(&(m.unit.kind, reach.namespace, m.unit.name))
            .into_iter()
            .flatten()
        {
            if evaluation.findings[i].object.place == place && !out.contains(&i) {
                out.push(i);
            }
        }
    }
    // The evaluation's order: most severe first.
    out.sort_unstable();
    out
}

fn volume(
    input: &BuildInput,
    index: &HashMap<(&str, &str, &str), Vec<usize>>,
    reach: &VolumeReach,
) -> Volume {
    let view = input.view;
    let class = reach.storage_class.and_then(|c| view.storage_class(c));
    let report = report::build(&input.snapshot.origin.context, reach, class, view.settings);
    let mut units: Vec<(&str, &str, bool)> = Vec::new();
    for m in &reach.mounted_by {
        match units
            .iter_mut()
            .find(|(k, n, _)| *k == m.unit.kind && *n == m.unit.name)
        {
            Some(u) => u.2 |= !m.read_only,
            None => units.push((m.unit.kind, m.unit.name, !m.read_only)),
        }
    }
    let findings = findings_of(input.evaluation, index, reach);
    let worst = findings
        .iter()
        .map(|&i| &input.evaluation.findings[i])
        .filter(|f| !f.incomplete)
        .map(|f| f.severity)
        .max();
    let v = &report.volume;
    Volume {
        namespace: v.namespace.clone(),
        pvc: v.pvc.clone(),
        pv: v.pv.clone().unwrap_or_else(|| "(none)".into()),
        storage_class: v.storage_class.clone().unwrap_or_default(),
        provisioner: v.provisioner.clone().unwrap_or_default(),
        encryption: v.encryption.clone(),
        data: v.data.clone(),
        access_modes: v.access_modes.clone(),
        phase: v.phase.clone(),
        capacity: v.capacity.clone().unwrap_or_default(),
        units: units.len(),
        units_rw: units.iter().filter(|u| u.2).count(),
        subjects: report.subjects_reaching_data,
        unknown: report.unknown.clone(),
        tree: tree(&report),
        findings,
        worst,
    }
}

/// `✓` (encrypted), `✗` (not) or `?` (cannot tell) from the encryption text.
fn encryption_mark(text: &str) -> &'static str {
    if text.starts_with("encrypted") {
        "✓"
    } else if text.starts_with("not encrypted") {
        "✗"
    } else {
        "?"
    }
}

pub(super) fn row(i: usize, v: &Volume) -> TableRow {
    let modes: Vec<String> = v.access_modes.iter().map(|m| short_mode(m)).collect();
    let mounted = match (v.units, v.units_rw) {
        (0, _) => "0".to_string(),
        (n, 0) => format!("{n} ro"),
        (n, rw) => format!("{n} {rw}rw"),
    };
    let class = if v.storage_class.is_empty() {
        "-"
    } else {
        &v.storage_class
    };
    TableRow::new(
        vec![
            v.namespace.clone(),
            v.pvc.clone(),
            v.data.clone(),
            modes.join(","),
            format!("{} {class}", encryption_mark(&v.encryption)),
            mounted,
            v.subjects.to_string(),
            v.worst.map_or("-", Severity::name).to_string(),
        ],
        format!("{}/{}", v.namespace, v.pvc),
        v.worst.map_or(Tone::Plain, Tone::Severity),
    )
    .source(i)
}

pub fn build(input: &BuildInput) -> Data {
    let index = reach_findings(input.evaluation);
    let volumes: Vec<Volume> = sensitive_volumes(input.view)
        .iter()
        .map(|r| volume(input, &index, r))
        .collect();
    let rows = volumes.iter().enumerate().map(|(i, v)| row(i, v)).collect();
    Data { rows, volumes }
}
