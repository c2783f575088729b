//! Each RBAC remediation kind end to end against the demo simulator (issue 5): the change as
//! the simulator stores it, the finding gone on re-evaluation, and the inverse bringing the
//! object and the finding back. The other kinds are in `remediation_kinds.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::model::Kind;
use aigov_core::model::rbac::Subject;
use aigov_remediation::Remediation;
use common::remediate::{Fixture, added, assert_line, demo, removed};
use serde_json::{Value, json};

const RBAC: &str = "rbac.authorization.k8s.io/v1";

fn role_binding(fx: &Fixture, namespace: &str, name: &str) -> Option<Value> {
    fx.object(RBAC, "RoleBinding", namespace, name)
}

fn cluster_role_binding(fx: &Fixture, name: &str) -> Option<Value> {
    fx.object(RBAC, "ClusterRoleBinding", "", name)
}

/// The binding's subjects as `Kind/name`.
fn subjects(binding: &Value) -> Vec<String> {
    binding["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn remove_subject_patches_a_binding_that_keeps_other_subjects() {
    let key = "AIGOV-RBAC-001:RoleBinding/notebooks/data-scientists-edit#subject/User/alice.chen@example.com";
    let mut fx = demo().await;
    let before = role_binding(&fx, "notebooks", "data-scientists-edit").unwrap();
    let names = subjects(&before);
    assert!(names.contains(&"User/alice.chen@example.com".to_string()) && names.len() > 1);

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert_eq!(
        remediation,
        Remediation::RemoveSubject {
            subject: Subject::user("alice.chen@example.com"),
            bindings: vec!["RoleBinding notebooks/data-scientists-edit".into()],
            deleted: vec![],
        }
    );
    assert_line(
        &reviews[0],
        &removed(&reviews[0]),
        "name: alice.chen@example.com",
    );
    let after = role_binding(&fx, "notebooks", "data-scientists-edit").expect("kept");
    let expected: Vec<String> = names
        .iter()
        .filter(|n| *n != "User/alice.chen@example.com")
        .cloned()
        .collect();
    assert_eq!(subjects(&after), expected);
    assert_eq!(after["roleRef"], before["roleRef"]);
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);

    fx.roll_back(&changes, key).await;
    let back = role_binding(&fx, "notebooks", "data-scientists-edit").unwrap();
    assert_eq!(
        back["subjects"], before["subjects"],
        "same subjects, same order"
    );
}

#[tokio::test]
async fn remove_subject_deletes_a_binding_left_with_no_subject() {
    let key = "AIGOV-RBAC-002:RoleBinding/ml-training/summer-interns-edit#subject/Group/interns";
    let mut fx = demo().await;
    let before = role_binding(&fx, "ml-training", "summer-interns-edit").unwrap();
    assert_eq!(subjects(&before), ["Group/interns"]);

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert!(
        matches!(&remediation, Remediation::RemoveSubject { deleted, .. } if deleted == &["RoleBinding ml-training/summer-interns-edit"]),
        "{remediation:?}"
    );
    assert!(added(&reviews[0]).is_empty(), "a delete adds nothing");
    assert_line(
        &reviews[0],
        &removed(&reviews[0]),
        "name: summer-interns-edit",
    );
    assert_eq!(
        role_binding(&fx, "ml-training", "summer-interns-edit"),
        None
    );

    // The inverse re-creates it from the model: a new uid, the same grant and metadata.
    fx.roll_back(&changes, key).await;
    let back = role_binding(&fx, "ml-training", "summer-interns-edit").expect("re-created");
    assert_ne!(back["metadata"]["uid"], before["metadata"]["uid"]);
    assert_eq!(back["roleRef"], before["roleRef"]);
    assert_eq!(back["subjects"], before["subjects"]);
    assert_eq!(
        back["metadata"]["annotations"],
        before["metadata"]["annotations"]
    );
    assert_eq!(
        back["metadata"].get("labels"),
        before["metadata"].get("labels")
    );
}

/// The RoleBinding that replaces `crb` for a service account in `namespace`.
fn assert_replacement(fx: &Fixture, namespace: &str, crb: &str, account: &str, role: &Value) {
    let rb = role_binding(fx, namespace, crb).expect("the RoleBinding is created");
    assert_eq!(rb["roleRef"], *role, "the same ClusterRole");
    assert_eq!(
        rb["subjects"],
        json!([{"kind": "ServiceAccount", "name": account, "namespace": namespace}])
    );
    assert_eq!(
        rb["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "aigov"
    );
    assert_eq!(
        rb["metadata"]["annotations"]["aigov.dev/replaces"],
        format!("ClusterRoleBinding/{crb}")
    );
}

#[tokio::test]
async fn replace_cluster_role_binding_by_a_role_binding_in_the_accounts_namespace() {
    let crb = "jupyter-priya-debug";
    let key = "AIGOV-RBAC-004:ClusterRoleBinding//jupyter-priya-debug#subject/ServiceAccount/notebooks/jupyter-priya";
    let mut fx = demo().await;
    let before = cluster_role_binding(&fx, crb).unwrap();
    assert_eq!(subjects(&before), ["ServiceAccount/jupyter-priya"]);
    assert_eq!(role_binding(&fx, "notebooks", crb), None);

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert_eq!(
        remediation,
        Remediation::ReplaceClusterRoleBinding {
            binding: crb.into(),
            subject: Subject::service_account("notebooks", "jupyter-priya"),
            namespaces: vec!["notebooks".into()],
        }
    );
    assert_eq!(changes.len(), 2, "create the RoleBinding, then delete");
    assert_line(&reviews[0], &added(&reviews[0]), "kind: RoleBinding");
    assert_line(
        &reviews[1],
        &removed(&reviews[1]),
        "kind: ClusterRoleBinding",
    );
    assert_replacement(&fx, "notebooks", crb, "jupyter-priya", &before["roleRef"]);
    assert_eq!(
        cluster_role_binding(&fx, crb),
        None,
        "the only subject moved"
    );

    fx.roll_back(&changes, key).await;
    assert_eq!(role_binding(&fx, "notebooks", crb), None);
    let back = cluster_role_binding(&fx, crb).expect("re-created");
    assert_eq!(back["roleRef"], before["roleRef"]);
    assert_eq!(back["subjects"], before["subjects"]);
}

#[tokio::test]
async fn replace_cluster_role_binding_keeps_its_other_subjects() {
    let crb = "llm-gateway-impersonator";
    let key = "AIGOV-RBAC-005:ClusterRoleBinding//llm-gateway-impersonator#subject/ServiceAccount/llm-inference/gateway-auth-proxy";
    let mut fx = demo().await;
    let before = cluster_role_binding(&fx, crb).unwrap();
    let names = subjects(&before);
    assert!(names.len() > 1, "{names:?}");

    let (_, changes, reviews) = fx.fix(key).await;
    assert_eq!(changes.len(), 2, "create the RoleBinding, then patch");
    assert_line(
        &reviews[1],
        &removed(&reviews[1]),
        "name: gateway-auth-proxy",
    );
    assert_replacement(
        &fx,
        "llm-inference",
        crb,
        "gateway-auth-proxy",
        &before["roleRef"],
    );
    let after = cluster_role_binding(&fx, crb).expect("kept for the other subjects");
    let expected: Vec<String> = names
        .iter()
        .filter(|n| *n != "ServiceAccount/gateway-auth-proxy")
        .cloned()
        .collect();
    assert_eq!(subjects(&after), expected);

    fx.roll_back(&changes, key).await;
    assert_eq!(role_binding(&fx, "llm-inference", crb), None);
    let back = cluster_role_binding(&fx, crb).unwrap();
    assert_eq!(back["subjects"], before["subjects"]);
    assert_eq!(
        back["metadata"]["uid"], before["metadata"]["uid"],
        "patched, not re-created"
    );
}

#[tokio::test]
async fn narrow_role_removes_a_rule_left_with_no_resource() {
    let key = "AIGOV-RBAC-001:RoleBinding/ml-training/default-secret-reader#subject/ServiceAccount/ml-training/default";
    let mut fx = demo().await;
    let before = fx.stored(RBAC, "Role", "ml-training", "secret-reader");
    assert_eq!(before["rules"][0]["resources"], json!(["secrets"]));

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert!(
        matches!(&remediation, Remediation::NarrowRole { role, removed } if role == "ml-training/secret-reader" && removed.len() == 1),
        "{remediation:?}"
    );
    assert_line(&reviews[0], &removed(&reviews[0]), "- secrets");
    let after = fx.stored(RBAC, "Role", "ml-training", "secret-reader");
    // Its one rule granted only secrets: it is removed, the others (none) stay.
    let rules = after["rules"].as_array().map_or(&[][..], Vec::as_slice);
    assert_eq!(rules, &before["rules"].as_array().unwrap()[1..], "{after}");
    let binding = role_binding(&fx, "ml-training", "default-secret-reader").unwrap();
    assert_eq!(
        subjects(&binding),
        ["ServiceAccount/default"],
        "binding untouched"
    );

    fx.roll_back(&changes, key).await;
    let back = fx.stored(RBAC, "Role", "ml-training", "secret-reader");
    assert_eq!(back["rules"], before["rules"]);
}

/// The demo's narrowable Roles each have one rule, wholly risky. This one keeps its other
/// resources: only `pods/exec` goes.
#[tokio::test]
async fn narrow_role_drops_only_the_risky_subresource() {
    let key = "AIGOV-RBAC-002:RoleBinding/ml-training/kai-debugger#subject/User/kai@example.com";
    let mut fx = demo().await;
    let rules = json!([
        {"apiGroups": [""], "resources": ["pods", "pods/exec", "pods/log"], "verbs": ["get", "list", "create"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
    ]);
    fx.create(
        Kind::Role,
        json!({"apiVersion": RBAC, "kind": "Role",
               "metadata": {"name": "debugger", "namespace": "ml-training"}, "rules": rules}),
    )
    .await;
    fx.create(
        Kind::RoleBinding,
        json!({"apiVersion": RBAC, "kind": "RoleBinding",
               "metadata": {"name": "kai-debugger", "namespace": "ml-training"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "debugger"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "kai@example.com"}]}),
    )
    .await;

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert!(
        matches!(&remediation, Remediation::NarrowRole { role, .. } if role == "ml-training/debugger"),
        "{remediation:?}"
    );
    assert_eq!(
        removed(&reviews[0]),
        ["- pods/exec"],
        "{:?}",
        reviews[0].diff
    );
    let after = fx.stored(RBAC, "Role", "ml-training", "debugger");
    assert_eq!(after["rules"][0]["resources"], json!(["pods", "pods/log"]));
    assert_eq!(after["rules"][0]["verbs"], rules[0]["verbs"]);
    assert_eq!(after["rules"][1], rules[1]);

    fx.roll_back(&changes, key).await;
    let back = fx.stored(RBAC, "Role", "ml-training", "debugger");
    assert_eq!(back["rules"], rules);
}

#[tokio::test]
async fn disable_automount_on_the_default_service_account() {
    let key = "AIGOV-RBAC-009:ServiceAccount/ml-training/default#automount";
    let mut fx = demo().await;
    let before = fx.stored("v1", "ServiceAccount", "ml-training", "default");
    assert_eq!(before.get("automountServiceAccountToken"), None);

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert_eq!(
        remediation,
        Remediation::DisableAutomount {
            objects: vec!["ServiceAccount ml-training/default".into()]
        }
    );
    assert_line(
        &reviews[0],
        &added(&reviews[0]),
        "automountServiceAccountToken: false",
    );
    let after = fx.stored("v1", "ServiceAccount", "ml-training", "default");
    assert_eq!(after["automountServiceAccountToken"], json!(false));

    fx.roll_back(&changes, key).await;
    let back = fx.stored("v1", "ServiceAccount", "ml-training", "default");
    assert_eq!(
        back.get("automountServiceAccountToken"),
        None,
        "unset again"
    );
}

/// When the RoleBinding's name is taken in the account's namespace, the replacement is
/// `<name>-aigov`, and the existing RoleBinding is left alone.
#[tokio::test]
async fn replace_cluster_role_binding_under_another_name_when_taken() {
    let crb = "jupyter-priya-debug";
    let key = "AIGOV-RBAC-004:ClusterRoleBinding//jupyter-priya-debug#subject/ServiceAccount/notebooks/jupyter-priya";
    let mut fx = demo().await;
    fx.create(
        Kind::RoleBinding,
        json!({"apiVersion": RBAC, "kind": "RoleBinding",
               "metadata": {"name": crb, "namespace": "notebooks"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "priya.nair@example.com"}]}),
    )
    .await;
    let existing = role_binding(&fx, "notebooks", crb).unwrap();
    let before = cluster_role_binding(&fx, crb).unwrap();

    let (_, changes, _) = fx.fix(key).await;
    let renamed = format!("{crb}-aigov");
    assert_eq!(changes[0].target.name, renamed);
    let rb = role_binding(&fx, "notebooks", &renamed).expect("created under the new name");
    assert_eq!(rb["roleRef"], before["roleRef"]);
    assert_eq!(
        rb["metadata"]["annotations"]["aigov.dev/replaces"],
        format!("ClusterRoleBinding/{crb}")
    );
    assert_eq!(role_binding(&fx, "notebooks", crb), Some(existing.clone()));

    fx.roll_back(&changes, key).await;
    assert_eq!(role_binding(&fx, "notebooks", &renamed), None);
    assert_eq!(role_binding(&fx, "notebooks", crb), Some(existing));
}

/// RBAC-009 `bindings`: the namespace's `default` account leaves every binding naming it,
/// one change per binding (here one deleted, one patched).
#[tokio::test]
async fn remove_the_default_account_from_every_binding() {
    let key = "AIGOV-RBAC-009:ServiceAccount/notebooks/default#bindings";
    let mut fx = demo().await;
    fx.create(
        Kind::RoleBinding,
        json!({"apiVersion": RBAC, "kind": "RoleBinding",
               "metadata": {"name": "shared-view", "namespace": "notebooks"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "ServiceAccount", "name": "jupyter-priya", "namespace": "notebooks"},
                            {"kind": "ServiceAccount", "name": "default", "namespace": "notebooks"}]}),
    )
    .await;
    let view_before = role_binding(&fx, "notebooks", "default-view").unwrap();
    let shared_before = role_binding(&fx, "notebooks", "shared-view").unwrap();

    let (remediation, changes, _) = fx.fix(key).await;
    assert!(
        matches!(&remediation, Remediation::RemoveSubject { bindings, deleted, .. }
            if bindings.len() == 2 && deleted == &["RoleBinding notebooks/default-view"]),
        "{remediation:?}"
    );
    assert_eq!(changes.len(), 2);
    assert_eq!(role_binding(&fx, "notebooks", "default-view"), None);
    let shared = role_binding(&fx, "notebooks", "shared-view").unwrap();
    assert_eq!(subjects(&shared), ["ServiceAccount/jupyter-priya"]);

    fx.roll_back(&changes, key).await;
    let view_back = role_binding(&fx, "notebooks", "default-view").unwrap();
    assert_eq!(view_back["subjects"], view_before["subjects"]);
    assert_eq!(view_back["roleRef"], view_before["roleRef"]);
    let shared_back = role_binding(&fx, "notebooks", "shared-view").unwrap();
    assert_eq!(shared_back["subjects"], shared_before["subjects"]);
}

/// An AI workload that runs as `default` and turns the token on itself gets
/// `automountServiceAccountToken: false` in its pod template too (its setting wins).
#[tokio::test]
async fn disable_automount_in_a_pod_template_that_turns_it_on() {
    let key = "AIGOV-RBAC-009:ServiceAccount/ml-training/default#automount";
    let mut fx = demo().await;
    fx.create(
        Kind::Deployment,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "eval-runner", "namespace": "ml-training"},
               "spec": {"replicas": 1,
                        "selector": {"matchLabels": {"app": "eval-runner"}},
                        "template": {"metadata": {"labels": {"app": "eval-runner"}},
                                     "spec": {"automountServiceAccountToken": true,
                                              "containers": [{"name": "eval", "image": "pytorch/pytorch:2.3.0",
                                                              "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}}}),
    )
    .await;
    let template = "/spec/template/spec/automountServiceAccountToken";

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert_eq!(
        remediation,
        Remediation::DisableAutomount {
            objects: vec![
                "ServiceAccount ml-training/default".into(),
                "Deployment ml-training/eval-runner".into(),
            ]
        }
    );
    assert_line(
        &reviews[1],
        &removed(&reviews[1]),
        "automountServiceAccountToken: true",
    );
    assert_line(
        &reviews[1],
        &added(&reviews[1]),
        "automountServiceAccountToken: false",
    );
    let deployment = fx.stored("apps/v1", "Deployment", "ml-training", "eval-runner");
    assert_eq!(deployment.pointer(template), Some(&json!(false)));
    let sa = fx.stored("v1", "ServiceAccount", "ml-training", "default");
    assert_eq!(sa["automountServiceAccountToken"], json!(false));

    fx.roll_back(&changes, key).await;
    let deployment = fx.stored("apps/v1", "Deployment", "ml-training", "eval-runner");
    assert_eq!(deployment.pointer(template), Some(&json!(true)));
    let sa = fx.stored("v1", "ServiceAccount", "ml-training", "default");
    assert_eq!(sa.get("automountServiceAccountToken"), None);
}
