//! Finding reports: one document ([`Report`]) built from an evaluation and written as a
//! terminal table, JSON, Markdown or SARIF 2.1.0. `docs/report-schema.md` documents the JSON.
//!
//! Every string that came from the cluster (or a manifest file) is sanitised once, when the
//! report is built; the text writers sanitise again as they print (it is idempotent and
//! cheap), so a report assembled by hand cannot put control bytes on a terminal either.

pub(crate) mod markdown;
mod sarif;
mod table;
#[cfg(test)]
mod tests;

pub use markdown::to_markdown;
pub use sarif::{to_sarif, to_sarif_with};
pub use table::to_table;

use crate::report::AuditFormat;
use aigov_core::model::{Coverage, Identity, Kind, Origin};
use aigov_core::rules::{Area, Finding, NamespaceClass, ObjectRef, Severity};
use aigov_core::sanitize::sanitize;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the JSON document. It rises only when a field is removed or changes
/// meaning; new fields may appear within a version (see `docs/report-schema.md`).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// RFC 3339, UTC, whole seconds.
    pub generated_at: String,
    /// What was analysed: a live cluster, or manifest files (`check -f`).
    pub source: SourceKind,
    /// The kubeconfig context (empty for files).
    pub context: String,
    /// The API server URL (empty for files).
    pub server: String,
    /// Who the connection acted as; `null` for files.
    pub identity: Option<Identity>,
    /// What the findings were filtered by and the failure threshold.
    pub filter: FilterInfo,
    /// The AI namespace classification (every namespace, or the selected ones).
    pub namespaces: Vec<NamespaceInfo>,
    /// Kinds that could not be read, entirely or in some namespaces.
    pub unreadable: Vec<Unreadable>,
    pub summary: Summary,
    /// Most severe first, then by key.
    pub findings: Vec<FindingOut>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    #[default]
    Cluster,
    Files,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterInfo {
    pub min_severity: Severity,
    pub fail_on: Severity,
    /// Empty: every namespace.
    pub namespaces: Vec<String>,
}

impl Default for FilterInfo {
    fn default() -> Self {
        Self {
            min_severity: Severity::Info,
            fail_on: Severity::High,
            namespaces: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceInfo {
    pub name: String,
    pub ai: bool,
    /// 0 to 100.
    pub score: u32,
    pub reasons: Vec<String>,
    /// Workload units (controllers and bare pods) in the namespace, and how many are AI.
    pub workloads: usize,
    pub ai_workloads: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unreadable {
    pub kind: String,
    /// `unknown` (nothing read) or `partial` (some namespaces unread).
    pub state: String,
    pub reason: String,
    /// For `partial`: each unread namespace and why.
    pub namespaces: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    pub fn get(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn add(&mut self, severity: Severity) {
        let slot = match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        };
        *slot += 1;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Findings in this report.
    pub total: usize,
    pub by_severity: SeverityCounts,
    /// Every area code (`NS`, `RBAC`, ...), zero included.
    pub by_area: BTreeMap<String, usize>,
    /// Findings of rules that could not be evaluated somewhere.
    pub incomplete: usize,
    /// Findings left out by `--min-severity` or `-n`.
    pub hidden: usize,
    /// No incomplete finding and no unreadable kind: the absence of a finding means clean.
    pub complete: bool,
    /// A finding here is at or above `filter.fail_on` (the command exits 1).
    pub failed: bool,
}

/// Where in a manifest file a finding's object was defined (for `check -f`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub file: String,
    /// 1-based line of the document's start, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// A finding's object as the report schema has it: `path` is the place inside the object as
/// key text (`container/vllm`, `subject/Group/interns`), empty for the whole object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectOut {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub path: String,
}

impl std::fmt::Display for ObjectOut {
    /// `Kind/namespace/name path`, as [`ObjectRef`] prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&object_name(self))?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingOut {
    /// Rule id plus object plus path; stable across runs.
    pub key: String,
    pub rule: String,
    pub severity: Severity,
    pub area: Area,
    pub object: ObjectOut,
    pub title: String,
    pub explanation: String,
    pub evidence: Vec<String>,
    pub remediable: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

impl FindingOut {
    /// A finding as the report schema has it, every cluster string sanitised; no location.
    pub fn of(f: &Finding) -> FindingOut {
        FindingOut {
            location: None,
            key: clean(&f.key()),
            rule: f.rule.id.to_string(),
            severity: f.severity,
            area: f.area(),
            object: clean_object(&f.object),
            title: clean(&f.title),
            explanation: clean(&f.explanation),
            evidence: f.evidence.iter().map(|e| clean(e)).collect(),
            remediable: f.remediable,
            incomplete: f.incomplete,
        }
    }
}

/// What a report is built from. `findings` are the ones to show (already filtered);
/// `hidden` is how many the filter left out.
#[derive(Debug, Clone, Default)]
pub struct ReportInput<'a> {
    /// RFC 3339; see [`now`].
    pub generated_at: String,
    /// The snapshot's origin; `None` for manifest files.
    pub origin: Option<&'a Origin>,
    pub coverage: Option<&'a BTreeMap<Kind, Coverage>>,
    pub namespaces: &'a [NamespaceClass],
    pub findings: Vec<&'a Finding>,
    pub hidden: usize,
    pub filter: FilterInfo,
    /// Manifest locations by finding key (`check -f`).
    pub locations: BTreeMap<String, SourceLocation>,
}

/// The current time as the report writes it.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

fn clean_object(o: &ObjectRef) -> ObjectOut {
    ObjectOut {
        kind: clean(&o.kind),
        namespace: clean(&o.namespace),
        name: clean(&o.name),
        path: clean(&o.place.to_string()),
    }
}

/// The kinds that could not be read, from a snapshot's coverage.
pub fn unreadable(coverage: &BTreeMap<Kind, Coverage>) -> Vec<Unreadable> {
    coverage
        .iter()
        .filter_map(|(kind, c)| match c {
            Coverage::Unknown { reason } => Some(Unreadable {
                kind: kind.name().to_string(),
                state: "unknown".into(),
                reason: clean(reason),
                namespaces: BTreeMap::new(),
            }),
            Coverage::Partial { unknown_namespaces } => Some(Unreadable {
                kind: kind.name().to_string(),
                state: "partial".into(),
                reason: format!(
                    "{} namespace(s) could not be read",
                    unknown_namespaces.len()
                ),
                namespaces: unknown_namespaces
                    .iter()
                    .map(|(ns, r)| (clean(ns), clean(r)))
                    .collect(),
            }),
            Coverage::Complete | Coverage::NotServed => None,
        })
        .collect()
}

impl Report {
    /// Build the document. Every cluster string is sanitised here.
    pub fn build(input: ReportInput<'_>) -> Report {
        let mut findings: Vec<FindingOut> = input
            .findings
            .iter()
            .map(|f| {
                let mut out = FindingOut::of(f);
                out.location = input.locations.get(&f.key()).map(|l| SourceLocation {
                    file: clean(&l.file),
                    line: l.line,
                });
                out
            })
            .collect();
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.key.cmp(&b.key)));

        let selected = &input.filter.namespaces;
        let namespaces = input
            .namespaces
            .iter()
            .filter(|n| selected.is_empty() || selected.contains(&n.name))
            .map(|n| NamespaceInfo {
                name: clean(&n.name),
                ai: n.ai,
                score: n.score,
                reasons: n.reasons.iter().map(|r| clean(r)).collect(),
                workloads: n.workloads,
                ai_workloads: n.ai_workloads,
            })
            .collect();
        let unreadable = input.coverage.map(unreadable).unwrap_or_default();

        let mut summary = Summary {
            total: findings.len(),
            hidden: input.hidden,
            by_area: Area::ALL
                .iter()
                .map(|a| (a.code().to_string(), 0))
                .collect(),
            ..Default::default()
        };
        for f in &findings {
            summary.by_severity.add(f.severity);
            *summary
                .by_area
                .entry(f.area.code().to_string())
                .or_insert(0) += 1;
            if f.incomplete {
                summary.incomplete += 1;
            }
            if f.severity >= input.filter.fail_on {
                summary.failed = true;
            }
        }
        summary.complete = summary.incomplete == 0 && unreadable.is_empty();

        let (source, context, server, identity) = match input.origin {
            Some(o) => (
                SourceKind::Cluster,
                clean(&o.context),
                clean(&o.server),
                Some(Identity {
                    username: clean(&o.identity.username),
                    groups: o.identity.groups.iter().map(|g| clean(g)).collect(),
                    source: clean(&o.identity.source),
                }),
            ),
            None => (SourceKind::Files, String::new(), String::new(), None),
        };
        Report {
            schema_version: SCHEMA_VERSION,
            tool: ToolInfo {
                name: "aigov".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            generated_at: clean(&input.generated_at),
            source,
            context,
            server,
            identity,
            filter: FilterInfo {
                min_severity: input.filter.min_severity,
                fail_on: input.filter.fail_on,
                namespaces: input.filter.namespaces.iter().map(|n| clean(n)).collect(),
            },
            namespaces,
            unreadable,
            summary,
            findings,
        }
    }
}

/// The report as one pretty-printed JSON document, ending in a newline.
pub fn to_json(report: &Report) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(text) => text + "\n",
        // Serialising plain structs of strings and numbers cannot fail; keep the output JSON.
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}

/// Write the report in `format`. `color` applies to the table only.
pub fn render(report: &Report, format: AuditFormat, color: bool) -> String {
    match format {
        AuditFormat::Table => table::to_table_with(report, color),
        AuditFormat::Json => to_json(report),
        AuditFormat::Markdown => to_markdown(report),
        AuditFormat::Sarif => to_sarif(report),
        AuditFormat::Jsonl => super::watch::start_lines(report, None),
    }
}

/// `Kind/namespace/name`, leaving out an empty namespace.
pub(crate) fn object_name(o: &ObjectOut) -> String {
    if o.namespace.is_empty() {
        format!("{}/{}", o.kind, o.name)
    } else {
        format!("{}/{}/{}", o.kind, o.namespace, o.name)
    }
}

/// A summary line: `12 findings: 1 critical, 3 high, ...`.
pub(crate) fn summary_line(summary: &Summary) -> String {
    let counts = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .iter()
    .map(|s| format!("{} {}", summary.by_severity.get(*s), s.name()))
    .collect::<Vec<_>>()
    .join(", ");
    let noun = if summary.total == 1 {
        "finding"
    } else {
        "findings"
    };
    format!("{} {noun}: {counts}", summary.total)
}
