//! The demo's deliberate RBAC problems, found with the expected rule ids.

use super::*;
use crate::rules::finding::Severity;

fn demo() -> Vec<Finding> {
    run_on(&demo_snapshot())
}

#[test]
fn the_demo_problems_are_found_with_the_expected_rules() {
    let findings = demo();
    let expect = [
        (
            "RBAC-007",
            "ClusterRoleBinding//notebooks-default-editor-cluster-admin#subject/ServiceAccount/notebooks/default-editor critical",
        ),
        (
            "RBAC-007",
            "ClusterRoleBinding//jupyter-priya-debug#subject/ServiceAccount/notebooks/jupyter-priya critical",
        ),
        (
            "RBAC-007",
            "ClusterRoleBinding//ml-engineers-cluster-admin#subject/Group/ml-engineers critical",
        ),
        (
            "RBAC-007",
            "ClusterRoleBinding//cluster-admin#subject/Group/system:masters info",
        ),
        (
            "RBAC-002",
            "RoleBinding/ml-training/interns-pod-debugger#subject/Group/interns high",
        ),
        (
            "RBAC-002",
            "RoleBinding/ml-training/interns-pod-debugger#subject/User/sam.intern@example.com high",
        ),
        (
            "RBAC-001",
            "RoleBinding/ml-training/default-secret-reader#subject/ServiceAccount/ml-training/default high",
        ),
        (
            "RBAC-001",
            "RoleBinding/llm-inference/default-model-secrets#subject/ServiceAccount/llm-inference/default high",
        ),
        (
            "RBAC-004",
            "ClusterRoleBinding//data-scientists-superuser#subject/Group/data-scientists critical",
        ),
        (
            "RBAC-004",
            "RoleBinding/ml-training/pipeline-runner-all#subject/ServiceAccount/ml-training/pipeline-runner high",
        ),
        (
            "RBAC-005",
            "ClusterRoleBinding//ml-platform-leads-rbac-delegator#subject/Group/ml-platform-leads critical",
        ),
        (
            "RBAC-005",
            "ClusterRoleBinding//ml-platform-leads-rbac-delegator#subject/User/dana.kim@example.com critical",
        ),
        (
            "RBAC-005",
            "ClusterRoleBinding//llm-gateway-impersonator#subject/ServiceAccount/llm-inference/gateway-auth-proxy critical",
        ),
        (
            "RBAC-006",
            "ClusterRoleBinding//pipeline-runner-token-minter#subject/ServiceAccount/ml-training/pipeline-runner high",
        ),
        (
            "RBAC-006",
            "RoleBinding/llm-inference/gateway-token-requester#subject/ServiceAccount/llm-inference/gateway-auth-proxy high",
        ),
        (
            "RBAC-008",
            "RoleBinding/ml-training/legacy-trainer-edit#subject/ServiceAccount/ml-training/legacy-trainer medium",
        ),
        (
            "RBAC-008",
            "ClusterRoleBinding//mlflow-server-view#subject/ServiceAccount/mlflow/mlflow-server medium",
        ),
        (
            "RBAC-009",
            "ServiceAccount/ml-training/default#bindings medium",
        ),
        (
            "RBAC-009",
            "ServiceAccount/ml-training/default#automount high",
        ),
        (
            "RBAC-009",
            "ServiceAccount/notebooks/default#bindings medium",
        ),
        (
            "RBAC-003",
            "RoleBinding/ml-training/ray-head#subject/ServiceAccount/ml-training/ray-tokenizer high",
        ),
        (
            "RBAC-010",
            "RoleBinding/ml-training/summer-interns-edit#subject/Group/interns medium",
        ),
    ];
    for (rule, want) in expect {
        assert!(
            of(&findings, rule).iter().any(|f| f == want),
            "{rule} {want} in {:#?}",
            of(&findings, rule)
        );
    }
    // Exactly the two bindings to missing service accounts.
    assert_eq!(
        of(&findings, "RBAC-008").len(),
        2,
        "{:#?}",
        of(&findings, "RBAC-008")
    );
    // cluster-admin through ClusterRoleBindings: the four deliberate ones and system:masters.
    let admins: Vec<String> = of(&findings, "RBAC-007")
        .into_iter()
        .filter(|f| f.starts_with("ClusterRoleBinding"))
        .collect();
    assert_eq!(admins.len(), 5, "{admins:#?}");
}

#[test]
fn the_demo_reports_no_finding_for_the_read_only_user_and_no_incomplete_ones() {
    let findings = demo();
    assert!(
        !findings
            .iter()
            .any(|f| f.key().contains("aigov-demo-readonly"))
    );
    assert!(!findings.iter().any(|f| f.incomplete));
    // Self-reviews and discovery for everyone are not risky.
    assert!(
        !findings
            .iter()
            .any(|f| f.key().contains("system:authenticated"))
    );
    // Every finding names a binding or a default service account, and keys are unique.
    let mut keys: Vec<String> = findings.iter().map(Finding::key).collect();
    let total = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), total, "keys are unique");
    for f in &findings {
        let kind = f.object.kind.as_str();
        assert!(
            matches!(
                kind,
                "RoleBinding" | "ClusterRoleBinding" | "ServiceAccount"
            ),
            "{}",
            f.key()
        );
    }
    // Kubernetes' own subjects are reported, at info, and not proposed for removal.
    let system: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.key().contains("system:masters"))
        .collect();
    assert!(!system.is_empty());
    assert!(
        system
            .iter()
            .all(|f| f.severity == Severity::Info && !f.remediable)
    );
}

#[test]
fn demo_findings_are_stable_across_runs() {
    let keys = |f: Vec<Finding>| f.iter().map(Finding::key).collect::<Vec<_>>();
    assert_eq!(keys(demo()), keys(demo()));
}
