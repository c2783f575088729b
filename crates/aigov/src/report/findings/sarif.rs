//! SARIF 2.1.0, built with the `serde-sarif` types (generated from the official schema, so
//! the shape cannot drift from it); a test validates the output against that schema.
//!
//! Cluster objects have no file, so a result's location is a logical location
//! (`fullyQualifiedName` = `Kind/namespace/name`, kind `object`); findings from manifest
//! files (`check -f`) also carry a physical location with the file and line.

use super::{FindingOut, Report, SourceKind, object_name};
use aigov_core::rules::Severity;
use aigov_core::rules::catalog::{self, RuleInfo};
use aigov_core::sanitize::sanitize;
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;

/// The `$schema` written into the log: the OASIS standard's schema.
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `partialFingerprints` entry that carries the finding key.
pub const FINGERPRINT_NAME: &str = "aigovFindingKey/v1";

fn s(text: &str) -> String {
    sanitize(text).into_owned()
}

fn level_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

/// GitHub code scanning ranks security alerts by this number (0.1 to 10).
fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

/// `ClusterRoleBinding granting cluster-admin` -> `ClusterRoleBindingGrantingClusterAdmin`.
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn text(t: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(t.into()).build()
}

fn bag(tags: Option<Vec<String>>, values: BTreeMap<String, Value>) -> PropertyBag {
    PropertyBag {
        tags,
        additional_properties: values,
    }
}

fn descriptor(rule: &RuleInfo) -> ReportingDescriptor {
    let mut props = BTreeMap::from([
        ("area".to_string(), json!(rule.area.code())),
        ("severity".to_string(), json!(rule.severity.name())),
        ("remediable".to_string(), json!(rule.remediable())),
        ("why".to_string(), json!(rule.why)),
        ("falsePositives".to_string(), json!(rule.false_positives)),
    ]);
    if let Some(score) = security_severity(rule.severity) {
        props.insert("security-severity".into(), json!(score));
    }
    let help = MultiformatMessageString::builder()
        .text(rule.fix.to_string())
        .markdown(format!(
            "**How to fix:** {}\n\n**Why it matters:** {}\n\n**False positives:** {}",
            rule.fix, rule.why, rule.false_positives
        ))
        .build();
    ReportingDescriptor::builder()
        .id(rule.id)
        .name(rule_name(rule.title))
        .short_description(text(rule.title))
        .full_description(text(rule.checks))
        .help(help)
        .default_configuration(ReportingConfiguration {
            level: Some(json!(level_name(rule.severity))),
            ..Default::default()
        })
        .properties(bag(
            Some(vec![
                "security".into(),
                "kubernetes".into(),
                rule.area.code().into(),
            ]),
            props,
        ))
        .build()
}

/// A descriptor for a rule id the catalog does not know (so every `ruleIndex` is valid).
fn unknown_descriptor(id: &str) -> ReportingDescriptor {
    ReportingDescriptor::builder()
        .id(s(id))
        .short_description(text(s(id)))
        .build()
}

/// A file path as a URI reference: unreserved characters and `/` stay, the rest is
/// percent-encoded (so `a:b.yaml` cannot read as a scheme and spaces stay legal).
fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(f: &FindingOut) -> Location {
    let logical = LogicalLocation {
        fully_qualified_name: Some(s(&object_name(&f.object))),
        name: Some(s(&f.object.name)),
        kind: Some("object".into()),
        ..Default::default()
    };
    let physical = f.location.as_ref().map(|loc| PhysicalLocation {
        artifact_location: Some(ArtifactLocation {
            uri: Some(path_uri(&loc.file)),
            ..Default::default()
        }),
        region: loc.line.filter(|l| *l >= 1).map(|l| Region {
            start_line: Some(i64::from(l)),
            ..Default::default()
        }),
        ..Default::default()
    });
    let message = (!f.object.path.is_empty()).then(|| Message {
        text: Some(s(&f.object.path)),
        ..Default::default()
    });
    Location {
        logical_locations: Some(vec![logical]),
        physical_location: physical,
        message,
        ..Default::default()
    }
}

fn result(f: &FindingOut, index: Option<usize>) -> SarifResult {
    let mut message = format!("{} ({}", s(&f.title), s(&object_name(&f.object)));
    if !f.object.path.is_empty() {
        message.push(' ');
        message.push_str(&s(&f.object.path));
    }
    message.push(')');
    let mut props = BTreeMap::from([
        ("severity".to_string(), json!(f.severity.name())),
        ("area".to_string(), json!(f.area.code())),
        ("key".to_string(), json!(s(&f.key))),
        ("explanation".to_string(), json!(s(&f.explanation))),
        (
            "evidence".to_string(),
            json!(f.evidence.iter().map(|e| s(e)).collect::<Vec<_>>()),
        ),
        ("remediable".to_string(), json!(f.remediable)),
    ]);
    if f.incomplete {
        props.insert("incomplete".into(), json!(true));
    }
    let builder = SarifResult::builder()
        .rule_id(s(&f.rule))
        .level(level(f.severity))
        .message(Message {
            text: Some(message),
            ..Default::default()
        })
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT_NAME.to_string(), s(&f.key))]))
        .locations(vec![location(f)])
        .properties(bag(None, props));
    match index.and_then(|i| i64::try_from(i).ok()) {
        Some(i) => builder.rule_index(i).build(),
        None => builder.build(),
    }
}

/// SARIF with the driver's rules from the rule catalog.
pub fn to_sarif(report: &Report) -> String {
    to_sarif_with(report, &catalog::all())
}

/// SARIF with the given rule descriptors; findings of rules not among them get a minimal
/// descriptor appended, so that every result's `ruleIndex` points at its rule.
pub fn to_sarif_with(report: &Report, rules: &[&RuleInfo]) -> String {
    let mut descriptors: Vec<ReportingDescriptor> = rules.iter().map(|r| descriptor(r)).collect();
    let mut index: BTreeMap<String, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.to_string(), i))
        .collect();
    for f in &report.findings {
        if !index.contains_key(&f.rule) {
            index.insert(f.rule.clone(), descriptors.len());
            descriptors.push(unknown_descriptor(&f.rule));
        }
    }
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| result(f, index.get(&f.rule).copied()))
        .collect();

    let notifications: Vec<Notification> = report
        .unreadable
        .iter()
        .map(|u| {
            let mut message = format!(
                "{} could not be read ({}): {}",
                s(&u.kind),
                s(&u.state),
                s(&u.reason)
            );
            for (ns, reason) in &u.namespaces {
                message.push_str(&format!("; {}: {}", s(ns), s(reason)));
            }
            Notification::builder()
                .level(json!("warning"))
                .message(Message {
                    text: Some(message),
                    ..Default::default()
                })
                .build()
        })
        .collect();
    let invocation = if notifications.is_empty() {
        Invocation::builder().execution_successful(true).build()
    } else {
        Invocation::builder()
            .execution_successful(true)
            .tool_execution_notifications(notifications)
            .build()
    };

    let mut run_props = BTreeMap::from([
        (
            "reportSchemaVersion".to_string(),
            json!(report.schema_version),
        ),
        ("generatedAt".to_string(), json!(s(&report.generated_at))),
        ("complete".to_string(), json!(report.summary.complete)),
        ("failed".to_string(), json!(report.summary.failed)),
        ("failOn".to_string(), json!(report.filter.fail_on.name())),
        (
            "minSeverity".to_string(),
            json!(report.filter.min_severity.name()),
        ),
        ("hidden".to_string(), json!(report.summary.hidden)),
    ]);
    if report.source == SourceKind::Cluster {
        run_props.insert("context".into(), json!(s(&report.context)));
        run_props.insert("server".into(), json!(s(&report.server)));
        if let Some(id) = &report.identity {
            run_props.insert("identity".into(), json!(s(&id.username)));
        }
        let ai: Vec<String> = report
            .namespaces
            .iter()
            .filter(|n| n.ai)
            .map(|n| s(&n.name))
            .collect();
        run_props.insert("aiNamespaces".into(), json!(ai));
    }

    let driver = ToolComponent::builder()
        .name(s(&report.tool.name))
        .version(s(&report.tool.version))
        .semantic_version(s(&report.tool.version))
        .rules(descriptors)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .results(results)
        .properties(bag(None, run_props))
        .build();
    let log = Sarif::builder()
        .schema(SARIF_SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    match serde_json::to_string_pretty(&log) {
        Ok(text) => text + "\n",
        // Plain data always serialises; keep the output a JSON document all the same.
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}
