//! Tests of the RBAC rules: positive and negative YAML fixtures per rule, and the demo's
//! deliberate RBAC problems found with the expected rule ids.

mod access;
mod accounts;
mod demo;
mod escalation;

use crate::model::{Coverage, Kind, Snapshot, convert};
use crate::rules::finding::Finding;
use crate::rules::settings::RulesConfig;
use crate::rules::view::View;

/// An AI namespace (`ml`, by its label) and one that is not (`web`).
pub const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {aigov.dev/ai: "false"}}
"#;

/// Run the RBAC rules over a snapshot.
pub fn run_on(snapshot: &Snapshot) -> Vec<Finding> {
    let settings = RulesConfig::default();
    let view = View::new(snapshot, &settings);
    let mut out = Vec::new();
    super::evaluate(&view, &mut out);
    out
}

/// The snapshot of [`NAMESPACES`] plus `yaml`, every kind complete.
pub fn snapshot(yaml: &str) -> Snapshot {
    crate::rules::testing::snapshot(&format!("{NAMESPACES}\n---\n{yaml}"))
}

/// The RBAC findings over [`NAMESPACES`] plus `yaml`.
pub fn run(yaml: &str) -> Vec<Finding> {
    run_on(&snapshot(yaml))
}

/// `KIND/NS/NAME#PATH severity` of every finding of `rule` (`RBAC-001`), sorted.
pub fn of(findings: &[Finding], rule: &str) -> Vec<String> {
    let id = format!("AIGOV-{rule}");
    let mut out: Vec<String> = findings
        .iter()
        .filter(|f| f.rule.id == id)
        .map(|f| {
            let o = &f.object;
            format!(
                "{}/{}/{}#{} {}",
                o.kind, o.namespace, o.name, o.place, f.severity
            )
        })
        .collect();
    out.sort();
    out
}

/// The one finding of `rule` whose key ends with `object` (`RoleBinding/ml/x#subject/...`).
pub fn find<'a>(findings: &'a [Finding], rule: &str, object: &str) -> &'a Finding {
    let id = format!("AIGOV-{rule}");
    findings
        .iter()
        .find(|f| f.rule.id == id && f.key().ends_with(object))
        .unwrap_or_else(|| panic!("no {rule} on {object}; found {:?}", of(findings, rule)))
}

/// A Role in `ml` (or `web`) with one rule, bound by a RoleBinding `NAME` to `subjects`.
pub fn role_binding(namespace: &str, name: &str, rule: &str, subjects: &str) -> String {
    format!(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: {name}, namespace: {namespace}}}
rules:
- {rule}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {name}, namespace: {namespace}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {name}}}
subjects: {subjects}
"#
    )
}

/// A ClusterRole with one rule, bound cluster-wide by a ClusterRoleBinding `NAME`.
pub fn cluster_binding(name: &str, rule: &str, subjects: &str) -> String {
    format!(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {name}}}
rules:
- {rule}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {name}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {name}}}
subjects: {subjects}
"#
    )
}

pub const INTERNS: &str = "[{apiGroup: rbac.authorization.k8s.io, kind: Group, name: interns}]";

/// The demo platform as a snapshot, every kind complete except the CRDs it does not serve.
pub fn demo_snapshot() -> Snapshot {
    let mut snapshot = Snapshot::default();
    for object in aigov_sim::demo::objects().unwrap() {
        let api = object["apiVersion"].as_str().unwrap().to_string();
        let kind = object["kind"].as_str().unwrap().to_string();
        let kind = Kind::from_api(&api, &kind).unwrap();
        snapshot.insert(convert::from_json(kind, object).unwrap());
    }
    for kind in Kind::ALL {
        let coverage = if matches!(kind, Kind::TFJob | Kind::RayJob) {
            Coverage::NotServed
        } else {
            Coverage::Complete
        };
        snapshot.coverage.insert(kind, coverage);
    }
    snapshot
}
