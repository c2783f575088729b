//! The rule catalog: every rule's id, what it checks, why it matters, its severity, how to
//! fix it and its false-positive notes. `docs/rules.md` is generated from it.

use super::finding::{Area, Finding, ObjectRef, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub remediable: bool,
}

impl RuleInfo {
    /// A finding of this rule with its defaults; callers adjust severity and add evidence.
    pub fn finding(&self, object: ObjectRef, title: impl Into<String>) -> Finding {
        Finding {
            rule: self.id.to_string(),
            severity: self.severity,
            area: self.area,
            object,
            title: title.into(),
            explanation: self.why.to_string(),
            evidence: Vec::new(),
            remediable: self.remediable,
            incomplete: false,
        }
    }

    /// The finding that says this rule could not be evaluated for `object` because
    /// `missing` was unknown. It keeps the rule's severity: unknown is not clean.
    pub fn incomplete(&self, object: ObjectRef, missing: &str) -> Finding {
        Finding {
            rule: self.id.to_string(),
            severity: self.severity,
            area: self.area,
            object,
            title: format!("could not be evaluated: {missing} could not be read"),
            explanation: format!(
                "{} aigov could not read everything this rule needs, so it cannot say this is clean.",
                self.checks
            ),
            evidence: vec![format!("unreadable: {missing}")],
            remediable: false,
            incomplete: true,
        }
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
                if r.remediable { "yes" } else { "guidance only" }
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
