//! The terminal table: a header, the AI namespaces on one line, one row per finding (most
//! severe first), what could not be read, and a summary.

use super::{Report, SourceKind, object_name, summary_line};
use aigov_core::rules::Severity;
use aigov_core::sanitize::{sanitize, truncate_display};
use std::fmt::Write;

/// The object column is cut here so the title stays on the line.
const OBJECT_MAX: usize = 60;

fn s(text: &str) -> String {
    sanitize(text).into_owned()
}

/// The table without colour.
pub fn to_table(report: &Report) -> String {
    to_table_with(report, false)
}

fn paint(severity: Severity, cell: &str, color: bool) -> String {
    if !color {
        return cell.to_string();
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{cell}\x1b[0m")
}

/// The table; `color` adds ANSI colour to the severity column (and nowhere else).
pub fn to_table_with(report: &Report, color: bool) -> String {
    let mut out = String::new();
    match report.source {
        SourceKind::Cluster => {
            let _ = write!(
                out,
                "aigov audit of context {} ({})",
                s(&report.context),
                s(&report.server)
            );
            if let Some(id) = &report.identity {
                let _ = write!(out, " as {}", s(&id.username));
                if !id.groups.is_empty() {
                    let groups: Vec<String> = id.groups.iter().map(|g| s(g)).collect();
                    let _ = write!(out, " (groups: {})", groups.join(", "));
                }
            }
            let _ = writeln!(out);
        }
        SourceKind::Files => {
            let _ = writeln!(out, "aigov check of manifest files");
        }
    }
    let _ = writeln!(
        out,
        "generated {} by {} {}",
        s(&report.generated_at),
        s(&report.tool.name),
        s(&report.tool.version)
    );
    if !report.filter.namespaces.is_empty() {
        let names: Vec<String> = report.filter.namespaces.iter().map(|n| s(n)).collect();
        let _ = writeln!(
            out,
            "namespaces: {} (cluster-wide findings included)",
            names.join(", ")
        );
    }

    let ai: Vec<String> = report
        .namespaces
        .iter()
        .filter(|n| n.ai)
        .map(|n| format!("{} ({})", s(&n.name), n.score))
        .collect();
    if report.source == SourceKind::Cluster {
        let _ = writeln!(out);
        if ai.is_empty() {
            let _ = writeln!(out, "AI namespaces: none");
        } else {
            let _ = writeln!(out, "AI namespaces: {}", ai.join(", "));
        }
    }

    let _ = writeln!(out);
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
    } else {
        let rows: Vec<(Severity, String, String, String)> = report
            .findings
            .iter()
            .map(|f| {
                let mut object = s(&object_name(&f.object));
                if !f.object.path.is_empty() {
                    object.push(' ');
                    object.push_str(&s(&f.object.path));
                }
                // Manifest findings lead with where to look: `file:line`.
                if let Some(location) = &f.location {
                    let at = match location.line {
                        Some(line) => format!("{}:{line} ", s(&location.file)),
                        None => format!("{} ", s(&location.file)),
                    };
                    object.insert_str(0, &at);
                }
                let object = truncate_display(&object, OBJECT_MAX).into_owned();
                (f.severity, s(&f.rule), object, s(&f.title))
            })
            .collect();
        let rule_w = rows
            .iter()
            .map(|r| r.1.chars().count())
            .chain([4])
            .max()
            .unwrap_or(4);
        let object_w = rows
            .iter()
            .map(|r| r.2.chars().count())
            .chain([6])
            .max()
            .unwrap_or(6);
        let _ = writeln!(
            out,
            "{:<8}  {:<rule_w$}  {:<object_w$}  TITLE",
            "SEVERITY", "RULE", "OBJECT"
        );
        for (severity, rule, object, title) in rows {
            let cell = format!("{:<8}", severity.name());
            // Pad by characters, not bytes: names may be CJK or carry escapes made visible.
            let pad = object_w.saturating_sub(object.chars().count());
            let _ = writeln!(
                out,
                "{}  {rule:<rule_w$}  {object}{}  {title}",
                paint(severity, &cell, color),
                " ".repeat(pad)
            );
        }
    }

    if !report.unreadable.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "COULD NOT READ (rules that need these kinds report incomplete findings, not clean)"
        );
        for u in &report.unreadable {
            let _ = writeln!(out, "  {}: {}: {}", s(&u.kind), s(&u.state), s(&u.reason));
            for (ns, reason) in &u.namespaces {
                let _ = writeln!(out, "    {}: {}", s(ns), s(reason));
            }
        }
    }

    let summary = &report.summary;
    let _ = writeln!(out);
    let mut line = summary_line(summary);
    let mut notes = Vec::new();
    if summary.incomplete > 0 {
        notes.push(format!("{} incomplete", summary.incomplete));
    }
    if summary.hidden > 0 {
        notes.push(format!("{} hidden by the filter", summary.hidden));
    }
    if !notes.is_empty() {
        let _ = write!(line, " ({})", notes.join(", "));
    }
    let _ = writeln!(out, "{line}");
    let verdict = if summary.failed {
        format!(
            "FAIL: at least one finding is {} or above",
            report.filter.fail_on
        )
    } else {
        format!("pass: no finding is {} or above", report.filter.fail_on)
    };
    let coverage = if summary.complete {
        "analysis complete"
    } else {
        "analysis INCOMPLETE: some kinds or rules could not be evaluated"
    };
    let _ = writeln!(out, "{verdict}; {coverage}");
    out
}
