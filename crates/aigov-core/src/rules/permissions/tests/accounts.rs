//! RBAC-008 (missing service accounts), RBAC-009 (the default service account) and the
//! incomplete findings when RBAC kinds or ServiceAccounts could not be read.

use super::*;
use crate::rules::finding::Severity;

const VIEW_RULE: &str = r#"{apiGroups: [""], resources: [pods], verbs: [get]}"#;

const ACCOUNTS: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: trainer, namespace: ml}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: ml}
"#;

#[test]
fn bindings_to_service_accounts_that_do_not_exist_are_reported() {
    let subjects =
        r#"[{kind: ServiceAccount, name: trainer}, {kind: ServiceAccount, name: ghost}]"#;
    let in_ml = role_binding("ml", "pods", VIEW_RULE, subjects);
    let gone_namespace = cluster_binding(
        "mlflow",
        VIEW_RULE,
        r#"[{kind: ServiceAccount, name: server, namespace: mlflow}]"#,
    );
    let no_namespace = cluster_binding(
        "sloppy",
        VIEW_RULE,
        r#"[{kind: ServiceAccount, name: trainer}]"#,
    );
    let system = cluster_binding(
        "system-gone",
        VIEW_RULE,
        r#"[{kind: ServiceAccount, name: old-controller, namespace: kube-system}]"#,
    );
    let yaml = [
        ACCOUNTS.to_string(),
        in_ml,
        gone_namespace,
        no_namespace,
        system,
    ]
    .join("\n---\n");
    let findings = run(&yaml);
    assert_eq!(
        of(&findings, "RBAC-008"),
        [
            "ClusterRoleBinding//mlflow#subject/ServiceAccount/mlflow/server medium",
            "ClusterRoleBinding//sloppy#subject/ServiceAccount//trainer medium",
            "ClusterRoleBinding//system-gone#subject/ServiceAccount/kube-system/old-controller info",
            "RoleBinding/ml/pods#subject/ServiceAccount/ml/ghost medium",
        ]
    );
    let gone = find(
        &findings,
        "RBAC-008",
        "subject/ServiceAccount/mlflow/server",
    );
    assert!(
        gone.evidence[0].starts_with("namespace mlflow does not exist"),
        "{:?}",
        gone.evidence
    );
    assert!(gone.remediable);
    // The subject without a namespace matches nobody, so it grants nothing elsewhere either.
    assert!(
        !findings
            .iter()
            .any(|f| f.rule != "AIGOV-RBAC-008" && f.key().contains("sloppy"))
    );
}

#[test]
fn unknown_service_accounts_make_the_check_incomplete_not_clean() {
    let yaml = role_binding(
        "ml",
        "pods",
        VIEW_RULE,
        r#"[{kind: ServiceAccount, name: ghost}]"#,
    );
    let mut snapshot = snapshot(&yaml);
    let reason = "forbidden".to_string();
    snapshot
        .coverage
        .insert(Kind::ServiceAccount, Coverage::Unknown { reason });
    let findings = run_on(&snapshot);
    let f = find(&findings, "RBAC-008", "subject/ServiceAccount/ml/ghost");
    assert!(f.incomplete);
    assert!(
        f.title.contains("ServiceAccounts could not be read"),
        "{}",
        f.title
    );
}

const NOTEBOOK_AS_DEFAULT: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: alice, namespace: ml}
spec:
  selector: {matchLabels: {app: alice}}
  serviceName: alice
  template:
    metadata: {labels: {app: alice}}
    spec:
      containers:
      - {name: notebook, image: "jupyter/scipy-notebook:2024-05-01"}
"#;

#[test]
fn default_service_account_with_bindings_and_an_automounted_token_is_reported() {
    let binding = role_binding(
        "ml",
        "default-reader",
        VIEW_RULE,
        r#"[{kind: ServiceAccount, name: default}]"#,
    );
    let yaml = [ACCOUNTS, &binding, NOTEBOOK_AS_DEFAULT].join("\n---\n");
    let findings = run(&yaml);
    assert_eq!(
        of(&findings, "RBAC-009"),
        [
            "ServiceAccount/ml/default#automount high",
            "ServiceAccount/ml/default#bindings medium",
        ]
    );
    let automount = find(&findings, "RBAC-009", "ServiceAccount/ml/default#automount");
    assert!(
        automount
            .evidence
            .contains(&"StatefulSet/alice runs as default with its token mounted".to_string())
    );
    assert!(automount.remediable);
    // Without the binding the automounted token alone is medium.
    let findings = run(&[ACCOUNTS, NOTEBOOK_AS_DEFAULT].join("\n---\n"));
    assert_eq!(
        of(&findings, "RBAC-009"),
        ["ServiceAccount/ml/default#automount medium"]
    );
}

#[test]
fn default_service_account_is_not_reported_when_tokens_are_off_or_outside_ai() {
    let sa_off = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: ml}
automountServiceAccountToken: false
"#;
    assert_eq!(
        of(
            &run(&[sa_off, NOTEBOOK_AS_DEFAULT].join("\n---\n")),
            "RBAC-009"
        ),
        Vec::<String>::new()
    );
    let pod_off = NOTEBOOK_AS_DEFAULT.replace(
        "      containers:",
        "      automountServiceAccountToken: false\n      containers:",
    );
    assert_eq!(
        of(&run(&[ACCOUNTS, &pod_off].join("\n---\n")), "RBAC-009"),
        Vec::<String>::new()
    );
    let own_account = NOTEBOOK_AS_DEFAULT.replace(
        "      containers:",
        "      serviceAccountName: trainer\n      containers:",
    );
    assert_eq!(
        of(&run(&[ACCOUNTS, &own_account].join("\n---\n")), "RBAC-009"),
        Vec::<String>::new()
    );
    // A web server is not an AI workload, and `web` is not an AI namespace.
    let web = r#"
apiVersion: v1
kind: Pod
metadata: {name: nginx, namespace: ml}
spec:
  containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: web}
"#;
    let bound_in_web = role_binding(
        "web",
        "default-reader",
        VIEW_RULE,
        r#"[{kind: ServiceAccount, name: default}]"#,
    );
    let findings = run(&[ACCOUNTS, web, &bound_in_web].join("\n---\n"));
    assert_eq!(of(&findings, "RBAC-009"), Vec::<String>::new());
}

#[test]
fn unknown_rbac_kinds_make_the_rules_incomplete_where_they_apply() {
    let mut snapshot = snapshot(ACCOUNTS);
    let mut unknown = std::collections::BTreeMap::new();
    unknown.insert("ml".to_string(), "forbidden".to_string());
    snapshot.coverage.insert(
        Kind::RoleBinding,
        Coverage::Partial {
            unknown_namespaces: unknown,
        },
    );
    let findings = run_on(&snapshot);
    let incomplete: Vec<String> = findings
        .iter()
        .filter(|f| f.incomplete)
        .map(|f| format!("{} {}", f.rule, f.object))
        .collect();
    for rule in [
        "001", "002", "003", "004", "005", "006", "007", "009", "010",
    ] {
        let want = format!("AIGOV-RBAC-{rule} Namespace/ml");
        assert!(
            incomplete.contains(&want),
            "{want} missing from {incomplete:?}"
        );
    }
    assert!(
        findings.iter().all(|f| f.incomplete),
        "nothing but incomplete findings"
    );
    let f = findings
        .iter()
        .find(|f| f.rule == "AIGOV-RBAC-001")
        .unwrap();
    assert_eq!(
        f.severity,
        Severity::High,
        "unknown is not clean: the rule's severity stays"
    );

    let mut snapshot = snapshot_with_cluster_bindings_unknown();
    snapshot.coverage.insert(Kind::Role, Coverage::Complete);
    let findings = run_on(&snapshot);
    let cluster: Vec<String> = findings
        .iter()
        .filter(|f| f.incomplete && f.object.kind == "Cluster")
        .map(|f| f.rule.id.to_string())
        .collect();
    assert_eq!(
        cluster,
        [
            "AIGOV-RBAC-004",
            "AIGOV-RBAC-005",
            "AIGOV-RBAC-006",
            "AIGOV-RBAC-007"
        ]
    );
    // With everything readable, no incomplete finding at all.
    assert!(!run(ACCOUNTS).iter().any(|f| f.incomplete));
}

fn snapshot_with_cluster_bindings_unknown() -> Snapshot {
    let mut snapshot = snapshot(ACCOUNTS);
    let reason = "timeout".to_string();
    snapshot
        .coverage
        .insert(Kind::ClusterRoleBinding, Coverage::Unknown { reason });
    snapshot
}

#[test]
fn subjects_are_classified_as_kubernetes_own_broad_or_ordinary() {
    use crate::model::rbac::Subject;
    use crate::rules::permissions::{Who, classify};
    let settings = RulesConfig::default();
    let cases = [
        (Subject::group("system:masters"), Who::System),
        (Subject::group("system:nodes"), Who::System),
        (Subject::group("system:authenticated"), Who::Broad),
        (Subject::group("system:unauthenticated"), Who::Broad),
        (Subject::group("system:serviceaccounts"), Who::Broad),
        (Subject::group("system:serviceaccounts:ml"), Who::Broad),
        (Subject::user("system:kube-scheduler"), Who::System),
        (Subject::user("system:anonymous"), Who::Broad),
        (
            Subject::user("system:serviceaccount:kube-system:x"),
            Who::System,
        ),
        (
            Subject::user("system:serviceaccount:ml:x"),
            Who::ServiceAccount,
        ),
        (
            Subject::service_account("kube-system", "coredns"),
            Who::System,
        ),
        (
            Subject::service_account("ml", "trainer"),
            Who::ServiceAccount,
        ),
        (Subject::group("interns"), Who::Group),
        (Subject::user("alice"), Who::User),
    ];
    for (subject, want) in cases {
        assert_eq!(classify(&subject, &settings), want, "{subject}");
    }
}
