//! Config rules: secret-like literals in the ConfigMaps and env values of AI workloads, and
//! drift of the ConfigMaps and Secrets they use against an approved [`Baseline`]. Values are
//! never shown: findings name keys, with at most the first four characters of a literal and
//! short hash prefixes for drift.
//!
//! "AI workloads" here are units with AI signals plus every unit in an AI namespace (a proxy
//! in front of a model server shares its namespace's data). `kube-root-ca.crt`, which the
//! control plane publishes in every namespace, is left out.

mod drift;
mod literals;
#[cfg(test)]
mod tests;

pub use drift::{
    Accepted, BASELINE_SCHEMA_VERSION, Baseline, ConfigMapRecord, SecretRecord, StoredContent,
    sha256_hex,
};
pub use literals::{Hit, classify, entropy_bits, scan};

use super::catalog::{Remedy, RuleInfo};
use super::finding::{Area, Detail, Finding, ObjectRef, Place, Severity};
use super::images::{POD_KINDS, unknown_scopes};
use super::view::{Unit, View};
use crate::model::Kind;
use crate::model::objects::ConfigMap;
use crate::model::workloads::{EnvFromSource, EnvSource, PodSpec, VolumeSource};
use crate::sanitize::sanitize;
use std::collections::{BTreeMap, BTreeSet};

pub static CFG_001: RuleInfo = RuleInfo {
    id: "AIGOV-CFG-001",
    area: Area::Config,
    severity: Severity::High,
    title: "Secret-like literal in a ConfigMap used by AI workloads",
    checks: "Data keys of ConfigMaps used by AI workloads or in AI namespaces: credential variables (HF_TOKEN, HUGGING_FACE_HUB_TOKEN, OPENAI_API_KEY, WANDB_API_KEY, AWS_SECRET_ACCESS_KEY, AWS_ACCESS_KEY_ID with an AKIA/ASIA value, ANTHROPIC_API_KEY), high-entropy values under *_TOKEN/*_KEY/*_PASSWORD/*_SECRET names, well-known token prefixes (hf_, sk-, sk-proj-, ghp_, xoxb-/xoxp-, ...), private keys, and `.env`-style KEY=value lines inside multi-line values.",
    why: "ConfigMaps are not secret: anyone who can read or list them in the namespace, every pod that mounts them, and every backup and GitOps repository holding them gets the credential. A model-hub or API token lets its holder pull gated models, push poisoned ones, or spend the organisation's API budget.",
    fix: "Move the value into a Secret (or an external secret store), reference it with `secretKeyRef`/`envFrom.secretRef`, remove it from the ConfigMap, and rotate the credential: it has been exposed.",
    false_positives: "Test fixtures and revoked tokens; high-entropy identifiers that are not credentials (hashes, ids) under *_KEY names. Raise `rules.secret_entropy_bits` to be stricter.",
    remedy: Remedy::Guidance,
};

pub static CFG_002: RuleInfo = RuleInfo {
    id: "AIGOV-CFG-002",
    area: Area::Config,
    severity: Severity::High,
    title: "Secret-like literal in the env of an AI workload",
    checks: "Literal `env[].value`s of the containers of AI workloads, judged as for AIGOV-CFG-001.",
    why: "A literal env value is part of the pod spec: anyone who can get the workload or its pods reads it, it is stored unencrypted in etcd with the spec, and it ends up in manifests, Helm values and CI logs.",
    fix: "Store the value in a Secret and use `valueFrom.secretKeyRef`, then rotate the credential.",
    false_positives: "Placeholders that look generated; tokens for local-only test services.",
    remedy: Remedy::Guidance,
};

pub static CFG_003: RuleInfo = RuleInfo {
    id: "AIGOV-CFG-003",
    area: Area::Config,
    severity: Severity::Medium,
    title: "ConfigMap used by AI workloads drifted from the baseline",
    checks: "The SHA-256 of each data key of the ConfigMaps used by AI workloads (and in AI namespaces) against the baseline saved with `aigov baseline save`: keys added, removed or changed, and ConfigMaps not in the baseline. Only key names and short hash prefixes are shown.",
    why: "Model configuration (model ids, generation limits, safety settings, endpoints) changes model behaviour without a new image or rollout record. Drift since the approved baseline is a change nobody reviewed.",
    fix: "Review the change. If it is approved, save a new baseline (`aigov baseline save`); otherwise restore the ConfigMap from version control.",
    false_positives: "Controllers that rewrite ConfigMaps they own (leader election, generated caches). binaryData keys are compared by name only.",
    remedy: Remedy::Drift,
};

pub static CFG_004: RuleInfo = RuleInfo {
    id: "AIGOV-CFG-004",
    area: Area::Config,
    severity: Severity::Medium,
    title: "Secret used by AI workloads changed since the baseline",
    checks: "The resourceVersion of each Secret used by AI workloads (volumes, env, envFrom, image pull secrets) against the baseline, and Secrets they use that are not in the baseline. Secret values are never read.",
    why: "A replaced model-hub token, object-store key or registry credential changes what AI workloads can reach or pull, and is invisible in the workload's spec.",
    fix: "Confirm the change with the Secret's owner (rotation is expected; an unexplained change is not), then save a new baseline.",
    false_positives: "Any write bumps the resourceVersion, including label or annotation changes and routine rotation by an operator.",
    remedy: Remedy::Drift,
};

pub static CFG_005: RuleInfo = RuleInfo {
    id: "AIGOV-CFG-005",
    area: Area::Config,
    severity: Severity::Low,
    title: "ConfigMap or Secret in the baseline is gone",
    checks: "ConfigMaps and Secrets recorded in the baseline that no longer exist. Low; medium when AI workloads still reference the object.",
    why: "A workload that still references the object fails to start or falls back to defaults; a deliberate removal should be reflected in a new baseline.",
    fix: "Restore the object, or save a new baseline if the removal was intended.",
    false_positives: "Objects removed on purpose since the baseline was saved.",
    remedy: Remedy::Drift,
};

pub static RULES: &[&RuleInfo] = &[&CFG_001, &CFG_002, &CFG_003, &CFG_004, &CFG_005];

/// The CA bundle every namespace gets from the control plane; never configuration.
const ROOT_CA: &str = "kube-root-ca.crt";

pub fn evaluate(view: &View, baseline: Option<&Baseline>, out: &mut Vec<Finding>) {
    let usage = Usage::of(view);
    config_map_literals(view, &usage, out);
    env_literals(view, out);
    if let Some(baseline) = baseline {
        drift::evaluate(view, &usage, baseline, out);
    }
}

/// Whether a unit counts as an AI workload for the config rules.
pub fn is_ai_workload(view: &View, unit: &Unit) -> bool {
    unit.is_ai() || view.is_ai_namespace(unit.namespace)
}

/// The ConfigMaps and Secrets AI workloads use, each with the units that use it.
#[derive(Debug, Default)]
pub struct Usage {
    pub config_maps: BTreeMap<(String, String), BTreeSet<String>>,
    pub secrets: BTreeMap<(String, String), BTreeSet<String>>,
    /// Namespaces whose ConfigMaps are in scope: AI namespaces and those of AI workloads.
    pub namespaces: BTreeSet<String>,
}

impl Usage {
    pub fn of(view: &View) -> Self {
        let mut usage = Usage {
            namespaces: view.ai_namespaces().map(String::from).collect(),
            ..Default::default()
        };
        for unit in view.units.iter().filter(|u| is_ai_workload(view, u)) {
            usage.namespaces.insert(unit.namespace.to_string());
            let user = format!("{}/{}", unit.kind, unit.name);
            let (config_maps, secrets) = references(unit.spec);
            for name in config_maps {
                usage
                    .config_maps
                    .entry((unit.namespace.to_string(), name.to_string()))
                    .or_default()
                    .insert(user.clone());
            }
            for name in secrets {
                usage
                    .secrets
                    .entry((unit.namespace.to_string(), name.to_string()))
                    .or_default()
                    .insert(user.clone());
            }
        }
        usage
    }

    /// Whether a ConfigMap is in scope: used by an AI workload or in an AI namespace.
    pub fn covers(&self, view: &View, config_map: &ConfigMap) -> bool {
        let (ns, name) = (&config_map.meta.namespace, &config_map.meta.name);
        name != ROOT_CA
            && (view.is_ai_namespace(ns)
                || self.config_maps.contains_key(&(ns.clone(), name.clone())))
    }

    /// One evidence line naming who uses a ConfigMap, or why it is in scope.
    fn users_line(&self, view: &View, namespace: &str, name: &str, kind: &str) -> String {
        let users = match kind {
            "Secret" => self.secrets.get(&(namespace.into(), name.into())),
            _ => self.config_maps.get(&(namespace.into(), name.into())),
        };
        match users {
            Some(users) if !users.is_empty() => {
                let shown: Vec<String> = users
                    .iter()
                    .take(3)
                    .map(|u| sanitize(u).into_owned())
                    .collect();
                let more = users.len().saturating_sub(shown.len());
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("used by {}{more}", shown.join(", "))
            }
            _ if view.is_ai_namespace(namespace) => {
                format!("in AI namespace {}", sanitize(namespace))
            }
            _ => "no longer used by AI workloads".to_string(),
        }
    }
}

/// The ConfigMaps and Secrets a pod spec references (volumes, projected volumes, env,
/// envFrom, image pull secrets).
fn references(spec: &PodSpec) -> (BTreeSet<&str>, BTreeSet<&str>) {
    let mut config_maps = BTreeSet::new();
    let mut secrets: BTreeSet<&str> = spec.image_pull_secrets.iter().map(String::as_str).collect();
    for volume in &spec.volumes {
        match &volume.source {
            VolumeSource::ConfigMap { name } => {
                config_maps.insert(name.as_str());
            }
            VolumeSource::Secret { name } => {
                secrets.insert(name.as_str());
            }
            VolumeSource::Projected {
                config_maps: c,
                secrets: s,
                ..
            } => {
                config_maps.extend(c.iter().map(String::as_str));
                secrets.extend(s.iter().map(String::as_str));
            }
            _ => {}
        }
    }
    for container in spec.all_containers() {
        for from in &container.env_from {
            match from {
                EnvFromSource::ConfigMap(name) => config_maps.insert(name.as_str()),
                EnvFromSource::Secret(name) => secrets.insert(name.as_str()),
            };
        }
        for env in &container.env {
            match &env.source {
                EnvSource::ConfigMapKey { name, .. } => {
                    config_maps.insert(name.as_str());
                }
                EnvSource::SecretKey { name, .. } => {
                    secrets.insert(name.as_str());
                }
                _ => {}
            }
        }
    }
    config_maps.remove(ROOT_CA);
    (config_maps, secrets)
}

/// Incomplete findings of `rule` for the scopes where `kinds` are unknown, limited to
/// `namespaces` (a cluster-wide gap is always reported).
fn incomplete_in(
    view: &View,
    rule: &'static RuleInfo,
    kinds: &[Kind],
    namespaces: Option<&BTreeSet<String>>,
    out: &mut Vec<Finding>,
) {
    for (object, kind) in unknown_scopes(view, kinds) {
        let relevant = object.name == "*" || namespaces.is_none_or(|n| n.contains(&object.name));
        if relevant {
            out.push(rule.incomplete(object, kind.name()));
        }
    }
}

fn hit_line(hit: &Hit) -> String {
    let place = hit.line.map(|l| format!("line {l}: ")).unwrap_or_default();
    format!(
        "{place}{} = {} ({})",
        sanitize(&hit.name),
        sanitize(&hit.masked),
        hit.why
    )
}

fn config_map_literals(view: &View, usage: &Usage, out: &mut Vec<Finding>) {
    incomplete_in(
        view,
        &CFG_001,
        &[Kind::ConfigMap],
        Some(&usage.namespaces),
        out,
    );
    let bits = view.settings.secret_entropy_bits;
    for config_map in view
        .snapshot
        .config_maps
        .iter()
        .filter(|c| usage.covers(view, c))
    {
        let (ns, name) = (&config_map.meta.namespace, &config_map.meta.name);
        for (key, value) in &config_map.data {
            let hits = scan(key, value, bits);
            if hits.is_empty() {
                continue;
            }
            let what = if hits.len() == 1 {
                "a secret-like literal".to_string()
            } else {
                format!("{} secret-like literals", hits.len())
            };
            let mut f = CFG_001.finding(
                ObjectRef::new("ConfigMap", ns, name).at(Place::data_key(key)),
                format!(
                    "ConfigMap {} holds {what} in {}",
                    sanitize(name),
                    sanitize(key)
                ),
            );
            f.evidence.extend(hits.iter().map(hit_line));
            f.evidence
                .push(usage.users_line(view, ns, name, "ConfigMap"));
            f.detail = Detail::SecretLiterals(hits);
            out.push(f);
        }
    }
}

fn env_literals(view: &View, out: &mut Vec<Finding>) {
    incomplete_in(view, &CFG_002, &POD_KINDS, None, out);
    let bits = view.settings.secret_entropy_bits;
    for unit in view.units.iter().filter(|u| is_ai_workload(view, u)) {
        for container in unit.spec.all_containers() {
            for env in &container.env {
                let EnvSource::Literal(value) = &env.source else {
                    continue;
                };
                let hits = scan(&env.name, value, bits);
                if hits.is_empty() {
                    continue;
                }
                let mut f = CFG_002.finding(
                    unit.object().at(Place::env(&container.name, &env.name)),
                    format!(
                        "container {} sets {} to a secret-like literal",
                        sanitize(&container.name),
                        sanitize(&env.name)
                    ),
                );
                f.evidence.extend(hits.iter().map(hit_line));
                if !unit.is_ai() {
                    f.evidence
                        .push(format!("in AI namespace {}", sanitize(unit.namespace)));
                }
                f.detail = Detail::SecretLiterals(hits);
                out.push(f);
            }
        }
    }
}
