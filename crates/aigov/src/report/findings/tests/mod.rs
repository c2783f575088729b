//! Tests for the finding reports: snapshots of every format on a fixed, hand-made report
//! (with hostile cluster text and a masked secret), and the JSON document's round trip and
//! required fields. SARIF and its schema validation are in `sarif.rs`.

mod sarif;

use super::*;
use aigov_core::model::{ConfigValue, Coverage, Identity, Kind, Origin};
use aigov_core::rules::catalog::{self, Planner, Remedy, RuleInfo};
use aigov_core::rules::{Area, Detail, Finding, NamespaceClass, ObjectRef, Place, Severity};
use serde_json::Value;

/// The secret-like value a config rule found; only its masked form may appear anywhere.
const SECRET: &str = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

static RBAC_RULE: RuleInfo = RuleInfo {
    id: "AIGOV-RBAC-007",
    area: Area::Rbac,
    severity: Severity::Critical,
    title: "cluster-admin bound to a ServiceAccount or a broad group",
    checks: "ClusterRoleBindings and RoleBindings that grant cluster-admin or an equivalent.",
    why: "Whoever holds it can read every dataset and replace every model.",
    fix: "Bind a narrower role.",
    false_positives: "Break-glass accounts.",
    remedy: Remedy::Plan(Planner::BindingSubject),
};

static IMG_RULE: RuleInfo = RuleInfo {
    id: "AIGOV-IMG-001",
    area: Area::Images,
    severity: Severity::High,
    title: "image without a digest in an AI workload",
    checks: "Container images of AI workloads that are not pinned by digest.",
    why: "A moved tag changes the model server without a deploy.",
    fix: "Pin the image by digest.",
    false_positives: "Registries with immutable tags.",
    remedy: Remedy::Plan(Planner::PinDigest),
};

fn finding(
    rule: &str,
    severity: Severity,
    area: Area,
    object: ObjectRef,
    title: &str,
    evidence: &[&str],
) -> Finding {
    let rule = catalog::find(rule).unwrap();
    assert_eq!(rule.area, area, "{rule} is not in {area:?}");
    Finding {
        rule,
        severity,
        object,
        title: title.into(),
        explanation: format!("Why {rule} matters for AI data."),
        evidence: evidence.iter().map(|e| e.to_string()).collect(),
        remediable: area != Area::Namespaces,
        incomplete: false,
        detail: Detail::None,
    }
}

fn findings() -> Vec<Finding> {
    let masked = ConfigValue::new(SECRET).masked();
    let mut incomplete = finding(
        "AIGOV-ADM-001",
        Severity::High,
        Area::Admission,
        ObjectRef::new("Namespace", "", "llm"),
        "could not be evaluated: ValidatingAdmissionPolicyBindings could not be read",
        &["unreadable: ValidatingAdmissionPolicyBindings"],
    );
    incomplete.incomplete = true;
    incomplete.remediable = false;
    // Deliberately not in severity order: the report sorts.
    vec![
        finding(
            "AIGOV-CFG-001",
            Severity::Medium,
            Area::Config,
            ObjectRef::new("ConfigMap", "llm", "vllm-config").at(Place::data_key("HF_TOKEN")),
            "secret-like literal in ConfigMap key HF_TOKEN",
            &[&format!("HF_TOKEN = {masked} (masked)")],
        ),
        finding(
            "AIGOV-RBAC-007",
            Severity::Critical,
            Area::Rbac,
            ObjectRef::new("ClusterRoleBinding", "", "ml-admin"),
            "cluster-admin bound to ServiceAccount llm/trainer",
            &[
                "ClusterRoleBinding ml-admin -> ClusterRole cluster-admin",
                "subject: ServiceAccount llm/trainer",
            ],
        ),
        finding(
            "AIGOV-NS-003",
            Severity::Low,
            Area::Namespaces,
            ObjectRef::new("Pod", "notebooks", "evil\u{1b}[31mpod\u{7}")
                .at(Place::container("`x`|y")),
            "bare pod `evil` | runs \u{1b}[2J as <b>root</b> @ml-team",
            &["image: repo/x:1\u{202e}gpj.exe", "label a|b = `c`\nnext"],
        ),
        finding(
            "AIGOV-IMG-001",
            Severity::High,
            Area::Images,
            ObjectRef::new("Deployment", "llm", "vllm").at(Place::container("server")),
            "image vllm/vllm-openai:latest has no digest",
            &["image: vllm/vllm-openai:latest", "imagePullPolicy: Always"],
        ),
        finding(
            "AIGOV-RBAC-001",
            Severity::Info,
            Area::Rbac,
            ObjectRef::new("ClusterRoleBinding", "", "system:kube-scheduler"),
            "system subject system:kube-scheduler can read Secrets",
            &["needed by Kubernetes itself"],
        ),
        incomplete,
    ]
}

fn classes() -> Vec<NamespaceClass> {
    let class = |name: &str, ai: bool, score: u32, reasons: &[&str], units: usize| NamespaceClass {
        name: name.into(),
        ai,
        score,
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
        explicit: None,
        workloads: units,
        ai_workloads: if ai { units } else { 0 },
    };
    vec![
        class(
            "llm",
            true,
            90,
            &[
                "requests accelerators: nvidia.com/gpu (2 workloads)",
                "runs AI images: vllm (1 workload)",
            ],
            3,
        ),
        class("notebooks", true, 100, &["labelled aigov.dev/ai=true"], 1),
        class("web", false, 0, &[], 4),
    ]
}

fn origin() -> Origin {
    Origin {
        context: "kind-demo".into(),
        server: "https://127.0.0.1:6443".into(),
        identity: Identity {
            username: "alice".into(),
            groups: vec!["system:authenticated".into(), "ml\u{1b}[1mteam".into()],
            source: "self-subject-review".into(),
        },
        loaded_at: "2025-01-02T03:04:00Z".into(),
    }
}

fn coverage() -> BTreeMap<Kind, Coverage> {
    BTreeMap::from([
        (Kind::Namespace, Coverage::Complete),
        (
            Kind::Secret,
            Coverage::Unknown {
                reason: "secrets is forbidden".into(),
            },
        ),
        (
            Kind::ConfigMap,
            Coverage::Partial {
                unknown_namespaces: BTreeMap::from([(
                    "team-b".to_string(),
                    "configmaps is forbidden".to_string(),
                )]),
            },
        ),
        (Kind::TFJob, Coverage::NotServed),
    ])
}

fn report_of(all: &[Finding], hidden: usize) -> Report {
    let origin = origin();
    let coverage = coverage();
    let classes = classes();
    Report::build(ReportInput {
        generated_at: "2025-01-02T03:04:05Z".into(),
        origin: Some(&origin),
        coverage: Some(&coverage),
        namespaces: &classes,
        findings: all.iter().collect(),
        hidden,
        filter: FilterInfo::default(),
        locations: BTreeMap::new(),
    })
}

fn report() -> Report {
    report_of(&findings(), 2)
}

/// The tool version changes with releases; snapshots should not.
fn stable(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, stable(text));
    });
}

fn all_formats(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("table", to_table(report)),
        ("json", to_json(report)),
        ("markdown", to_markdown(report)),
        ("sarif", to_sarif_with(report, &[&RBAC_RULE, &IMG_RULE])),
    ]
}

#[test]
fn table_snapshot() {
    snapshot("findings_table", &to_table(&report()));
}

#[test]
fn json_snapshot() {
    snapshot("findings_json", &to_json(&report()));
}

#[test]
fn markdown_snapshot() {
    snapshot("findings_markdown", &to_markdown(&report()));
}

#[test]
fn sarif_snapshot() {
    snapshot(
        "findings_sarif",
        &to_sarif_with(&report(), &[&RBAC_RULE, &IMG_RULE]),
    );
}

#[test]
fn no_format_lets_control_or_bidi_characters_through() {
    for (format, text) in all_formats(&report()) {
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!text.contains(bad), "{format} contains {bad:?}");
        }
        // JSON escapes would turn back into the raw bytes for whoever reads the document.
        assert!(!text.contains("\\u001b"), "{format} has an escaped ESC");
        assert!(
            !text.contains("\\u202e"),
            "{format} has an escaped bidi override"
        );
        // The escapes are visible instead (Markdown escapes the bracket as well).
        let visible = if format == "markdown" {
            "^\\[\\[2J"
        } else {
            "^[[2J"
        };
        assert!(text.contains(visible), "{format} hides the escape sequence");
    }
}

#[test]
fn colour_touches_only_the_severity_column() {
    let report = report();
    let coloured = table::to_table_with(&report, true);
    assert!(coloured.contains("\u{1b}[1;31mcritical"));
    let mut plain = coloured.clone();
    for code in [
        "\u{1b}[1;31m",
        "\u{1b}[31m",
        "\u{1b}[33m",
        "\u{1b}[36m",
        "\u{1b}[2m",
        "\u{1b}[0m",
    ] {
        plain = plain.replace(code, "");
    }
    assert_eq!(plain, to_table(&report));
    assert!(!to_table(&report).contains('\u{1b}'));
}

#[test]
fn secret_values_appear_masked_in_every_format() {
    for (format, text) in all_formats(&report()) {
        assert!(!text.contains(&SECRET[..6]), "{format} shows the secret");
    }
    let json = to_json(&report());
    assert!(json.contains("HF_TOKEN = hf_A**** (masked)"));
    // In Markdown the mask must not turn into emphasis.
    assert!(to_markdown(&report()).contains("HF\\_TOKEN = hf\\_A\\*\\*\\*\\* (masked)"));
}

#[test]
fn markdown_escapes_pipes_backticks_and_html_in_cluster_text() {
    let text = to_markdown(&report());
    let row = text
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("AIGOV-NS-003"))
        .expect("the pod's row");
    assert!(
        row.contains("bare pod \\`evil\\` \\| runs ^\\[\\[2J as \\<b\\>root\\</b\\> \\@ml-team")
    );
    // Exactly six cell separators: the escaped ones do not split the row.
    let unescaped = row
        .char_indices()
        .filter(|(i, c)| *c == '|' && (*i == 0 || row.as_bytes()[i - 1] != b'\\'))
        .count();
    assert_eq!(unescaped, 6, "{row}");
    assert!(text.contains("- label a\\|b = \\`c\\`^Jnext"));
}

#[test]
fn markdown_escapes_leading_list_markers() {
    assert_eq!(markdown::md_line("- x"), "\\- x");
    assert_eq!(markdown::md_line("+ x"), "\\+ x");
    assert_eq!(markdown::md_line("12. x"), "12\\. x");
    assert_eq!(markdown::md_line("1) x"), "1\\) x");
    assert_eq!(markdown::md_line("# x > y"), "\\# x \\> y");
    // Only at the start: names with dashes and versions stay readable.
    assert_eq!(markdown::md_line("ml-team v1.2"), "ml-team v1.2");
    assert_eq!(markdown::md_line("2x.y"), "2x.y");
    // Inline text keeps its leading markers: it never starts a line.
    assert_eq!(markdown::md("0.1.0 - x"), "0.1.0 - x");
}

#[test]
fn summary_counts_severities_areas_incomplete_and_hidden() {
    let report = report();
    let s = &report.summary;
    assert_eq!(s.total, 6);
    assert_eq!(
        (
            s.by_severity.critical,
            s.by_severity.high,
            s.by_severity.medium
        ),
        (1, 2, 1)
    );
    assert_eq!((s.by_severity.low, s.by_severity.info), (1, 1));
    assert_eq!(s.by_area["RBAC"], 2);
    assert_eq!(s.by_area["REG"], 0);
    assert_eq!(s.by_area.len(), Area::ALL.len());
    assert_eq!(s.incomplete, 1);
    assert_eq!(s.hidden, 2);
    assert!(!s.complete);
    assert!(s.failed);
    let severities: Vec<Severity> = report.findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(severities, sorted, "most severe first");
    let mut kinds: Vec<&str> = report.unreadable.iter().map(|u| u.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["ConfigMap", "Secret"],
        "NotServed and Complete are readable"
    );
}

#[test]
fn a_report_is_complete_only_without_unreadable_kinds_or_incomplete_findings() {
    let low = vec![finding(
        "AIGOV-IMG-002",
        Severity::Low,
        Area::Images,
        ObjectRef::new("Deployment", "llm", "vllm"),
        "t",
        &[],
    )];
    let origin = origin();
    let clean_coverage = BTreeMap::from([(Kind::Pod, Coverage::Complete)]);
    let build = |all: &[Finding], coverage: &BTreeMap<Kind, Coverage>| {
        Report::build(ReportInput {
            generated_at: "2025-01-02T03:04:05Z".into(),
            origin: Some(&origin),
            coverage: Some(coverage),
            findings: all.iter().collect(),
            ..Default::default()
        })
    };
    let r = build(&low, &clean_coverage);
    assert!(r.summary.complete);
    assert!(!r.summary.failed, "low is below the default fail-on (high)");
    assert!(!build(&low, &coverage()).summary.complete);
    let mut incomplete = low.clone();
    incomplete[0].incomplete = true;
    assert!(!build(&incomplete, &clean_coverage).summary.complete);
    let empty = build(&[], &clean_coverage);
    assert!(empty.summary.complete && !empty.summary.failed);
    assert!(to_table(&empty).contains("No findings."));
    assert!(to_markdown(&empty).contains("No findings."));
}

#[test]
fn json_is_one_document_that_round_trips_with_the_required_fields() {
    let report = report();
    let text = to_json(&report);
    let back: Report = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(back, report);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["tool"]["name"], "aigov");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["source"], "cluster");
    assert_eq!(doc["summary"]["complete"], false);
    assert_eq!(doc["namespaces"].as_array().unwrap().len(), 3);
    for f in doc["findings"].as_array().unwrap() {
        for field in [
            "key",
            "rule",
            "severity",
            "area",
            "object",
            "title",
            "explanation",
            "evidence",
            "remediable",
        ] {
            assert!(f.get(field).is_some(), "finding without {field}: {f}");
        }
        for field in ["kind", "namespace", "name", "path"] {
            assert!(f["object"].get(field).is_some(), "object without {field}");
        }
        // `incomplete` appears only when true.
        assert_ne!(f.get("incomplete"), Some(&Value::Bool(false)));
    }
    let incomplete: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["incomplete"] == true)
        .collect();
    assert_eq!(incomplete.len(), 1);
    assert_eq!(incomplete[0]["rule"], "AIGOV-ADM-001");
}

#[test]
fn namespace_selection_limits_the_classification_listed() {
    let all = findings();
    let classes = classes();
    let report = Report::build(ReportInput {
        namespaces: &classes,
        findings: all.iter().collect(),
        filter: FilterInfo {
            namespaces: vec!["llm".into()],
            ..Default::default()
        },
        ..Default::default()
    });
    let names: Vec<&str> = report.namespaces.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["llm"]);
}
