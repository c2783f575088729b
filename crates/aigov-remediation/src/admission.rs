//! ADM-001: a ValidatingAdmissionPolicy requiring digest-pinned images, and a `Deny` binding
//! whose namespaceSelector lists every AI namespace (`kubernetes.io/metadata.name In [...]`),
//! both labelled as aigov's. When aigov's policy or binding exists already, only the missing
//! piece is created, or the binding is patched to deny in every AI namespace.

use super::change::{PatchType, PlannedChange, Target};
use super::{MANAGED_BY, Proposal, Remediation};
use aigov_core::model::objects::AdmissionPolicyBinding;
use aigov_core::model::{Kind, LabelSelector};
use aigov_core::rules::Finding;
use aigov_core::rules::admission::AIGOV_POLICY_LABEL;
use aigov_core::rules::view::View;
use serde_json::{Value, json};

/// The name of the policy and of its binding.
pub const POLICY_NAME: &str = "aigov-require-image-digest";
const POLICY_VALUE: &str = "require-image-digest";
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Every image of the object's pod spec (pods, workload templates, CronJob job templates).
const SPEC: &str = "object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)";
pub const DIGEST_EXPRESSION: &str = "variables.spec.containers.all(c, c.image.contains('@sha256:')) && (!has(variables.spec.initContainers) || variables.spec.initContainers.all(c, c.image.contains('@sha256:'))) && (!has(variables.spec.ephemeralContainers) || variables.spec.ephemeralContainers.all(c, c.image.contains('@sha256:')))";

fn labels() -> Value {
    json!({MANAGED_BY.0: MANAGED_BY.1, AIGOV_POLICY_LABEL: POLICY_VALUE})
}

pub fn policy_json() -> Value {
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": POLICY_NAME, "labels": labels()},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [
                {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]},
                {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                 "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"]},
                {"apiGroups": ["batch"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                 "resources": ["jobs", "cronjobs"]},
            ]},
            "variables": [{"name": "spec", "expression": SPEC}],
            "validations": [{
                "expression": DIGEST_EXPRESSION,
                "message": "aigov: every container image must be pinned by digest (@sha256:...)",
            }],
        },
    })
}

fn selector_json(namespaces: &[String]) -> Value {
    json!({"matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": namespaces}]})
}

pub fn binding_json(namespaces: &[String]) -> Value {
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": POLICY_NAME, "labels": labels()},
        "spec": {
            "policyName": POLICY_NAME,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": selector_json(namespaces)},
        },
    })
}

/// A model selector back to JSON, for the inverse of a binding patch: a merge patch, so a
/// part the old selector did not have is `null` (removed), not an empty map or list that the
/// forward patch would otherwise leave behind.
fn selector_from_model(selector: &Option<LabelSelector>) -> Value {
    let Some(s) = selector else {
        return Value::Null;
    };
    let expressions: Vec<Value> = s
        .match_expressions
        .iter()
        .map(|e| {
            let mut m = json!({"key": e.key, "operator": format!("{:?}", e.operator)});
            if !e.values.is_empty() {
                m["values"] = json!(e.values);
            }
            m
        })
        .collect();
    let or_null = |present: bool, value: Value| if present { value } else { Value::Null };
    json!({
        "matchLabels": or_null(!s.match_labels.is_empty(), json!(s.match_labels)),
        "matchExpressions": or_null(!expressions.is_empty(), Value::Array(expressions)),
    })
}

fn patch_binding(binding: &AdmissionPolicyBinding, namespaces: &[String]) -> PlannedChange {
    let target = Target::of(
        Kind::ValidatingAdmissionPolicyBinding,
        "",
        &binding.meta.name,
    );
    // A merge patch merges maps: the old selector's matchLabels would stay and, ANDed with
    // the names, keep AI namespaces out. `null` removes them.
    let mut selector = selector_json(namespaces);
    selector["matchLabels"] = Value::Null;
    // Its policy is aigov's: a binding of this name may point at another one.
    let forward = json!({"spec": {
        "policyName": POLICY_NAME,
        "validationActions": ["Deny"],
        "matchResources": {"namespaceSelector": selector},
    }});
    // A merge patch replaces the selector's lists whole, so the old selector comes back as it was.
    let backward = json!({"spec": {
        "policyName": binding.policy_name,
        "validationActions": binding.validation_actions,
        "matchResources": {"namespaceSelector": selector_from_model(&binding.namespace_selector)},
    }});
    let description = format!(
        "patch {target}: deny undigested images in {}",
        namespaces.join(", ")
    );
    PlannedChange::patch(
        target,
        &binding.meta,
        PatchType::Merge,
        forward,
        backward,
        description,
    )
}

pub(super) fn require_digests(finding: &Finding, view: &View<'_>) -> Proposal {
    let namespaces: Vec<String> = view.ai_namespaces().map(str::to_string).collect();
    if !namespaces.contains(&finding.object.name) {
        return Proposal::NotApplicable(format!(
            "{} is no longer an AI namespace",
            finding.object.name
        ));
    }
    let snapshot = view.snapshot;
    let policy = snapshot
        .admission_policies
        .iter()
        .find(|p| p.meta.name == POLICY_NAME);
    let binding = snapshot
        .admission_bindings
        .iter()
        .find(|b| b.meta.name == POLICY_NAME);
    if policy.is_some_and(|p| !aigov_core::rules::admission::requires_digests(p)) {
        return Proposal::Guidance(format!(
            "ValidatingAdmissionPolicy {POLICY_NAME} exists but does not require digests: review it by hand"
        ));
    }
    let mut changes = Vec::new();
    if policy.is_none() {
        let target = Target::of(Kind::ValidatingAdmissionPolicy, "", POLICY_NAME);
        let description =
            format!("create {target}: every container image must be pinned by digest");
        changes.push(PlannedChange::create(target, policy_json(), description));
    }
    match binding {
        None => {
            let target = Target::of(Kind::ValidatingAdmissionPolicyBinding, "", POLICY_NAME);
            let description = format!(
                "create {target}: deny undigested images in {}",
                namespaces.join(", ")
            );
            changes.push(PlannedChange::create(
                target,
                binding_json(&namespaces),
                description,
            ));
        }
        Some(b) => changes.push(patch_binding(b, &namespaces)),
    }
    Proposal::Change {
        remediation: Remediation::RequireImageDigests {
            namespaces: namespaces.clone(),
        },
        summary: format!(
            "require digest-pinned images in the AI namespaces {} (existing pods keep running; new and updated ones need digests)",
            namespaces.join(", ")
        ),
        changes,
    }
}
