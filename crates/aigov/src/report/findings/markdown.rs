//! The Markdown report, for a pull request or a ticket: summary, AI namespaces, a findings
//! table, then each finding's explanation and evidence.
//!
//! Cluster text is sanitised, then every character Markdown could read as syntax is
//! backslash-escaped: `|` cannot break a table cell, a backtick cannot open code, `*` in a
//! masked value (`hf_a****`) cannot turn into emphasis, `<` cannot start HTML, `&` cannot
//! form an entity and `@` does not mention anyone.

use super::{Report, SourceKind, object_name, summary_line};
use aigov_core::rules::{Area, Severity};
use aigov_core::sanitize::sanitize;
use std::fmt::Write;

/// Sanitised and escaped for inline Markdown, tables included; `#` and `>` are escaped
/// everywhere because a heading or a quote could open wherever a line starts.
pub(crate) fn md(text: &str) -> String {
    escape(text, false)
}

/// [`md`] for text that starts a line or a list item (evidence, explanations): a leading `-`,
/// `+` or `1.` is escaped too, since it would open a nested list.
pub(crate) fn md_line(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, line_start: bool) -> String {
    let clean = sanitize(text);
    let mut out = String::with_capacity(clean.len() + 8);
    let digits = clean.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in clean.chars().enumerate() {
        let marker = line_start
            && ((i == 0 && matches!(c, '-' | '+'))
                || (i == digits && digits > 0 && matches!(c, '.' | ')')));
        if marker
            || matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '@'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn to_markdown(report: &Report) -> String {
    let mut out = String::new();
    let summary = &report.summary;
    match report.source {
        SourceKind::Cluster => {
            let _ = writeln!(out, "# aigov audit report\n");
            let _ = writeln!(out, "- **Context:** {}", md(&report.context));
            let _ = writeln!(out, "- **Server:** {}", md(&report.server));
            if let Some(id) = &report.identity {
                let groups: Vec<String> = id.groups.iter().map(|g| md(g)).collect();
                let groups = if groups.is_empty() {
                    String::new()
                } else {
                    format!(" (groups: {})", groups.join(", "))
                };
                let _ = writeln!(out, "- **Identity:** {}{groups}", md(&id.username));
            }
        }
        SourceKind::Files => {
            let _ = writeln!(out, "# aigov manifest check report\n");
        }
    }
    let _ = writeln!(out, "- **Generated:** {}", md(&report.generated_at));
    let _ = writeln!(
        out,
        "- **Tool:** {} {} (report schema {})",
        md(&report.tool.name),
        md(&report.tool.version),
        report.schema_version
    );
    let scope = if report.filter.namespaces.is_empty() {
        "all namespaces".to_string()
    } else {
        let names: Vec<String> = report.filter.namespaces.iter().map(|n| md(n)).collect();
        format!("namespaces {} and cluster-wide objects", names.join(", "))
    };
    let _ = writeln!(
        out,
        "- **Scope:** {scope}; severity {} and above; fails on {} and above",
        report.filter.min_severity, report.filter.fail_on
    );

    let _ = writeln!(out, "\n## Summary\n");
    let verdict = if summary.failed {
        format!(
            "**Failed:** at least one finding is {} or above.",
            report.filter.fail_on
        )
    } else {
        format!(
            "**Passed:** no finding is {} or above.",
            report.filter.fail_on
        )
    };
    let _ = writeln!(out, "{}. {verdict}\n", summary_line(summary));
    if summary.incomplete > 0 {
        let _ = writeln!(
            out,
            "{} finding(s) are incomplete: their rule could not be evaluated somewhere.\n",
            summary.incomplete
        );
    }
    if summary.hidden > 0 {
        let _ = writeln!(
            out,
            "{} finding(s) are hidden by the severity or namespace filter.\n",
            summary.hidden
        );
    }
    let _ = writeln!(out, "| Severity | Findings |\n|---|---:|");
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let _ = writeln!(out, "| {s} | {} |", summary.by_severity.get(s));
    }
    let _ = writeln!(out, "\n| Area | Findings |\n|---|---:|");
    for a in Area::ALL {
        let n = summary.by_area.get(a.code()).copied().unwrap_or(0);
        let _ = writeln!(out, "| {} ({}) | {n} |", a.title(), a.code());
    }
    if !report.unreadable.is_empty() {
        let _ = writeln!(
            out,
            "\n> **The analysis is incomplete.** These kinds could not be read, so rules that need them report incomplete findings instead of a clean result:\n>"
        );
        for u in &report.unreadable {
            let _ = writeln!(
                out,
                "> - {} ({}): {}",
                md_line(&u.kind),
                md(&u.state),
                md(&u.reason)
            );
            for (ns, reason) in &u.namespaces {
                let _ = writeln!(out, ">   - {}: {}", md_line(ns), md(reason));
            }
        }
    }

    if report.source == SourceKind::Cluster {
        let _ = writeln!(out, "\n## AI namespaces\n");
        let ai: Vec<_> = report.namespaces.iter().filter(|n| n.ai).collect();
        if ai.is_empty() {
            let _ = writeln!(out, "No namespace is classified as AI.");
        } else {
            let _ = writeln!(
                out,
                "| Namespace | Score | AI workloads | Reasons |\n|---|---:|---:|---|"
            );
            for n in &ai {
                let reasons: Vec<String> = n.reasons.iter().map(|r| md(r)).collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} of {} | {} |",
                    md(&n.name),
                    n.score,
                    n.ai_workloads,
                    n.workloads,
                    reasons.join("; ")
                );
            }
        }
        let others = report.namespaces.len() - ai.len();
        if others > 0 {
            let _ = writeln!(
                out,
                "\n{others} other namespace(s) are not classified as AI."
            );
        }
    }

    let _ = writeln!(out, "\n## Findings\n");
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
        return out;
    }
    let _ = writeln!(
        out,
        "| # | Severity | Rule | Object | Title |\n|---:|---|---|---|---|"
    );
    for (i, f) in report.findings.iter().enumerate() {
        let mut object = md(&object_name(&f.object));
        if !f.object.path.is_empty() {
            let _ = write!(object, " ({})", md(&f.object.path));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {object} | {} |",
            i + 1,
            f.severity,
            md(&f.rule),
            md(&f.title)
        );
    }

    let _ = writeln!(out, "\n## Details");
    for (i, f) in report.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n### {}. {} {}: {}\n",
            i + 1,
            f.severity,
            md(&f.rule),
            md(&f.title)
        );
        let _ = writeln!(out, "- **Object:** {}", md(&object_name(&f.object)));
        if !f.object.path.is_empty() {
            let _ = writeln!(out, "- **Path:** {}", md(&f.object.path));
        }
        if let Some(loc) = &f.location {
            match loc.line {
                Some(line) => {
                    let _ = writeln!(out, "- **File:** {} line {line}", md(&loc.file));
                }
                None => {
                    let _ = writeln!(out, "- **File:** {}", md(&loc.file));
                }
            }
        }
        let _ = writeln!(out, "- **Area:** {}", f.area.title());
        let _ = writeln!(out, "- **Key:** {}", md(&f.key));
        let _ = writeln!(
            out,
            "- **Remediation:** {}",
            if f.remediable {
                "aigov can propose a change"
            } else {
                "guidance only"
            }
        );
        if f.incomplete {
            let _ = writeln!(
                out,
                "- **Incomplete:** the rule could not be evaluated here; this is not a clean result"
            );
        }
        let _ = writeln!(out, "\n{}", md_line(&f.explanation));
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "\nEvidence:\n");
            for e in &f.evidence {
                let _ = writeln!(out, "- {}", md_line(e));
            }
        }
    }
    out
}
