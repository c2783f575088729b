//! The rule catalog: every rule's id, what it checks, why it matters, its severity, how to
//! fix it and its false-positive notes. `docs/rules.md` is generated from it.

use super::finding::{Area, Detail, Finding, ObjectRef, Severity};

/// How a rule's findings are fixed. Each rule declares it; whether a finding is remediable
/// follows from it, and remediation dispatches on it (an exhaustive match, so a new planner
/// cannot be left without code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// The rule's fix text, for a person to apply.
    Guidance,
    /// Config drift: a person decides. Accept the object into the baseline, or restore a
    /// ConfigMap from the content the baseline keeps.
    Drift,
    /// A change aigov plans, reviews by dry run and applies.
    Plan(Planner),
}

/// The planners of `aigov-remediation`, one per kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planner {
    /// Set the namespace's Pod Security `enforce` label.
    PodSecurityLabel,
    /// Create a default-deny NetworkPolicy in the namespace.
    DefaultDenyPolicy,
    /// Take the subject the finding names out of its binding (or narrow the role it uses).
    BindingSubject,
    /// Unbind the namespace's `default` service account, or turn its token automount off.
    DefaultAccount,
    /// Mount a volume read-only in every container of the workload.
    ReadOnlyMounts,
    /// Pin a container's image to the digest it runs (or the registry's).
    PinDigest,
    /// A ValidatingAdmissionPolicy that requires digests in the AI namespaces.
    RequireDigests,
}

#[derive(Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: &'static str,
    pub area: Area,
    /// The usual severity; some findings raise or lower it, as their rule describes.
    pub severity: Severity,
    /// One line: what the rule reports.
    pub title: &'static str,
    pub checks: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    pub false_positives: &'static str,
    pub remedy: Remedy,
}

impl RuleInfo {
    /// Whether aigov plans a change for this rule's findings (a finding may still not be
    /// remediable when its object is one the planner cannot change).
    pub fn remediable(&self) -> bool {
        matches!(self.remedy, Remedy::Plan(_))
    }

    /// A finding of this rule with its defaults; callers adjust severity and add evidence.
    pub fn finding(&'static self, object: ObjectRef, title: impl Into<String>) -> Finding {
        Finding {
            rule: self,
            severity: self.severity,
            object,
            title: title.into(),
            explanation: self.why.to_string(),
            evidence: Vec::new(),
            remediable: self.remediable(),
            incomplete: false,
            detail: Detail::None,
        }
    }

    /// The finding that says this rule could not be evaluated for `object` because
    /// `missing` was unknown. It keeps the rule's severity: unknown is not clean.
    pub fn incomplete(&'static self, object: ObjectRef, missing: &str) -> Finding {
        Finding {
            rule: self,
            severity: self.severity,
            object,
            title: format!("could not be evaluated: {missing} could not be read"),
            explanation: format!(
                "{} aigov could not read everything this rule needs, so it cannot say this is clean.",
                self.checks
            ),
            evidence: vec![format!("unreadable: {missing}")],
            remediable: false,
            incomplete: true,
            detail: Detail::None,
        }
    }
}

impl std::fmt::Display for RuleInfo {
    /// The rule's id.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// A rule compared with its id text (`f.rule == "AIGOV-IMG-001"`), as scripts and reports
/// name it.
impl PartialEq<&str> for &RuleInfo {
    fn eq(&self, id: &&str) -> bool {
        self.id == *id
    }
}

/// Every rule, in id order.
pub fn all() -> Vec<&'static RuleInfo> {
    let mut rules: Vec<&'static RuleInfo> = super::namespaces::RULES
        .iter()
        .chain(super::permissions::RULES)
        .chain(super::reach::RULES)
        .chain(super::images::RULES)
        .chain(super::config::RULES)
        .chain(super::admission::RULES)
        .copied()
        .collect();
    rules.sort_by_key(|r| r.id);
    rules
}

pub fn find(id: &str) -> Option<&'static RuleInfo> {
    all().into_iter().find(|r| r.id == id)
}

/// `docs/rules.md`, generated so that it cannot drift from the code.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Rules\n\nGenerated from `crates/aigov-core/src/rules` by `aigov rules --format markdown`; a test keeps this file in step with the code.\n\n\
         Rule ids never change meaning once released. Severities are the usual ones; where a finding raises or lowers it, the rule says so.\n",
    );
    for area in Area::ALL {
        let rules: Vec<_> = all().into_iter().filter(|r| r.area == area).collect();
        out.push_str(&format!("\n## {} ({})\n", area.title(), area.code()));
        if rules.is_empty() {
            out.push_str("\nNo rules yet.\n");
        }
        for r in rules {
            out.push_str(&format!(
                "\n### {}: {}\n\n- **Severity:** {}\n- **Checks:** {}\n- **Why it matters:** {}\n- **How to fix:** {}\n- **False positives:** {}\n- **Remediation in aigov:** {}\n",
                r.id,
                r.title,
                r.severity,
                r.checks,
                r.why,
                r.fix,
                r.false_positives,
                match r.remedy {
                    Remedy::Plan(_) => "yes",
                    Remedy::Drift => "accept into the baseline (`aigov baseline accept`); a drifted ConfigMap can also be restored from it",
                    Remedy::Guidance => "guidance only",
                }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_match_their_area() {
        let rules = all();
        let mut ids: Vec<_> = rules.iter().map(|r| r.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), rules.len(), "duplicate rule ids");
        for r in rules {
            let parts: Vec<&str> = r.id.split('-').collect();
            assert_eq!(parts.len(), 3, "{}", r.id);
            assert_eq!(parts[0], "AIGOV");
            assert_eq!(parts[1], r.area.code(), "{}", r.id);
            assert!(
                parts[2].len() == 3 && parts[2].chars().all(|c| c.is_ascii_digit()),
                "{}",
                r.id
            );
            for text in [r.title, r.checks, r.why, r.fix, r.false_positives] {
                assert!(!text.trim().is_empty(), "{} has an empty field", r.id);
            }
        }
    }

    #[test]
    fn docs_rules_md_is_generated_from_the_catalog() {
        let on_disk =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md"))
                .unwrap_or_default();
        assert!(
            on_disk == markdown(),
            "docs/rules.md is out of date: run `cargo run -- rules --format markdown > docs/rules.md`"
        );
    }
}
