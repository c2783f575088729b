//! The rule matchers, one for one with Kubernetes' `rbac/v1` helpers and `RuleAllows`.

use super::{Request, UserInfo};
use crate::model::rbac::{PolicyRule, Subject, SubjectKind};

const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

/// `VerbMatches`: `*` or the exact verb.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

/// `APIGroupMatches`: `*` or the exact group; the core group is `""`.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// `ResourceMatches`: `*` matches everything (subresources included), `res/sub` matches
/// exactly, and `*/sub` matches that subresource of any resource. `pods/*` is not a
/// wildcard: it only matches a request for the literal subresource `*`.
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        if r == "*" {
            return true;
        }
        let exact = if subresource.is_empty() {
            r == resource
        } else {
            r.len() == resource.len() + 1 + subresource.len()
                && r.starts_with(resource)
                && r[resource.len()..].starts_with('/')
                && r.ends_with(subresource)
        };
        exact || (!subresource.is_empty() && r.strip_prefix("*/") == Some(subresource))
    })
}

/// `ResourceNameMatches`: no names means any name; otherwise the requested name must be
/// listed, so a request without a name (list, watch, create, deletecollection) does not match.
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// `NonResourceURLMatches`: `*`, the exact path, or a prefix when the rule ends in `*`
/// (all trailing stars are trimmed, as Go's `strings.TrimRight` does).
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == "*" || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// `RuleAllows`: whether one rule covers the request.
pub fn rule_allows(rule: &PolicyRule, request: &Request) -> bool {
    match request {
        Request::Resource {
            verb,
            group,
            resource,
            subresource,
            name,
            ..
        } => {
            verb_matches(rule, verb)
                && api_group_matches(rule, group)
                && resource_matches(rule, resource, subresource)
                && resource_name_matches(rule, name)
        }
        Request::NonResource { verb, path } => {
            verb_matches(rule, verb) && non_resource_url_matches(rule, path)
        }
    }
}

/// `appliesToUser` for a subject whose ServiceAccount namespace was already defaulted:
/// a ServiceAccount with no namespace matches nobody.
pub fn subject_matches(subject: &Subject, user: &UserInfo) -> bool {
    match subject.kind {
        SubjectKind::User => subject.name == user.username,
        SubjectKind::Group => user.groups.contains(&subject.name),
        SubjectKind::ServiceAccount => {
            !subject.namespace.is_empty()
                && service_account_matches(&subject.namespace, &subject.name, &user.username)
        }
    }
}

/// `serviceaccount.MatchesUsername`.
fn service_account_matches(namespace: &str, name: &str, username: &str) -> bool {
    username
        .strip_prefix(SERVICE_ACCOUNT_PREFIX)
        .and_then(|rest| rest.strip_prefix(namespace))
        .and_then(|rest| rest.strip_prefix(':'))
        == Some(name)
}

/// Every ServiceAccount subject a user name can match. `MatchesUsername` compares
/// prefixes, so `system:serviceaccount:a:b:c` matches both `a`/`b:c` and `a:b`/`c`;
/// each split at a colon with a non-empty namespace is a candidate.
pub fn service_account_candidates(username: &str) -> Vec<Subject> {
    let Some(rest) = username.strip_prefix(SERVICE_ACCOUNT_PREFIX) else {
        return Vec::new();
    };
    rest.match_indices(':')
        .filter(|(i, _)| *i > 0)
        .map(|(i, _)| Subject::service_account(&rest[..i], &rest[i + 1..]))
        .collect()
}

/// The subjects through which bindings can reach this user, in a fixed order.
pub fn user_subjects(user: &UserInfo) -> Vec<Subject> {
    let mut out = Vec::with_capacity(1 + user.groups.len());
    out.push(Subject::user(&user.username));
    out.extend(user.groups.iter().map(Subject::group));
    out.extend(service_account_candidates(&user.username));
    out
}
