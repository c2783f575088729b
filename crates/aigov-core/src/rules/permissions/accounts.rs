//! Service accounts in bindings: subjects that do not exist (RBAC-008), and the `default`
//! service account of AI namespaces with bindings or an automounted token (RBAC-009).

use super::context::{Context, subject_label};
use super::info;
use crate::model::Kind;
use crate::model::rbac::SubjectKind;
use crate::rules::finding::{Finding, ObjectRef, Place, Severity};
use crate::rules::view::Unit;
use std::collections::{BTreeMap, HashMap, HashSet};

/// At most this many workloads are named in one finding's evidence.
const MAX_LISTED: usize = 10;

pub fn evaluate(ctx: &Context, out: &mut Vec<Finding>) {
    missing_subjects(ctx, out);
    default_accounts(ctx, out);
}

fn missing_subjects(ctx: &Context, out: &mut Vec<Finding>) {
    let view = ctx.view;
    let namespaces: HashSet<&str> = view
        .snapshot
        .namespaces
        .iter()
        .map(|n| n.meta.name.as_str())
        .collect();
    let namespaces_known = view.known(Kind::Namespace, "");
    for bound in &ctx.bindings {
        for subject in &bound.subjects {
            if subject.kind != SubjectKind::ServiceAccount {
                continue;
            }
            let label = subject_label(subject);
            let (title, why) = if subject.namespace.is_empty() {
                (
                    format!("{} names ServiceAccount {} without a namespace", bound.via(), subject.name),
                    "a ClusterRoleBinding's ServiceAccount subject needs a namespace: this one matches nobody, and the intended account lacks the grant".to_string(),
                )
            } else if !view.known(Kind::ServiceAccount, &subject.namespace) {
                out.push(
                    info::MISSING_SUBJECT.incomplete(bound.object(subject), "ServiceAccounts"),
                );
                continue;
            } else if view.service_account_exists(&subject.namespace, &subject.name) {
                continue;
            } else if namespaces_known && !namespaces.contains(subject.namespace.as_str()) {
                (
                    format!(
                        "{} names {label}, whose namespace does not exist",
                        bound.via()
                    ),
                    format!(
                        "namespace {} does not exist: whoever creates it and the service account {} gets the grant",
                        subject.namespace, subject.name
                    ),
                )
            } else {
                (
                    format!("{} names {label}, which does not exist", bound.via()),
                    format!(
                        "no ServiceAccount {} in namespace {}: whoever creates it gets the grant",
                        subject.name, subject.namespace
                    ),
                )
            };
            let mut evidence = vec![why];
            if !bound.role_exists {
                evidence.push(format!("{}: the role does not exist either", bound.via()));
            } else {
                evidence.push(format!("{} ({} rules)", bound.via(), bound.rules.len()));
            }
            out.push(ctx.finding(
                &info::MISSING_SUBJECT,
                bound,
                subject,
                Severity::Medium,
                title,
                evidence,
            ));
        }
    }
}

fn default_accounts(ctx: &Context, out: &mut Vec<Finding>) {
    let view = ctx.view;
    let mut bindings: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for bound in &ctx.bindings {
        let mut named: Vec<&str> = bound
            .subjects
            .iter()
            .filter(|s| s.kind == SubjectKind::ServiceAccount && s.name == "default")
            .map(|s| s.namespace.as_str())
            .filter(|ns| view.is_ai_namespace(ns))
            .collect();
        named.dedup();
        for ns in named {
            let line = match bound.rules {
                [] => format!("{}: the role does not exist", bound.via()),
                rules => format!("{} ({} rules)", bound.via(), rules.len()),
            };
            bindings.entry(ns).or_default().push(line);
        }
    }
    // AI workloads running as `default`, by namespace, in one pass over the units.
    let mut as_default: HashMap<&str, Vec<&Unit>> = HashMap::new();
    for unit in &view.units {
        let default = matches!(unit.spec.service_account.as_str(), "" | "default");
        if default && unit.is_ai() && view.is_ai_namespace(unit.namespace) {
            as_default.entry(unit.namespace).or_default().push(unit);
        }
    }
    let sa_exists: HashSet<&str> = view
        .snapshot
        .service_accounts
        .iter()
        .filter(|s| s.meta.name == "default")
        .map(|s| s.meta.namespace.as_str())
        .collect();
    let automount_of: HashMap<&str, Option<bool>> = view
        .snapshot
        .service_accounts
        .iter()
        .filter(|s| s.meta.name == "default")
        .map(|s| (s.meta.namespace.as_str(), s.automount_token))
        .collect();
    for ns in ctx.ai_namespaces.iter().copied() {
        let object = ObjectRef::new("ServiceAccount", ns, "default");
        let bound = bindings.get(ns);
        if let Some(lines) = bound {
            let mut finding = info::DEFAULT_ACCOUNT.finding(
                object.clone().at(Place::Bindings),
                format!(
                    "the default ServiceAccount of {ns} is named in {} binding(s)",
                    lines.len()
                ),
            );
            finding.evidence = lines.clone();
            finding.evidence.push(format!(
                "every pod in {ns} that names no service account runs with these permissions"
            ));
            out.push(finding);
        }
        let sa_known = view.known(Kind::ServiceAccount, ns);
        let sa_automount = automount_of.get(ns).copied().flatten();
        let (mut mounted, mut undecided) = (Vec::new(), 0usize);
        // Units whose own template must change (the account's setting does not win over
        // theirs), and whether each of them can be patched in place.
        let mut template_fix_possible = true;
        for unit in as_default.get(ns).into_iter().flatten() {
            let automount = match (unit.spec.automount_token, sa_known) {
                (Some(pod), _) => Some(pod),
                (None, true) => Some(sa_automount.unwrap_or(true)),
                (None, false) => None,
            };
            match automount {
                Some(true) => {
                    let own_setting =
                        unit.spec.automount_token == Some(true) || !sa_exists.contains(ns);
                    if own_setting && !unit.spec_patchable() {
                        template_fix_possible = false;
                    }
                    mounted.push(format!("{}/{}", unit.kind, unit.name));
                }
                Some(false) => {}
                None => undecided += 1,
            }
        }
        if mounted.is_empty() {
            if undecided > 0 {
                out.push(
                    info::DEFAULT_ACCOUNT
                        .incomplete(object.at(Place::Automount), "ServiceAccounts"),
                );
            }
            continue;
        }
        let count = mounted.len();
        let mut finding = info::DEFAULT_ACCOUNT.finding(
            object.at(Place::Automount),
            format!("{count} AI workload(s) in {ns} automount the default ServiceAccount's token"),
        );
        let mut evidence: Vec<String> = mounted
            .iter()
            .take(MAX_LISTED)
            .map(|u| format!("{u} runs as default with its token mounted"))
            .collect();
        if count > MAX_LISTED {
            evidence.push(format!("… and {} more", count - MAX_LISTED));
        }
        if sa_automount.is_none() {
            evidence.push(format!(
                "ServiceAccount {ns}/default does not set automountServiceAccountToken: false"
            ));
        }
        if let Some(lines) = bound {
            finding.severity = Severity::High;
            evidence.push("the token carries the permissions of:".to_string());
            evidence.extend(lines.iter().cloned());
        }
        if !template_fix_possible {
            finding.remediable = false;
            evidence.push(
                "a pod or Job sets automountServiceAccountToken itself and cannot be patched in place"
                    .to_string(),
            );
        }
        finding.evidence = evidence;
        out.push(finding);
    }
}
