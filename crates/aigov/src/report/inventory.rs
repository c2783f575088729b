//! `aigov inventory`: counts per kind and namespace, the identity, and what could not be read.

use aigov_core::model::{Coverage, Kind, Snapshot};
use aigov_core::sanitize::sanitize;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Inventory {
    pub schema_version: u32,
    pub context: String,
    pub server: String,
    pub identity: IdentityOut,
    pub loaded_at: String,
    pub totals: BTreeMap<String, usize>,
    pub counts: Vec<CountOut>,
    pub unreadable: Vec<UnreadableOut>,
}

#[derive(Debug, Serialize)]
pub struct IdentityOut {
    pub username: String,
    pub groups: Vec<String>,
    pub source: String,
}

#[derive(Debug, Serialize)]
pub struct CountOut {
    pub kind: String,
    /// Empty for cluster-scoped kinds.
    pub namespace: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct UnreadableOut {
    pub kind: String,
    /// `unknown` (nothing read) or `partial` (some namespaces unread).
    pub state: String,
    pub reason: String,
    pub namespaces: BTreeMap<String, String>,
}

fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

/// Build the inventory from a snapshot. Every cluster string is sanitised here, once.
pub fn build(snapshot: &Snapshot) -> Inventory {
    let counts = snapshot.counts();
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    for kind in Kind::ALL {
        if matches!(
            snapshot.coverage.get(&kind),
            Some(Coverage::NotServed) | None
        ) {
            continue;
        }
        totals.insert(kind.name().to_string(), 0);
    }
    for ((kind, _), n) in &counts {
        *totals.entry(kind.name().to_string()).or_insert(0) += n;
    }
    let unreadable = snapshot
        .coverage
        .iter()
        .filter_map(|(kind, coverage)| match coverage {
            Coverage::Unknown { reason } => Some(UnreadableOut {
                kind: kind.name().to_string(),
                state: "unknown".into(),
                reason: clean(reason),
                namespaces: BTreeMap::new(),
            }),
            Coverage::Partial { unknown_namespaces } => Some(UnreadableOut {
                kind: kind.name().to_string(),
                state: "partial".into(),
                reason: format!(
                    "{} namespace(s) could not be read",
                    unknown_namespaces.len()
                ),
                namespaces: unknown_namespaces
                    .iter()
                    .map(|(ns, r)| (clean(ns), clean(r)))
                    .collect(),
            }),
            Coverage::Complete | Coverage::NotServed => None,
        })
        .collect();
    let origin = &snapshot.origin;
    Inventory {
        schema_version: SCHEMA_VERSION,
        context: clean(&origin.context),
        server: clean(&origin.server),
        identity: IdentityOut {
            username: clean(&origin.identity.username),
            groups: origin.identity.groups.iter().map(|g| clean(g)).collect(),
            source: origin.identity.source.clone(),
        },
        loaded_at: origin.loaded_at.clone(),
        totals,
        counts: counts
            .into_iter()
            .map(|((kind, ns), count)| CountOut {
                kind: kind.name().to_string(),
                namespace: clean(&ns),
                count,
            })
            .collect(),
        unreadable,
    }
}

pub fn to_json(inventory: &Inventory) -> String {
    serde_json::to_string_pretty(inventory).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub fn to_table(inventory: &Inventory) -> String {
    let mut out = String::new();
    let groups = if inventory.identity.groups.is_empty() {
        String::new()
    } else {
        format!(" (groups: {})", inventory.identity.groups.join(", "))
    };
    let _ = writeln!(out, "Context:   {}", inventory.context);
    let _ = writeln!(out, "Server:    {}", inventory.server);
    let _ = writeln!(
        out,
        "Identity:  {}{groups} [from {}]",
        inventory.identity.username, inventory.identity.source
    );
    let _ = writeln!(out, "Loaded at: {}", inventory.loaded_at);
    let _ = writeln!(out);
    let kind_width = inventory
        .counts
        .iter()
        .map(|c| c.kind.len())
        .chain([4])
        .max()
        .unwrap_or(4);
    let ns_width = inventory
        .counts
        .iter()
        .map(|c| c.namespace.chars().count())
        .chain([9])
        .max()
        .unwrap_or(9);
    let _ = writeln!(
        out,
        "{:<kind_width$}  {:<ns_width$}  {:>6}",
        "KIND", "NAMESPACE", "COUNT"
    );
    for c in &inventory.counts {
        let ns = if c.namespace.is_empty() {
            "-"
        } else {
            &c.namespace
        };
        let _ = writeln!(
            out,
            "{:<kind_width$}  {:<ns_width$}  {:>6}",
            c.kind, ns, c.count
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "TOTALS");
    for kind in Kind::ALL {
        if let Some(n) = inventory.totals.get(kind.name()) {
            let _ = writeln!(out, "{:<kind_width$}  {n:>6}", kind.name());
        }
    }
    if !inventory.unreadable.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "COULD NOT READ (treated as unknown, not as empty)");
        for u in &inventory.unreadable {
            let _ = writeln!(out, "{:<kind_width$}  {}: {}", u.kind, u.state, u.reason);
            for (ns, reason) in &u.namespaces {
                let _ = writeln!(out, "{:<kind_width$}    {ns}: {reason}", "");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::model::objects::Namespace;
    use aigov_core::model::{Meta, Object};

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.origin.context = "ctx".into();
        s.origin.identity.username = "alice\u{1b}[2J".into();
        for name in ["a", "b"] {
            s.insert(Object::Namespace(Namespace {
                meta: Meta {
                    name: name.into(),
                    ..Default::default()
                },
                phase: "Active".into(),
            }));
        }
        s.coverage.insert(Kind::Namespace, Coverage::Complete);
        s.coverage.insert(
            Kind::Secret,
            Coverage::Unknown {
                reason: "secrets is forbidden".into(),
            },
        );
        s.coverage.insert(Kind::TFJob, Coverage::NotServed);
        s
    }

    #[test]
    fn inventory_counts_totals_and_unreadable_kinds() {
        let inv = build(&snapshot());
        assert_eq!(inv.totals.get("Namespace"), Some(&2));
        assert_eq!(inv.totals.get("Secret"), Some(&0));
        assert!(!inv.totals.contains_key("TFJob"));
        assert_eq!(inv.unreadable.len(), 1);
        assert_eq!(inv.unreadable[0].kind, "Secret");
        let table = to_table(&inv);
        assert!(table.contains("COULD NOT READ"));
        assert!(table.contains("Secret"));
    }

    #[test]
    fn cluster_text_is_sanitised_in_every_format() {
        let inv = build(&snapshot());
        assert!(!to_table(&inv).contains('\u{1b}'));
        assert!(!to_json(&inv).contains("\\u001b"));
        assert!(to_table(&inv).contains("alice^[[2J"));
    }
}
