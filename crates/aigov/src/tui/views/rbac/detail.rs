//! The RBAC view's detail pane: a binding's effective rules (aggregation applied) and the
//! findings about it; a subject's grants (binding → role → rule) behind each permission in
//! one AI namespace; a who-can answer's granting path.

use super::model::{BindingInfo, SubjectRow, class_of, role_kind_name, subject_long};
use super::perms::{Classifier, Perm};
use super::who_can::{Answer, rule_text};
use crate::tui::theme::Theme;
use crate::tui::views::clean;
use aigov_core::model::rbac::PolicyRule;
use aigov_core::rules::Finding;
use aigov_core::rules::permissions::describe_rule;
use aigov_core::rules::rbac::RbacIndex;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};

/// At most this many rules are listed for one role.
const MAX_RULES: usize = 60;

fn heading(text: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::styled(text.into(), theme.accent)
}

fn place(binding: &BindingInfo) -> String {
    if binding.is_cluster() {
        format!("{} {}", binding.kind, clean(&binding.name))
    } else {
        format!(
            "{} {}/{}",
            binding.kind,
            clean(&binding.namespace),
            clean(&binding.name)
        )
    }
}

fn role(binding: &BindingInfo) -> String {
    format!(
        "{} {}",
        role_kind_name(binding.role_kind),
        clean(&binding.role_name)
    )
}

fn rules_of<'a>(index: &'a RbacIndex, binding: &BindingInfo) -> &'a [PolicyRule] {
    index
        .effective_rules(binding.role_kind, &binding.role_name, &binding.namespace)
        .unwrap_or(&[])
}

fn findings_lines(
    indexes: &[usize],
    all: &[Finding],
    theme: &Theme,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(Line::raw(""));
    if indexes.is_empty() {
        lines.push(Line::styled("No findings.", theme.muted));
        return;
    }
    lines.push(heading(format!("Findings ({})", indexes.len()), theme));
    for f in indexes.iter().filter_map(|i| all.get(*i)) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<8} ", f.severity.name()),
                theme.severity(f.severity),
            ),
            Span::styled(format!("{} ", f.rule), theme.muted),
            Span::raw(clean(&f.title)),
        ]));
    }
    lines.push(Line::styled(
        "(the Findings view, 7, has each one's evidence and fix)",
        theme.muted,
    ));
}

fn risk_span(risk: Option<aigov_core::rules::Severity>, theme: &Theme) -> Span<'static> {
    match risk {
        Some(s) => Span::styled(
            format!("  {}", s.name().to_uppercase()),
            theme.severity(s).add_modifier(Modifier::BOLD),
        ),
        None => Span::raw(""),
    }
}

pub fn binding(
    binding: &BindingInfo,
    index: &RbacIndex,
    findings: &[Finding],
    classifier: &Classifier,
    settings: &aigov_core::rules::RulesConfig,
    theme: &Theme,
) -> Text<'static> {
    let mut lines = vec![Line::from(vec![
        Span::styled(place(binding), theme.accent),
        risk_span(binding.risk, theme),
    ])];
    let mut role_line = format!("role: {}", role(binding));
    if !binding.role_exists {
        role_line.push_str("  (does not exist: the binding grants nothing until it does)");
    }
    lines.push(Line::raw(role_line));
    lines.push(Line::raw(if binding.is_cluster() {
        "applies: in every namespace and cluster-wide".to_string()
    } else {
        format!("applies: in namespace {} only", clean(&binding.namespace))
    }));
    lines.push(Line::raw(format!(
        "risky permissions: {}",
        binding.perms.summary(binding.is_cluster())
    )));
    lines.push(Line::raw(""));
    lines.push(heading(
        format!("Subjects ({})", binding.subjects.len()),
        theme,
    ));
    if binding.subjects.is_empty() {
        lines.push(Line::styled(
            "none: the binding applies to nobody",
            theme.muted,
        ));
    }
    for s in &binding.subjects {
        lines.push(Line::raw(format!(
            "• {}{}",
            subject_long(s),
            class_of(s, settings)
        )));
    }
    let rules = rules_of(index, binding);
    lines.push(Line::raw(""));
    lines.push(heading(
        format!("Effective rules ({}, aggregation applied)", rules.len()),
        theme,
    ));
    for rule in rules.iter().take(MAX_RULES) {
        let perms = classifier.rule(rule, binding.is_cluster());
        let mut spans = vec![Span::raw(format!("• {}", clean(&describe_rule(rule))))];
        if !perms.is_empty() {
            spans.push(Span::styled(
                format!("  ⚠ {}", perms.summary(binding.is_cluster())),
                theme.stale,
            ));
        }
        lines.push(Line::from(spans));
    }
    if rules.len() > MAX_RULES {
        lines.push(Line::styled(
            format!("… and {} more rules", rules.len() - MAX_RULES),
            theme.muted,
        ));
    }
    findings_lines(&binding.findings, findings, theme, &mut lines);
    Text::from(lines)
}

pub fn subject(
    row: &SubjectRow,
    bindings: &[BindingInfo],
    index: &RbacIndex,
    findings: &[Finding],
    classifier: &Classifier,
    theme: &Theme,
) -> Text<'static> {
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "{}{} in {}",
                subject_long(&row.subject),
                super::model::class_label(row.who),
                clean(&row.namespace)
            ),
            theme.accent,
        ),
        risk_span(row.risk, theme),
    ])];
    lines.push(Line::raw(format!(
        "risky permissions: {}",
        row.perms.summary(row.admin_cluster_wide)
    )));
    lines.push(Line::raw(""));
    lines.push(heading("Grants behind each permission", theme));
    if row.perms.is_empty() {
        lines.push(Line::styled("none of the risky permissions", theme.muted));
    }
    for perm in row.perms.iter() {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", perm.label()), theme.stale),
            Span::styled(format!("({})", perm.meaning()), theme.muted),
        ]));
        for (b, through) in &row.grants {
            let Some(binding) = bindings.get(*b) else {
                continue;
            };
            if !binding.perms.has(perm) {
                continue;
            }
            let via = if *through == row.subject {
                String::new()
            } else {
                format!(" (as {})", subject_long(through))
            };
            for rule in rules_of(index, binding) {
                if classifier.rule(rule, binding.is_cluster()).has(perm) {
                    lines.push(Line::raw(format!(
                        "  {} → {}{via}: {}",
                        place(binding),
                        role(binding),
                        clean(&describe_rule(rule))
                    )));
                }
            }
        }
    }
    let quiet: Vec<String> = row
        .grants
        .iter()
        .filter_map(|(b, _)| bindings.get(*b))
        .filter(|b| b.perms.is_empty())
        .map(|b| format!("{} → {}", place(b), role(b)))
        .collect();
    if !quiet.is_empty() {
        lines.push(Line::raw(""));
        lines.push(heading("Other bindings (nothing risky)", theme));
        lines.extend(quiet.into_iter().map(|q| Line::raw(format!("• {q}"))));
    }
    findings_lines(&row.findings, findings, theme, &mut lines);
    lines.push(Line::raw(""));
    let legend: Vec<String> = Perm::ALL
        .iter()
        .map(|p| format!("{}: {}", p.label(), p.meaning()))
        .collect();
    lines.push(Line::styled(legend.join("; "), theme.muted));
    Text::from(lines)
}

pub fn who_can(answer: &Answer, theme: &Theme) -> Option<Text<'static>> {
    let row = answer.table.selected_row()?;
    let (si, gi) = *answer.positions.get(row.source)?;
    let s = answer.answer.subjects.get(si)?;
    let g = s.grants.get(gi)?;
    let subject = if s.namespace.is_empty() {
        format!("{} {}", s.kind, s.name)
    } else {
        format!("{} {}/{}", s.kind, s.namespace, s.name)
    };
    let binding = if g.binding_namespace.is_empty() {
        format!("{} {}", g.binding_kind, g.binding_name)
    } else {
        format!(
            "{} {}/{}",
            g.binding_kind, g.binding_namespace, g.binding_name
        )
    };
    let mut lines = vec![
        Line::styled(format!("who can {}", answer.what), theme.accent),
        Line::raw(""),
        Line::raw(format!(
            "subject: {subject}{}",
            if s.class.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.class)
            }
        )),
        Line::raw(format!("binding: {binding}")),
        Line::raw(format!("role:    {} {}", g.role_kind, g.role_name)),
        Line::raw(format!("rule:    {}", rule_text(&g.rule))),
    ];
    if s.grants.len() > 1 {
        lines.push(Line::raw(""));
        lines.push(heading(
            format!("All {} grants to this subject", s.grants.len()),
            theme,
        ));
        for other in &s.grants {
            lines.push(Line::raw(format!(
                "• {} {} → {} {}",
                other.binding_kind,
                if other.binding_namespace.is_empty() {
                    other.binding_name.clone()
                } else {
                    format!("{}/{}", other.binding_namespace, other.binding_name)
                },
                other.role_kind,
                other.role_name
            )));
        }
    }
    let notes = answer.notes();
    if !notes.is_empty() {
        lines.push(Line::raw(""));
        lines.extend(notes.into_iter().map(|n| Line::styled(n, theme.muted)));
    }
    Some(Text::from(lines))
}
