//! Behaviour tests for the RBAC evaluator on YAML fixtures of real RBAC objects.

use super::matching::service_account_candidates;
use super::*;
use crate::model::convert;
use crate::model::rbac::{Binding, Role, Subject};
use k8s_openapi::api::rbac::v1 as rbacv1;

const FIXTURES: &str = include_str!("fixtures.yaml");

fn load(text: &str) -> (Vec<Role>, Vec<Binding>) {
    let (mut roles, mut bindings) = (Vec::new(), Vec::new());
    for doc in text.split("\n---\n") {
        let kind = doc
            .lines()
            .find_map(|l| l.strip_prefix("kind: "))
            .unwrap_or_else(|| panic!("document without kind:\n{doc}"));
        match kind.trim() {
            "Role" => roles.push(convert::role(
                &serde_saphyr::from_str::<rbacv1::Role>(doc).unwrap(),
            )),
            "ClusterRole" => roles.push(convert::cluster_role(
                &serde_saphyr::from_str::<rbacv1::ClusterRole>(doc).unwrap(),
            )),
            "RoleBinding" => bindings.push(convert::role_binding(
                &serde_saphyr::from_str::<rbacv1::RoleBinding>(doc).unwrap(),
            )),
            "ClusterRoleBinding" => bindings.push(convert::cluster_role_binding(
                &serde_saphyr::from_str::<rbacv1::ClusterRoleBinding>(doc).unwrap(),
            )),
            other => panic!("unexpected kind {other}"),
        }
    }
    (roles, bindings)
}

fn index() -> RbacIndex {
    let (roles, bindings) = load(FIXTURES);
    RbacIndex::new(&roles, &bindings)
}

fn user(name: &str) -> UserInfo {
    UserInfo::new(name, &[])
}

fn sa(namespace: &str, name: &str) -> UserInfo {
    UserInfo::for_service_account(namespace, name)
}

fn res(verb: &str, group: &str, resource: &str, namespace: &str, name: &str) -> Request {
    Request::resource(verb, group, resource, namespace, name)
}

fn sub(verb: &str, group: &str, resource: &str, subresource: &str, namespace: &str) -> Request {
    Request::resource(verb, group, resource, namespace, "p-0").with_subresource(subresource)
}

fn url(verb: &str, path: &str) -> Request {
    Request::non_resource(verb, path)
}

#[test]
fn table_of_matching_rules() {
    let idx = index();
    let admin = UserInfo::new("root", &["system:masters"]);
    let ops = UserInfo::new("olivia", &["ops"]);
    let kserve = "serving.kserve.io";
    #[rustfmt::skip]
    let rows: Vec<(&str, UserInfo, Request, bool)> = vec![
        // Verbs: `*` and exact.
        ("verb * allows delete", user("alice"), res("delete", "", "configmaps", "ml", "c"), true),
        ("verb * allows cluster-wide list", user("alice"), res("list", "", "configmaps", "", ""), true),
        ("verb * is not resource *", user("alice"), res("get", "", "secrets", "ml", "s"), false),
        ("exact verb get", user("bob"), res("get", "", "pods", "ml", "p"), true),
        ("exact verb get does not allow list", user("bob"), res("list", "", "pods", "ml", ""), false),
        // API groups: `*` and the core group "".
        ("core group does not match apps", user("bob"), res("get", "apps", "pods", "ml", "p"), false),
        ("group * matches apps", user("carol"), res("get", "apps", "deployments", "ml", "d"), true),
        ("group * matches extensions", user("carol"), res("get", "extensions", "deployments", "ml", "d"), true),
        ("group * matches core", user("carol"), res("get", "", "deployments", "ml", "d"), true),
        ("group * keeps the verb check", user("carol"), res("list", "apps", "deployments", "ml", ""), false),
        // Resources: `*`, exact subresource, `*/sub`, and `pods/*` as a literal.
        ("resource * matches jobs", user("erin"), res("get", "batch", "jobs", "ml", "j"), true),
        ("resource * matches cluster-wide", user("erin"), res("get", "batch", "cronjobs", "", "c"), true),
        ("resource * matches subresources", user("erin"), sub("get", "batch", "jobs", "status", "ml"), true),
        ("resource * keeps the group check", user("erin"), res("get", "apps", "deployments", "ml", "d"), false),
        ("exact subresource pods/exec", user("frank"), sub("create", "", "pods", "exec", "ml"), true),
        ("pods/exec does not grant pods", user("frank"), res("create", "", "pods", "ml", ""), false),
        ("pods/exec does not grant pods/attach", user("frank"), sub("create", "", "pods", "attach", "ml"), false),
        ("pods/exec keeps the verb check", user("frank"), sub("get", "", "pods", "exec", "ml"), false),
        ("*/status matches pods/status", user("grace"), sub("get", "", "pods", "status", "ml"), true),
        ("*/status matches deployments/status", user("grace"), sub("update", "apps", "deployments", "status", "ml"), true),
        ("*/status does not match pods", user("grace"), res("get", "", "pods", "ml", "p"), false),
        ("*/status does not match pods/log", user("grace"), sub("get", "", "pods", "log", "ml"), false),
        ("pods/* does not match pods/exec", user("heidi"), sub("create", "", "pods", "exec", "ml"), false),
        ("pods/* does not match pods", user("heidi"), res("get", "", "pods", "ml", "p"), false),
        // resourceNames: only requests carrying a listed name.
        ("resourceNames get listed name", user("ivan"), res("get", "", "configmaps", "ml", "model-config"), true),
        ("resourceNames update listed name", user("ivan"), res("update", "", "configmaps", "ml", "model-config"), true),
        ("resourceNames other name", user("ivan"), res("get", "", "configmaps", "ml", "other"), false),
        ("resourceNames never allow list", user("ivan"), res("list", "", "configmaps", "ml", ""), false),
        ("resourceNames never allow watch", user("ivan"), res("watch", "", "configmaps", "ml", ""), false),
        ("resourceNames never allow nameless create", user("ivan"), res("create", "", "configmaps", "ml", ""), false),
        ("resourceNames never allow deletecollection", user("ivan"), res("deletecollection", "", "configmaps", "ml", ""), false),
        ("Role stays in its namespace", user("ivan"), res("get", "", "configmaps", "default", "model-config"), false),
        // Non-resource URLs.
        ("url exact", user("judy"), url("get", "/metrics"), true),
        ("url exact is not a prefix", user("judy"), url("get", "/metrics/cadvisor"), false),
        ("url star is a prefix", user("judy"), url("get", "/healthz/ready"), true),
        ("url prefix keeps its slash", user("judy"), url("get", "/healthz"), false),
        ("url star without slash", user("judy"), url("get", "/logs/kubelet.log"), true),
        ("url star matches any continuation", user("judy"), url("get", "/logsfoo"), true),
        ("url keeps the verb check", user("judy"), url("post", "/metrics"), false),
        ("url from a RoleBinding is not granted", user("mallory"), url("get", "/metrics"), false),
        ("url * matches everything", admin.clone(), url("get", "/openapi/v2"), true),
        // RoleBinding to a ClusterRole: confined to the binding's namespace.
        ("RoleBinding ClusterRole in its namespace", user("ken"), res("get", "", "pods", "ml", "p"), true),
        ("RoleBinding ClusterRole not in another namespace", user("ken"), res("get", "", "pods", "default", "p"), false),
        ("RoleBinding not for all namespaces", user("ken"), res("get", "", "pods", "", "p"), false),
        ("RoleBinding not for cluster-scoped", user("ken"), res("get", "", "nodes", "", "n"), false),
        // ClusterRoleBinding: every namespace and cluster scope.
        ("ClusterRoleBinding in another namespace", user("bob"), res("get", "", "pods", "default", "p"), true),
        ("ClusterRoleBinding across namespaces", user("bob"), res("get", "", "pods", "", "p"), true),
        ("ClusterRoleBinding cluster-scoped via group", ops.clone(), res("list", "", "nodes", "", ""), true),
        ("cluster-admin cluster-scoped delete", admin.clone(), res("delete", "", "nodes", "", "n"), true),
        // Subjects.
        ("group subject needs the group", user("olivia"), res("list", "", "nodes", "", ""), false),
        ("group subject is not a user", user("ops"), res("list", "", "nodes", "", ""), false),
        ("SA with explicit namespace", sa("serving", "predictor"), res("list", "", "pods", "ml", ""), true),
        ("SA name in another namespace", sa("ml", "predictor"), res("list", "", "pods", "ml", ""), false),
        ("SA RoleBinding confined", sa("serving", "predictor"), res("list", "", "pods", "serving", ""), false),
        ("SA namespace defaults to the binding's", sa("ml", "trainer"), res("list", "", "pods", "ml", ""), true),
        ("SA without namespace in a ClusterRoleBinding", sa("default", "orphan"), res("list", "", "nodes", "", ""), false),
        ("User subject spelled as SA user name", sa("ops", "bot"), res("list", "", "nodes", "", ""), true),
        ("SA namespace group", sa("serving", "any"), res("get", "", "configmaps", "serving", "c"), true),
        ("SA namespace group confined", sa("serving", "any"), res("get", "", "configmaps", "ml", "c"), false),
        ("SA matched from the user name alone", user("system:serviceaccount:serving:predictor"), res("list", "", "pods", "ml", ""), true),
        // Missing or unusable roles.
        ("missing Role grants nothing", user("peggy"), res("get", "", "pods", "ml", "p"), false),
        ("missing ClusterRole grants nothing", user("peggy"), res("get", "", "nodes", "", "n"), false),
        ("Role of another namespace grants nothing", user("nick"), res("list", "", "pods", "default", ""), false),
        ("ClusterRoleBinding to a Role grants nothing", user("sam"), res("list", "", "pods", "ml", ""), false),
        // Aggregation.
        ("transitive aggregation", user("quentin"), res("get", kserve, "inferenceservices", "serving", "m"), true),
        ("aggregating role keeps its own rules", user("quentin"), res("create", "kubeflow.org", "notebooks", "ml", ""), true),
        ("aggregation cycle", user("quentin"), res("delete", "kubeflow.org", "notebooks", "ml", "n"), true),
        ("non-matching label not aggregated", user("quentin"), res("get", "", "secrets", "ml", "s"), false),
        ("aggregated via RoleBinding", user("rupert"), res("list", kserve, "inferenceservices", "ml", ""), true),
        ("aggregated via RoleBinding confined", user("rupert"), res("list", kserve, "inferenceservices", "default", ""), false),
        ("aggregation is not upward", user("rupert"), res("create", "kubeflow.org", "notebooks", "ml", ""), false),
        // Deny by default.
        ("unknown user resource", user("nobody"), res("get", "", "pods", "ml", "p"), false),
        ("unknown user url", user("nobody"), url("get", "/healthz"), false),
        ("authenticated group alone", UserInfo::new("x", &["system:authenticated"]), res("get", "", "pods", "ml", "p"), false),
    ];
    assert!(rows.len() >= 40);
    let mut failures = Vec::new();
    for (label, who, request, expected) in &rows {
        let decision = idx.authorize(who, request);
        if decision.allowed != *expected {
            failures.push(format!("{label}: expected {expected}, got {decision:?}"));
        }
        assert_eq!(decision.allowed, !decision.grants.is_empty(), "{label}");
        assert_eq!(
            idx.is_allowed(who, request),
            *expected,
            "{label}: is_allowed"
        );
        // who_can must agree with authorize about this user.
        let listed = idx
            .who_can(request)
            .iter()
            .any(|g| subject_matches(&g.subject, who));
        assert_eq!(listed, *expected, "{label}: who_can");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn authorize_reports_every_path_in_order() {
    let idx = index();
    let uma = UserInfo::new("uma", &["ai-team"]);
    let decision = idx.authorize(&uma, &res("get", "", "pods", "ml", "p"));
    assert!(decision.allowed);
    let paths: Vec<_> = decision
        .grants
        .iter()
        .map(|g| {
            (
                g.binding_kind,
                g.binding_namespace.as_str(),
                g.binding_name.as_str(),
                g.subject.clone(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            (
                "ClusterRoleBinding",
                "",
                "ai-team-pods",
                Subject::group("ai-team")
            ),
            // The first subject of the binding that the user matches.
            ("RoleBinding", "ml", "uma-pods", Subject::group("ai-team")),
        ]
    );
    assert!(
        decision
            .grants
            .iter()
            .all(|g| g.role_kind == RoleRefKind::ClusterRole && g.role_name == "pod-reader")
    );
    assert_eq!(decision.grants[0].rule.resources, vec!["pods"]);

    let elsewhere = idx.authorize(&uma, &res("get", "", "pods", "default", "p"));
    assert_eq!(elsewhere.grants.len(), 1);
    assert_eq!(elsewhere.grants[0].binding_name, "ai-team-pods");
}

fn subjects(grants: &[Grant]) -> Vec<String> {
    grants
        .iter()
        .map(|g| format!("{} {}", g.binding_name, g.subject))
        .collect()
}

#[test]
fn who_can_lists_every_subject() {
    let idx = index();
    assert_eq!(
        subjects(&idx.who_can(&sub("create", "", "pods", "exec", "ml"))),
        [
            "cluster-admin Group/system:masters",
            "frank-exec User/frank"
        ]
    );
    assert_eq!(
        subjects(&idx.who_can(&res("list", "", "pods", "ml", ""))),
        [
            "cluster-admin Group/system:masters",
            "serving-lists-ml-pods ServiceAccount/serving/predictor",
            "serving-lists-ml-pods ServiceAccount/ml/trainer",
        ]
    );
    // The ServiceAccount without a namespace in ops-nodes matches nobody; ken's
    // RoleBinding does not reach cluster-scoped nodes.
    assert_eq!(
        subjects(&idx.who_can(&res("list", "", "nodes", "", ""))),
        [
            "cluster-admin Group/system:masters",
            "ops-nodes Group/ops",
            "ops-nodes User/system:serviceaccount:ops:bot",
        ]
    );
    assert_eq!(
        subjects(&idx.who_can(&res(
            "get",
            "serving.kserve.io",
            "inferenceservices",
            "ml",
            "m"
        ))),
        [
            "cluster-admin Group/system:masters",
            "quentin-ai-edit User/quentin",
            "rupert-ai-view User/rupert"
        ]
    );
    assert_eq!(
        subjects(&idx.who_can(&url("get", "/metrics"))),
        [
            "cluster-admin Group/system:masters",
            "judy-metrics User/judy"
        ]
    );
    let rules: Vec<_> = idx
        .who_can(&url("get", "/metrics"))
        .into_iter()
        .map(|g| g.rule)
        .collect();
    assert_eq!(rules[0].non_resource_urls, vec!["*"]);
}

#[test]
fn rules_for_lists_rules_with_their_origin() {
    let idx = index();
    let ken = idx.rules_for(&user("ken"), "ml");
    let origins: Vec<_> = ken
        .iter()
        .map(|r| (r.binding_name.as_str(), r.role_name.as_str()))
        .collect();
    assert_eq!(
        origins,
        [("ken-nodes", "node-reader"), ("ken-pods", "pod-reader")]
    );
    assert_eq!(ken[1].rule.verbs, vec!["get"]);
    assert!(idx.rules_for(&user("ken"), "default").is_empty());
    assert!(idx.rules_for(&user("ken"), "").is_empty());

    let bob = idx.rules_for(&user("bob"), "default");
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].binding_kind, "ClusterRoleBinding");

    let predictor = sa("serving", "predictor");
    let in_ml: Vec<_> = idx
        .rules_for(&predictor, "ml")
        .into_iter()
        .map(|r| r.binding_name)
        .collect();
    assert_eq!(in_ml, ["serving-lists-ml-pods"]);
    let in_serving = idx.rules_for(&predictor, "serving");
    assert_eq!(in_serving.len(), 1);
    assert_eq!(
        in_serving[0].subject,
        Subject::group("system:serviceaccounts:serving")
    );

    // Aggregated rules come through, and a missing role contributes none.
    assert_eq!(idx.rules_for(&user("quentin"), "ml").len(), 3);
    assert!(idx.rules_for(&user("peggy"), "ml").is_empty());
}

#[test]
fn effective_rules_resolve_aggregation() {
    let idx = index();
    let summary = |name: &str| -> Vec<String> {
        idx.effective_rules(RoleRefKind::ClusterRole, name, "")
            .unwrap_or_else(|| panic!("{name} missing"))
            .iter()
            .map(|r| format!("{}:{}", r.resources.join(","), r.verbs.join(",")))
            .collect()
    };
    let isvc = "inferenceservices:get,list,watch";
    assert_eq!(summary("ai-view"), [isvc]);
    assert_eq!(
        summary("ai-edit"),
        ["notebooks:create", "notebooks:delete", isvc]
    );
    assert_eq!(
        summary("ai-admin"),
        ["notebooks:delete", "notebooks:create", isvc]
    );
    assert_eq!(summary("ai-view-models"), [isvc]);
    // The namespace is ignored for ClusterRoles.
    assert!(
        idx.effective_rules(RoleRefKind::ClusterRole, "ai-view", "ml")
            .is_some()
    );
    assert_eq!(
        idx.effective_rules(RoleRefKind::Role, "pod-lister", "ml")
            .map(<[_]>::len),
        Some(1)
    );
    assert!(
        idx.effective_rules(RoleRefKind::Role, "pod-lister", "default")
            .is_none()
    );
    assert!(
        idx.effective_rules(RoleRefKind::Role, "pod-lister", "")
            .is_none()
    );
    assert!(
        idx.effective_rules(RoleRefKind::Role, "pod-reader", "")
            .is_none()
    );
    assert!(
        idx.effective_rules(RoleRefKind::ClusterRole, "does-not-exist", "")
            .is_none()
    );
}

#[test]
fn empty_selector_aggregates_every_other_cluster_role() {
    let yaml = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
aggregationRule:
  clusterRoleSelectors: [{}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: namespaced, namespace: ml}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
"#;
    let (roles, bindings) = load(yaml);
    let idx = RbacIndex::new(&roles, &bindings);
    // Identical rules are kept once; namespaced Roles are never aggregated.
    let rules = idx
        .effective_rules(RoleRefKind::ClusterRole, "everything", "")
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].resources, vec!["pods"]);
}

#[test]
fn results_do_not_depend_on_input_order() {
    let (mut roles, mut bindings) = load(FIXTURES);
    let forward = RbacIndex::new(&roles, &bindings);
    roles.reverse();
    bindings.reverse();
    let backward = RbacIndex::new(&roles, &bindings);
    let uma = UserInfo::new("uma", &["ai-team", "system:masters"]);
    for request in [
        res("get", "", "pods", "ml", "p"),
        res("list", "", "nodes", "", ""),
        url("get", "/metrics"),
    ] {
        assert_eq!(
            forward.authorize(&uma, &request),
            backward.authorize(&uma, &request)
        );
        assert_eq!(forward.who_can(&request), backward.who_can(&request));
    }
    assert_eq!(
        forward.rules_for(&uma, "ml"),
        backward.rules_for(&uma, "ml")
    );
}

#[test]
fn service_account_user_names() {
    let user = sa("ml", "trainer");
    assert_eq!(user.username, "system:serviceaccount:ml:trainer");
    assert_eq!(
        user.groups,
        [
            "system:serviceaccounts",
            "system:serviceaccounts:ml",
            "system:authenticated"
        ]
    );
    // Kubernetes compares prefixes, so a colon makes the split ambiguous; both readings match.
    assert_eq!(
        service_account_candidates("system:serviceaccount:a:b:c"),
        [
            Subject::service_account("a", "b:c"),
            Subject::service_account("a:b", "c")
        ]
    );
    assert!(service_account_candidates("system:serviceaccount::x").is_empty());
    assert!(service_account_candidates("alice").is_empty());
    let odd = UserInfo::new("system:serviceaccount:a:b:c", &[]);
    assert!(subject_matches(&Subject::service_account("a:b", "c"), &odd));
    assert!(subject_matches(&Subject::service_account("a", "b:c"), &odd));
    assert!(!subject_matches(
        &Subject::service_account("", "a:b:c"),
        &odd
    ));
}

#[test]
fn matchers_follow_the_kubernetes_helpers() {
    let rule = |resources: &[&str], urls: &[&str]| PolicyRule {
        verbs: vec!["get".into()],
        api_groups: vec!["".into()],
        resources: resources.iter().map(|s| s.to_string()).collect(),
        non_resource_urls: urls.iter().map(|s| s.to_string()).collect(),
        ..PolicyRule::default()
    };
    // A resource named like a longer one's prefix is not a subresource match.
    assert!(!resource_matches(
        &rule(&["pods/exec"], &[]),
        "pod",
        "sexec"
    ));
    assert!(!resource_matches(&rule(&["pods/exec"], &[]), "pods", "exe"));
    assert!(resource_matches(&rule(&["pods/*"], &[]), "pods", "*"));
    assert!(!resource_matches(&rule(&["*/"], &[]), "pods", ""));
    // Every trailing star is trimmed before the prefix comparison.
    assert!(non_resource_url_matches(&rule(&[], &["/api**"]), "/apis"));
    assert!(!non_resource_url_matches(&rule(&[], &[]), "/"));
    // A rule with resource names matches an empty name only if "" is listed.
    let mut named = rule(&["pods"], &[]);
    named.resource_names = vec!["a".into()];
    assert!(!resource_name_matches(&named, ""));
    assert!(resource_name_matches(&named, "a"));
}
