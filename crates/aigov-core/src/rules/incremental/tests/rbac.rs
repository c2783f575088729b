//! RBAC objects for the incremental evaluator's tests: roles by numbered rule sets
//! (Secrets, exec, pod creation, ConfigMap writes, everything, read-only, escalation, tokens),
//! ClusterRoles with aggregation, and bindings to groups, users and service accounts.

use super::cluster::{NAMESPACES, labels, meta, other};
use crate::model::rbac::{Binding, PolicyRule, Role, RoleRef, RoleRefKind, Subject};
use crate::model::{LabelSelector, Object};

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    PolicyRule {
        verbs: own(verbs),
        api_groups: own(groups),
        resources: own(resources),
        resource_names: own(names),
        non_resource_urls: Vec::new(),
    }
}

/// Rules by number: reads Secrets, execs, creates pods, writes ConfigMaps, everything,
/// reads pods only, escalates, mints tokens (limited by name).
fn rules(n: u8) -> Vec<PolicyRule> {
    match n % 8 {
        0 => vec![rule(&["get", "list"], &[""], &["secrets"], &[])],
        1 => vec![rule(&["create"], &[""], &["pods/exec", "pods/attach"], &[])],
        2 => vec![rule(
            &["create", "delete"],
            &["", "apps"],
            &["pods", "deployments"],
            &[],
        )],
        3 => vec![rule(
            &["update", "patch"],
            &[""],
            &["configmaps"],
            &["model-config"],
        )],
        4 => vec![rule(&["*"], &["*"], &["*"], &[])],
        5 => vec![rule(
            &["get", "list", "watch"],
            &[""],
            &["pods", "configmaps"],
            &[],
        )],
        6 => vec![rule(
            &["escalate", "bind"],
            &["rbac.authorization.k8s.io"],
            &["roles"],
            &[],
        )],
        _ => vec![rule(
            &["create"],
            &[""],
            &["serviceaccounts/token"],
            &["runner"],
        )],
    }
}

pub fn role(namespace: &str, n: u8) -> Object {
    Object::Role(Role {
        meta: meta("Role", namespace, "dev"),
        rules: rules(n),
        aggregation: Vec::new(),
    })
}

/// ClusterRoles `cr-0..3`; `cr-3` aggregates those labelled `aggregate: yes`.
pub fn cluster_role(n: u8, r: u8, aggregated: bool) -> Object {
    let name = format!("cr-{}", n % 4);
    let mut meta = meta("ClusterRole", "", &name);
    if aggregated {
        meta.labels.insert("aggregate".into(), "yes".into());
    }
    let aggregation = if n % 4 == 3 {
        vec![LabelSelector {
            match_labels: labels(&[("aggregate", "yes")]),
            ..LabelSelector::default()
        }]
    } else {
        Vec::new()
    };
    Object::Role(Role {
        meta,
        rules: if n % 4 == 3 { Vec::new() } else { rules(r) },
        aggregation,
    })
}

/// Subjects by bits: a group, a broad group, a user, this namespace's `default` (without a
/// namespace: the binding's), `runner` of another namespace, `default` of another namespace.
fn subjects(namespace: &str, bits: u8, n: u8) -> Vec<Subject> {
    let mut out = Vec::new();
    if bits & 1 != 0 {
        out.push(Subject::group("ml-devs"));
    }
    if bits & 2 != 0 {
        out.push(Subject::group("system:authenticated"));
    }
    if bits & 4 != 0 {
        out.push(Subject::user("alice@example.com"));
    }
    if bits & 8 != 0 {
        out.push(Subject::service_account(namespace, "default"));
    }
    if bits & 16 != 0 {
        out.push(Subject::service_account(other(namespace, n), "runner"));
    }
    if bits & 32 != 0 {
        out.push(Subject::service_account(
            other(namespace, n.wrapping_add(1)),
            "default",
        ));
    }
    if bits & 64 != 0 {
        out.push(Subject::group("system:masters"));
    }
    out
}

/// RoleBinding `rb-{n}` in `namespace`, or ClusterRoleBinding `crb-{n}` for an empty one.
pub fn binding(namespace: &str, n: u8, role: u8, bits: u8) -> Object {
    let cluster = namespace.is_empty();
    let kind = if cluster {
        "ClusterRoleBinding"
    } else {
        "RoleBinding"
    };
    let name = format!("{}-{}", if cluster { "crb" } else { "rb" }, n % 3);
    let role_ref = match role % 5 {
        0 if !cluster => RoleRef {
            kind: RoleRefKind::Role,
            name: "dev".into(),
        },
        4 => RoleRef {
            kind: RoleRefKind::ClusterRole,
            name: "cluster-admin".into(),
        },
        r => RoleRef {
            kind: RoleRefKind::ClusterRole,
            name: format!("cr-{}", r % 4),
        },
    };
    let subject_namespace = if cluster {
        NAMESPACES[usize::from(n % 5)]
    } else {
        namespace
    };
    let mut subjects = subjects(subject_namespace, bits, n);
    if !cluster && bits & 128 != 0 {
        subjects.push(Subject::service_account("", "default"));
    }
    Object::Binding(Binding {
        meta: meta(kind, namespace, &name),
        role_ref,
        subjects,
    })
}
