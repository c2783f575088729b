//! The approved configuration baseline (pure data; `aigov_state::baseline` reads and writes it) and
//! the drift rules that compare a snapshot with it.
//!
//! The baseline holds, per ConfigMap, the SHA-256 of each data key's value, and per Secret
//! its resourceVersion: never a Secret value. It also keeps ConfigMap values that are not
//! secret-like in [`ConfigMapRecord::content`], to restore a drifted ConfigMap (the file is
//! 0600); secret-like values stay hashes only.

use super::{CFG_003, CFG_004, CFG_005, Usage, incomplete_in};
use crate::model::Kind;
use crate::model::objects::ConfigMap;
use crate::rules::finding::{Finding, ObjectRef, Severity};
use crate::rules::view::View;
use crate::sanitize::sanitize;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Bumped when a field changes meaning; additive fields keep the version (they default).
pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// Hex characters of a value's hash shown in evidence.
const SHOWN_HASH: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    /// The kubeconfig context it was saved for.
    pub context: String,
    /// The API server URL at the time.
    pub server: String,
    /// RFC 3339.
    pub saved_at: String,
    /// By `namespace/name`.
    #[serde(default)]
    pub config_maps: BTreeMap<String, ConfigMapRecord>,
    /// By `namespace/name`.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRecord>,
}

impl Default for Baseline {
    fn default() -> Self {
        Self {
            schema_version: BASELINE_SCHEMA_VERSION,
            context: String::new(),
            server: String::new(),
            saved_at: String::new(),
            config_maps: BTreeMap::new(),
            secrets: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigMapRecord {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub resource_version: String,
    /// Data key -> lowercase hex SHA-256 of its value.
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    /// binaryData keys (their content is never loaded, so only names are compared).
    #[serde(default)]
    pub binary_keys: BTreeSet<String>,
    /// The data itself, for restoring the ConfigMap: every key whose value is not
    /// secret-like (`None` in baselines saved before aigov kept content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<StoredContent>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretRecord {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub uid: String,
    pub resource_version: String,
}

/// What [`Baseline::accept`] did to an object's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The object's current state is now the baseline's.
    Recorded,
    /// The object is gone, and so is its record.
    Dropped,
}

/// ConfigMap data kept in the baseline file (0600) to restore it later. Its `Debug` shows
/// key names only, so it cannot leak into logs or output by accident.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredContent(pub BTreeMap<String, String>);

impl std::fmt::Debug for StoredContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

pub use crate::digest::sha256_hex;

fn short(hash: &str) -> &str {
    hash.get(..SHOWN_HASH).unwrap_or(hash)
}

fn object_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

impl ConfigMapRecord {
    pub fn of(config_map: &ConfigMap) -> Self {
        ConfigMapRecord {
            namespace: config_map.meta.namespace.clone(),
            name: config_map.meta.name.clone(),
            uid: config_map.meta.uid.clone(),
            resource_version: config_map.meta.resource_version.clone(),
            keys: config_map
                .data
                .iter()
                .map(|(k, v)| (k.clone(), sha256_hex(v.expose())))
                .collect(),
            binary_keys: config_map.binary_keys.iter().cloned().collect(),
            content: None,
        }
    }

    /// Keep the values too, so the ConfigMap can be restored, except the secret-like ones
    /// (CFG-001's test): those stay hashes, and restoring them is left to a person.
    pub fn with_content(mut self, config_map: &ConfigMap, entropy_bits: f64) -> Self {
        let kept = config_map
            .data
            .iter()
            .filter(|(key, value)| super::literals::scan(key, value, entropy_bits).is_empty())
            .map(|(key, value)| (key.clone(), value.expose().to_string()))
            .collect();
        self.content = Some(StoredContent(kept));
        self
    }
}

impl Baseline {
    /// The baseline of a snapshot: every ConfigMap AI workloads use or that sits in an AI
    /// namespace, and every existing Secret AI workloads use. `saved_at` is RFC 3339.
    pub fn capture(view: &View, saved_at: &str) -> Baseline {
        let usage = Usage::of(view);
        let snapshot = view.snapshot;
        let config_maps = snapshot
            .config_maps
            .iter()
            .filter(|c| usage.covers(view, c))
            .map(|c| {
                (
                    object_key(&c.meta.namespace, &c.meta.name),
                    ConfigMapRecord::of(c).with_content(c, view.settings.secret_entropy_bits),
                )
            })
            .collect();
        let secrets = snapshot
            .secrets
            .iter()
            .filter(|s| {
                usage
                    .secrets
                    .contains_key(&(s.meta.namespace.clone(), s.meta.name.clone()))
            })
            .map(|s| {
                (
                    object_key(&s.meta.namespace, &s.meta.name),
                    SecretRecord {
                        namespace: s.meta.namespace.clone(),
                        name: s.meta.name.clone(),
                        uid: s.meta.uid.clone(),
                        resource_version: s.meta.resource_version.clone(),
                    },
                )
            })
            .collect();
        Baseline {
            schema_version: BASELINE_SCHEMA_VERSION,
            context: snapshot.origin.context.clone(),
            server: snapshot.origin.server.clone(),
            saved_at: saved_at.to_string(),
            config_maps,
            secrets,
        }
    }

    /// Accept the current state of one ConfigMap or Secret (a drift finding's object) into
    /// the baseline: its record becomes what `view` holds now, or is dropped when the object
    /// is gone. Returns what happened, for the audit trail; `None` for any other kind.
    pub fn accept(
        &mut self,
        kind: &str,
        namespace: &str,
        name: &str,
        view: &View,
    ) -> Option<Accepted> {
        let key = object_key(namespace, name);
        let snapshot = view.snapshot;
        let found = |ns: &str, n: &str| ns == namespace && n == name;
        match kind {
            "ConfigMap" => {
                let bits = view.settings.secret_entropy_bits;
                match snapshot
                    .config_maps
                    .iter()
                    .find(|c| found(&c.meta.namespace, &c.meta.name))
                {
                    Some(c) => {
                        let record = ConfigMapRecord::of(c).with_content(c, bits);
                        self.config_maps.insert(key, record);
                        Some(Accepted::Recorded)
                    }
                    None => self.config_maps.remove(&key).map(|_| Accepted::Dropped),
                }
            }
            "Secret" => match snapshot
                .secrets
                .iter()
                .find(|s| found(&s.meta.namespace, &s.meta.name))
            {
                Some(s) => {
                    let record = SecretRecord {
                        namespace: s.meta.namespace.clone(),
                        name: s.meta.name.clone(),
                        uid: s.meta.uid.clone(),
                        resource_version: s.meta.resource_version.clone(),
                    };
                    self.secrets.insert(key, record);
                    Some(Accepted::Recorded)
                }
                None => self.secrets.remove(&key).map(|_| Accepted::Dropped),
            },
            _ => None,
        }
    }

    /// Number of data keys recorded over all ConfigMaps.
    pub fn key_count(&self) -> usize {
        self.config_maps.values().map(|c| c.keys.len()).sum()
    }
}

/// Per-key differences between a recorded ConfigMap and its current state, one evidence line
/// each; empty when nothing changed.
pub fn key_changes(record: &ConfigMapRecord, current: &ConfigMap) -> Vec<String> {
    let mut lines = Vec::new();
    let now: BTreeMap<&str, String> = current
        .data
        .iter()
        .map(|(k, v)| (k.as_str(), sha256_hex(v.expose())))
        .collect();
    for (key, hash) in &now {
        match record.keys.get(*key) {
            None => lines.push(format!("added {} (sha256 {}…)", sanitize(key), short(hash))),
            Some(old) if old != hash => lines.push(format!(
                "changed {} (sha256 {}… -> {}…)",
                sanitize(key),
                short(old),
                short(hash)
            )),
            Some(_) => {}
        }
    }
    for (key, old) in &record.keys {
        if !now.contains_key(key.as_str()) {
            lines.push(format!(
                "removed {} (was sha256 {}…)",
                sanitize(key),
                short(old)
            ));
        }
    }
    let binary_now: BTreeSet<&str> = current.binary_keys.iter().map(String::as_str).collect();
    for key in &binary_now {
        if !record.binary_keys.contains(*key) {
            lines.push(format!("added binaryData {}", sanitize(key)));
        }
    }
    for key in &record.binary_keys {
        if !binary_now.contains(key.as_str()) {
            lines.push(format!("removed binaryData {}", sanitize(key)));
        }
    }
    lines
}

fn baseline_line(baseline: &Baseline) -> String {
    format!("baseline saved {}", sanitize(&baseline.saved_at))
}

pub(super) fn evaluate(view: &View, usage: &Usage, baseline: &Baseline, out: &mut Vec<Finding>) {
    let snapshot = view.snapshot;
    // Namespaces the comparison depends on: the baseline's and the current scope's.
    let mut namespaces = usage.namespaces.clone();
    namespaces.extend(baseline.config_maps.values().map(|r| r.namespace.clone()));
    namespaces.extend(baseline.secrets.values().map(|r| r.namespace.clone()));
    incomplete_in(view, &CFG_003, &[Kind::ConfigMap], Some(&namespaces), out);
    incomplete_in(view, &CFG_004, &[Kind::Secret], Some(&namespaces), out);
    incomplete_in(
        view,
        &CFG_005,
        &[Kind::ConfigMap, Kind::Secret],
        Some(&namespaces),
        out,
    );

    let current: BTreeMap<String, &ConfigMap> = snapshot
        .config_maps
        .iter()
        .map(|c| (object_key(&c.meta.namespace, &c.meta.name), c))
        .collect();
    for (key, config_map) in &current {
        let (ns, name) = (&config_map.meta.namespace, &config_map.meta.name);
        let object = ObjectRef::new("ConfigMap", ns, name);
        match baseline.config_maps.get(key) {
            Some(record) => {
                let changes = key_changes(record, config_map);
                if changes.is_empty() {
                    continue;
                }
                let mut f = CFG_003.finding(
                    object,
                    format!(
                        "ConfigMap {} drifted from the baseline: {} key{} differ{}",
                        sanitize(name),
                        changes.len(),
                        if changes.len() == 1 { "" } else { "s" },
                        if changes.len() == 1 { "s" } else { "" }
                    ),
                );
                f.evidence = changes;
                f.evidence
                    .push(usage.users_line(view, ns, name, "ConfigMap"));
                f.evidence.push(baseline_line(baseline));
                out.push(f);
            }
            None if usage.covers(view, config_map) => {
                let mut f = CFG_003.finding(
                    object,
                    format!("ConfigMap {} is not in the baseline", sanitize(name)),
                );
                let empty = ConfigMapRecord::default();
                f.evidence = key_changes(&empty, config_map);
                f.evidence
                    .push(usage.users_line(view, ns, name, "ConfigMap"));
                f.evidence.push(baseline_line(baseline));
                out.push(f);
            }
            None => {}
        }
    }
    for (key, record) in &baseline.config_maps {
        if !current.contains_key(key) && view.known(Kind::ConfigMap, &record.namespace) {
            out.push(gone(
                view,
                usage,
                baseline,
                "ConfigMap",
                &record.namespace,
                &record.name,
            ));
        }
    }

    let secrets: BTreeMap<String, &crate::model::objects::SecretMeta> = snapshot
        .secrets
        .iter()
        .map(|s| (object_key(&s.meta.namespace, &s.meta.name), s))
        .collect();
    for (key, record) in &baseline.secrets {
        match secrets.get(key) {
            Some(secret) if secret.meta.resource_version != record.resource_version => {
                let (ns, name) = (&record.namespace, &record.name);
                let mut f = CFG_004.finding(
                    ObjectRef::new("Secret", ns, name),
                    format!("Secret {} changed since the baseline", sanitize(name)),
                );
                f.evidence.push(format!(
                    "resourceVersion {} -> {} (values not read)",
                    sanitize(&record.resource_version),
                    sanitize(&secret.meta.resource_version)
                ));
                if !record.uid.is_empty() && record.uid != secret.meta.uid {
                    f.evidence
                        .push("the Secret was deleted and created again (new uid)".into());
                }
                f.evidence.push(usage.users_line(view, ns, name, "Secret"));
                f.evidence.push(baseline_line(baseline));
                out.push(f);
            }
            Some(_) => {}
            None if view.known(Kind::Secret, &record.namespace) => {
                out.push(gone(
                    view,
                    usage,
                    baseline,
                    "Secret",
                    &record.namespace,
                    &record.name,
                ));
            }
            None => {}
        }
    }
    for (ns, name) in usage.secrets.keys() {
        let key = object_key(ns, name);
        if secrets.contains_key(&key) && !baseline.secrets.contains_key(&key) {
            let mut f = CFG_004.finding(
                ObjectRef::new("Secret", ns, name),
                format!(
                    "Secret {} is used by AI workloads but not in the baseline",
                    sanitize(name)
                ),
            );
            f.evidence.push(usage.users_line(view, ns, name, "Secret"));
            f.evidence.push(baseline_line(baseline));
            out.push(f);
        }
    }
}

fn gone(
    view: &View,
    usage: &Usage,
    baseline: &Baseline,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Finding {
    let mut f = CFG_005.finding(
        ObjectRef::new(kind, namespace, name),
        format!("{kind} {} in the baseline no longer exists", sanitize(name)),
    );
    let users = usage.users_line(view, namespace, name, kind);
    if users.starts_with("used by") {
        // Still referenced: pods that start now will fail to find it.
        f.severity = Severity::Medium;
        f.evidence.push(format!("still referenced: {users}"));
    }
    f.evidence.push(baseline_line(baseline));
    f
}
