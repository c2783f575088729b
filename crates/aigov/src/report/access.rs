//! Output of `who-can` (table or JSON) and `can-i` (yes/no, with the granting bindings on
//! `-v`). Every string from the cluster is sanitised here, once.

use aigov_core::model::rbac::{PolicyRule, RoleRefKind, Subject, SubjectKind};
use aigov_core::rules::RulesConfig;
use aigov_core::rules::permissions::{Who, classify, describe_rule};
use aigov_core::rules::rbac::{Decision, Grant, Request, UserInfo};
use aigov_core::sanitize::sanitize;
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u32 = 1;

fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

fn clean_all(items: &[String]) -> Vec<String> {
    items.iter().map(|s| clean(s)).collect()
}

#[derive(Debug, Serialize)]
pub struct WhoCan {
    pub schema_version: u32,
    pub request: RequestOut,
    /// How the arguments were read (an assumed API group, an ignored namespace).
    pub notes: Vec<String>,
    /// RBAC kinds that could not be read: the list may miss subjects.
    pub incomplete: Vec<String>,
    pub subjects: Vec<SubjectOut>,
}

#[derive(Debug, Serialize)]
pub struct RequestOut {
    pub verb: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_resource_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SubjectOut {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'static str,
    pub name: String,
    /// The service account's namespace; empty otherwise.
    pub namespace: String,
    /// `broad` (everyone or every workload), `system` (Kubernetes' own), or empty.
    pub class: &'static str,
    pub grants: Vec<GrantOut>,
}

#[derive(Debug, Serialize)]
pub struct GrantOut {
    pub binding_kind: &'static str,
    /// Empty for a ClusterRoleBinding.
    pub binding_namespace: String,
    pub binding_name: String,
    pub role_kind: &'static str,
    pub role_name: String,
    pub rule: RuleOut,
}

#[derive(Debug, Serialize)]
pub struct RuleOut {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

fn rule_out(rule: &PolicyRule) -> RuleOut {
    RuleOut {
        verbs: clean_all(&rule.verbs),
        api_groups: clean_all(&rule.api_groups),
        resources: clean_all(&rule.resources),
        resource_names: clean_all(&rule.resource_names),
        non_resource_urls: clean_all(&rule.non_resource_urls),
    }
}

fn role_kind(kind: RoleRefKind) -> &'static str {
    match kind {
        RoleRefKind::Role => "Role",
        RoleRefKind::ClusterRole => "ClusterRole",
    }
}

fn subject_kind(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::User => "User",
        SubjectKind::Group => "Group",
        SubjectKind::ServiceAccount => "ServiceAccount",
    }
}

/// `broad`, `system` or empty, by the same reading as the RBAC rules.
fn class(subject: &Subject, settings: &RulesConfig) -> &'static str {
    match classify(subject, settings) {
        Who::Broad => "broad",
        Who::System => "system",
        Who::Group | Who::ServiceAccount | Who::User => "",
    }
}

fn request_out(request: &Request) -> RequestOut {
    let some = |s: &str| Some(clean(s));
    let non_empty = |s: &str| (!s.is_empty()).then(|| clean(s));
    match request {
        Request::Resource {
            verb,
            group,
            resource,
            subresource,
            namespace,
            name,
        } => RequestOut {
            verb: clean(verb),
            group: some(group),
            resource: some(resource),
            subresource: non_empty(subresource),
            namespace: some(namespace),
            name: non_empty(name),
            non_resource_url: None,
        },
        Request::NonResource { verb, path } => RequestOut {
            verb: clean(verb),
            group: None,
            resource: None,
            subresource: None,
            namespace: None,
            name: None,
            non_resource_url: some(path),
        },
    }
}

/// The answer of who-can: subjects in a stable order (kind, namespace, name), each with
/// every binding, role and rule that grants the request.
pub fn who_can(
    request: &Request,
    grants: &[Grant],
    settings: &RulesConfig,
    notes: &[String],
    incomplete: &[String],
) -> WhoCan {
    let mut by_subject: BTreeMap<(SubjectKind, &str, &str), (&Subject, Vec<&Grant>)> =
        BTreeMap::new();
    for grant in grants {
        let s = &grant.subject;
        by_subject
            .entry((s.kind, s.namespace.as_str(), s.name.as_str()))
            .or_insert_with(|| (s, Vec::new()))
            .1
            .push(grant);
    }
    let subjects = by_subject
        .into_values()
        .map(|(subject, grants)| SubjectOut {
            kind: subject_kind(subject.kind),
            name: clean(&subject.name),
            namespace: clean(&subject.namespace),
            class: class(subject, settings),
            grants: grants
                .into_iter()
                .map(|g| GrantOut {
                    binding_kind: g.binding_kind,
                    binding_namespace: clean(&g.binding_namespace),
                    binding_name: clean(&g.binding_name),
                    role_kind: role_kind(g.role_kind),
                    role_name: clean(&g.role_name),
                    rule: rule_out(&g.rule),
                })
                .collect(),
        })
        .collect();
    WhoCan {
        schema_version: SCHEMA_VERSION,
        request: request_out(request),
        notes: clean_all(notes),
        incomplete: clean_all(incomplete),
        subjects,
    }
}

/// `create pods/exec in namespace ml (API group "")`, already sanitised.
pub fn describe_request(request: &Request) -> String {
    describe_request_out(&request_out(request))
}

fn subject_label(kind: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {namespace}/{name}")
    }
}

fn binding_label(g: &GrantOut) -> String {
    subject_label(g.binding_kind, &g.binding_namespace, &g.binding_name)
}

fn rule_label(rule: &RuleOut) -> String {
    describe_rule(&PolicyRule {
        verbs: rule.verbs.clone(),
        api_groups: rule.api_groups.clone(),
        resources: rule.resources.clone(),
        resource_names: rule.resource_names.clone(),
        non_resource_urls: rule.non_resource_urls.clone(),
    })
}

/// A table: one row per subject, binding and rule.
pub fn who_can_table(answer: &WhoCan) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    for s in &answer.subjects {
        let mut subject = subject_label(s.kind, &s.namespace, &s.name);
        if !s.class.is_empty() {
            subject.push_str(&format!(" ({})", s.class));
        }
        for g in &s.grants {
            rows.push([
                subject.clone(),
                binding_label(g),
                format!("{} {}", g.role_kind, g.role_name),
                rule_label(&g.rule),
            ]);
        }
    }
    let what = describe_request_out(&answer.request);
    if rows.is_empty() {
        return format!("nobody is granted {what} by a RoleBinding or ClusterRoleBinding\n");
    }
    let header = ["SUBJECT", "BINDING", "ROLE", "RULE"].map(String::from);
    let mut widths = [0usize; 3];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = format!("{} subject(s) can {what}:\n", answer.subjects.len());
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(w - cell.chars().count() + 2));
        }
        line.push_str(&row[3]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn describe_request_out(r: &RequestOut) -> String {
    if let Some(url) = &r.non_resource_url {
        return format!("{} {url}", r.verb);
    }
    let mut text = format!("{} {}", r.verb, r.resource.as_deref().unwrap_or_default());
    if let Some(sub) = &r.subresource {
        text.push_str(&format!("/{sub}"));
    }
    if let Some(name) = &r.name {
        text.push_str(&format!(" named {name}"));
    }
    match r.namespace.as_deref() {
        None | Some("") => text.push_str(" cluster-wide"),
        Some(ns) => text.push_str(&format!(" in namespace {ns}")),
    }
    text.push_str(&format!(
        " (API group {:?})",
        r.group.as_deref().unwrap_or_default()
    ));
    text
}

pub fn to_json(answer: &WhoCan) -> String {
    // Plain data with string keys: serialisation cannot fail.
    serde_json::to_string_pretty(answer).unwrap_or_default()
}

/// `yes` or `no`; with `verbose`, the request as evaluated and every granting binding,
/// role, rule and matching subject.
pub fn can_i_text(
    user: &UserInfo,
    request: &Request,
    decision: &Decision,
    verbose: bool,
) -> String {
    let mut out = String::from(if decision.allowed { "yes\n" } else { "no\n" });
    if !verbose {
        return out;
    }
    let groups: Vec<String> = user.groups.iter().map(|g| clean(g)).collect();
    out.push_str(&format!(
        "request: {} as {} (groups: {})\n",
        describe_request(request),
        clean(&user.username),
        groups.join(", ")
    ));
    if decision.grants.is_empty() {
        let scope = match request.namespace() {
            "" => "no ClusterRoleBinding grants it".to_string(),
            ns => format!(
                "no ClusterRoleBinding, nor RoleBinding in namespace {}, grants it",
                clean(ns)
            ),
        };
        out.push_str(&scope);
        out.push('\n');
        return out;
    }
    out.push_str("granted by:\n");
    for g in &decision.grants {
        let s = &g.subject;
        let subject = subject_label(subject_kind(s.kind), &clean(&s.namespace), &clean(&s.name));
        let binding = subject_label(
            g.binding_kind,
            &clean(&g.binding_namespace),
            &clean(&g.binding_name),
        );
        out.push_str(&format!(
            "  {binding} → {} {} (as {subject}): {}\n",
            role_kind(g.role_kind),
            clean(&g.role_name),
            rule_label(&rule_out(&g.rule))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::model::rbac::RoleRefKind;

    fn grant(binding_kind: &'static str, ns: &str, name: &str, subject: Subject) -> Grant {
        Grant {
            binding_kind,
            binding_namespace: ns.into(),
            binding_name: name.into(),
            role_kind: RoleRefKind::ClusterRole,
            role_name: "edit".into(),
            rule: PolicyRule {
                verbs: vec!["create".into()],
                api_groups: vec![String::new()],
                resources: vec!["pods/exec".into()],
                ..Default::default()
            },
            subject,
        }
    }

    fn request() -> Request {
        Request::resource("create", "", "pods", "ml", "").with_subresource("exec")
    }

    #[test]
    fn who_can_groups_grants_by_subject_and_sanitises_cluster_text() {
        let grants = [
            grant("RoleBinding", "ml", "b\u{1b}[2J", Subject::group("interns")),
            grant(
                "ClusterRoleBinding",
                "",
                "all",
                Subject::group("system:authenticated"),
            ),
            grant("RoleBinding", "ml", "other", Subject::group("interns")),
            grant(
                "RoleBinding",
                "ml",
                "sa",
                Subject::service_account("kube-system", "ctl"),
            ),
        ];
        let answer = who_can(&request(), &grants, &RulesConfig::default(), &[], &[]);
        let names: Vec<(&str, &str)> = answer
            .subjects
            .iter()
            .map(|s| (s.name.as_str(), s.class))
            .collect();
        assert_eq!(
            names,
            [
                ("interns", ""),
                ("system:authenticated", "broad"),
                ("ctl", "system")
            ]
        );
        assert_eq!(answer.subjects[0].grants.len(), 2);
        let table = who_can_table(&answer);
        assert!(!table.contains('\u{1b}'), "{table:?}");
        assert!(
            table.starts_with(
                "3 subject(s) can create pods/exec in namespace ml (API group \"\"):\n"
            )
        );
        let broad = table
            .lines()
            .find(|l| l.starts_with("Group system:authenticated (broad) "));
        assert!(
            broad.is_some_and(|l| l.contains(" ClusterRoleBinding all ")),
            "{table}"
        );
        assert!(
            table.contains("RoleBinding ml/b^[[2J"),
            "made visible: {table}"
        );
        let json: serde_json::Value = serde_json::from_str(&to_json(&answer)).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["request"]["subresource"], "exec");
        assert_eq!(json["subjects"][0]["grants"][1]["binding_name"], "other");
        assert!(!to_json(&answer).contains('\u{1b}'));
    }

    #[test]
    fn who_can_says_nobody_when_nothing_grants_it() {
        let answer = who_can(&request(), &[], &RulesConfig::default(), &[], &[]);
        assert_eq!(
            who_can_table(&answer),
            "nobody is granted create pods/exec in namespace ml (API group \"\") by a RoleBinding or ClusterRoleBinding\n"
        );
    }

    #[test]
    fn can_i_prints_yes_or_no_and_the_grants_when_verbose() {
        let user = UserInfo::new("sam", &["interns", "system:authenticated"]);
        let yes = Decision {
            allowed: true,
            grants: vec![grant(
                "RoleBinding",
                "ml",
                "debug",
                Subject::group("interns"),
            )],
        };
        assert_eq!(can_i_text(&user, &request(), &yes, false), "yes\n");
        let verbose = can_i_text(&user, &request(), &yes, true);
        let lines: Vec<&str> = verbose.lines().collect();
        assert_eq!(lines[0], "yes");
        assert_eq!(
            lines[1],
            "request: create pods/exec in namespace ml (API group \"\") as sam (groups: interns, system:authenticated)"
        );
        assert_eq!(
            lines[3],
            "  RoleBinding ml/debug → ClusterRole edit (as Group interns): verbs [create] on [pods/exec] in apiGroups [\"\"]"
        );
        let no = Decision::default();
        assert_eq!(can_i_text(&user, &request(), &no, false), "no\n");
        assert!(
            can_i_text(&user, &request(), &no, true)
                .ends_with("no ClusterRoleBinding, nor RoleBinding in namespace ml, grants it\n")
        );
    }
}
