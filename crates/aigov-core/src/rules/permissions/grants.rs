//! Who can do what matters for AI data in AI namespaces: read Secrets (RBAC-001), exec into
//! pods (RBAC-002), create pods or pod-creating workloads (RBAC-003) and modify the
//! ConfigMaps AI workloads use (RBAC-010). Each binding's rules are checked once; a
//! ClusterRoleBinding yields one finding per subject naming every AI namespace it reaches.

use super::context::{BoundRole, Context, Who, classify, subject_label};
use super::info;
use crate::model::Kind;
use crate::model::rbac::{PolicyRule, Subject};
use crate::rules::catalog::RuleInfo;
use crate::rules::finding::{Finding, Severity};
use crate::rules::rbac::{Request, api_group_matches, resource_matches, rule_allows, verb_matches};

/// A risky grant: some verbs on some (API group, resource, subresource) targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub verbs: &'static [&'static str],
    pub targets: &'static [(&'static str, &'static str, &'static str)],
}

/// Reading Secrets (RBAC-001).
pub const SECRETS_READ_GRANT: Grant = Grant {
    verbs: &["get", "list", "watch"],
    targets: &[("", "secrets", "")],
};

/// A shell or a tunnel into pods (RBAC-002).
pub const POD_EXEC_GRANT: Grant = Grant {
    verbs: &["create", "get"],
    targets: &[
        ("", "pods", "exec"),
        ("", "pods", "attach"),
        ("", "pods", "portforward"),
    ],
};

/// Minting service account tokens (RBAC-006).
pub const TOKEN_CREATE_GRANT: Grant = Grant {
    verbs: &["create"],
    targets: &[("", "serviceaccounts", "token")],
};

/// The one grant whose removal from a role clears a finding of `rule`, for the rules whose
/// fix can narrow a role instead of removing the subject.
pub fn narrowable_grant(rule: &RuleInfo) -> Option<Grant> {
    [
        (&info::SECRETS_READ, SECRETS_READ_GRANT),
        (&info::POD_EXEC, POD_EXEC_GRANT),
        (&info::TOKEN_CREATE, TOKEN_CREATE_GRANT),
    ]
    .into_iter()
    .find(|(narrowable, _)| *narrowable == rule)
    .map(|(_, grant)| grant)
}

/// A rule that grants some of the asked verbs on some of the asked targets.
pub struct Hit<'r> {
    pub rule: &'r PolicyRule,
    pub verbs: Vec<&'static str>,
}

/// Whether `rule` grants `verb` on the resource for at least one object. A rule limited by
/// resourceNames counts, except for create on a resource itself: that request carries no
/// name, so such a rule never allows it.
pub fn grants_some(rule: &PolicyRule, verb: &str, group: &str, resource: &str, sub: &str) -> bool {
    verb_matches(rule, verb)
        && api_group_matches(rule, group)
        && resource_matches(rule, resource, sub)
        && (rule.resource_names.is_empty() || !(verb == "create" && sub.is_empty()))
}

/// The rules granting any of `verbs` on any of `targets` (group, resource, subresource).
pub fn hits<'r>(
    rules: &'r [PolicyRule],
    verbs: &[&'static str],
    targets: &[(&str, &str, &str)],
) -> Vec<Hit<'r>> {
    rules
        .iter()
        .filter_map(|rule| {
            let verbs: Vec<&'static str> = verbs
                .iter()
                .copied()
                .filter(|v| {
                    targets
                        .iter()
                        .any(|(g, r, s)| grants_some(rule, v, g, r, s))
                })
                .collect();
            (!verbs.is_empty()).then_some(Hit { rule, verbs })
        })
        .collect()
}

/// A role with a rule allowing every verb on every resource in every API group.
pub fn is_full_admin(rules: &[PolicyRule]) -> bool {
    rules.iter().any(|r| {
        let all = |v: &[String]| v.iter().any(|x| x == "*");
        all(&r.verbs) && all(&r.api_groups) && all(&r.resources) && r.resource_names.is_empty()
    })
}

/// Where a binding applies, for titles: one namespace or every AI namespace.
fn scope_title(scope: &[&str], cluster: bool) -> String {
    match scope {
        [one] if !cluster => one.to_string(),
        [one] => format!("every namespace (AI namespace: {one})"),
        many => format!("every AI namespace ({})", many.len()),
    }
}

fn scope_evidence(bound: &BoundRole, scope: &[&str]) -> Option<String> {
    bound.is_cluster().then(|| {
        format!(
            "a ClusterRoleBinding applies in every namespace, including the AI namespaces {}",
            scope.join(", ")
        )
    })
}

fn evidence(bound: &BoundRole, hits: &[Hit], scope: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = hits.iter().map(|h| bound.evidence(h.rule)).collect();
    lines.extend(scope_evidence(bound, scope));
    lines
}

/// Raise one step for a broad group.
pub fn for_subject(severity: Severity, who: Who) -> Severity {
    if who == Who::Broad {
        severity.raised()
    } else {
        severity
    }
}

const WORKLOADS: [(&str, &str); 7] = [
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// The resources whose creation starts pods: pods, the workload controllers, and the AI
/// custom resources of the settings that operators turn into pods.
fn pod_creators(ctx: &Context) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut targets: Vec<(&str, &str, &str)> = vec![("", "pods", "")];
    targets.extend(WORKLOADS.iter().map(|(g, r)| (*g, *r, "")));
    for name in &ctx.view.settings.ai.custom_kinds {
        if let Some(kind) = Kind::from_name(name) {
            let api = kind.api();
            targets.push((api.group, api.plural, ""));
        }
    }
    targets
}

pub fn evaluate(ctx: &Context, out: &mut Vec<Finding>) {
    let creators = pod_creators(ctx);
    let templates: Vec<(&str, &str, &str)> = WORKLOADS
        .iter()
        .map(|(g, r)| (*g, *r, ""))
        .chain(creators.iter().copied().skip(1 + WORKLOADS.len()))
        .collect();
    for bound in &ctx.bindings {
        // A role that allows everything is reported once, by RBAC-004 and RBAC-007.
        if bound.rules.is_empty() || is_full_admin(bound.rules) {
            continue;
        }
        let scope = ctx.ai_scope(bound);
        if scope.is_empty() {
            continue;
        }
        let rules = bound.rules;
        let secrets = hits(rules, SECRETS_READ_GRANT.verbs, SECRETS_READ_GRANT.targets);
        let exec = hits(rules, POD_EXEC_GRANT.verbs, POD_EXEC_GRANT.targets);
        let mut create = hits(rules, &["create"], &creators);
        for hit in hits(rules, &["update", "patch"], &templates) {
            match create.iter_mut().find(|h| std::ptr::eq(h.rule, hit.rule)) {
                Some(existing) => existing.verbs.extend(hit.verbs),
                None => create.push(hit),
            }
        }
        let config = config_writes(ctx, bound, &scope);
        for subject in bound.live_subjects() {
            let who = classify(subject, ctx.view.settings);
            let label = subject_label(subject);
            let place = scope_title(&scope, bound.is_cluster());
            if !secrets.is_empty() {
                let title = format!("{label} can read Secrets in {place}");
                let severity = for_subject(Severity::High, who);
                let ev = evidence(bound, &secrets, &scope);
                out.push(ctx.finding(&info::SECRETS_READ, bound, subject, severity, title, ev));
            }
            if !exec.is_empty() {
                let title =
                    format!("{label} can exec, attach or port-forward into pods in {place}");
                let creates = exec.iter().any(|h| h.verbs.contains(&"create"));
                let base = if creates {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let ev = evidence(bound, &exec, &scope);
                let severity = for_subject(base, who);
                out.push(ctx.finding(&info::POD_EXEC, bound, subject, severity, title, ev));
            }
            if !create.is_empty() {
                out.push(pod_create_finding(
                    ctx, bound, subject, who, &create, &scope,
                ));
            }
            if let Some((hits, lines)) = &config {
                let title = format!("{label} can modify ConfigMaps AI workloads use in {place}");
                let mut ev = evidence(bound, hits, &scope);
                ev.extend(lines.iter().cloned());
                let severity = for_subject(Severity::Medium, who);
                out.push(ctx.finding(&info::CONFIG_WRITE, bound, subject, severity, title, ev));
            }
        }
    }
}

fn pod_create_finding(
    ctx: &Context,
    bound: &BoundRole,
    subject: &Subject,
    who: Who,
    hits: &[Hit],
    scope: &[&str],
) -> Finding {
    let label = subject_label(subject);
    let place = scope_title(scope, bound.is_cluster());
    let title = format!("{label} can create pods or pod-creating workloads in {place}");
    let with_data: Vec<&str> = scope
        .iter()
        .copied()
        .filter(|ns| ctx.data_namespaces.contains(ns))
        .collect();
    let mut ev = evidence(bound, hits, scope);
    let base = if with_data.is_empty() {
        Severity::Medium
    } else {
        ev.push(format!(
            "AI workloads mount PersistentVolumeClaims in {}: a new pod can mount them too",
            with_data.join(", ")
        ));
        Severity::High
    };
    let severity = for_subject(base, who);
    ctx.finding(&info::POD_CREATE, bound, subject, severity, title, ev)
}

/// At most this many ConfigMaps are named in one finding's evidence.
const MAX_LISTED: usize = 10;

/// Whether some rule may update, patch, delete or create ConfigMaps (whatever their names):
/// only then does RBAC-010 read which ConfigMaps AI workloads use.
pub(crate) fn writes_config_maps(rules: &[PolicyRule]) -> bool {
    rules.iter().any(|r| {
        ["update", "patch", "delete", "create"]
            .iter()
            .any(|v| verb_matches(r, v))
            && api_group_matches(r, "")
            && resource_matches(r, "configmaps", "")
    })
}

/// The rules that let a binding modify the ConfigMaps AI workloads use in `scope`, and one
/// evidence line per ConfigMap with the verbs. `None` when it can modify none of them.
fn config_writes<'r>(
    ctx: &Context,
    bound: &BoundRole<'r>,
    scope: &[&str],
) -> Option<(Vec<Hit<'r>>, Vec<String>)> {
    // Most roles write no ConfigMaps at all: then skip a request per ConfigMap and verb.
    if !writes_config_maps(bound.rules) {
        return None;
    }
    let view = ctx.view;
    let mut used: Vec<Hit<'r>> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut total = 0usize;
    for ns in scope {
        let Some(maps) = ctx.config_maps.get(ns) else {
            continue;
        };
        for (name, users) in maps {
            let exists = ctx.existing_config_maps.contains(&(*ns, *name));
            let known = view.known(Kind::ConfigMap, ns);
            let may_be_missing = !exists || !known;
            let mut verbs: Vec<&'static str> = Vec::new();
            for verb in ["update", "patch", "delete", "create"] {
                let request = if verb == "create" {
                    if !may_be_missing {
                        continue;
                    }
                    Request::resource(verb, "", "configmaps", ns, "")
                } else {
                    Request::resource(verb, "", "configmaps", ns, name)
                };
                for rule in bound.rules.iter().filter(|r| rule_allows(r, &request)) {
                    if !verbs.contains(&verb) {
                        verbs.push(verb);
                    }
                    match used.iter_mut().find(|h| std::ptr::eq(h.rule, rule)) {
                        Some(hit) if !hit.verbs.contains(&verb) => hit.verbs.push(verb),
                        Some(_) => {}
                        None => used.push(Hit {
                            rule,
                            verbs: vec![verb],
                        }),
                    }
                }
            }
            if verbs.is_empty() {
                continue;
            }
            total += 1;
            if lines.len() < MAX_LISTED {
                let users: Vec<&str> = users.iter().map(String::as_str).collect();
                let missing = match (exists, known) {
                    (true, _) => "",
                    (false, true) => " (missing: whoever creates it sets it)",
                    (false, false) => " (ConfigMaps could not be read here)",
                };
                lines.push(format!(
                    "ConfigMap {ns}/{name}{missing}, used by {}: {}",
                    users.join(", "),
                    verbs.join(", ")
                ));
            }
        }
    }
    if total > MAX_LISTED {
        lines.push(format!("… and {} more ConfigMaps", total - MAX_LISTED));
    }
    (!used.is_empty()).then_some((used, lines))
}
