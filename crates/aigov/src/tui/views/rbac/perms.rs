//! The permissions the RBAC view summarises (secrets read, exec, pod create, wildcard,
//! escalate/bind/impersonate, token create, ConfigMap write, everything), read from a
//! role's effective rules the way the RBAC rules (AIGOV-RBAC-001..010) read them.

use aigov_core::model::Kind;
use aigov_core::model::rbac::PolicyRule;
use aigov_core::rules::RulesConfig;
use aigov_core::rules::rbac::{api_group_matches, resource_matches, verb_matches};

/// One risky permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Perm {
    Admin,
    Escalate,
    Wildcard,
    Secrets,
    Exec,
    Token,
    Create,
    ConfigWrite,
}

impl Perm {
    /// In the order the summary lists them, most dangerous first.
    pub const ALL: [Perm; 8] = [
        Perm::Admin,
        Perm::Escalate,
        Perm::Wildcard,
        Perm::Secrets,
        Perm::Exec,
        Perm::Token,
        Perm::Create,
        Perm::ConfigWrite,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The word in the summary column.
    pub fn label(self) -> &'static str {
        match self {
            Perm::Admin => "cluster-admin",
            Perm::Escalate => "escalate",
            Perm::Wildcard => "wildcard",
            Perm::Secrets => "secrets",
            Perm::Exec => "exec",
            Perm::Token => "token",
            Perm::Create => "create",
            Perm::ConfigWrite => "cm-write",
        }
    }

    /// What the word means, for the detail pane.
    pub fn meaning(self) -> &'static str {
        match self {
            Perm::Admin => "every verb on every resource (cluster-admin or an equivalent)",
            Perm::Escalate => "escalate or bind roles, or impersonate",
            Perm::Wildcard => "a * in verbs, resources or API groups",
            Perm::Secrets => "read Secrets (get, list or watch)",
            Perm::Exec => "exec, attach or port-forward into pods",
            Perm::Token => "create service account tokens",
            Perm::Create => "create pods or pod-creating workloads",
            Perm::ConfigWrite => "create, update, patch or delete ConfigMaps",
        }
    }
}

/// A set of [`Perm`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Perms(u16);

impl Perms {
    pub fn has(self, perm: Perm) -> bool {
        self.0 & perm.bit() != 0
    }

    pub fn add(&mut self, perm: Perm) {
        self.0 |= perm.bit();
    }

    pub fn union(self, other: Perms) -> Perms {
        Perms(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Perm> {
        Perm::ALL.into_iter().filter(move |p| self.has(*p))
    }

    /// `secrets exec create`, `cluster-admin` when everything is allowed (`all in namespace`
    /// when that comes from a RoleBinding only), `-` when nothing risky is.
    pub fn summary(self, admin_cluster_wide: bool) -> String {
        if self.has(Perm::Admin) {
            return if admin_cluster_wide {
                "cluster-admin".into()
            } else {
                "all in namespace".into()
            };
        }
        let words: Vec<&str> = self.iter().map(Perm::label).collect();
        if words.is_empty() {
            "-".into()
        } else {
            words.join(" ")
        }
    }
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const AUTHN_GROUP: &str = "authentication.k8s.io";

const WORKLOADS: [(&str, &str); 7] = [
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// What the classification needs besides the rule: the resources whose creation starts pods
/// (the workload controllers and the AI custom resources of the settings).
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    /// (group, plural) of workloads whose create, update or patch changes pods.
    templates: Vec<(String, String)>,
}

impl Classifier {
    pub fn new(settings: &RulesConfig) -> Self {
        let mut templates: Vec<(String, String)> = WORKLOADS
            .iter()
            .map(|(g, r)| (g.to_string(), r.to_string()))
            .collect();
        for name in &settings.ai.custom_kinds {
            if let Some(kind) = Kind::from_name(name) {
                let api = kind.api();
                templates.push((api.group.to_string(), api.plural.to_string()));
            }
        }
        Self { templates }
    }

    /// The risky permissions one rule grants. `cluster` says whether it comes through a
    /// ClusterRoleBinding: only then does impersonating users, groups and uids count.
    pub fn rule(&self, rule: &PolicyRule, cluster: bool) -> Perms {
        let mut perms = Perms::default();
        if is_full_admin(rule) {
            perms.add(Perm::Admin);
        }
        if has_wildcard(rule) {
            perms.add(Perm::Wildcard);
        }
        let some = |verb: &str, group: &str, resource: &str, sub: &str| {
            grants_some(rule, verb, group, resource, sub)
        };
        if ["get", "list", "watch"]
            .iter()
            .any(|v| some(v, "", "secrets", ""))
        {
            perms.add(Perm::Secrets);
        }
        if ["create", "get"].iter().any(|v| {
            ["exec", "attach", "portforward"]
                .iter()
                .any(|s| some(v, "", "pods", s))
        }) {
            perms.add(Perm::Exec);
        }
        let templates = || self.templates.iter().map(|(g, r)| (g.as_str(), r.as_str()));
        if some("create", "", "pods", "")
            || templates().any(|(g, r)| {
                ["create", "update", "patch"]
                    .iter()
                    .any(|v| some(v, g, r, ""))
            })
        {
            perms.add(Perm::Create);
        }
        let escalates = ["escalate", "bind"].iter().any(|v| {
            ["roles", "clusterroles"]
                .iter()
                .any(|r| some(v, RBAC_GROUP, r, ""))
        });
        let mut impersonable = vec![("", "serviceaccounts")];
        if cluster {
            impersonable.extend([
                ("", "users"),
                ("", "groups"),
                (AUTHN_GROUP, "uids"),
                (AUTHN_GROUP, "userextras"),
            ]);
        }
        if escalates
            || impersonable
                .iter()
                .any(|(g, r)| some("impersonate", g, r, ""))
        {
            perms.add(Perm::Escalate);
        }
        if some("create", "", "serviceaccounts", "token") {
            perms.add(Perm::Token);
        }
        if ["create", "update", "patch", "delete"]
            .iter()
            .any(|v| some(v, "", "configmaps", ""))
        {
            perms.add(Perm::ConfigWrite);
        }
        perms
    }

    /// The union over a role's rules.
    pub fn rules(&self, rules: &[PolicyRule], cluster: bool) -> Perms {
        rules
            .iter()
            .fold(Perms::default(), |acc, r| acc.union(self.rule(r, cluster)))
    }
}

/// Whether `rule` grants `verb` on the resource for at least one object. A rule limited by
/// resourceNames counts, except for create on a resource itself: that request carries no
/// name, so such a rule never allows it (as the RBAC rules read it).
fn grants_some(rule: &PolicyRule, verb: &str, group: &str, resource: &str, sub: &str) -> bool {
    verb_matches(rule, verb)
        && api_group_matches(rule, group)
        && resource_matches(rule, resource, sub)
        && (rule.resource_names.is_empty() || !(verb == "create" && sub.is_empty()))
}

/// Every verb on every resource in every API group, for any name.
fn is_full_admin(rule: &PolicyRule) -> bool {
    let all = |v: &[String]| v.iter().any(|x| x == "*");
    all(&rule.verbs)
        && all(&rule.api_groups)
        && all(&rule.resources)
        && rule.resource_names.is_empty()
}

/// `*` in verbs, API groups or resources (`*/scale` included).
fn has_wildcard(rule: &PolicyRule) -> bool {
    rule.verbs.iter().any(|v| v == "*")
        || rule.api_groups.iter().any(|g| g == "*")
        || rule
            .resources
            .iter()
            .any(|r| r == "*" || r.starts_with("*/"))
}
