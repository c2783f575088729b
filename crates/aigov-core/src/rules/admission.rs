//! Admission rules: AI namespaces that no ValidatingAdmissionPolicy binding makes require
//! digest-pinned images.

use super::catalog::{Planner, Remedy, RuleInfo};
use super::finding::{Area, Finding, ObjectRef, Severity};
use super::view::View;
use crate::model::Kind;
use crate::model::objects::{AdmissionPolicy, AdmissionPolicyBinding};

pub static DIGEST_POLICY: RuleInfo = RuleInfo {
    id: "AIGOV-ADM-001",
    area: Area::Admission,
    severity: Severity::Medium,
    title: "AI namespace is not covered by an admission policy requiring image digests",
    checks: "Whether some ValidatingAdmissionPolicy that requires digest-pinned images (its CEL checks for `@sha256:`, or it carries aigov's label) is bound with `Deny` to the namespace. Coverage that only warns or audits is reported at low severity.",
    why: "Without an admission guardrail, a mutable tag can be deployed at any time and a re-pushed tag silently changes the model server or training code that touches your data; the image rules only see it afterwards.",
    fix: "Create a ValidatingAdmissionPolicy requiring `@sha256:` digests in pod and workload images, and a binding with validationActions [Deny] whose namespaceSelector covers the AI namespaces.",
    false_positives: "Clusters enforcing digests with another admission controller (Kyverno, Gatekeeper, a registry-side policy) that aigov does not read.",
    remedy: Remedy::Plan(Planner::RequireDigests),
};

pub static RULES: &[&RuleInfo] = &[&DIGEST_POLICY];

/// The label aigov puts on the admission policies it creates.
pub const AIGOV_POLICY_LABEL: &str = "aigov.dev/policy";

/// Whether a policy requires digest-pinned images: by aigov's label, or by what its CEL checks.
pub fn requires_digests(policy: &AdmissionPolicy) -> bool {
    policy
        .meta
        .labels
        .get(AIGOV_POLICY_LABEL)
        .is_some_and(|v| v == "require-image-digest")
        || policy.expressions.iter().any(|e| {
            let e = e.replace(' ', "");
            (e.contains("@sha256:") || e.contains("sha256:")) && e.contains("image")
        })
}

fn applies_to_workloads(policy: &AdmissionPolicy) -> bool {
    policy.match_resources.is_empty()
        || policy.match_resources.iter().any(|r| {
            let resource = r.rsplit('/').next().unwrap_or_default();
            matches!(
                resource,
                "*" | "pods"
                    | "deployments"
                    | "statefulsets"
                    | "daemonsets"
                    | "replicasets"
                    | "jobs"
                    | "cronjobs"
            )
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coverage {
    Denies,
    OnlyWarns,
}

/// The label the API server sets on every namespace, to its name (it cannot be changed).
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

fn covers(binding: &AdmissionPolicyBinding, namespace: &crate::model::Meta) -> bool {
    binding.namespace_selector.as_ref().is_none_or(|s| {
        if namespace.labels.contains_key(NAME_LABEL) {
            s.matches(&namespace.labels)
        } else {
            // Manifests and fixtures leave it out; the server would have set it.
            let mut labels = namespace.labels.clone();
            labels.insert(NAME_LABEL.into(), namespace.name.clone());
            s.matches(&labels)
        }
    })
}

pub fn evaluate(view: &View, out: &mut Vec<Finding>) {
    let ai: Vec<_> = view
        .snapshot
        .namespaces
        .iter()
        .filter(|n| view.is_ai_namespace(&n.meta.name))
        .collect();
    if ai.is_empty() {
        return;
    }
    if let Some(kind) = view.first_unknown(
        &[
            Kind::ValidatingAdmissionPolicy,
            Kind::ValidatingAdmissionPolicyBinding,
        ],
        "",
    ) {
        for ns in ai {
            out.push(DIGEST_POLICY.incomplete(
                ObjectRef::new("Namespace", "", &ns.meta.name),
                &format!("{kind}s"),
            ));
        }
        return;
    }
    let digest_policies: Vec<&AdmissionPolicy> = view
        .snapshot
        .admission_policies
        .iter()
        .filter(|p| requires_digests(p) && applies_to_workloads(p))
        .collect();
    for ns in ai {
        let mut best: Option<(Coverage, &AdmissionPolicyBinding)> = None;
        for binding in &view.snapshot.admission_bindings {
            if !digest_policies
                .iter()
                .any(|p| p.meta.name == binding.policy_name)
                || !covers(binding, &ns.meta)
            {
                continue;
            }
            let coverage = if binding.validation_actions.iter().any(|a| a == "Deny") {
                Coverage::Denies
            } else {
                Coverage::OnlyWarns
            };
            if best.is_none_or(|(c, _)| c == Coverage::OnlyWarns) {
                best = Some((coverage, binding));
            }
        }
        let object = ObjectRef::new("Namespace", "", &ns.meta.name);
        match best {
            Some((Coverage::Denies, _)) => {}
            Some((Coverage::OnlyWarns, binding)) => {
                let mut f = DIGEST_POLICY.finding(
                    object,
                    format!(
                        "digest policy {} only warns in AI namespace {}",
                        binding.policy_name, ns.meta.name
                    ),
                );
                f.severity = Severity::Low;
                f.evidence = vec![format!(
                    "ValidatingAdmissionPolicyBinding {} has validationActions {:?}",
                    binding.meta.name, binding.validation_actions
                )];
                out.push(f);
            }
            None => {
                let mut f = DIGEST_POLICY.finding(
                    object,
                    format!(
                        "no admission policy requires image digests in AI namespace {}",
                        ns.meta.name
                    ),
                );
                f.evidence = if digest_policies.is_empty() {
                    vec!["no ValidatingAdmissionPolicy requires digest-pinned images".into()]
                } else {
                    digest_policies
                        .iter()
                        .map(|p| format!("policy {} requires digests, but no Deny binding selects this namespace", p.meta.name))
                        .collect()
                };
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Coverage;
    use crate::rules::testing::{found, snapshot};
    use crate::rules::{Inputs, evaluate};

    const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: enforced, labels: {aigov.dev/ai: "true", digests: enforce}}
---
apiVersion: v1
kind: Namespace
metadata: {name: warned, labels: {aigov.dev/ai: "true", digests: warn}}
---
apiVersion: v1
kind: Namespace
metadata: {name: bare, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
"#;

    const POLICIES: &str = r#"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: require-digest}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [pods]
  validations:
  - expression: "object.spec.containers.all(c, c.image.contains('@sha256:'))"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: require-team-label}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE], resources: ["*"]}]
  validations: [{expression: "has(object.metadata.labels.team)"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: digest-deny}
spec:
  policyName: require-digest
  validationActions: [Deny]
  matchResources: {namespaceSelector: {matchLabels: {digests: enforce}}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: digest-warn}
spec:
  policyName: require-digest
  validationActions: [Warn, Audit]
  matchResources: {namespaceSelector: {matchLabels: {digests: warn}}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: team-everywhere}
spec:
  policyName: require-team-label
  validationActions: [Deny]
"#;

    #[test]
    fn only_uncovered_or_warn_only_ai_namespaces_are_reported() {
        let f = evaluate(
            &snapshot(&format!("{NAMESPACES}{POLICIES}")),
            &Inputs::default(),
        )
        .findings;
        let mut reported = found(&f, "AIGOV-ADM-001");
        reported.sort();
        assert_eq!(reported, vec!["Namespace//bare", "Namespace//warned"]);
        let warned = f
            .iter()
            .find(|x| x.rule == "AIGOV-ADM-001" && x.object.name == "warned")
            .unwrap();
        assert_eq!(warned.severity, Severity::Low);
        let bare = f
            .iter()
            .find(|x| x.rule == "AIGOV-ADM-001" && x.object.name == "bare")
            .unwrap();
        assert_eq!(bare.severity, Severity::Medium);
    }

    #[test]
    fn without_any_digest_policy_every_ai_namespace_is_reported() {
        let f = evaluate(&snapshot(NAMESPACES), &Inputs::default()).findings;
        assert_eq!(found(&f, "AIGOV-ADM-001").len(), 3);
    }

    #[test]
    fn aigov_labelled_policies_count_whatever_their_expression() {
        let labelled = POLICIES.replace("metadata: {name: require-digest}", "metadata: {name: require-digest, labels: {aigov.dev/policy: require-image-digest}}")
            .replace("c.image.contains('@sha256:')", "c.image.matches(pinned())");
        let f = evaluate(
            &snapshot(&format!("{NAMESPACES}{labelled}")),
            &Inputs::default(),
        )
        .findings;
        assert!(!found(&f, "AIGOV-ADM-001").contains(&"Namespace//enforced".to_string()));
    }

    #[test]
    fn unknown_policies_make_every_ai_namespace_incomplete() {
        let mut s = snapshot(&format!("{NAMESPACES}{POLICIES}"));
        s.coverage.insert(
            Kind::ValidatingAdmissionPolicyBinding,
            Coverage::Unknown {
                reason: "forbidden".into(),
            },
        );
        let f = evaluate(&s, &Inputs::default()).findings;
        let adm: Vec<_> = f.iter().filter(|x| x.rule == "AIGOV-ADM-001").collect();
        assert_eq!(adm.len(), 3);
        assert!(adm.iter().all(|x| x.incomplete));
    }
}
