//! The guided audit's report: the auditor's marks and notes per area, the context, server,
//! identity, tool version and time, written as Markdown and JSON to
//! `<data dir>/reports/guided-<context>-<UTC time>.{md,json}`.
//!
//! The directory is made 0700; each file is created 0600 in it as a temporary file, written,
//! fsynced and renamed into place without replacing anything, so a report is never
//! half-written and never overwrites an earlier one. Cluster text was sanitised when the
//! audit began; the Markdown escapes it again as `report::findings` does.

use super::model::{Audit, Counts, Mark, STEPS};
use crate::report::findings::ObjectOut;
use crate::report::findings::markdown::md;
use crate::tui::views::clean;
use aigov_core::model::Identity;
use aigov_core::rules::{Area, Severity};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The version of the JSON document; it rises only when a field is removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// `aigov-guided-audit`.
    pub kind: String,
    pub tool: Tool,
    /// RFC 3339 in UTC, stamped when the files are written (the console clock until then).
    pub generated_at: String,
    pub context: String,
    pub server: String,
    pub identity: Identity,
    pub read_only: bool,
    /// When the reviewed data arrived, by the console clock (HH:MM:SS, local time).
    pub data_loaded_at: Option<String>,
    pub counts: Counts,
    pub areas: Vec<AreaReport>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaReport {
    /// `namespaces`, `rbac`, `reach`, `images`, `config`, `admission`.
    pub step: String,
    pub title: String,
    /// The rule areas the step covers (`IMG` and `REG` for images).
    pub areas: Vec<Area>,
    pub rules: Vec<RuleChecked>,
    pub counts: Counts,
    pub findings: Vec<Reviewed>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleChecked {
    pub id: String,
    pub title: String,
    pub findings: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reviewed {
    pub key: String,
    pub rule: String,
    pub severity: Severity,
    pub object: ObjectOut,
    pub title: String,
    pub incomplete: bool,
    /// `accepted-risk`, `needs-fix`, `not-applicable` or `not-reviewed`.
    pub status: String,
    pub note: String,
}

fn status(mark: Option<Mark>) -> &'static str {
    match mark {
        Some(Mark::AcceptedRisk) => "accepted-risk",
        Some(Mark::NeedsFix) => "needs-fix",
        Some(Mark::NotApplicable) => "not-applicable",
        None => "not-reviewed",
    }
}

impl Report {
    /// The report of an audit as it stands; `clock` is the console's HH:MM:SS.
    pub fn build(audit: &Audit, clock: &str) -> Report {
        let areas = audit
            .steps
            .iter()
            .map(|step| AreaReport {
                step: step.def.id.to_string(),
                title: step.def.title.to_string(),
                areas: step.def.areas.to_vec(),
                rules: step
                    .rules()
                    .into_iter()
                    .map(|r| RuleChecked {
                        id: r.id.to_string(),
                        title: r.title.to_string(),
                        findings: step.items.iter().filter(|i| i.rule == r.id).count(),
                    })
                    .collect(),
                counts: step.counts(),
                findings: step
                    .items
                    .iter()
                    .map(|i| Reviewed {
                        key: clean(&i.key),
                        rule: clean(&i.rule),
                        severity: i.severity,
                        object: i.object.clone(),
                        title: clean(&i.title),
                        incomplete: i.incomplete,
                        status: status(i.mark).to_string(),
                        note: clean(&i.note),
                    })
                    .collect(),
            })
            .collect();
        Report {
            schema_version: SCHEMA_VERSION,
            kind: "aigov-guided-audit".into(),
            tool: Tool {
                name: "aigov".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            generated_at: clean(clock),
            context: clean(&audit.context),
            server: clean(&audit.server),
            identity: Identity {
                username: clean(&audit.identity.username),
                groups: audit.identity.groups.iter().map(|g| clean(g)).collect(),
                source: clean(&audit.identity.source),
            },
            read_only: audit.read_only,
            data_loaded_at: audit.data_at.as_deref().map(clean),
            counts: audit.counts(),
            areas,
        }
    }
}

fn counts_line(c: &Counts) -> String {
    let mut line = format!(
        "{} finding(s): {} accepted risk, {} needs fix, {} not applicable, {} not reviewed.",
        c.findings, c.accepted_risk, c.needs_fix, c.not_applicable, c.not_reviewed
    );
    if c.incomplete > 0 {
        let _ = write!(
            line,
            " {} are incomplete: their rule could not be evaluated everywhere, which is not a clean result.",
            c.incomplete
        );
    }
    line
}

fn counts_row(label: &str, c: &Counts) -> String {
    format!(
        "| {label} | {} | {} | {} | {} | {} |",
        c.findings, c.accepted_risk, c.needs_fix, c.not_applicable, c.not_reviewed
    )
}

/// The Markdown document.
pub fn to_markdown(report: &Report) -> String {
    let mut out = String::from("# aigov guided audit report\n\n");
    let id = &report.identity;
    let groups: Vec<String> = id.groups.iter().map(|g| md(g)).collect();
    let groups = if groups.is_empty() {
        String::new()
    } else {
        format!(" (groups: {})", groups.join(", "))
    };
    let _ = writeln!(out, "- **Context:** {}", md(&report.context));
    let _ = writeln!(out, "- **Server:** {}", md(&report.server));
    let _ = writeln!(out, "- **Identity:** {}{groups}", md(&id.username));
    let _ = writeln!(out, "- **Generated:** {}", md(&report.generated_at));
    if let Some(at) = &report.data_loaded_at {
        let _ = writeln!(out, "- **Data loaded:** {} (console clock)", md(at));
    }
    let _ = writeln!(
        out,
        "- **Tool:** {} {} (guided audit schema {})",
        md(&report.tool.name),
        md(&report.tool.version),
        report.schema_version
    );
    if report.read_only {
        let _ = writeln!(
            out,
            "- **Mode:** read-only: the audit only read the cluster"
        );
    }
    let _ = writeln!(out, "\n## Summary\n\n{}\n", counts_line(&report.counts));
    let _ = writeln!(
        out,
        "| Area | Findings | Accepted risk | Needs fix | Not applicable | Not reviewed |\n|---|---:|---:|---:|---:|---:|"
    );
    for (i, area) in report.areas.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}",
            counts_row(&format!("{}. {}", i + 1, md(&area.title)), &area.counts)
        );
    }
    let _ = writeln!(out, "{}", counts_row("**Total**", &report.counts));
    for (i, area) in report.areas.iter().enumerate() {
        let _ = writeln!(out, "\n## {}. {}\n", i + 1, md(&area.title));
        if let Some(def) = STEPS.iter().find(|s| s.id == area.step) {
            let _ = writeln!(out, "{}\n", def.intro);
        }
        let _ = writeln!(out, "Rules checked:\n");
        for r in &area.rules {
            let found = match r.findings {
                0 => "no findings".to_string(),
                n => format!("{n} finding(s)"),
            };
            let _ = writeln!(out, "- {} {}: {found}", md(&r.id), md(&r.title));
        }
        let _ = writeln!(out, "\n{}\n", counts_line(&area.counts));
        if area.findings.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "| Mark | Severity | Rule | Object | Finding | Note |\n|---|---|---|---|---|---|"
        );
        for f in &area.findings {
            let mark = match f.status.as_str() {
                "accepted-risk" => "accepted risk",
                "needs-fix" => "needs fix",
                "not-applicable" => "not applicable",
                _ => "**not reviewed**",
            };
            let title = if f.incomplete {
                format!("(incomplete) {}", md(&f.title))
            } else {
                md(&f.title)
            };
            let _ = writeln!(
                out,
                "| {mark} | {} | {} | {} | {title} | {} |",
                f.severity,
                md(&f.rule),
                md(&f.object.to_string()),
                md(&f.note)
            );
        }
    }
    out
}

/// The JSON document.
pub fn to_json(report: &Report) -> Result<String, String> {
    serde_json::to_string_pretty(report)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| format!("cannot encode the guided audit report: {e}"))
}

/// Write the report (Markdown and JSON) to `<data dir>/reports`; returns both files.
/// Called by the effect runner on a blocking thread; it stamps the time.
pub fn write_report(report: &Report) -> Result<Vec<PathBuf>, String> {
    let dir = aigov_state::dirs::data_dir()
        .ok_or_else(|| {
            "cannot determine a data directory to write the report in; set AIGOV_DATA_DIR"
                .to_string()
        })?
        .join("reports");
    write_report_in(report, &dir, jiff::Timestamp::now())
}

/// [`write_report`] into an explicit directory at an explicit time.
pub fn write_report_in(
    report: &Report,
    dir: &Path,
    at: jiff::Timestamp,
) -> Result<Vec<PathBuf>, String> {
    create_private_dir(dir)?;
    let mut report = report.clone();
    report.generated_at = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let markdown = to_markdown(&report);
    let json = to_json(&report)?;
    let base = format!(
        "guided-{}-{}",
        file_safe(&report.context),
        at.strftime("%Y%m%dT%H%M%SZ")
    );
    // Two reports in one second get -2, -3, ...: an earlier report is never replaced.
    let stem = (1..1000)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|s| !dir.join(format!("{s}.md")).exists() && !dir.join(format!("{s}.json")).exists())
        .ok_or_else(|| format!("too many reports named {base} in {}", dir.display()))?;
    let md_path = dir.join(format!("{stem}.md"));
    let json_path = dir.join(format!("{stem}.json"));
    write_new(dir, &md_path, &markdown)?;
    if let Err(e) = write_new(dir, &json_path, &json) {
        // Both or neither.
        let _ = std::fs::remove_file(&md_path);
        return Err(e);
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(vec![md_path, json_path])
}

/// A context name as part of a file name: anything but letters, digits, `.`, `_` and `-`
/// becomes `_` (context names may hold `/`, `:` or worse).
fn file_safe(context: &str) -> String {
    let safe: String = context
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe.is_empty() {
        "context".into()
    } else {
        safe
    }
}

/// Create `path` with `text`: a 0600 temporary file in `dir`, fsynced, then renamed into
/// place only if nothing is there.
fn write_new(dir: &Path, path: &Path, text: &str) -> Result<(), String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        format!("cannot {what} the report {}: {e}", path.display())
    };
    // NamedTempFile is created 0600 from the start.
    let mut file = tempfile::Builder::new()
        .prefix(".guided-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail("create a temporary file for", &e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| fail("write", &e))?;
    file.persist_noclobber(path)
        .map_err(|e| fail("save", &e.error))?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot create the directory {}: {e}", dir.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
            format!(
                "cannot make the directory {} private (0700): {e}",
                dir.display()
            )
        })?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(fail)?;
    Ok(())
}
