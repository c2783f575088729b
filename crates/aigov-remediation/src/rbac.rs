//! RBAC fixes: remove a subject from a binding (deleting a binding left with no subject),
//! replace a ClusterRoleBinding of a service account with a RoleBinding in its namespace,
//! and, for RBAC-009, free the `default` service account of bindings and of its token.
//!
//! Which fix a binding finding gets (in this order):
//! 1. a subject Kubernetes itself needs: guidance (the rule reports it at info);
//! 2. a ClusterRoleBinding of a ServiceAccount whose namespace exists (not RBAC-008):
//!    replace it by a RoleBinding in that namespace, the one place its pods run;
//! 3. a Role (namespaced) bound by this binding alone, to this subject alone, whose risky
//!    grant is named explicitly (RBAC-001/002/006): narrow the Role (`roles.rs`);
//! 4. otherwise: remove the subject from the binding.

use super::change::{PatchType, PlannedChange, Target, metadata};
use super::workloads::{meta_of, nest, spec_pointer, target_of};
use super::{MANAGED_BY, Proposal, Remediation};
use aigov_core::model::Kind;
use aigov_core::model::rbac::{Binding, RoleRefKind, Subject, SubjectKind};
use aigov_core::rules::Finding;
use aigov_core::rules::Place;
use aigov_core::rules::permissions::{self, Who, classify};
use aigov_core::rules::view::View;
use serde_json::{Value, json};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

pub(super) fn binding_kind(binding: &Binding) -> Kind {
    if binding.is_cluster_binding() {
        Kind::ClusterRoleBinding
    } else {
        Kind::RoleBinding
    }
}

fn binding_target(binding: &Binding) -> Target {
    Target::of(
        binding_kind(binding),
        &binding.meta.namespace,
        &binding.meta.name,
    )
}

/// The binding a finding names.
pub(super) fn binding_of<'a>(finding: &Finding, view: &View<'a>) -> Option<&'a Binding> {
    let o = &finding.object;
    view.snapshot.bindings.iter().find(|b| {
        b.kind_name() == o.kind && b.meta.namespace == o.namespace && b.meta.name == o.name
    })
}

/// A subject as the API holds it. A ServiceAccount keeps its (normalised) namespace.
pub(super) fn subject_json(subject: &Subject) -> Value {
    match subject.kind {
        SubjectKind::ServiceAccount => json!({
            "kind": "ServiceAccount",
            "name": subject.name,
            "namespace": subject.namespace,
        }),
        SubjectKind::User | SubjectKind::Group => json!({
            "apiGroup": RBAC_GROUP,
            "kind": if subject.kind == SubjectKind::User { "User" } else { "Group" },
            "name": subject.name,
        }),
    }
}

/// The binding as a body to create, from the model: what a re-create can restore.
pub(super) fn binding_json(binding: &Binding) -> Value {
    let role_kind = match binding.role_ref.kind {
        RoleRefKind::Role => "Role",
        RoleRefKind::ClusterRole => "ClusterRole",
    };
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": binding.kind_name(),
        "metadata": metadata(&binding.meta),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": binding.role_ref.name},
        "subjects": binding.subjects.iter().map(subject_json).collect::<Vec<_>>(),
    })
}

/// `test` ops that pin subject `index` to `subject`. A ServiceAccount's namespace is tested
/// only when it differs from the binding's: the live object may leave it out there.
fn subject_tests(binding: &Binding, index: usize, subject: &Subject) -> Vec<Value> {
    let at = format!("/subjects/{index}");
    let kind = match subject.kind {
        SubjectKind::User => "User",
        SubjectKind::Group => "Group",
        SubjectKind::ServiceAccount => "ServiceAccount",
    };
    let mut tests = vec![
        json!({"op": "test", "path": format!("{at}/kind"), "value": kind}),
        json!({"op": "test", "path": format!("{at}/name"), "value": subject.name}),
    ];
    if subject.kind == SubjectKind::ServiceAccount && subject.namespace != binding.meta.namespace {
        tests.push(
            json!({"op": "test", "path": format!("{at}/namespace"), "value": subject.namespace}),
        );
    }
    tests
}

/// The change removing `subject` from `binding`: a JSON patch (`test` then `remove` for each
/// occurrence, last first) whose inverse adds it back at the same places; or, when no other
/// subject remains and no owner would be lost on re-create, a delete whose inverse re-creates
/// the binding from the model. Returns `None` when the binding does not name the subject.
pub(super) fn remove_subject_change(
    binding: &Binding,
    subject: &Subject,
) -> Option<(PlannedChange, bool)> {
    let indexes: Vec<usize> = binding
        .subjects
        .iter()
        .enumerate()
        .filter(|(_, s)| *s == subject)
        .map(|(i, _)| i)
        .collect();
    if indexes.is_empty() {
        return None;
    }
    let target = binding_target(binding);
    if indexes.len() == binding.subjects.len() && binding.meta.owners.is_empty() {
        let description = format!("delete {target}: {subject} is its only subject");
        let change = PlannedChange::delete(
            target,
            &binding.meta,
            binding_json(binding),
            true,
            description,
        );
        return Some((change, true));
    }
    let mut forward = Vec::new();
    for &i in indexes.iter().rev() {
        forward.extend(subject_tests(binding, i, subject));
        forward.push(json!({"op": "remove", "path": format!("/subjects/{i}")}));
    }
    let backward: Vec<Value> = indexes
        .iter()
        .map(|i| json!({"op": "add", "path": format!("/subjects/{i}"), "value": subject_json(subject)}))
        .collect();
    let description = format!("patch {target}: remove subject {subject}");
    let change = PlannedChange::patch(
        target,
        &binding.meta,
        PatchType::Json,
        Value::Array(forward),
        Value::Array(backward),
        description,
    );
    Some((change, false))
}

/// RBAC-001..008 and 010: one subject of one binding.
pub(super) fn binding_subject(finding: &Finding, view: &View<'_>) -> Proposal {
    let Place::Subject(subject) = &finding.object.place else {
        return Proposal::Guidance(finding.rule.fix.to_string());
    };
    let subject = subject.clone();
    let Some(binding) = binding_of(finding, view) else {
        return Proposal::NotApplicable(format!("{} is gone", finding.object));
    };
    if !binding.subjects.contains(&subject) {
        return Proposal::NotApplicable(format!(
            "{} no longer names {subject}",
            binding_target(binding)
        ));
    }
    if classify(&subject, view.settings) == Who::System {
        return Proposal::Guidance(format!(
            "{subject} is an identity Kubernetes itself needs: removing it can break the cluster; review the grant by hand"
        ));
    }
    let missing = *finding.rule == permissions::MISSING_SUBJECT;
    if binding.is_cluster_binding()
        && subject.kind == SubjectKind::ServiceAccount
        && !missing
        && view
            .snapshot
            .namespaces
            .iter()
            .any(|n| n.meta.name == subject.namespace)
    {
        return replace_cluster_binding(binding, &subject, view);
    }
    if let Some(proposal) = super::roles::narrow(finding, binding, &subject, view) {
        return proposal;
    }
    remove_subject(binding, &subject)
}

fn remove_subject(binding: &Binding, subject: &Subject) -> Proposal {
    let Some((change, deleted)) = remove_subject_change(binding, subject) else {
        return Proposal::NotApplicable(format!("the binding no longer names {subject}"));
    };
    let name = binding_target(binding).to_string();
    Proposal::Change {
        remediation: Remediation::RemoveSubject {
            subject: subject.clone(),
            bindings: vec![name.clone()],
            deleted: if deleted { vec![name] } else { vec![] },
        },
        summary: change.description.clone(),
        changes: vec![change],
    }
}

/// The RoleBinding that replaces a ClusterRoleBinding for a service account in its own
/// namespace: the ClusterRoleBinding's name, or `<name>-aigov` when that name is taken there.
fn replacement_name(binding: &Binding, namespace: &str, view: &View<'_>) -> String {
    let taken = |name: &str| {
        view.snapshot
            .bindings
            .iter()
            .any(|b| b.meta.namespace == namespace && b.meta.name == name)
    };
    if taken(&binding.meta.name) {
        format!("{}-aigov", binding.meta.name)
    } else {
        binding.meta.name.clone()
    }
}

/// A service account's pods run only in its own namespace, so that is the namespace where it
/// needs the ClusterRole: a RoleBinding there is created first, then the ClusterRoleBinding
/// loses the subject (or is deleted when it was the only one), so access never lapses.
fn replace_cluster_binding(binding: &Binding, subject: &Subject, view: &View<'_>) -> Proposal {
    let namespace = subject.namespace.as_str();
    let name = replacement_name(binding, namespace, view);
    let mut labels = aigov_core::model::Labels::new();
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    let body = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {"aigov.dev/replaces": format!("ClusterRoleBinding/{}", binding.meta.name)},
        },
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": binding.role_ref.name},
        "subjects": [subject_json(subject)],
    });
    let target = Target::of(Kind::RoleBinding, namespace, &name);
    let create = PlannedChange::create(
        target.clone(),
        body,
        format!(
            "create {target}: ClusterRole {} for {subject} in its namespace only",
            binding.role_ref.name
        ),
    );
    let Some((removal, _)) = remove_subject_change(binding, subject) else {
        return Proposal::NotApplicable(format!("the binding no longer names {subject}"));
    };
    let summary = format!(
        "replace ClusterRoleBinding {} for {subject} by RoleBinding {namespace}/{name} (ClusterRole {})",
        binding.meta.name, binding.role_ref.name
    );
    Proposal::Change {
        remediation: Remediation::ReplaceClusterRoleBinding {
            binding: binding.meta.name.clone(),
            subject: subject.clone(),
            namespaces: vec![namespace.to_string()],
        },
        summary,
        changes: vec![create, removal],
    }
}

/// RBAC-009: `bindings` removes the namespace's `default` service account from every binding
/// naming it; `automount` turns its token off.
pub(super) fn default_account(finding: &Finding, view: &View<'_>) -> Proposal {
    let namespace = finding.object.namespace.as_str();
    let subject = Subject::service_account(namespace, "default");
    match finding.object.place {
        Place::Bindings => {
            let mut changes = Vec::new();
            let (mut bindings, mut deleted) = (Vec::new(), Vec::new());
            for binding in &view.snapshot.bindings {
                if let Some((change, gone)) = remove_subject_change(binding, &subject) {
                    let name = binding_target(binding).to_string();
                    if gone {
                        deleted.push(name.clone());
                    }
                    bindings.push(name);
                    changes.push(change);
                }
            }
            if changes.is_empty() {
                return Proposal::NotApplicable(format!("no binding names {subject} any more"));
            }
            Proposal::Change {
                summary: format!(
                    "remove {subject} from {} binding(s): {}",
                    bindings.len(),
                    bindings.join(", ")
                ),
                remediation: Remediation::RemoveSubject {
                    subject,
                    bindings,
                    deleted,
                },
                changes,
            }
        }
        Place::Automount => disable_automount(finding, view, namespace),
        _ => Proposal::Guidance(finding.rule.fix.to_string()),
    }
}

const AUTOMOUNT: &str = "automountServiceAccountToken";

/// `automountServiceAccountToken: false` on the `default` ServiceAccount, and on the pod
/// templates of the AI workloads that turn it on themselves (a pod's setting wins over the
/// account's) or, when the account is missing, of every AI workload running as `default`.
fn disable_automount(finding: &Finding, view: &View<'_>, namespace: &str) -> Proposal {
    let account = view
        .snapshot
        .service_accounts
        .iter()
        .find(|s| s.meta.namespace == namespace && s.meta.name == "default");
    let mut changes = Vec::new();
    let mut objects = Vec::new();
    if let Some(sa) = account
        && sa.automount_token != Some(false)
    {
        let target = Target::of(Kind::ServiceAccount, namespace, "default");
        let description = format!("patch {target}: {AUTOMOUNT}: false");
        objects.push(target.to_string());
        changes.push(PlannedChange::patch(
            target,
            &sa.meta,
            PatchType::Merge,
            json!({ AUTOMOUNT: false }),
            json!({ AUTOMOUNT: sa.automount_token }),
            description,
        ));
    }
    for unit in view.units_in(namespace) {
        let as_default = matches!(unit.spec.service_account.as_str(), "" | "default");
        let own = unit.spec.automount_token == Some(true)
            || (account.is_none() && unit.spec.automount_token.is_none());
        if !(as_default && unit.is_ai() && own) {
            continue;
        }
        if !unit.spec_patchable() {
            return Proposal::Guidance(format!(
                "{} {}/{} sets {AUTOMOUNT} itself and cannot be patched in place: set it to false where it is created",
                unit.kind, unit.namespace, unit.name
            ));
        }
        let (Some(target), Some(meta)) = (target_of(unit), meta_of(unit, view)) else {
            continue;
        };
        let pointer = spec_pointer(unit);
        let description = format!("patch {target}: {AUTOMOUNT}: false in the pod template");
        objects.push(target.to_string());
        changes.push(PlannedChange::patch(
            target,
            meta,
            PatchType::Merge,
            nest(pointer, json!({ AUTOMOUNT: false })),
            nest(pointer, json!({ AUTOMOUNT: unit.spec.automount_token })),
            description,
        ));
    }
    if changes.is_empty() {
        return Proposal::NotApplicable(format!(
            "the default ServiceAccount's token of {namespace} is no longer automounted ({})",
            finding.object
        ));
    }
    Proposal::Change {
        summary: format!("set {AUTOMOUNT}: false on {}", objects.join(", ")),
        remediation: Remediation::DisableAutomount { objects },
        changes,
    }
}
