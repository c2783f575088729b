//! `aigov reach`: one volume, the workloads that mount it and every subject that can reach its
//! data with the path, as a table or as JSON. Every cluster string is sanitised in `build`.

use aigov_core::model::objects::StorageClass;
use aigov_core::model::rbac::Subject;
use aigov_core::rules::reach::{Encryption, How, Via, VolumeReach, encryption};
use aigov_core::rules::settings::RulesConfig;
use aigov_core::sanitize::sanitize;
use serde::Serialize;
use std::fmt::Write;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct ReachReport {
    pub schema_version: u32,
    pub context: String,
    pub volume: VolumeOut,
    pub mounted_by: Vec<MountOut>,
    /// Subjects whose paths reach the data (not only the PVC/PV metadata).
    pub subjects_reaching_data: usize,
    pub subjects: Vec<SubjectOut>,
    /// What could not be read, so the list may be incomplete.
    pub unknown: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct VolumeOut {
    pub namespace: String,
    pub pvc: String,
    pub pv: Option<String>,
    pub storage_class: Option<String>,
    pub provisioner: Option<String>,
    /// `encrypted (PARAM)`, `not encrypted`, or `cannot tell`.
    pub encryption: String,
    /// dataset, checkpoint, model or unlabelled.
    pub data: String,
    pub sensitive: bool,
    pub access_modes: Vec<String>,
    pub phase: String,
    pub capacity: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MountOut {
    pub unit_kind: String,
    pub unit_name: String,
    pub container: String,
    pub mount_path: String,
    pub read_only: bool,
    pub service_account: String,
    pub ai: bool,
    pub inference: bool,
    pub pods: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SubjectOut {
    /// User, Group or ServiceAccount.
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// A subject Kubernetes itself needs (`system:` users, kube-system accounts).
    pub system: bool,
    pub paths: Vec<PathOut>,
    /// The table's rows: (way, granted by), the rules of one binding merged.
    #[serde(skip)]
    pub rows: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct PathOut {
    /// `create_pod`, `create_workload`, `exec_into_pod`, `attach_to_pod`,
    /// `act_as_service_account`, `is_service_account`, `read_write_claim` or
    /// `read_write_volume`.
    pub how: &'static str,
    /// Kinds that can be created (`create_workload`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Units as `Kind/name` (`exec_into_pod`, `attach_to_pod`, `is_service_account`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// Verbs on the object (`read_write_claim`, `read_write_volume`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<String>,
    /// The service account taken over (`act_as_service_account`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// `impersonate` or `token_request` (`act_as_service_account`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    pub description: String,
    /// False when the path only reads the PVC or PV object.
    pub reaches_data: bool,
    pub binding: Option<BindingOut>,
}

#[derive(Debug, Serialize)]
pub struct BindingOut {
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
    pub role_kind: String,
    pub role_name: String,
    pub rule: RuleOut,
}

#[derive(Debug, Serialize)]
pub struct RuleOut {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
}

fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

fn clean_all(items: &[String]) -> Vec<String> {
    items.iter().map(|s| clean(s)).collect()
}

fn path_out(how: &How, binding: Option<BindingOut>) -> PathOut {
    let mut out = PathOut {
        how: how.tag(),
        kinds: Vec::new(),
        units: Vec::new(),
        verbs: Vec::new(),
        service_account: None,
        via: None,
        description: clean(&how.describe()),
        reaches_data: how.reaches_data(),
        binding,
    };
    match how {
        How::CreatePod => {}
        How::CreateWorkload { kinds } => out.kinds = kinds.iter().map(|k| k.to_string()).collect(),
        How::ExecIntoPod { units }
        | How::AttachToPod { units }
        | How::IsServiceAccount { units } => {
            out.units = units.iter().map(|u| clean(&u.to_string())).collect();
        }
        How::ActAsServiceAccount {
            service_account,
            via,
        } => {
            out.service_account = Some(clean(service_account));
            out.via = Some(*via);
        }
        How::ReadWriteClaim { verbs } | How::ReadWriteVolume { verbs } => {
            out.verbs = verbs.iter().map(|v| v.to_string()).collect();
        }
    }
    out
}

fn encryption_text(class: Option<&StorageClass>) -> String {
    match class.map(encryption) {
        Some(Encryption::Encrypted(param)) => format!("encrypted ({})", clean(&param)),
        Some(Encryption::NotEncrypted(hint)) => format!("not encrypted (missing {hint})"),
        Some(Encryption::Unknown) | None => "cannot tell".into(),
    }
}

/// The report of one volume. `class` is the volume's StorageClass when it exists.
pub fn build(
    context: &str,
    reach: &VolumeReach,
    class: Option<&StorageClass>,
    settings: &RulesConfig,
) -> ReachReport {
    let volume = VolumeOut {
        namespace: clean(reach.namespace),
        pvc: clean(reach.pvc),
        pv: reach.pv.map(clean),
        storage_class: reach.storage_class.map(clean),
        provisioner: class.map(|c| clean(&c.provisioner)),
        encryption: encryption_text(class),
        data: reach.data.name().to_string(),
        sensitive: reach.sensitive,
        access_modes: clean_all(reach.access_modes),
        phase: clean(reach.phase),
        capacity: reach.capacity.map(clean),
    };
    let mounted_by = reach
        .mounted_by
        .iter()
        .map(|m| MountOut {
            unit_kind: m.unit.kind.to_string(),
            unit_name: clean(m.unit.name),
            container: clean(m.container),
            mount_path: clean(m.mount_path),
            read_only: m.read_only,
            service_account: clean(m.service_account),
            ai: m.ai,
            inference: m.inference,
            pods: m.pods.iter().map(|p| clean(p)).collect(),
        })
        .collect();
    let mut subjects: Vec<SubjectOut> = Vec::new();
    // The table's rows of the current subject: one per way and binding, the rules of one
    // role merged for reading (the JSON keeps every rule).
    let mut merged: Vec<(How, String)> = Vec::new();
    let mut current: Option<&Subject> = None;
    for path in &reach.paths {
        if current != Some(&path.subject) {
            finish_rows(&mut subjects, &mut merged);
            current = Some(&path.subject);
            subjects.push(SubjectOut {
                kind: format!("{:?}", path.subject.kind),
                name: clean(&path.subject.name),
                namespace: clean(&path.subject.namespace),
                system: aigov_core::rules::reach::is_system_subject(settings, &path.subject),
                paths: Vec::new(),
                rows: Vec::new(),
            });
        }
        let binding = path.grant.as_ref().map(|g| BindingOut {
            kind: g.binding_kind.to_string(),
            namespace: clean(&g.binding_namespace),
            name: clean(&g.binding_name),
            role_kind: format!("{:?}", g.role_kind),
            role_name: clean(&g.role_name),
            rule: RuleOut {
                verbs: clean_all(&g.rule.verbs),
                api_groups: clean_all(&g.rule.api_groups),
                resources: clean_all(&g.rule.resources),
                resource_names: clean_all(&g.rule.resource_names),
            },
        });
        let label = binding_label(binding.as_ref());
        let merged_in = (merged.iter_mut()).any(|(h, l)| *l == label && h.merge(&path.how));
        if !merged_in {
            merged.push((path.how.clone(), label));
        }
        if let Some(s) = subjects.last_mut() {
            s.paths.push(path_out(&path.how, binding));
        }
    }
    finish_rows(&mut subjects, &mut merged);
    ReachReport {
        schema_version: SCHEMA_VERSION,
        context: clean(context),
        volume,
        mounted_by,
        subjects_reaching_data: reach.subjects().len(),
        subjects,
        unknown: clean_all(&reach.unknown),
    }
}

fn finish_rows(subjects: &mut [SubjectOut], merged: &mut Vec<(How, String)>) {
    if let Some(s) = subjects.last_mut() {
        for (how, label) in merged.drain(..) {
            let marker = if how.reaches_data() { "" } else { "* " };
            s.rows
                .push((format!("{marker}{}", clean(&how.describe())), label));
        }
    }
}

pub fn to_json(report: &ReachReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn subject_label(s: &SubjectOut) -> String {
    let mut label = if s.namespace.is_empty() {
        format!("{}/{}", s.kind, s.name)
    } else {
        format!("{}/{}/{}", s.kind, s.namespace, s.name)
    };
    if s.system {
        label.push_str(" (system)");
    }
    label
}

fn binding_label(binding: Option<&BindingOut>) -> String {
    match binding {
        None => "its pods mount the claim".into(),
        Some(b) => {
            let binding = if b.namespace.is_empty() {
                b.name.clone()
            } else {
                format!("{}/{}", b.namespace, b.name)
            };
            let names = if b.rule.resource_names.is_empty() {
                String::new()
            } else {
                format!(" [names: {}]", b.rule.resource_names.join(", "))
            };
            format!(
                "{} {binding} -> {} {}{names}",
                b.kind, b.role_kind, b.role_name
            )
        }
    }
}

/// Rows padded to the widest cell of each column but the last.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::from("  ");
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn to_table(report: &ReachReport) -> String {
    let v = &report.volume;
    let mut out = String::new();
    let sensitive = if v.sensitive {
        "sensitive"
    } else {
        "not sensitive"
    };
    let _ = writeln!(
        out,
        "PVC {}/{}  ({}, {sensitive})",
        v.namespace, v.pvc, v.data
    );
    let _ = writeln!(
        out,
        "  PV {}, StorageClass {}, provisioner {}, {}",
        v.pv.as_deref().unwrap_or("(none)"),
        v.storage_class.as_deref().unwrap_or("(none)"),
        v.provisioner.as_deref().unwrap_or("(unknown)"),
        v.encryption
    );
    let _ = writeln!(
        out,
        "  {}, {}, {}",
        if v.access_modes.is_empty() {
            "no access modes".to_string()
        } else {
            v.access_modes.join(", ")
        },
        if v.phase.is_empty() {
            "no phase"
        } else {
            &v.phase
        },
        v.capacity.as_deref().unwrap_or("size unknown")
    );
    out.push('\n');
    if report.mounted_by.is_empty() {
        out.push_str("MOUNTED BY: no workload mounts it\n");
    } else {
        out.push_str("MOUNTED BY\n");
        let mut rows = vec![
            [
                "WORKLOAD",
                "CONTAINER",
                "PATH",
                "MODE",
                "SERVICE ACCOUNT",
                "PODS",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for m in &report.mounted_by {
            rows.push(vec![
                format!("{}/{}", m.unit_kind, m.unit_name),
                if m.container.is_empty() {
                    "-".into()
                } else {
                    m.container.clone()
                },
                if m.mount_path.is_empty() {
                    "-".into()
                } else {
                    m.mount_path.clone()
                },
                if m.read_only {
                    "read-only"
                } else {
                    "read-write"
                }
                .into(),
                m.service_account.clone(),
                m.pods.len().to_string(),
            ]);
        }
        out.push_str(&table(&rows));
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "WHO CAN REACH THE DATA ({} subjects; * = metadata only)",
        report.subjects_reaching_data
    );
    if report.subjects.is_empty() {
        out.push_str("  nobody found\n");
    } else {
        let mut rows = vec![["SUBJECT", "HOW", "GRANTED BY"].map(String::from).to_vec()];
        for s in &report.subjects {
            for (i, (description, label)) in s.rows.iter().enumerate() {
                rows.push(vec![
                    if i == 0 {
                        subject_label(s)
                    } else {
                        String::new()
                    },
                    description.clone(),
                    label.clone(),
                ]);
            }
        }
        out.push_str(&table(&rows));
    }
    if !report.unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nincomplete: could not read {}",
            report.unknown.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use aigov_core::model::rbac::{PolicyRule, RoleRefKind};
    use aigov_core::rules::rbac::Grant;
    use aigov_core::rules::reach::{DataKind, Mount, ReachPath, UnitRef};

    const EVIL: &str = "data\u{1b}[2J\u{202e}";

    fn hostile_reach() -> VolumeReach<'static> {
        let grant = Grant {
            binding_kind: "RoleBinding",
            binding_namespace: "ml".into(),
            binding_name: format!("b-{EVIL}"),
            role_kind: RoleRefKind::Role,
            role_name: "exec".into(),
            rule: PolicyRule {
                verbs: vec!["create".into()],
                api_groups: vec![String::new()],
                resources: vec!["pods/exec".into()],
                ..Default::default()
            },
            subject: Subject::user(EVIL),
        };
        let unit = UnitRef {
            kind: "Pod",
            name: EVIL,
        };
        VolumeReach {
            namespace: "ml",
            pvc: EVIL,
            pv: None,
            storage_class: None,
            data: DataKind::Dataset,
            sensitive: true,
            access_modes: &[],
            phase: "Bound",
            capacity: None,
            mounted_by: vec![Mount {
                unit,
                ai: true,
                inference: false,
                volume: "v",
                container: EVIL,
                mount_path: "/data",
                read_only: false,
                service_account: "default",
                pods: vec![EVIL],
            }],
            paths: vec![ReachPath {
                subject: Subject::user(EVIL),
                how: How::ExecIntoPod { units: vec![unit] },
                grant: Some(std::sync::Arc::new(grant)),
            }],
            unknown: vec![format!("rolebindings in {EVIL}")],
        }
    }

    #[test]
    fn cluster_strings_are_sanitised_in_table_and_json() {
        let report = build("ctx", &hostile_reach(), None, &RulesConfig::default());
        for text in [to_table(&report), to_json(&report)] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{202e}'),
                "{text}"
            );
            assert!(
                text.contains("data^[[2J"),
                "made visible, not dropped: {text}"
            );
        }
        let table = to_table(&report);
        assert!(table.contains("exec into Pod/data^[[2J"), "{table}");
        assert!(table.contains("cannot tell"), "no StorageClass: {table}");
        assert_eq!(report.subjects_reaching_data, 1);
        let last = table.lines().last().unwrap();
        assert_eq!(
            last,
            "incomplete: could not read rolebindings in data^[[2J\\u{202e}"
        );
    }
}
