//! The RBAC evaluator: Kubernetes RBAC semantics over the compact model, shared by the simulator's authoriser and the analysis.
//!
//! It follows `plugin/pkg/auth/authorizer/rbac` exactly: ClusterRoleBindings apply in
//! every namespace and to cluster-scoped resources and non-resource URLs; RoleBindings
//! apply only to requests in their own namespace; a binding whose role does not exist
//! grants nothing. ClusterRoles with an aggregation rule are resolved once, at build time.

mod aggregate;
mod index;
mod matching;
#[cfg(test)]
mod tests;

pub use index::RbacIndex;
pub use matching::{
    api_group_matches, non_resource_url_matches, resource_matches, resource_name_matches,
    rule_allows, subject_matches, verb_matches,
};

use crate::model::rbac::{PolicyRule, RoleRefKind, Subject};
use serde::Serialize;

/// An authenticated user as the authoriser sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub username: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    pub fn new(username: impl Into<String>, groups: &[&str]) -> Self {
        Self {
            username: username.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// A service account token's user, with the groups the API server adds to it.
    pub fn for_service_account(namespace: &str, name: &str) -> Self {
        Self {
            username: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".to_string(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".to_string(),
            ],
        }
    }
}

/// What is asked: a resource request (`namespace` empty for cluster-scoped resources
/// and cluster-wide lists) or a non-resource URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Request {
    Resource {
        verb: String,
        group: String,
        resource: String,
        subresource: String,
        namespace: String,
        name: String,
    },
    NonResource {
        verb: String,
        path: String,
    },
}

impl Request {
    /// A resource request without a subresource; `name` may be empty.
    pub fn resource(verb: &str, group: &str, resource: &str, namespace: &str, name: &str) -> Self {
        Self::Resource {
            verb: verb.to_string(),
            group: group.to_string(),
            resource: resource.to_string(),
            subresource: String::new(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn non_resource(verb: &str, path: &str) -> Self {
        Self::NonResource {
            verb: verb.to_string(),
            path: path.to_string(),
        }
    }

    /// The same request aimed at a subresource (`pods` + `exec`).
    pub fn with_subresource(mut self, sub: &str) -> Self {
        if let Self::Resource { subresource, .. } = &mut self {
            *subresource = sub.to_string();
        }
        self
    }

    /// The namespace whose RoleBindings are consulted; empty for non-resource requests.
    pub fn namespace(&self) -> &str {
        match self {
            Self::Resource { namespace, .. } => namespace,
            Self::NonResource { .. } => "",
        }
    }

    pub fn verb(&self) -> &str {
        match self {
            Self::Resource { verb, .. } | Self::NonResource { verb, .. } => verb,
        }
    }
}

/// One way a request is granted: the binding, the role it refers to, the rule, and the
/// binding's subject that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub binding_kind: &'static str,
    /// Empty for a ClusterRoleBinding.
    pub binding_namespace: String,
    pub binding_name: String,
    pub role_kind: RoleRefKind,
    pub role_name: String,
    pub rule: PolicyRule,
    pub subject: Subject,
}

/// A rule that applies to a user in a namespace, with where it comes from
/// (the binding, its role and the matching subject). Same shape as a [`Grant`].
pub type ResolvedRule = Grant;

/// The authoriser's answer, with every granting path in evaluation order
/// (ClusterRoleBindings by name, then the namespace's RoleBindings by name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub grants: Vec<Grant>,
}
