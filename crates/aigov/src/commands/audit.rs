//! `aigov audit`: evaluate every rule over the cluster and report the findings as a table,
//! JSON, Markdown or SARIF; exit 1 when a shown finding is at or above `--fail-on`.
//!
//! [`apply_filter`] and [`outcome`] are shared with `check -f`, so both commands select
//! findings and decide the exit code the same way.

use super::{Outcome, print};
use crate::cli::{AuditArgs, FindingFilter};
use crate::engine::Error;
use crate::report::AuditFormat;
use crate::report::findings::{self, FilterInfo, Report, ReportInput};
use crate::settings::Settings;
use aigov_core::model::{Kind, Snapshot};
use aigov_core::rules::{Evaluation, Finding, Severity};

/// Whether a finding concerns one of `namespaces`. Cluster-scoped findings (an empty
/// namespace: ClusterRoles, ClusterRoleBindings, PVs, ...) are always kept, because a
/// cluster-wide grant reaches into every namespace. A finding about a Namespace object is
/// matched by the namespace's name.
pub fn in_namespaces(finding: &Finding, namespaces: &[String]) -> bool {
    if namespaces.is_empty() {
        return true;
    }
    let o = &finding.object;
    let namespace = if o.namespace.is_empty() && o.kind == "Namespace" {
        o.name.as_str()
    } else {
        o.namespace.as_str()
    };
    namespace.is_empty() || namespaces.iter().any(|n| n == namespace)
}

/// Whether to show `finding`: at or above `--min-severity`, and in `namespaces` (empty: all).
pub fn shows(finding: &Finding, filter: &FindingFilter, namespaces: &[String]) -> bool {
    finding.severity >= filter.min_severity && in_namespaces(finding, namespaces)
}

/// The findings to show (see [`shows`]).
pub fn apply_filter<'a>(
    findings: &'a [Finding],
    filter: &FindingFilter,
    namespaces: &[String],
) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| shows(f, filter, namespaces))
        .collect()
}

/// Exit 1 (`No`) when any shown finding is at or above `fail_on`, else 0 (`Yes`). An
/// incomplete finding counts with its rule's severity: unknown is not clean.
pub fn outcome(shown: &[&Finding], fail_on: Severity) -> Outcome {
    if shown.iter().any(|f| f.severity >= fail_on) {
        Outcome::No
    } else {
        Outcome::Yes
    }
}

/// The filter as the report records it.
pub fn filter_info(filter: &FindingFilter, namespaces: &[String]) -> FilterInfo {
    FilterInfo {
        min_severity: filter.min_severity,
        fail_on: filter.fail_on,
        namespaces: namespaces.to_vec(),
    }
}

/// Print the report in the chosen format (the table in colour on a terminal, unless
/// `NO_COLOR`).
pub fn print_report(settings: &Settings, report: &Report, format: AuditFormat) {
    let color = format == AuditFormat::Table && settings.color_stdout();
    print(&findings::render(report, format, color));
}

/// A `-n` namespace that does not exist would make the audit silently clean: refuse it,
/// unless the namespace list itself could not be read.
pub(super) fn check_namespaces(snapshot: &Snapshot, namespaces: &[String]) -> Result<(), Error> {
    let known = snapshot
        .coverage
        .get(&Kind::Namespace)
        .is_some_and(|c| c.is_complete());
    if !known {
        return Ok(());
    }
    let missing: Vec<&str> = namespaces
        .iter()
        .filter(|n| !snapshot.namespaces.iter().any(|ns| &ns.meta.name == *n))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut existing: Vec<&str> = snapshot
        .namespaces
        .iter()
        .map(|n| n.meta.name.as_str())
        .collect();
    existing.sort_unstable();
    Err(Error::Usage(format!(
        "namespace {} not found in context {:?} (namespaces: {})",
        missing
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        snapshot.origin.context,
        existing.join(", ")
    )))
}

pub async fn run(settings: &Settings, args: &AuditArgs) -> Result<Outcome, Error> {
    if args.watch {
        return super::audit_watch::run(settings, args).await;
    }
    let (_session, snapshot, evaluation, _registry) =
        crate::engine::analysis::analyse_with_registry(settings).await?;
    crate::engine::analysis::refuse_if_nothing_was_read(&snapshot)?;
    check_namespaces(&snapshot, &args.namespaces)?;
    let shown = apply_filter(&evaluation.findings, &args.filter, &args.namespaces);
    let result = outcome(&shown, args.filter.fail_on);
    print_report(
        settings,
        &report(&snapshot, &evaluation, args),
        args.filter.format,
    );
    Ok(result)
}

/// The audit's report of `evaluation` over `snapshot`, with the findings `args` show.
pub(super) fn report(snapshot: &Snapshot, evaluation: &Evaluation, args: &AuditArgs) -> Report {
    let shown = apply_filter(&evaluation.findings, &args.filter, &args.namespaces);
    Report::build(ReportInput {
        generated_at: findings::now(),
        origin: Some(&snapshot.origin),
        coverage: Some(&snapshot.coverage),
        namespaces: &evaluation.namespaces,
        hidden: evaluation.findings.len() - shown.len(),
        findings: shown,
        filter: filter_info(&args.filter, &args.namespaces),
        locations: Default::default(),
    })
}

/// `aigov demo`, until the console lands: the audit of the built-in demo cluster, as a
/// table. It exits 0: the demo's findings are the point, not a failure.
pub async fn demo(settings: &Settings) -> Result<Outcome, Error> {
    let settings = Settings {
        demo: true,
        ..settings.clone()
    };
    let args = AuditArgs {
        filter: FindingFilter {
            format: AuditFormat::Table,
            min_severity: Severity::Info,
            fail_on: Severity::Critical,
        },
        namespaces: Vec::new(),
        watch: false,
    };
    run(&settings, &args).await.map(|_| Outcome::Yes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::rules::ObjectRef;

    fn finding(severity: Severity, kind: &str, namespace: &str, name: &str) -> Finding {
        Finding {
            rule: &aigov_core::rules::permissions::SECRETS_READ,
            severity,
            object: ObjectRef::new(kind, namespace, name),
            title: "t".into(),
            explanation: "e".into(),
            evidence: vec![],
            remediable: false,
            incomplete: false,
            detail: aigov_core::rules::Detail::None,
        }
    }

    fn filter(min: Severity, fail_on: Severity) -> FindingFilter {
        FindingFilter {
            format: AuditFormat::Table,
            min_severity: min,
            fail_on,
        }
    }

    #[test]
    fn min_severity_drops_lower_findings_only() {
        let all = vec![
            finding(Severity::Critical, "Role", "llm", "a"),
            finding(Severity::High, "Role", "llm", "b"),
            finding(Severity::Low, "Role", "llm", "c"),
        ];
        let shown = apply_filter(&all, &filter(Severity::High, Severity::High), &[]);
        let names: Vec<&str> = shown.iter().map(|f| f.object.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            apply_filter(&all, &filter(Severity::Info, Severity::High), &[]).len(),
            3
        );
    }

    #[test]
    fn namespace_filter_keeps_cluster_scoped_and_matches_namespace_objects_by_name() {
        let all = vec![
            finding(Severity::High, "Deployment", "llm", "in-llm"),
            finding(Severity::High, "Deployment", "web", "in-web"),
            finding(Severity::High, "ClusterRoleBinding", "", "cluster-wide"),
            finding(Severity::High, "Namespace", "", "llm"),
            finding(Severity::High, "Namespace", "", "web"),
        ];
        let shown = apply_filter(
            &all,
            &filter(Severity::Info, Severity::High),
            &["llm".to_string()],
        );
        let names: Vec<String> = shown.iter().map(|f| f.object.to_string()).collect();
        assert_eq!(
            names,
            [
                "Deployment/llm/in-llm",
                "ClusterRoleBinding/cluster-wide",
                "Namespace/llm"
            ]
        );
    }

    #[test]
    fn outcome_fails_at_or_above_the_threshold_including_incomplete_findings() {
        let high = finding(Severity::High, "Role", "llm", "a");
        let medium = finding(Severity::Medium, "Role", "llm", "b");
        assert_eq!(outcome(&[&high, &medium], Severity::High), Outcome::No);
        assert_eq!(outcome(&[&medium], Severity::High), Outcome::Yes);
        assert_eq!(outcome(&[&medium], Severity::Medium), Outcome::No);
        assert_eq!(outcome(&[], Severity::Info), Outcome::Yes);
        let mut incomplete = finding(Severity::Critical, "Namespace", "", "llm");
        incomplete.incomplete = true;
        assert_eq!(outcome(&[&incomplete], Severity::Critical), Outcome::No);
    }

    #[test]
    fn unknown_namespaces_are_refused_unless_namespaces_are_unreadable() {
        use aigov_core::model::objects::Namespace;
        use aigov_core::model::{Coverage, Meta, Object};
        let mut snapshot = Snapshot::default();
        snapshot.origin.context = "demo".into();
        for name in ["llm", "web"] {
            snapshot.insert(Object::Namespace(Namespace {
                meta: Meta {
                    name: name.into(),
                    ..Default::default()
                },
                phase: "Active".into(),
            }));
        }
        snapshot
            .coverage
            .insert(Kind::Namespace, Coverage::Complete);
        assert!(check_namespaces(&snapshot, &["llm".into()]).is_ok());
        let err = check_namespaces(&snapshot, &["lm".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "namespace \"lm\" not found in context \"demo\" (namespaces: llm, web)"
        );
        snapshot.coverage.insert(
            Kind::Namespace,
            Coverage::Unknown {
                reason: "forbidden".into(),
            },
        );
        assert!(check_namespaces(&snapshot, &["lm".into()]).is_ok());
    }
}
