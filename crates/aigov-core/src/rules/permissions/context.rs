//! What the RBAC rules share: bindings with their effective rules and normalised subjects,
//! the AI namespaces and what their workloads use, subject classes, evidence wording, and
//! the incomplete findings for RBAC kinds that could not be read.

use super::info;
use crate::model::rbac::{Binding, PolicyRule, RoleRefKind, Subject, SubjectKind};
use crate::model::workloads::{EnvFromSource, EnvSource, VolumeSource};
use crate::model::{Coverage, Kind};
use crate::rules::catalog::RuleInfo;
use crate::rules::finding::{Finding, ObjectRef, Place, Severity};
use crate::rules::settings::RulesConfig;
use crate::rules::view::View;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The RBAC kinds every permission rule needs.
pub const RBAC_KINDS: [Kind; 4] = [
    Kind::ClusterRoleBinding,
    Kind::ClusterRole,
    Kind::RoleBinding,
    Kind::Role,
];

/// How a subject is treated when a finding's severity is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// An identity Kubernetes itself needs (`system:masters`, `system:kube-scheduler`,
    /// kube-system service accounts): reported at info, never proposed for removal.
    System,
    /// Everyone, every workload, or every workload of a namespace.
    Broad,
    Group,
    ServiceAccount,
    User,
}

pub fn classify(subject: &Subject, settings: &RulesConfig) -> Who {
    let broad = |group: &str| settings.is_broad_group(group);
    match subject.kind {
        SubjectKind::Group if broad(&subject.name) => Who::Broad,
        SubjectKind::Group if subject.name.starts_with("system:") => Who::System,
        SubjectKind::Group => Who::Group,
        SubjectKind::ServiceAccount if subject.namespace == "kube-system" => Who::System,
        SubjectKind::ServiceAccount => Who::ServiceAccount,
        SubjectKind::User => match subject.name.strip_prefix("system:serviceaccount:") {
            Some(rest) if rest.starts_with("kube-system:") => Who::System,
            Some(_) => Who::ServiceAccount,
            None if subject.name == "system:anonymous" => Who::Broad,
            None if subject.name.starts_with("system:") => Who::System,
            None => Who::User,
        },
    }
}

/// `Group interns`, `User alice`, `ServiceAccount ml/trainer`.
pub fn subject_label(subject: &Subject) -> String {
    match subject.kind {
        SubjectKind::ServiceAccount => {
            format!("ServiceAccount {}/{}", subject.namespace, subject.name)
        }
        SubjectKind::Group => format!("Group {}", subject.name),
        SubjectKind::User => format!("User {}", subject.name),
    }
}

fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items
        .iter()
        .map(|s| if s.is_empty() { "\"\"" } else { s.as_str() })
        .collect();
    format!("[{}]", shown.join(", "))
}

/// A rule as the evidence names it: `verbs [get, list] on [secrets] in apiGroups [""]`.
pub fn describe_rule(rule: &PolicyRule) -> String {
    if rule.resources.is_empty() && !rule.non_resource_urls.is_empty() {
        return format!(
            "verbs {} on nonResourceURLs {}",
            list(&rule.verbs),
            list(&rule.non_resource_urls)
        );
    }
    let mut text = format!(
        "verbs {} on {} in apiGroups {}",
        list(&rule.verbs),
        list(&rule.resources),
        list(&rule.api_groups)
    );
    if !rule.resource_names.is_empty() {
        text.push_str(&format!(" named {}", list(&rule.resource_names)));
    }
    text
}

/// One step less severe, down to info.
pub fn lowered(severity: Severity) -> Severity {
    match severity {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// A binding with its role's effective rules and its subjects, normalised once.
pub struct BoundRole<'v> {
    pub binding: &'v Binding,
    /// Empty when the role does not exist: the binding grants nothing.
    pub rules: &'v [PolicyRule],
    pub role_exists: bool,
    /// Without repeats; a RoleBinding's ServiceAccounts without a namespace get its namespace.
    /// A ClusterRoleBinding's ServiceAccount without one keeps it empty: it matches nobody.
    pub subjects: Vec<Subject>,
}

impl BoundRole<'_> {
    pub fn is_cluster(&self) -> bool {
        self.binding.is_cluster_binding()
    }

    pub fn namespace(&self) -> &str {
        &self.binding.meta.namespace
    }

    pub fn object(&self, subject: &Subject) -> ObjectRef {
        ObjectRef::new(
            self.binding.kind_name(),
            &self.binding.meta.namespace,
            &self.binding.meta.name,
        )
        .at(Place::Subject(subject.clone()))
    }

    /// `RoleBinding ml/x → ClusterRole edit`.
    pub fn via(&self) -> String {
        let b = &self.binding;
        let role_kind = match b.role_ref.kind {
            RoleRefKind::Role => "Role",
            RoleRefKind::ClusterRole => "ClusterRole",
        };
        let binding = if b.is_cluster_binding() {
            format!("ClusterRoleBinding {}", b.meta.name)
        } else {
            format!("RoleBinding {}/{}", b.meta.namespace, b.meta.name)
        };
        format!("{binding} → {role_kind} {}", b.role_ref.name)
    }

    /// The evidence line for one rule of the role.
    pub fn evidence(&self, rule: &PolicyRule) -> String {
        format!("{}: {}", self.via(), describe_rule(rule))
    }

    /// Subjects a user can match (a ClusterRoleBinding's ServiceAccount without a namespace
    /// matches nobody).
    pub fn live_subjects(&self) -> impl Iterator<Item = &Subject> {
        self.subjects
            .iter()
            .filter(|s| s.kind != SubjectKind::ServiceAccount || !s.namespace.is_empty())
    }
}

pub struct Context<'v> {
    pub view: &'v View<'v>,
    pub ai_namespaces: Vec<&'v str>,
    pub bindings: Vec<BoundRole<'v>>,
    /// AI namespaces whose AI workloads mount PersistentVolumeClaims.
    pub data_namespaces: BTreeSet<&'v str>,
    /// AI namespace -> ConfigMap -> the AI workloads using it (`Deployment/vllm`).
    pub config_maps: BTreeMap<&'v str, BTreeMap<&'v str, BTreeSet<String>>>,
    pub existing_config_maps: HashSet<(&'v str, &'v str)>,
}

impl<'v> Context<'v> {
    pub fn new(view: &'v View<'v>) -> Self {
        let ai_namespaces: Vec<&str> = view.ai_namespaces().collect();
        let bindings = view
            .snapshot
            .bindings
            .iter()
            .map(|binding| bound_role(view, binding))
            .collect();
        let mut data_namespaces = BTreeSet::new();
        let mut config_maps: BTreeMap<&str, BTreeMap<&str, BTreeSet<String>>> = BTreeMap::new();
        for unit in view.units.iter().filter(|u| u.is_ai()) {
            if !view.is_ai_namespace(unit.namespace) {
                continue;
            }
            let spec = unit.spec;
            if spec
                .volumes
                .iter()
                .any(|v| matches!(v.source, VolumeSource::Pvc { .. }))
            {
                data_namespaces.insert(unit.namespace);
            }
            let mut used: Vec<&str> = Vec::new();
            for volume in &spec.volumes {
                match &volume.source {
                    VolumeSource::ConfigMap { name } => used.push(name),
                    VolumeSource::Projected { config_maps, .. } => {
                        used.extend(config_maps.iter().map(String::as_str));
                    }
                    _ => {}
                }
            }
            for container in spec.all_containers() {
                for from in &container.env_from {
                    if let EnvFromSource::ConfigMap(name) = from {
                        used.push(name);
                    }
                }
                for var in &container.env {
                    if let EnvSource::ConfigMapKey { name, .. } = &var.source {
                        used.push(name);
                    }
                }
            }
            let in_namespace = config_maps.entry(unit.namespace).or_default();
            for name in used.into_iter().filter(|n| !n.is_empty()) {
                in_namespace
                    .entry(name)
                    .or_default()
                    .insert(format!("{}/{}", unit.kind, unit.name));
            }
        }
        let existing_config_maps = view
            .snapshot
            .config_maps
            .iter()
            .map(|c| (c.meta.namespace.as_str(), c.meta.name.as_str()))
            .collect();
        Context {
            view,
            ai_namespaces,
            bindings,
            data_namespaces,
            config_maps,
            existing_config_maps,
        }
    }

    /// The AI namespaces a binding applies in: all of them for a ClusterRoleBinding.
    pub fn ai_scope(&self, bound: &BoundRole) -> Vec<&'v str> {
        if bound.is_cluster() {
            self.ai_namespaces.clone()
        } else {
            self.ai_namespaces
                .iter()
                .copied()
                .filter(|n| *n == bound.namespace())
                .collect()
        }
    }

    /// A finding of `rule` about one subject of a binding. A system subject is reported
    /// at info and never proposed for removal.
    pub fn finding(
        &self,
        rule: &'static RuleInfo,
        bound: &BoundRole,
        subject: &Subject,
        severity: Severity,
        title: String,
        evidence: Vec<String>,
    ) -> Finding {
        let mut finding = rule.finding(bound.object(subject), title);
        finding.evidence = evidence;
        if classify(subject, self.view.settings) == Who::System {
            finding.severity = Severity::Info;
            finding.remediable = false;
            finding.evidence.push(
                "the subject is an identity Kubernetes itself needs: reported for information"
                    .to_string(),
            );
        } else {
            finding.severity = severity;
        }
        finding
    }
}

fn bound_role<'v>(view: &'v View<'v>, binding: &'v Binding) -> BoundRole<'v> {
    let rules = view.rbac.effective_rules(
        binding.role_ref.kind,
        &binding.role_ref.name,
        &binding.meta.namespace,
    );
    let mut subjects: Vec<Subject> = Vec::with_capacity(binding.subjects.len());
    for subject in &binding.subjects {
        let mut subject = subject.clone();
        if subject.kind == SubjectKind::ServiceAccount && subject.namespace.is_empty() {
            subject.namespace.clone_from(&binding.meta.namespace);
        }
        if !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    BoundRole {
        binding,
        rules: rules.unwrap_or(&[]),
        role_exists: rules.is_some(),
        subjects,
    }
}

/// Rules evaluated per AI namespace.
const AI_SCOPED: [&RuleInfo; 4] = [
    &info::SECRETS_READ,
    &info::POD_EXEC,
    &info::POD_CREATE,
    &info::CONFIG_WRITE,
];

/// Rules evaluated over every binding of the cluster.
const CLUSTER_SCOPED: [&RuleInfo; 4] = [
    &info::WILDCARD,
    &info::ESCALATION,
    &info::TOKEN_CREATE,
    &info::CLUSTER_ADMIN,
];

fn plural(kind: Kind) -> String {
    format!("{}s", kind.name())
}

/// Incomplete findings where an RBAC kind could not be read: per AI namespace for the
/// rules about AI namespaces (RBAC-009 included), and cluster-wide or per unread
/// namespace for the others.
pub fn gaps(ctx: &Context, out: &mut Vec<Finding>) {
    let view = ctx.view;
    for ns in &ctx.ai_namespaces {
        if let Some(kind) = view.first_unknown(&RBAC_KINDS, ns) {
            let object = ObjectRef::new("Namespace", "", ns);
            for rule in AI_SCOPED.into_iter().chain([&info::DEFAULT_ACCOUNT]) {
                out.push(rule.incomplete(object.clone(), &plural(kind)));
            }
        }
    }
    let cluster = ObjectRef::new("Cluster", "", "rbac");
    if let Some(kind) = view.first_unknown(&[Kind::ClusterRoleBinding, Kind::ClusterRole], "") {
        for rule in CLUSTER_SCOPED {
            out.push(rule.incomplete(cluster.clone(), &plural(kind)));
        }
    }
    for kind in [Kind::RoleBinding, Kind::Role] {
        match view.snapshot.coverage.get(&kind) {
            Some(Coverage::Complete | Coverage::NotServed) => {}
            Some(Coverage::Partial { unknown_namespaces }) => {
                for ns in unknown_namespaces.keys() {
                    let object = ObjectRef::new("Namespace", "", ns);
                    for rule in CLUSTER_SCOPED {
                        out.push(rule.incomplete(object.clone(), &plural(kind)));
                    }
                }
            }
            Some(Coverage::Unknown { .. }) | None => {
                for rule in CLUSTER_SCOPED {
                    out.push(rule.incomplete(cluster.clone(), &plural(kind)));
                }
            }
        }
    }
}
