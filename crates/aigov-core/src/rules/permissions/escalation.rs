//! Cluster-wide risky grants, over every binding: wildcards (RBAC-004), escalate/bind/
//! impersonate (RBAC-005), service account token creation (RBAC-006), and cluster-admin or
//! an equivalent bound to a service account or a group (RBAC-007).

use super::context::{BoundRole, Context, Who, classify, lowered, subject_label};
use super::grants::{Hit, TOKEN_CREATE_GRANT, for_subject, grants_some, hits, is_full_admin};
use super::info;
use crate::model::rbac::{PolicyRule, SubjectKind};
use crate::rules::finding::{Finding, Severity};
use crate::rules::rbac::{api_group_matches, verb_matches};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const AUTHN_GROUP: &str = "authentication.k8s.io";

/// `*` in verbs, API groups or resources (`*/scale` included).
pub fn has_wildcard(rule: &PolicyRule) -> bool {
    rule.verbs.iter().any(|v| v == "*")
        || rule.api_groups.iter().any(|g| g == "*")
        || rule
            .resources
            .iter()
            .any(|r| r == "*" || r.starts_with("*/"))
}

/// The severity of a grant by where its binding applies: `cluster` through a
/// ClusterRoleBinding, one step lower in an AI namespace, two elsewhere.
fn by_scope(ctx: &Context, bound: &BoundRole, cluster: Severity) -> Severity {
    if bound.is_cluster() {
        cluster
    } else if ctx.view.is_ai_namespace(bound.namespace()) {
        lowered(cluster)
    } else {
        lowered(lowered(cluster))
    }
}

/// `escalate`, `escalate and bind`, `escalate, bind and impersonate`.
fn and_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn place(bound: &BoundRole) -> String {
    if bound.is_cluster() {
        "cluster-wide".to_string()
    } else {
        format!("in namespace {}", bound.namespace())
    }
}

/// What a role allows of escalate, bind and impersonate, with the rules that allow it. Only
/// what a RoleBinding can grant counts for one: impersonating users, groups, uids and
/// extras is checked at the cluster scope, where RoleBindings never apply.
fn escalations<'r>(rules: &'r [PolicyRule], cluster: bool) -> (Vec<&'static str>, Vec<Hit<'r>>) {
    let roles = [(RBAC_GROUP, "roles", ""), (RBAC_GROUP, "clusterroles", "")];
    let mut targets: Vec<(&str, &str, &str)> = vec![("", "serviceaccounts", "")];
    if cluster {
        targets.extend([
            ("", "users", ""),
            ("", "groups", ""),
            (AUTHN_GROUP, "uids", ""),
        ]);
    }
    let extras = |rule: &PolicyRule| {
        cluster
            && verb_matches(rule, "impersonate")
            && api_group_matches(rule, AUTHN_GROUP)
            && rule
                .resources
                .iter()
                .any(|r| r == "*" || r == "userextras" || r.starts_with("userextras/"))
    };
    let mut found: Vec<&'static str> = Vec::new();
    let mut out: Vec<Hit<'r>> = Vec::new();
    for rule in rules {
        let mut verbs: Vec<&'static str> = Vec::new();
        for verb in ["escalate", "bind"] {
            if roles
                .iter()
                .any(|(g, r, s)| grants_some(rule, verb, g, r, s))
            {
                verbs.push(verb);
            }
        }
        if targets
            .iter()
            .any(|(g, r, s)| grants_some(rule, "impersonate", g, r, s))
            || extras(rule)
        {
            verbs.push("impersonate");
        }
        for v in &verbs {
            if !found.contains(v) {
                found.push(v);
            }
        }
        if !verbs.is_empty() {
            out.push(Hit { rule, verbs });
        }
    }
    found.sort_by_key(|v| {
        ["escalate", "bind", "impersonate"]
            .iter()
            .position(|x| x == v)
    });
    (found, out)
}

pub fn evaluate(ctx: &Context, out: &mut Vec<Finding>) {
    for bound in &ctx.bindings {
        if bound.rules.is_empty() {
            continue;
        }
        let full = is_full_admin(bound.rules);
        let wildcards: Vec<&PolicyRule> = bound.rules.iter().filter(|r| has_wildcard(r)).collect();
        // A role that allows everything is reported as a wildcard and as cluster-admin only.
        let (powers, escalating) = if full {
            (Vec::new(), Vec::new())
        } else {
            escalations(bound.rules, bound.is_cluster())
        };
        let tokens = if full {
            Vec::new()
        } else {
            hits(
                bound.rules,
                TOKEN_CREATE_GRANT.verbs,
                TOKEN_CREATE_GRANT.targets,
            )
        };
        for subject in bound.live_subjects() {
            let who = classify(subject, ctx.view.settings);
            let label = subject_label(subject);
            let role = format!(
                "{:?} {}",
                bound.binding.role_ref.kind, bound.binding.role_ref.name
            );
            if !wildcards.is_empty() {
                let title = format!(
                    "{label} has wildcard permissions {} through {role}",
                    place(bound)
                );
                let ev = wildcards.iter().map(|r| bound.evidence(r)).collect();
                let severity = for_subject(by_scope(ctx, bound, Severity::Critical), who);
                out.push(ctx.finding(&info::WILDCARD, bound, subject, severity, title, ev));
            }
            if !escalating.is_empty() {
                let title = format!("{label} can {} {}", and_list(&powers), place(bound));
                let ev = escalating.iter().map(|h| bound.evidence(h.rule)).collect();
                let mut severity = by_scope(ctx, bound, Severity::Critical);
                if escalating.iter().all(|h| !h.rule.resource_names.is_empty()) {
                    severity = lowered(severity);
                }
                let severity = for_subject(severity, who);
                out.push(ctx.finding(&info::ESCALATION, bound, subject, severity, title, ev));
            }
            if !tokens.is_empty() {
                let title = format!("{label} can create service account tokens {}", place(bound));
                let ev = tokens.iter().map(|h| bound.evidence(h.rule)).collect();
                let wide = bound.is_cluster() || ctx.view.is_ai_namespace(bound.namespace());
                let base = if wide {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let severity = for_subject(base, who);
                out.push(ctx.finding(&info::TOKEN_CREATE, bound, subject, severity, title, ev));
            }
            let account_or_group = subject.kind != SubjectKind::User || who == Who::ServiceAccount;
            if full && account_or_group {
                let title = if bound.is_cluster() {
                    format!("{label} is cluster-admin through {role}")
                } else {
                    format!(
                        "{label} has full control of namespace {} through {role}",
                        bound.namespace()
                    )
                };
                let ev = bound
                    .rules
                    .iter()
                    .filter(|r| is_full_admin(std::slice::from_ref(*r)))
                    .map(|r| bound.evidence(r))
                    .collect();
                let severity = for_subject(by_scope(ctx, bound, Severity::Critical), who);
                out.push(ctx.finding(&info::CLUSTER_ADMIN, bound, subject, severity, title, ev));
            }
        }
    }
}
