//! AI namespace classification: a score with the reasons behind it. An explicit
//! `aigov.dev/ai=true|false` label wins; otherwise accelerator requests, AI images and AI
//! custom resources add points, and a namespace at or above the threshold is an AI namespace.

use super::settings::RulesConfig;
use super::view::Unit;
use crate::model::Snapshot;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamespaceClass {
    pub name: String,
    pub ai: bool,
    /// 0 to 100.
    pub score: u32,
    pub reasons: Vec<String>,
    /// Set when the namespace label decided the classification.
    pub explicit: Option<bool>,
    /// Units (workloads and bare pods) in the namespace, and how many are AI.
    pub workloads: usize,
    pub ai_workloads: usize,
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub fn classify_namespaces(
    snapshot: &Snapshot,
    settings: &RulesConfig,
    units: &[Unit<'_>],
) -> BTreeMap<String, NamespaceClass> {
    struct Tally {
        units: usize,
        ai_units: usize,
        accelerators: BTreeMap<String, usize>,
        images: BTreeMap<String, usize>,
        custom: BTreeMap<String, usize>,
    }
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let empty = || Tally {
        units: 0,
        ai_units: 0,
        accelerators: BTreeMap::new(),
        images: BTreeMap::new(),
        custom: BTreeMap::new(),
    };
    for ns in &snapshot.namespaces {
        tallies.entry(ns.meta.name.as_str()).or_insert_with(empty);
    }
    for unit in units {
        let t = tallies.entry(unit.namespace).or_insert_with(empty);
        t.units += 1;
        if unit.is_ai() {
            t.ai_units += 1;
        }
        for a in &unit.ai.accelerators {
            *t.accelerators.entry(a.clone()).or_insert(0) += 1;
        }
        for i in &unit.ai.images {
            if let Some(k) = settings.ai.ai_image_keyword(i) {
                *t.images.entry(k.to_string()).or_insert(0) += 1;
            }
        }
    }
    for cr in &snapshot.custom {
        if settings.ai.custom_kinds.iter().any(|k| k == cr.kind.name()) {
            let t = tallies
                .entry(cr.meta.namespace.as_str())
                .or_insert_with(empty);
            *t.custom.entry(cr.kind.name().to_string()).or_insert(0) += 1;
        }
    }
    let labels: BTreeMap<&str, &crate::model::Labels> = snapshot
        .namespaces
        .iter()
        .map(|n| (n.meta.name.as_str(), &n.meta.labels))
        .collect();
    tallies
        .into_iter()
        .map(|(name, t)| {
            let explicit = labels
                .get(name)
                .and_then(|l| l.get(&settings.ai.label))
                .and_then(|v| match v.as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                });
            let mut score = 0u32;
            let mut reasons = Vec::new();
            if !t.accelerators.is_empty() {
                score += settings.ai.accelerator_points;
                let what: Vec<String> = t
                    .accelerators
                    .iter()
                    .map(|(r, n)| format!("{r} ({})", plural(*n, "workload")))
                    .collect();
                reasons.push(format!("requests accelerators: {}", what.join(", ")));
            }
            if !t.images.is_empty() {
                score += settings.ai.image_points;
                let what: Vec<String> = t
                    .images
                    .iter()
                    .map(|(k, n)| format!("{k} ({})", plural(*n, "workload")))
                    .collect();
                reasons.push(format!("runs AI images: {}", what.join(", ")));
            }
            if !t.custom.is_empty() {
                score += settings.ai.custom_resource_points;
                let what: Vec<String> = t.custom.iter().map(|(k, n)| format!("{n} {k}")).collect();
                reasons.push(format!("has AI custom resources: {}", what.join(", ")));
            }
            let score = score.min(100);
            let ai = match explicit {
                Some(decided) => {
                    reasons.insert(0, format!("labelled {}={decided}", settings.ai.label));
                    decided
                }
                None => score >= settings.ai.threshold,
            };
            let class = NamespaceClass {
                name: name.to_string(),
                ai,
                score: if explicit == Some(true) {
                    100
                } else if explicit == Some(false) {
                    0
                } else {
                    score
                },
                reasons,
                explicit,
                workloads: t.units,
                ai_workloads: t.ai_units,
            };
            (name.to_string(), class)
        })
        .collect()
}
