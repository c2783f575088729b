//! Roles, bindings and subjects as RBAC defines them.

use super::meta::{LabelSelector, Meta};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

/// A Role (namespaced) or a ClusterRole (`meta.namespace` empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub meta: Meta,
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors`; only ClusterRoles have them.
    pub aggregation: Vec<LabelSelector>,
}

impl Role {
    pub fn is_cluster_role(&self) -> bool {
        self.meta.namespace.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RoleRefKind {
    Role,
    ClusterRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleRef {
    pub kind: RoleRefKind,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    /// Only for ServiceAccounts.
    pub namespace: String,
}

impl Subject {
    pub fn user(name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::User,
            name: name.into(),
            namespace: String::new(),
        }
    }

    pub fn group(name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::Group,
            name: name.into(),
            namespace: String::new(),
        }
    }

    pub fn service_account(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::ServiceAccount,
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// The user name the API server authenticates a service account token as.
    pub fn username(&self) -> String {
        match self.kind {
            SubjectKind::ServiceAccount => {
                format!("system:serviceaccount:{}:{}", self.namespace, self.name)
            }
            _ => self.name.clone(),
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            SubjectKind::User => write!(f, "User/{}", self.name),
            SubjectKind::Group => write!(f, "Group/{}", self.name),
            SubjectKind::ServiceAccount => {
                write!(f, "ServiceAccount/{}/{}", self.namespace, self.name)
            }
        }
    }
}

/// A RoleBinding (namespaced) or a ClusterRoleBinding (`meta.namespace` empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    pub meta: Meta,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
}

impl Binding {
    pub fn is_cluster_binding(&self) -> bool {
        self.meta.namespace.is_empty()
    }

    pub fn kind_name(&self) -> &'static str {
        if self.is_cluster_binding() {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        }
    }
}
