//! Remediation: a finding and the snapshot it came from become a typed proposal and the
//! concrete changes against the live objects (pure: the planners do no I/O); `review` dry-runs
//! a change and diffs it (`diff`), and `apply` sends it, recorded in the audit trail.
//!
//! `propose` returns `Proposal::Change` exactly when the finding is `remediable`: the rules
//! and the planners share the conditions (template mutability, a digest to pin, a subject
//! Kubernetes needs), and a test checks it over every finding of the demo platform.
//! The changes of one proposal are applied in order; a rollback applies their inverses in
//! reverse order. See `docs/remediation.md`.

mod admission;
pub mod apply;
pub mod change;
mod config;
pub mod diff;
mod images;
mod namespaces;
pub mod plan;
mod rbac;
pub mod review;
mod roles;
mod workloads;

#[cfg(test)]
mod tests;

pub use change::{Operation, PatchType, PlannedChange, Target};
pub use config::{accept_baseline, accept_into, restore_config_map};
pub use namespaces::PodSecurityLevel;

use aigov_core::model::rbac::Subject;
use aigov_core::rules::{Finding, Planner, Remedy, View};
use serde::Serialize;

/// The label aigov puts on the objects it creates.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "aigov");

/// What kind of fix a proposal makes, with the facts a reviewer needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Remediation {
    /// Pin a container image to a digest in a workload's pod template (or a bare pod).
    PinImage {
        container: String,
        from: String,
        to: String,
        /// `running pods` or `registry`.
        source: String,
    },
    /// Remove a subject from bindings; a binding left with no subject is deleted.
    RemoveSubject {
        subject: Subject,
        /// `RoleBinding ml/x`, ...
        bindings: Vec<String>,
        /// Those of `bindings` that are deleted rather than patched.
        deleted: Vec<String>,
    },
    /// A ClusterRoleBinding replaced, for one subject, by RoleBindings in the namespaces the
    /// subject works in.
    ReplaceClusterRoleBinding {
        binding: String,
        subject: Subject,
        namespaces: Vec<String>,
    },
    /// Drop risky verbs or resources from a Role; `removed` says exactly what goes.
    NarrowRole { role: String, removed: Vec<String> },
    /// `automountServiceAccountToken: false` on a ServiceAccount and/or pod templates.
    DisableAutomount { objects: Vec<String> },
    /// `pod-security.kubernetes.io/enforce` on a namespace.
    EnforcePodSecurity {
        namespace: String,
        level: PodSecurityLevel,
        previous: Option<String>,
    },
    /// A default-deny NetworkPolicy (ingress and egress) in a namespace.
    DefaultDenyNetworkPolicy { namespace: String, name: String },
    /// `readOnly: true` on the mounts of a model or dataset volume.
    ReadOnlyMounts {
        volume: String,
        containers: Vec<String>,
    },
    /// A ValidatingAdmissionPolicy and binding requiring digest-pinned images.
    RequireImageDigests { namespaces: Vec<String> },
    /// Record the drifted object's current state as approved: a local action, no cluster change.
    AcceptBaseline { object: String },
    /// Put a ConfigMap's data back to the baseline's content.
    RestoreConfigMap {
        config_map: String,
        keys: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "proposal", rename_all = "snake_case")]
pub enum Proposal {
    /// A change aigov can stage: the typed remediation, a one-line summary and the requests,
    /// in the order they are applied (empty for a local action such as accepting a baseline).
    Change {
        remediation: Remediation,
        summary: String,
        changes: Vec<PlannedChange>,
    },
    /// No automatic change: what a person should do.
    Guidance(String),
    /// The finding no longer applies to the snapshot (the object is gone, or already fixed).
    NotApplicable(String),
}

impl Proposal {
    pub fn is_change(&self) -> bool {
        matches!(self, Proposal::Change { .. })
    }

    pub fn changes(&self) -> &[PlannedChange] {
        match self {
            Proposal::Change { changes, .. } => changes,
            _ => &[],
        }
    }
}

/// A proposal for `finding`, judged on `view`: the view its evaluation was built on, with the
/// user's settings, so the planner sees the same facts (AI namespaces, subjects) the user was
/// shown. The rule's declared remedy picks the planner.
pub fn propose(finding: &Finding, view: &View<'_>) -> Proposal {
    if finding.incomplete {
        return Proposal::Guidance(
            "aigov could not read everything this rule needs; fix the access and re-run before changing anything".into(),
        );
    }
    let proposal = match finding.rule.remedy {
        Remedy::Plan(planner) => plan(planner, finding, view),
        Remedy::Drift => config::drift_guidance(finding),
        Remedy::Guidance => Proposal::Guidance(finding.rule.fix.to_string()),
    };
    with_key(proposal, &finding.key())
}

/// What staging `finding` means: its proposal, except that a drifted ConfigMap (CFG-003) is
/// restored from `baseline` when the baseline keeps its content. Staging is an explicit act,
/// reviewed before anything is sent; accepting the drift instead is [`accept_into`].
pub fn propose_to_stage(
    finding: &Finding,
    view: &View<'_>,
    baseline: Option<&aigov_core::rules::config::Baseline>,
) -> Proposal {
    match baseline {
        Some(baseline) if config::restorable(finding) => with_key(
            restore_config_map(finding, view.snapshot, baseline),
            &finding.key(),
        ),
        _ => propose(finding, view),
    }
}

/// The planner a rule declares, run: one arm per planner, so a new one cannot go unplanned.
fn plan(planner: Planner, finding: &Finding, view: &View<'_>) -> Proposal {
    match planner {
        Planner::PodSecurityLabel => namespaces::pod_security(finding, view, None),
        Planner::DefaultDenyPolicy => namespaces::default_deny(finding, view),
        Planner::BindingSubject => rbac::binding_subject(finding, view),
        Planner::DefaultAccount => rbac::default_account(finding, view),
        Planner::ReadOnlyMounts => workloads::read_only_mounts(finding, view),
        Planner::PinDigest => images::pin(finding, view),
        Planner::RequireDigests => admission::require_digests(finding, view),
    }
}

fn with_key(proposal: Proposal, key: &str) -> Proposal {
    match proposal {
        Proposal::Change {
            remediation,
            summary,
            mut changes,
        } => {
            for change in &mut changes {
                change.finding_key = key.to_string();
            }
            Proposal::Change {
                remediation,
                summary,
                changes,
            }
        }
        other => other,
    }
}
