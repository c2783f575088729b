//! Namespace rules: AI workloads mixed with others or in `default`, Pod Security admission
//! labels, and NetworkPolicy isolation of AI namespaces.

use super::catalog::{Planner, Remedy, RuleInfo};
use super::finding::{Area, Finding, ObjectRef, Severity};
use super::view::{Unit, View};
use crate::model::Kind;
use crate::model::objects::NetworkPolicy;

pub static MIXED: RuleInfo = RuleInfo {
    id: "AIGOV-NS-001",
    area: Area::Namespaces,
    severity: Severity::Medium,
    title: "AI workloads share a namespace with non-AI workloads",
    checks: "An AI namespace that also runs workloads with no AI signal (no accelerator, no AI image, no AI custom resource).",
    why: "RBAC, quotas, Pod Security and network policy are set per namespace, so an unrelated app beside a training job or model server shares its service accounts, secrets and volumes, and anyone trusted with the app is trusted with the data.",
    fix: "Move the AI workloads (or the others) to a namespace of their own, and grant access there separately.",
    false_positives: "Sidecar-like helpers that serve the AI workload (exporters, proxies, a dataset sync job) have no AI signal of their own; label the namespace aigov.dev/ai=true and accept the finding, or move the helper.",
    remedy: Remedy::Guidance,
};

pub static IN_DEFAULT: RuleInfo = RuleInfo {
    id: "AIGOV-NS-002",
    area: Area::Namespaces,
    severity: Severity::High,
    title: "AI workload runs in the default namespace",
    checks: "Workloads with an AI signal in the `default` namespace.",
    why: "`default` is where everything lands by accident: it rarely has Pod Security labels or network policy, and broad grants there are common, so models, tokens and datasets mounted there are exposed to whoever uses the namespace casually.",
    fix: "Run the workload in a dedicated AI namespace with Pod Security `enforce` and a default-deny NetworkPolicy; delete it from `default`.",
    false_positives: "Short-lived debug pods; they still hold real credentials while they run.",
    remedy: Remedy::Guidance,
};

pub static POD_SECURITY: RuleInfo = RuleInfo {
    id: "AIGOV-NS-003",
    area: Area::Namespaces,
    severity: Severity::Medium,
    title: "AI namespace does not enforce a Pod Security level",
    checks: "The label `pod-security.kubernetes.io/enforce` on an AI namespace is missing or `privileged` (severity high for `privileged`).",
    why: "Without an enforced Pod Security level anyone who can create a pod there can run it privileged, on the host network, or with hostPath mounts, and read every GPU node's local model cache and dataset disks.",
    fix: "Label the namespace `pod-security.kubernetes.io/enforce=baseline` (or `restricted`) after checking the dry-run warnings for existing pods.",
    false_positives: "GPU device plugins and some operators need privileges; keep them in their own namespace rather than exempting an AI namespace.",
    remedy: Remedy::Plan(Planner::PodSecurityLabel),
};

pub static NETWORK_POLICY: RuleInfo = RuleInfo {
    id: "AIGOV-NS-004",
    area: Area::Namespaces,
    severity: Severity::High,
    title: "AI pods are not selected by any ingress NetworkPolicy",
    checks: "An AI namespace with no NetworkPolicy at all, or AI workloads whose pods no NetworkPolicy with an Ingress policy type selects.",
    why: "Pods no NetworkPolicy selects accept traffic from every pod in the cluster: a compromised pod anywhere can call model servers, notebooks and Ray dashboards, which often have no authentication of their own.",
    fix: "Create a default-deny NetworkPolicy in the namespace, then allow the traffic the workloads need.",
    false_positives: "Clusters whose CNI does not enforce NetworkPolicy, or that isolate with a service mesh or Cilium cluster policies aigov does not read.",
    remedy: Remedy::Plan(Planner::DefaultDenyPolicy),
};

pub static RULES: &[&RuleInfo] = &[&MIXED, &IN_DEFAULT, &POD_SECURITY, &NETWORK_POLICY];

const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

fn namespace_ref(name: &str) -> ObjectRef {
    ObjectRef::new("Namespace", "", name)
}

/// A few names for evidence, then a count of the rest.
fn sample(units: &[&Unit<'_>]) -> String {
    let mut names: Vec<String> = units
        .iter()
        .take(5)
        .map(|u| format!("{}/{}", u.kind, u.name))
        .collect();
    if units.len() > 5 {
        names.push(format!("and {} more", units.len() - 5));
    }
    names.join(", ")
}

pub fn evaluate(view: &View, out: &mut Vec<Finding>) {
    if !view.known(Kind::Namespace, "") {
        for rule in RULES {
            out.push(rule.incomplete(ObjectRef::new("Cluster", "", "namespaces"), "Namespaces"));
        }
        return;
    }
    for unit in view.units_in("default").filter(|u| u.is_ai()) {
        let mut f = IN_DEFAULT.finding(
            unit.object(),
            format!("{} {} runs AI workloads in default", unit.kind, unit.name),
        );
        f.evidence = ai_evidence(unit);
        out.push(f);
    }
    for namespace in &view.snapshot.namespaces {
        let name = namespace.meta.name.as_str();
        if !view.is_ai_namespace(name) {
            continue;
        }
        if name != "default" && name != "kube-system" {
            mixed(view, name, out);
        }
        match namespace.meta.labels.get(ENFORCE_LABEL).map(String::as_str) {
            Some("baseline") | Some("restricted") => {}
            level => {
                let mut f = POD_SECURITY.finding(
                    namespace_ref(name),
                    match level {
                        Some(l) => format!("AI namespace {name} enforces Pod Security level {l:?}"),
                        None => format!("AI namespace {name} has no Pod Security enforce label"),
                    },
                );
                if level == Some("privileged") {
                    f.severity = Severity::High;
                }
                f.evidence = vec![format!("{ENFORCE_LABEL}: {}", level.unwrap_or("(not set)"))];
                out.push(f);
            }
        }
        isolation(view, name, out);
    }
}

fn ai_evidence(unit: &Unit<'_>) -> Vec<String> {
    let mut evidence = Vec::new();
    if !unit.ai.accelerators.is_empty() {
        evidence.push(format!("requests {}", unit.ai.accelerators.join(", ")));
    }
    for image in &unit.ai.images {
        evidence.push(format!("image {image}"));
    }
    if let Some(cr) = &unit.ai.custom_resource {
        evidence.push(format!("owned by {cr}"));
    }
    evidence
}

fn mixed(view: &View, namespace: &str, out: &mut Vec<Finding>) {
    let (ai, other): (Vec<&Unit<'_>>, Vec<&Unit<'_>>) =
        view.units_in(namespace).partition(|u| u.is_ai());
    if ai.is_empty() || other.is_empty() {
        return;
    }
    let mut f = MIXED.finding(
        namespace_ref(namespace),
        format!(
            "{namespace} runs {} AI and {} non-AI workloads",
            ai.len(),
            other.len()
        ),
    );
    f.evidence = vec![
        format!("AI: {}", sample(&ai)),
        format!("not AI: {}", sample(&other)),
    ];
    out.push(f);
}

fn selects_ingress(policy: &NetworkPolicy, labels: &crate::model::Labels) -> bool {
    policy.policy_types.iter().any(|t| t == "Ingress") && policy.pod_selector.matches(labels)
}

fn isolation(view: &View, namespace: &str, out: &mut Vec<Finding>) {
    if !view.known(Kind::NetworkPolicy, namespace) {
        out.push(NETWORK_POLICY.incomplete(namespace_ref(namespace), "NetworkPolicies"));
        return;
    }
    let policies: Vec<&NetworkPolicy> = view
        .snapshot
        .network_policies
        .iter()
        .filter(|p| p.meta.namespace == namespace)
        .collect();
    if policies.is_empty() {
        let mut f = NETWORK_POLICY.finding(
            namespace_ref(namespace),
            format!("AI namespace {namespace} has no NetworkPolicy"),
        );
        f.evidence = vec![
            "0 NetworkPolicies in the namespace: every pod accepts traffic from anywhere".into(),
        ];
        out.push(f);
        return;
    }
    for unit in view.units_in(namespace).filter(|u| u.is_ai()) {
        // Bare pods are judged by their own labels; controllers by their pod template's.
        let selected = policies.iter().any(|p| selects_ingress(p, unit.labels));
        if !selected {
            let mut f = NETWORK_POLICY.finding(
                unit.object(),
                format!(
                    "pods of {} {} are not selected by any ingress NetworkPolicy",
                    unit.kind, unit.name
                ),
            );
            f.severity = Severity::Medium;
            f.evidence = policies
                .iter()
                .map(|p| {
                    format!(
                        "NetworkPolicy {} selects {:?}, types {:?}",
                        p.meta.name, p.pod_selector.match_labels, p.policy_types
                    )
                })
                .collect();
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Coverage;
    use crate::rules::testing::{found, snapshot};
    use crate::rules::{Inputs, evaluate};

    const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml, labels: {pod-security.kubernetes.io/enforce: baseline}}
---
apiVersion: v1
kind: Namespace
metadata: {name: nb}
---
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {pod-security.kubernetes.io/enforce: restricted}}
---
apiVersion: v1
kind: Namespace
metadata: {name: priv, labels: {pod-security.kubernetes.io/enforce: privileged}}
---
apiVersion: v1
kind: Namespace
metadata: {name: optout, labels: {aigov.dev/ai: "false"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml}
spec:
  selector: {matchLabels: {app: trainer}}
  template:
    metadata: {labels: {app: trainer}}
    spec:
      containers:
      - name: main
        image: registry.example.com/team/train:1.0
        resources: {limits: {nvidia.com/gpu: "1"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: ml}
spec:
  selector: {matchLabels: {app: server}}
  template:
    metadata: {labels: {app: server}}
    spec:
      containers: [{name: main, image: "vllm/vllm-openai:v0.6.3"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: ml}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: trainer-only, namespace: ml}
spec:
  podSelector: {matchLabels: {app: trainer}}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: ml}
spec:
  podSelector: {}
  policyTypes: [Egress]
---
apiVersion: v1
kind: Pod
metadata: {name: lab, namespace: nb}
spec:
  containers: [{name: nb, image: "jupyter/scipy-notebook:2024-01-01"}]
---
apiVersion: v1
kind: Pod
metadata: {name: shop, namespace: web}
spec:
  containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Pod
metadata: {name: gpu-debug, namespace: priv}
spec:
  containers: [{name: x, image: "busybox:1", resources: {limits: {amd.com/gpu: "1"}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: priv}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: v1
kind: Pod
metadata: {name: gpu-job, namespace: optout}
spec:
  containers: [{name: x, image: "pytorch/pytorch:2.3.1", resources: {limits: {nvidia.com/gpu: "1"}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: pytorch-debug, namespace: default}
spec:
  containers: [{name: x, image: "pytorch/pytorch:latest"}]
---
apiVersion: v1
kind: Pod
metadata: {name: hello, namespace: default}
spec:
  containers: [{name: x, image: "busybox:1"}]
"#;

    fn findings(snapshot: &crate::model::Snapshot) -> Vec<Finding> {
        evaluate(snapshot, &Inputs::default()).findings
    }

    #[test]
    fn mixed_namespaces_are_reported_once_with_both_sides() {
        let f = findings(&snapshot(FIXTURE));
        assert_eq!(found(&f, "AIGOV-NS-001"), vec!["Namespace//ml"]);
        let mixed = f.iter().find(|x| x.rule == "AIGOV-NS-001").unwrap();
        assert!(
            mixed.evidence[0].contains("Deployment/trainer")
                && mixed.evidence[1].contains("Deployment/frontend")
        );
    }

    #[test]
    fn ai_workloads_in_default_are_reported_but_others_are_not() {
        let f = findings(&snapshot(FIXTURE));
        assert_eq!(found(&f, "AIGOV-NS-002"), vec!["Pod/default/pytorch-debug"]);
    }

    #[test]
    fn pod_security_missing_or_privileged_in_ai_namespaces_only() {
        let f = findings(&snapshot(FIXTURE));
        let mut ns = found(&f, "AIGOV-NS-003");
        ns.sort();
        assert_eq!(
            ns,
            vec!["Namespace//default", "Namespace//nb", "Namespace//priv"]
        );
        let privileged = f
            .iter()
            .find(|x| x.rule == "AIGOV-NS-003" && x.object.name == "priv")
            .unwrap();
        assert_eq!(privileged.severity, Severity::High);
        assert!(
            f.iter()
                .filter(|x| x.area() == Area::Namespaces)
                .all(|x| x.object.name != "optout" && x.object.namespace != "optout"),
            "the opt-out label wins"
        );
    }

    #[test]
    fn isolation_is_checked_per_namespace_and_per_unselected_ai_workload() {
        let f = findings(&snapshot(FIXTURE));
        let mut isolation = found(&f, "AIGOV-NS-004");
        isolation.sort();
        // nb and default have no policy; in ml only `server` is unselected (egress-only does not count).
        assert_eq!(
            isolation,
            vec![
                "Deployment/ml/server",
                "Namespace//default",
                "Namespace//nb"
            ]
        );
    }

    #[test]
    fn unknown_network_policies_make_the_rule_incomplete_not_clean() {
        let mut s = snapshot(FIXTURE);
        s.coverage.insert(
            Kind::NetworkPolicy,
            Coverage::Partial {
                unknown_namespaces: [("priv".to_string(), "forbidden".to_string())].into(),
            },
        );
        let f = findings(&s);
        let priv_findings: Vec<_> = f
            .iter()
            .filter(|x| x.rule == "AIGOV-NS-004" && x.object.name == "priv")
            .collect();
        assert_eq!(priv_findings.len(), 1);
        assert!(priv_findings[0].incomplete);
        s.coverage.insert(
            Kind::Namespace,
            Coverage::Unknown {
                reason: "forbidden".into(),
            },
        );
        let f = findings(&s);
        assert!(
            f.iter()
                .filter(|x| x.area() == Area::Namespaces)
                .all(|x| x.incomplete)
        );
    }
}
