//! RBAC-004 (wildcards), RBAC-005 (escalate/bind/impersonate), RBAC-006 (tokens) and
//! RBAC-007 (cluster-admin to service accounts and groups).

use super::*;

const ADMIN_RULE: &str = r#"{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}"#;

#[test]
fn wildcards_are_reported_per_binding_and_subject_by_scope() {
    let cluster = cluster_binding(
        "any-group-deploy",
        r#"{apiGroups: ["*"], resources: [deployments], verbs: [get]}"#,
        r#"[{kind: User, name: ann}]"#,
    );
    let in_ai = role_binding(
        "ml",
        "scaler",
        r#"{apiGroups: [apps], resources: ["*/scale"], verbs: [update]}"#,
        INTERNS,
    );
    let elsewhere = role_binding(
        "web",
        "all-verbs",
        r#"{apiGroups: [""], resources: [configmaps], verbs: ["*"]}"#,
        r#"[{kind: User, name: bob}, {kind: Group, name: "system:authenticated"}]"#,
    );
    let findings = run(&[cluster, in_ai, elsewhere].join("\n---\n"));
    assert_eq!(
        of(&findings, "RBAC-004"),
        [
            "ClusterRoleBinding//any-group-deploy#subject/User/ann critical",
            "RoleBinding/ml/scaler#subject/Group/interns high",
            "RoleBinding/web/all-verbs#subject/Group/system:authenticated high",
            "RoleBinding/web/all-verbs#subject/User/bob medium",
        ]
    );
    let f = find(&findings, "RBAC-004", "subject/User/ann");
    assert_eq!(
        f.evidence,
        [
            r#"ClusterRoleBinding any-group-deploy → ClusterRole any-group-deploy: verbs [get] on [deployments] in apiGroups [*]"#
        ]
    );
}

#[test]
fn explicit_lists_are_not_wildcards() {
    let explicit = cluster_binding(
        "explicit",
        r#"{apiGroups: ["", apps], resources: [pods, deployments, pods/exec], verbs: [get, list, create]}"#,
        INTERNS,
    );
    let urls = cluster_binding(
        "health",
        r#"{nonResourceURLs: ["/healthz", "/metrics/*"], verbs: [get]}"#,
        INTERNS,
    );
    let findings = run(&[explicit, urls].join("\n---\n"));
    assert_eq!(of(&findings, "RBAC-004"), Vec::<String>::new());
}

#[test]
fn escalate_bind_and_impersonate_are_reported_and_scoped() {
    let delegator = cluster_binding(
        "delegator",
        r#"{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, roles], verbs: [escalate, bind]}"#,
        r#"[{kind: Group, name: leads}]"#,
    );
    let impersonator = cluster_binding(
        "impersonator",
        r#"{apiGroups: [""], resources: [users, groups], verbs: [impersonate]}"#,
        r#"[{kind: ServiceAccount, name: proxy, namespace: ml}]"#,
    );
    // Through a RoleBinding, impersonating users is checked at the cluster scope: no grant.
    let ns_users = role_binding(
        "ml",
        "ns-users",
        r#"{apiGroups: [""], resources: [users], verbs: [impersonate]}"#,
        r#"[{kind: User, name: nobody}]"#,
    );
    let ns_accounts = role_binding(
        "ml",
        "ns-accounts",
        r#"{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}"#,
        r#"[{kind: User, name: eve}]"#,
    );
    let named_bind = role_binding(
        "ml",
        "named-bind",
        r#"{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [edit], verbs: [bind]}"#,
        r#"[{kind: User, name: dana}]"#,
    );
    let verbs_star = role_binding(
        "web",
        "rbac-all",
        r#"{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: ["*"]}"#,
        r#"[{kind: User, name: wes}]"#,
    );
    let yaml = [
        delegator,
        impersonator,
        ns_users,
        ns_accounts,
        named_bind,
        verbs_star,
    ];
    let findings = run(&yaml.join("\n---\n"));
    assert_eq!(
        of(&findings, "RBAC-005"),
        [
            "ClusterRoleBinding//delegator#subject/Group/leads critical",
            "ClusterRoleBinding//impersonator#subject/ServiceAccount/ml/proxy critical",
            "RoleBinding/ml/named-bind#subject/User/dana medium",
            "RoleBinding/ml/ns-accounts#subject/User/eve high",
            "RoleBinding/web/rbac-all#subject/User/wes medium",
        ]
    );
    let f = find(&findings, "RBAC-005", "subject/Group/leads");
    assert_eq!(f.title, "Group leads can escalate and bind cluster-wide");
    let f = find(&findings, "RBAC-005", "subject/User/wes");
    assert_eq!(f.title, "User wes can escalate and bind in namespace web");
}

#[test]
fn reading_rbac_or_full_admin_roles_are_not_escalation_findings() {
    let reader = cluster_binding(
        "rbac-reader",
        r#"{apiGroups: [rbac.authorization.k8s.io], resources: ["*"], verbs: [get, list, watch]}"#,
        INTERNS,
    );
    let admin = cluster_binding("admin-like", ADMIN_RULE, r#"[{kind: User, name: root}]"#);
    let findings = run(&[reader, admin].join("\n---\n"));
    assert_eq!(of(&findings, "RBAC-005"), Vec::<String>::new());
    assert_eq!(of(&findings, "RBAC-006"), Vec::<String>::new());
}

#[test]
fn service_account_token_creation_is_reported() {
    let minter = cluster_binding(
        "minter",
        r#"{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}"#,
        r#"[{kind: ServiceAccount, name: pipeline, namespace: ml}]"#,
    );
    let ns = role_binding(
        "web",
        "tokens",
        r#"{apiGroups: [""], resources: ["*/token"], verbs: [create]}"#,
        r#"[{kind: User, name: wes}]"#,
    );
    let findings = run(&[minter, ns].join("\n---\n"));
    assert_eq!(
        of(&findings, "RBAC-006"),
        [
            "ClusterRoleBinding//minter#subject/ServiceAccount/ml/pipeline high",
            "RoleBinding/web/tokens#subject/User/wes medium",
        ]
    );
}

#[test]
fn service_account_reads_and_creates_are_not_token_creation() {
    let accounts = role_binding(
        "ml",
        "sa-admin",
        r#"{apiGroups: [""], resources: [serviceaccounts], verbs: [get, list, create, delete]}"#,
        INTERNS,
    );
    let token_get = role_binding(
        "ml",
        "token-get",
        r#"{apiGroups: [""], resources: [serviceaccounts/token], verbs: [get]}"#,
        INTERNS,
    );
    let findings = run(&[accounts, token_get].join("\n---\n"));
    assert_eq!(of(&findings, "RBAC-006"), Vec::<String>::new());
}

#[test]
fn cluster_admin_to_service_accounts_and_groups_is_critical() {
    let yaml = format!(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: cluster-admin}}
rules:
- {ADMIN_RULE}
- {{nonResourceURLs: ["*"], verbs: ["*"]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: admins}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects:
- {{kind: ServiceAccount, name: editor, namespace: ml}}
- {{kind: Group, name: ml-engineers}}
- {{kind: Group, name: "system:authenticated"}}
- {{kind: Group, name: "system:masters"}}
- {{kind: User, name: root}}
- {{kind: User, name: "system:serviceaccount:web:deployer"}}
---
{}
"#,
        role_binding(
            "ml",
            "ns-owner",
            ADMIN_RULE,
            r#"[{kind: ServiceAccount, name: runner}]"#
        )
    );
    let findings = run(&yaml);
    assert_eq!(
        of(&findings, "RBAC-007"),
        [
            "ClusterRoleBinding//admins#subject/Group/ml-engineers critical",
            "ClusterRoleBinding//admins#subject/Group/system:authenticated critical",
            "ClusterRoleBinding//admins#subject/Group/system:masters info",
            "ClusterRoleBinding//admins#subject/ServiceAccount/ml/editor critical",
            "ClusterRoleBinding//admins#subject/User/system:serviceaccount:web:deployer critical",
            "RoleBinding/ml/ns-owner#subject/ServiceAccount/ml/runner high",
        ]
    );
    // A user is reported as a wildcard grant, not as RBAC-007.
    assert!(
        of(&findings, "RBAC-004")
            .contains(&"ClusterRoleBinding//admins#subject/User/root critical".to_string())
    );
    let f = find(&findings, "RBAC-007", "subject/ServiceAccount/ml/editor");
    assert_eq!(
        f.title,
        "ServiceAccount ml/editor is cluster-admin through ClusterRole cluster-admin"
    );
    // Roles that allow everything are not repeated as Secrets, exec or pod-create findings.
    for rule in ["RBAC-001", "RBAC-002", "RBAC-003", "RBAC-005", "RBAC-006"] {
        assert_eq!(of(&findings, rule), Vec::<String>::new(), "{rule}");
    }
}

#[test]
fn near_admin_roles_are_not_cluster_admin() {
    let core_only = cluster_binding(
        "core-admin",
        r#"{apiGroups: [""], resources: ["*"], verbs: ["*"]}"#,
        r#"[{kind: Group, name: ops}]"#,
    );
    let named = cluster_binding(
        "named-admin",
        r#"{apiGroups: ["*"], resources: ["*"], resourceNames: [one], verbs: ["*"]}"#,
        r#"[{kind: Group, name: ops2}]"#,
    );
    let findings = run(&[core_only, named].join("\n---\n"));
    assert_eq!(of(&findings, "RBAC-007"), Vec::<String>::new());
    assert_eq!(of(&findings, "RBAC-004").len(), 2);
}
