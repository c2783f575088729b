//! Namespace isolation: the Pod Security `enforce` label (NS-003) and a default-deny
//! NetworkPolicy (NS-004).

use super::change::{PatchType, PlannedChange, Target, metadata};
use super::{MANAGED_BY, Proposal, Remediation};
use aigov_core::model::{Kind, Meta};
use aigov_core::rules::Finding;
use aigov_core::rules::view::View;
use serde::Serialize;
use serde_json::{Value, json};

pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
/// The name of the NetworkPolicy aigov creates.
pub const DEFAULT_DENY: &str = "aigov-default-deny";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    Baseline,
    Restricted,
}

impl PodSecurityLevel {
    pub fn name(self) -> &'static str {
        match self {
            PodSecurityLevel::Baseline => "baseline",
            PodSecurityLevel::Restricted => "restricted",
        }
    }
}

/// The level to enforce: `baseline`, unless the finding's evidence asks for `restricted` or
/// the namespace already warns or audits at `restricted` (its owners aim for it).
fn level_for(finding: &Finding, meta: &Meta) -> PodSecurityLevel {
    let asks = finding
        .evidence
        .iter()
        .any(|e| e.contains("restricted") && !e.starts_with(ENFORCE_LABEL));
    let aims = ["warn", "audit"].iter().any(|mode| {
        meta.labels
            .get(&format!("pod-security.kubernetes.io/{mode}"))
            .is_some_and(|v| v == "restricted")
    });
    if asks || aims {
        PodSecurityLevel::Restricted
    } else {
        PodSecurityLevel::Baseline
    }
}

/// NS-003: label the namespace. A merge patch of one label; the inverse puts the previous
/// value back (or removes the label with `null` when there was none).
pub(super) fn pod_security(
    finding: &Finding,
    view: &View<'_>,
    level: Option<PodSecurityLevel>,
) -> Proposal {
    let name = &finding.object.name;
    let Some(ns) = view
        .snapshot
        .namespaces
        .iter()
        .find(|n| &n.meta.name == name)
    else {
        return Proposal::NotApplicable(format!("namespace {name} is gone"));
    };
    let level = level.unwrap_or_else(|| level_for(finding, &ns.meta));
    let previous = ns.meta.labels.get(ENFORCE_LABEL).cloned();
    if previous.as_deref() == Some(level.name()) {
        return Proposal::NotApplicable(format!(
            "namespace {name} already enforces {}",
            level.name()
        ));
    }
    let label = |value: Value| json!({"metadata": {"labels": {ENFORCE_LABEL: value}}});
    let target = Target::of(Kind::Namespace, "", name);
    let description = format!("patch {target}: label {ENFORCE_LABEL}={}", level.name());
    let change = PlannedChange::patch(
        target,
        &ns.meta,
        PatchType::Merge,
        label(json!(level.name())),
        label(previous.clone().map_or(Value::Null, Value::String)),
        description.clone(),
    );
    Proposal::Change {
        remediation: Remediation::EnforcePodSecurity {
            namespace: name.clone(),
            level,
            previous,
        },
        summary: format!(
            "{description} (review the dry-run warnings: existing pods that violate it keep running, new ones are refused)"
        ),
        changes: vec![change],
    }
}

/// The default-deny NetworkPolicy aigov creates in `namespace`.
pub fn default_deny_policy(namespace: &str) -> Value {
    let meta = Meta {
        name: DEFAULT_DENY.into(),
        namespace: namespace.into(),
        labels: [(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())].into(),
        ..Meta::default()
    };
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(&meta),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    })
}

/// NS-004: create a default-deny policy in the namespace (the finding's namespace, or the
/// namespace itself for a namespace finding). It selects every pod, so it also covers the
/// AI workloads no other policy selects. Its inverse deletes it.
pub(super) fn default_deny(finding: &Finding, view: &View<'_>) -> Proposal {
    let o = &finding.object;
    let namespace = if o.kind == "Namespace" {
        &o.name
    } else {
        &o.namespace
    };
    if !view
        .snapshot
        .namespaces
        .iter()
        .any(|n| &n.meta.name == namespace)
    {
        return Proposal::NotApplicable(format!("namespace {namespace} is gone"));
    }
    if view
        .snapshot
        .network_policies
        .iter()
        .any(|p| &p.meta.namespace == namespace && p.meta.name == DEFAULT_DENY)
    {
        return Proposal::Guidance(format!(
            "NetworkPolicy {namespace}/{DEFAULT_DENY} exists already; check why it does not select these pods"
        ));
    }
    let target = Target::of(Kind::NetworkPolicy, namespace, DEFAULT_DENY);
    let description = format!("create {target}: deny all ingress and egress of every pod");
    let change = PlannedChange::create(target, default_deny_policy(namespace), description.clone());
    Proposal::Change {
        remediation: Remediation::DefaultDenyNetworkPolicy {
            namespace: namespace.clone(),
            name: DEFAULT_DENY.into(),
        },
        summary: format!(
            "{description}; then allow what the workloads need (egress to DNS included), or they lose their connections"
        ),
        changes: vec![change],
    }
}
