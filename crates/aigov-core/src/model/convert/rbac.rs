//! Roles, ClusterRoles and their bindings.

use super::{meta, selector};
use crate::model::rbac::*;
use k8s_openapi::api::rbac::v1 as rbacv1;

fn rule(r: &rbacv1::PolicyRule) -> PolicyRule {
    PolicyRule {
        verbs: r.verbs.clone(),
        api_groups: r.api_groups.clone().unwrap_or_default(),
        resources: r.resources.clone().unwrap_or_default(),
        resource_names: r.resource_names.clone().unwrap_or_default(),
        non_resource_urls: r.non_resource_urls.clone().unwrap_or_default(),
    }
}

pub fn role(r: &rbacv1::Role) -> Role {
    Role {
        meta: meta(&r.metadata),
        rules: r.rules.iter().flatten().map(rule).collect(),
        aggregation: Vec::new(),
    }
}

pub fn cluster_role(r: &rbacv1::ClusterRole) -> Role {
    let mut m = meta(&r.metadata);
    m.namespace.clear();
    Role {
        meta: m,
        rules: r.rules.iter().flatten().map(rule).collect(),
        aggregation: r
            .aggregation_rule
            .as_ref()
            .and_then(|a| a.cluster_role_selectors.as_ref())
            .into_iter()
            .flatten()
            .map(selector)
            .collect(),
    }
}

fn role_ref(r: &rbacv1::RoleRef) -> RoleRef {
    RoleRef {
        kind: if r.kind == "Role" {
            RoleRefKind::Role
        } else {
            RoleRefKind::ClusterRole
        },
        name: r.name.clone(),
    }
}

/// Subjects of a kind RBAC does not know are dropped: the API server ignores them too.
fn subjects(list: Option<&Vec<rbacv1::Subject>>, binding_namespace: &str) -> Vec<Subject> {
    list.into_iter()
        .flatten()
        .filter_map(|s| match s.kind.as_str() {
            "User" => Some(Subject::user(&s.name)),
            "Group" => Some(Subject::group(&s.name)),
            "ServiceAccount" => Some(Subject::service_account(
                s.namespace
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| binding_namespace.to_string()),
                &s.name,
            )),
            _ => None,
        })
        .collect()
}

pub fn role_binding(b: &rbacv1::RoleBinding) -> Binding {
    let m = meta(&b.metadata);
    let subjects = subjects(b.subjects.as_ref(), &m.namespace);
    Binding {
        meta: m,
        role_ref: role_ref(&b.role_ref),
        subjects,
    }
}

pub fn cluster_role_binding(b: &rbacv1::ClusterRoleBinding) -> Binding {
    let mut m = meta(&b.metadata);
    m.namespace.clear();
    let subjects = subjects(b.subjects.as_ref(), "");
    Binding {
        meta: m,
        role_ref: role_ref(&b.role_ref),
        subjects,
    }
}
