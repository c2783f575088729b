//! Narrow a Role: drop the resources that make a grant risky (Secrets for RBAC-001, the
//! exec/attach/port-forward subresources for RBAC-002, service account tokens for RBAC-006)
//! from the rules that name them, and say exactly what goes.
//!
//! Only a namespaced Role bound by this one binding to this one subject is narrowed: a
//! ClusterRole or a shared Role would change other subjects' access too (removing the subject
//! is the fix then). A grant through a wildcard (`*` or `*/exec`) cannot be narrowed without
//! deciding what the role is for, so it is not narrowed either.

use super::change::{PatchType, PlannedChange, Target};
use super::{Proposal, Remediation};
use aigov_core::model::Kind;
use aigov_core::model::rbac::{Binding, PolicyRule, RoleRefKind, Subject};
use aigov_core::rules::Finding;
use aigov_core::rules::permissions::{Grant, describe_rule, narrowable_grant};
use aigov_core::rules::rbac::{api_group_matches, resource_matches, verb_matches};
use aigov_core::rules::view::View;
use serde_json::{Map, Value, json};

fn grants(rule: &PolicyRule, grant: Grant) -> bool {
    grant.verbs.iter().any(|v| verb_matches(rule, v))
        && grant
            .targets
            .iter()
            .any(|(g, r, s)| api_group_matches(rule, g) && resource_matches(rule, r, s))
}

/// A policy rule as the API holds it: empty lists are left out.
pub(super) fn rule_json(rule: &PolicyRule) -> Value {
    let mut m = Map::new();
    m.insert("verbs".into(), json!(rule.verbs));
    for (key, list) in [
        ("apiGroups", &rule.api_groups),
        ("resources", &rule.resources),
        ("resourceNames", &rule.resource_names),
        ("nonResourceURLs", &rule.non_resource_urls),
    ] {
        if !list.is_empty() {
            m.insert(key.into(), json!(list));
        }
    }
    Value::Object(m)
}

/// `None` when this is not a case for narrowing (the caller removes the subject instead).
pub(super) fn narrow(
    finding: &Finding,
    binding: &Binding,
    subject: &Subject,
    view: &View<'_>,
) -> Option<Proposal> {
    let grant = narrowable_grant(finding.rule)?;
    if binding.is_cluster_binding()
        || binding.role_ref.kind != RoleRefKind::Role
        || binding.subjects.len() != 1
        || binding.subjects[0] != *subject
    {
        return None;
    }
    let namespace = binding.meta.namespace.as_str();
    let role_name = binding.role_ref.name.as_str();
    let shared = view.snapshot.bindings.iter().any(|b| {
        b.meta.namespace == namespace
            && b.role_ref.kind == RoleRefKind::Role
            && b.role_ref.name == role_name
            && b.meta.name != binding.meta.name
    });
    if shared {
        return None;
    }
    let role = view
        .snapshot
        .roles
        .iter()
        .find(|r| r.meta.namespace == namespace && r.meta.name == role_name)?;
    let risky_names: Vec<String> = grant
        .targets
        .iter()
        .map(|(_, r, s)| {
            if s.is_empty() {
                r.to_string()
            } else {
                format!("{r}/{s}")
            }
        })
        .collect();
    // (index, old, new or None when the rule goes, what was removed)
    let mut edits: Vec<(usize, &PolicyRule, Option<PolicyRule>, String)> = Vec::new();
    for (i, rule) in role.rules.iter().enumerate() {
        if !grants(rule, grant) {
            continue;
        }
        let mut narrowed = rule.clone();
        narrowed.resources.retain(|r| !risky_names.contains(r));
        if grants(&narrowed, grant) {
            // Still granted through a wildcard: not a mechanical change.
            return None;
        }
        let removed: Vec<&str> = rule
            .resources
            .iter()
            .filter(|r| risky_names.contains(r))
            .map(String::as_str)
            .collect();
        let text = format!(
            "rule {i} ({}): removed resources [{}]{}",
            describe_rule(rule),
            removed.join(", "),
            if narrowed.resources.is_empty() {
                "; the rule is left with no resource and is removed"
            } else {
                ""
            }
        );
        let new = (!narrowed.resources.is_empty()).then_some(narrowed);
        edits.push((i, rule, new, text));
    }
    if edits.is_empty() {
        return None;
    }
    let mut forward = Vec::new();
    for (i, old, new, _) in edits.iter().rev() {
        let at = format!("/rules/{i}");
        forward.push(json!({"op": "test", "path": at, "value": rule_json(old)}));
        forward.push(match new {
            Some(new) => json!({"op": "replace", "path": at, "value": rule_json(new)}),
            None => json!({"op": "remove", "path": at}),
        });
    }
    // Ascending: each earlier rule is back in place before the next index is used.
    let mut backward = Vec::new();
    for (i, old, new, _) in &edits {
        let at = format!("/rules/{i}");
        match new {
            Some(new) => {
                backward.push(json!({"op": "test", "path": at, "value": rule_json(new)}));
                backward.push(json!({"op": "replace", "path": at, "value": rule_json(old)}));
            }
            None => backward.push(json!({"op": "add", "path": at, "value": rule_json(old)})),
        }
    }
    let removed: Vec<String> = edits.into_iter().map(|(_, _, _, text)| text).collect();
    let target = Target::of(Kind::Role, namespace, role_name);
    let description = format!("patch {target}: remove {}", risky_names.join(", "));
    let change = PlannedChange::patch(
        target,
        &role.meta,
        PatchType::Json,
        Value::Array(forward),
        Value::Array(backward),
        description.clone(),
    );
    Some(Proposal::Change {
        remediation: Remediation::NarrowRole {
            role: format!("{namespace}/{role_name}"),
            removed,
        },
        summary: format!(
            "{description} (bound only to {subject} by {})",
            binding.meta.name
        ),
        changes: vec![change],
    })
}
