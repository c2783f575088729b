//! What the RBAC view is built from: every binding with its role's risky permissions and
//! the findings about it, and every subject in every AI namespace with the bindings behind
//! its effective permissions there. Built off the UI thread, once per evaluation.

use super::perms::{Classifier, Perm, Perms};
use crate::tui::views::clean;
use aigov_core::model::rbac::{RoleRefKind, Subject, SubjectKind};
use aigov_core::rules::permissions::{Who, classify};
use aigov_core::rules::{Area, Evaluation, Finding, Place, RulesConfig, Severity, View};
use std::collections::{BTreeSet, HashMap};

/// One RoleBinding or ClusterRoleBinding. Names are as the cluster sent them: they are
/// sanitised where they are drawn.
#[derive(Debug, Clone)]
pub struct BindingInfo {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'static str,
    /// Empty for a ClusterRoleBinding.
    pub namespace: String,
    pub name: String,
    pub role_kind: RoleRefKind,
    pub role_name: String,
    pub role_exists: bool,
    /// ServiceAccount namespaces defaulted to the binding's, without repeats.
    pub subjects: Vec<Subject>,
    pub perms: Perms,
    /// Indexes into the evaluation's findings, most severe first.
    pub findings: Vec<usize>,
    pub risk: Option<Severity>,
}

impl BindingInfo {
    pub fn is_cluster(&self) -> bool {
        self.namespace.is_empty()
    }
}

/// One subject's effective permissions in one AI namespace.
#[derive(Debug, Clone)]
pub struct SubjectRow {
    pub subject: Subject,
    pub namespace: String,
    pub who: Who,
    pub perms: Perms,
    /// Everything is allowed through a ClusterRoleBinding (not only in this namespace).
    pub admin_cluster_wide: bool,
    /// The bindings that apply, each with the subject it names that matched: the subject
    /// itself or one of its groups (`system:authenticated`, `system:serviceaccounts:NS`).
    pub grants: Vec<(usize, Subject)>,
    pub findings: Vec<usize>,
    pub risk: Option<Severity>,
}

/// Bindings and subject rows, in display order.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub bindings: Vec<BindingInfo>,
    pub subjects: Vec<SubjectRow>,
}

/// `Group/interns`, `User/alice`, `SA/ml/trainer`, sanitised.
pub fn subject_short(subject: &Subject) -> String {
    clean(&match subject.kind {
        SubjectKind::ServiceAccount => format!("SA/{}/{}", subject.namespace, subject.name),
        SubjectKind::Group => format!("Group/{}", subject.name),
        SubjectKind::User => format!("User/{}", subject.name),
    })
}

/// `Group interns`, `ServiceAccount ml/trainer`, sanitised.
pub fn subject_long(subject: &Subject) -> String {
    clean(&aigov_core::rules::permissions::subject_label(subject))
}

pub fn role_kind_name(kind: RoleRefKind) -> &'static str {
    match kind {
        RoleRefKind::Role => "Role",
        RoleRefKind::ClusterRole => "ClusterRole",
    }
}

/// The groups a subject belongs to for certain, through which further bindings apply.
fn groups_of(subject: &Subject) -> Vec<Subject> {
    match subject.kind {
        SubjectKind::ServiceAccount => vec![
            Subject::group(format!("system:serviceaccounts:{}", subject.namespace)),
            Subject::group("system:serviceaccounts"),
            Subject::group("system:authenticated"),
        ],
        SubjectKind::User if subject.name == "system:anonymous" => {
            vec![Subject::group("system:unauthenticated")]
        }
        SubjectKind::User => vec![Subject::group("system:authenticated")],
        SubjectKind::Group => Vec::new(),
    }
}

/// A ServiceAccount subject without a namespace matches nobody.
fn matchable(subject: &Subject) -> bool {
    subject.kind != SubjectKind::ServiceAccount || !subject.namespace.is_empty()
}

fn worst(findings: &[usize], all: &[Finding]) -> Option<Severity> {
    findings
        .iter()
        .filter_map(|i| all.get(*i))
        .map(|f| f.severity)
        .max()
}

pub fn build(view: &View<'_>, evaluation: &Evaluation, classifier: &Classifier) -> Model {
    // RBAC findings by the object they name.
    let mut by_object: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, f) in evaluation.findings.iter().enumerate() {
        if f.area() == Area::Rbac {
            let o = &f.object;
            by_object
                .entry((o.kind.as_str(), o.namespace.as_str(), o.name.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut sorted: Vec<&aigov_core::model::rbac::Binding> =
        view.snapshot.bindings.iter().collect();
    sorted
        .sort_by(|a, b| (&a.meta.namespace, &a.meta.name).cmp(&(&b.meta.namespace, &b.meta.name)));
    let bindings: Vec<BindingInfo> = sorted
        .into_iter()
        .map(|b| {
            let namespace = b.meta.namespace.clone();
            let rules = view
                .rbac
                .effective_rules(b.role_ref.kind, &b.role_ref.name, &namespace);
            let mut subjects: Vec<Subject> = Vec::with_capacity(b.subjects.len());
            for s in &b.subjects {
                let mut s = s.clone();
                if s.kind == SubjectKind::ServiceAccount && s.namespace.is_empty() {
                    s.namespace.clone_from(&namespace);
                }
                if !subjects.contains(&s) {
                    subjects.push(s);
                }
            }
            let kind = b.kind_name();
            let findings = by_object
                .get(&(kind, namespace.as_str(), b.meta.name.as_str()))
                .cloned()
                .unwrap_or_default();
            BindingInfo {
                kind,
                perms: rules.map_or_else(Perms::default, |r| {
                    classifier.rules(r, namespace.is_empty())
                }),
                risk: worst(&findings, &evaluation.findings),
                findings,
                role_kind: b.role_ref.kind,
                role_name: b.role_ref.name.clone(),
                role_exists: rules.is_some(),
                subjects,
                name: b.meta.name.clone(),
                namespace,
            }
        })
        .collect();
    let subjects = subject_rows(view, evaluation, &bindings, &by_object);
    Model { bindings, subjects }
}

fn subject_rows(
    view: &View<'_>,
    evaluation: &Evaluation,
    bindings: &[BindingInfo],
    by_object: &HashMap<(&str, &str, &str), Vec<usize>>,
) -> Vec<SubjectRow> {
    let cluster_end = bindings.partition_point(BindingInfo::is_cluster);
    let mut by_subject: HashMap<&Subject, Vec<usize>> = HashMap::new();
    for (i, b) in bindings.iter().enumerate() {
        for s in b.subjects.iter().filter(|s| matchable(s)) {
            by_subject.entry(s).or_default().push(i);
        }
    }
    let cluster_subjects: BTreeSet<&Subject> = bindings[..cluster_end]
        .iter()
        .flat_map(|b| b.subjects.iter().filter(|s| matchable(s)))
        .collect();
    let mut rows = Vec::new();
    for ns in view.ai_namespaces() {
        let start = bindings.partition_point(|b| b.namespace.as_str() < ns);
        let end = bindings.partition_point(|b| b.namespace.as_str() <= ns);
        let mut subjects = cluster_subjects.clone();
        subjects.extend(
            bindings[start.max(cluster_end)..end]
                .iter()
                .flat_map(|b| b.subjects.iter().filter(|s| matchable(s))),
        );
        for subject in subjects {
            rows.push(subject_row(
                subject,
                ns,
                view,
                evaluation,
                bindings,
                &by_subject,
                by_object,
            ));
        }
    }
    rows
}

fn subject_row(
    subject: &Subject,
    ns: &str,
    view: &View<'_>,
    evaluation: &Evaluation,
    bindings: &[BindingInfo],
    by_subject: &HashMap<&Subject, Vec<usize>>,
    by_object: &HashMap<(&str, &str, &str), Vec<usize>>,
) -> SubjectRow {
    let mut grants: Vec<(usize, Subject)> = Vec::new();
    let via = std::iter::once(subject.clone()).chain(groups_of(subject));
    for through in via {
        if let Some(list) = by_subject.get(&through) {
            grants.extend(
                list.iter()
                    .filter(|b| {
                        let n = bindings[**b].namespace.as_str();
                        n.is_empty() || n == ns
                    })
                    .map(|b| (*b, through.clone())),
            );
        }
    }
    // By binding; a binding reached both directly and through a group keeps the direct one.
    grants.sort_by_key(|(b, _)| *b);
    grants.dedup_by_key(|(b, _)| *b);
    let mut perms = Perms::default();
    let mut admin_cluster_wide = false;
    let mut findings: Vec<usize> = Vec::new();
    for (b, through) in &grants {
        let binding = &bindings[*b];
        perms = perms.union(binding.perms);
        admin_cluster_wide |= binding.is_cluster() && binding.perms.has(Perm::Admin);
        // The risk is what the findings say about this subject's own grants; what it holds
        // through a group is highlighted on the group's row.
        if through != subject {
            continue;
        }
        if let Some(list) = by_object.get(&(binding.kind, &binding.namespace, &binding.name)) {
            findings.extend(list.iter().filter(|i| {
                matches!(&evaluation.findings[**i].object.place, Place::Subject(s) if s == through)
            }));
        }
    }
    if subject.kind == SubjectKind::ServiceAccount
        && subject.namespace == ns
        && let Some(list) = by_object.get(&("ServiceAccount", ns, subject.name.as_str()))
    {
        findings.extend(list.iter().copied());
    }
    findings.sort_unstable();
    findings.dedup();
    SubjectRow {
        subject: subject.clone(),
        namespace: ns.to_string(),
        who: classify(subject, view.settings),
        perms,
        admin_cluster_wide,
        grants,
        risk: worst(&findings, &evaluation.findings),
        findings,
    }
}

/// `broad`, `system` or nothing, for the subject cells.
pub fn class_label(who: Who) -> &'static str {
    match who {
        Who::Broad => " (broad)",
        Who::System => " (system)",
        Who::Group | Who::ServiceAccount | Who::User => "",
    }
}

/// The subject's class by the rules' reading, for a subject of a binding.
pub fn class_of(subject: &Subject, settings: &RulesConfig) -> &'static str {
    class_label(classify(subject, settings))
}
