//! Building the Config drift view off the UI thread: one owned, sanitised entry per ConfigMap
//! key and Secret used by AI workloads, compared with the baseline (hash prefixes and
//! resourceVersions only), plus the secret-like literals of AIGOV-CFG-001/002 with their
//! values masked. No value is ever copied out of the snapshot, only masks and hashes.

use super::super::{BuildInput, clean};
use crate::tui::table::{TableRow, Tone};
use aigov_core::model::Kind;
use aigov_core::model::objects::ConfigMap;
use aigov_core::rules::config::{Baseline, ConfigMapRecord, Usage};
use aigov_core::rules::{Area, Detail, Evaluation, Finding, Place, Severity};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Hex characters of a hash shown.
const SHOWN_HASH: usize = 8;
/// Users named per entry; the rest are counted.
const USERS_SHOWN: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    Added,
    Removed,
    Changed,
    Unchanged,
    /// A secret-like literal (AIGOV-CFG-001/002), whatever the baseline says.
    SecretLike,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
            Change::SecretLike => "secret-like",
        }
    }

    /// Where rows of this change sort: drift first, unchanged last.
    pub fn rank(self) -> u8 {
        match self {
            Change::Added | Change::Removed | Change::Changed => 0,
            Change::SecretLike => 1,
            Change::Unchanged => 2,
        }
    }

    pub fn is_drift(self) -> bool {
        matches!(self, Change::Added | Change::Removed | Change::Changed)
    }
}

/// One row: a key of an object, how it changed, and what may be shown of it (sanitised).
#[derive(Debug, Clone)]
pub struct Entry {
    pub namespace: String,
    /// `ConfigMap`, `Secret`, or the workload kind of an env literal.
    pub kind: String,
    pub name: String,
    /// A data key, `binaryData KEY`, `resourceVersion`, or `CONTAINER/env/NAME`.
    pub key: String,
    pub change: Change,
    /// Hash prefix, resourceVersion or mask; `-` when there is none.
    pub baseline: String,
    pub current: String,
    pub users: Vec<String>,
    /// Why a literal looks like a credential, or what a Secret change means.
    pub note: String,
    /// Indexes into the evaluation's findings about this object (or this literal).
    pub findings: Vec<usize>,
    pub worst: Option<Severity>,
}

/// What the loaded baseline covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineInfo {
    pub context: String,
    pub config_maps: usize,
    pub keys: usize,
    pub secrets: usize,
}

#[derive(Default)]
pub struct Data {
    pub(super) rows: Vec<TableRow>,
    pub(super) entries: Vec<Entry>,
    pub(super) baseline: Option<BaselineInfo>,
}

fn short(hash: &str) -> String {
    hash.get(..SHOWN_HASH).unwrap_or(hash).to_string()
}

fn object_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

fn users(set: Option<&BTreeSet<String>>) -> Vec<String> {
    let Some(set) = set else {
        return Vec::new();
    };
    let mut out: Vec<String> = set.iter().take(USERS_SHOWN).map(|u| clean(u)).collect();
    if set.len() > USERS_SHOWN {
        out.push(format!("and {} more", set.len() - USERS_SHOWN));
    }
    out
}

type ObjectFindings<'e> = HashMap<(&'e str, &'e str, &'e str), Vec<usize>>;

/// CFG findings by (kind, namespace, name).
fn config_findings(evaluation: &Evaluation) -> ObjectFindings<'_> {
    let mut index: ObjectFindings = HashMap::new();
    for (i, f) in evaluation.findings.iter().enumerate() {
        if f.area() == Area::Config {
            let o = &f.object;
            index
                .entry((&o.kind, &o.namespace, &o.name))
                .or_default()
                .push(i);
        }
    }
    index
}

/// A new entry with the object's drift findings (whole-object ones: no path).
fn entry(
    evaluation: &Evaluation,
    index: &ObjectFindings,
    (kind, namespace, name): (&str, &str, &str),
    key: String,
    change: Change,
) -> Entry {
    let findings: Vec<usize> = index
        .get(&(kind, namespace, name))
        .into_iter()
        .flatten()
        .copied()
        .filter(|&i| evaluation.findings[i].object.place == Place::Whole)
        .collect();
    Entry {
        namespace: clean(namespace),
        kind: kind.to_string(),
        name: clean(name),
        key: clean(&key),
        change,
        baseline: "-".into(),
        current: "-".into(),
        users: Vec::new(),
        note: String::new(),
        worst: worst(evaluation, &findings),
        findings,
    }
}

fn worst(evaluation: &Evaluation, findings: &[usize]) -> Option<Severity> {
    findings
        .iter()
        .map(|&i| &evaluation.findings[i])
        .filter(|f| !f.incomplete)
        .map(|f| f.severity)
        .max()
}

fn compare<T: PartialEq>(old: Option<&T>, new: Option<&T>) -> Option<Change> {
    match (old, new) {
        (Some(a), Some(b)) if a == b => Some(Change::Unchanged),
        (Some(_), Some(_)) => Some(Change::Changed),
        (None, Some(_)) => Some(Change::Added),
        (Some(_), None) => Some(Change::Removed),
        (None, None) => None,
    }
}

/// Per-key entries of the ConfigMaps in scope or in the baseline.
fn config_map_drift(
    input: &BuildInput,
    index: &ObjectFindings,
    usage: &Usage,
    baseline: &Baseline,
    out: &mut Vec<Entry>,
) {
    let view = input.view;
    let current: BTreeMap<String, &ConfigMap> = (view.snapshot.config_maps.iter())
        .map(|c| (object_key(&c.meta.namespace, &c.meta.name), c))
        .collect();
    let mut objects: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for c in current.values().filter(|c| usage.covers(view, c)) {
        objects.insert(
            object_key(&c.meta.namespace, &c.meta.name),
            (&c.meta.namespace, &c.meta.name),
        );
    }
    for (key, r) in &baseline.config_maps {
        objects.insert(key.clone(), (&r.namespace, &r.name));
    }
    for (key, (namespace, name)) in objects {
        let record = baseline.config_maps.get(&key);
        let now = current.get(&key).map(|c| ConfigMapRecord::of(c));
        if now.is_none() && !view.known(Kind::ConfigMap, namespace) {
            continue; // not read: the incomplete finding says so
        }
        let empty = ConfigMapRecord::default();
        let (old, new) = (record.unwrap_or(&empty), now.as_ref().unwrap_or(&empty));
        let object = ("ConfigMap", namespace, name);
        let who = users(
            usage
                .config_maps
                .get(&(namespace.to_string(), name.to_string())),
        );
        let keys: BTreeSet<&String> = old.keys.keys().chain(new.keys.keys()).collect();
        for k in keys {
            let (a, b) = (old.keys.get(k), new.keys.get(k));
            let Some(change) = compare(a, b) else {
                continue;
            };
            let mut e = entry(input.evaluation, index, object, k.clone(), change);
            e.baseline = a.map_or_else(|| "-".into(), |h| short(h));
            e.current = b.map_or_else(|| "-".into(), |h| short(h));
            e.users = who.clone();
            out.push(e);
        }
        let binary: BTreeSet<&String> = old.binary_keys.iter().chain(&new.binary_keys).collect();
        for k in binary {
            let (a, b) = (old.binary_keys.get(k), new.binary_keys.get(k));
            let Some(change) = compare(a.map(|_| &()), b.map(|_| &())) else {
                continue;
            };
            let mut e = entry(
                input.evaluation,
                index,
                object,
                format!("binaryData {k}"),
                change,
            );
            e.baseline = if a.is_some() { "(binary)" } else { "-" }.into();
            e.current = if b.is_some() { "(binary)" } else { "-" }.into();
            e.note = "binaryData is compared by key name only".into();
            e.users = who.clone();
            out.push(e);
        }
    }
}

/// One entry per Secret used by AI workloads or in the baseline: its resourceVersion.
fn secret_drift(
    input: &BuildInput,
    index: &ObjectFindings,
    usage: &Usage,
    baseline: &Baseline,
    out: &mut Vec<Entry>,
) {
    let view = input.view;
    let current: BTreeMap<String, &aigov_core::model::objects::SecretMeta> =
        (view.snapshot.secrets.iter())
            .map(|s| (object_key(&s.meta.namespace, &s.meta.name), s))
            .collect();
    let mut objects: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for (namespace, name) in usage.secrets.keys() {
        objects.insert(object_key(namespace, name), (namespace, name));
    }
    for (key, r) in &baseline.secrets {
        objects.insert(key.clone(), (&r.namespace, &r.name));
    }
    for (key, (namespace, name)) in objects {
        let record = baseline.secrets.get(&key);
        let secret = current.get(&key);
        if secret.is_none() && (record.is_none() || !view.known(Kind::Secret, namespace)) {
            continue; // referenced but missing, or not read: not drift
        }
        let old = record.map(|r| &r.resource_version);
        let new = secret.map(|s| &s.meta.resource_version);
        let Some(change) = compare(old, new) else {
            continue;
        };
        let object = ("Secret", namespace, name);
        let mut e = entry(
            input.evaluation,
            index,
            object,
            "resourceVersion".into(),
            change,
        );
        e.baseline = old.map_or_else(|| "-".into(), |v| clean(v));
        e.current = new.map_or_else(|| "-".into(), |v| clean(v));
        e.users = users(
            usage
                .secrets
                .get(&(namespace.to_string(), name.to_string())),
        );
        e.note = match (record, secret) {
            (Some(r), Some(s)) if !r.uid.is_empty() && r.uid != s.meta.uid => {
                "deleted and created again since the baseline (new uid); values never read".into()
            }
            _ => "Secrets are compared by resourceVersion; values are never read".into(),
        };
        out.push(e);
    }
}

/// The masked literal(s) a CFG-001/002 finding carries, and why they look like credentials.
fn literal(f: &Finding) -> Option<(String, String)> {
    let Detail::SecretLiterals(hits) = &f.detail else {
        return None;
    };
    let masked: Vec<String> = hits
        .iter()
        .map(|h| match h.line {
            Some(line) => format!("line {line}: {}={}", h.name, h.masked),
            None => h.masked.clone(),
        })
        .collect();
    let why: Vec<&str> = hits.iter().map(|h| h.why).collect();
    Some((clean(&masked.join(", ")), why.join("; ")))
}

/// The secret-like literals the config rules found, as entries.
fn literals(input: &BuildInput, usage: &Usage, out: &mut Vec<Entry>) {
    let evaluation = input.evaluation;
    for (i, f) in evaluation.findings.iter().enumerate() {
        if f.incomplete {
            continue;
        }
        let o = &f.object;
        let key = match &o.place {
            Place::DataKey { key } => key.clone(),
            Place::Env { container, var } => format!("{container}/env/{var}"),
            _ => continue,
        };
        let Some((current, note)) = literal(f) else {
            continue;
        };
        out.push(Entry {
            namespace: clean(&o.namespace),
            kind: clean(&o.kind),
            name: clean(&o.name),
            key: clean(&key),
            change: Change::SecretLike,
            baseline: "-".into(),
            current,
            users: if o.kind == "ConfigMap" {
                users(
                    usage
                        .config_maps
                        .get(&(o.namespace.clone(), o.name.clone())),
                )
            } else {
                vec![clean(&format!("{}/{}", o.kind, o.name))]
            },
            note,
            findings: vec![i],
            worst: Some(f.severity),
        });
    }
}

pub(super) fn row(i: usize, e: &Entry) -> TableRow {
    let used_by = match e.users.as_slice() {
        [] => "-".to_string(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} +{}", rest.len()),
    };
    let tone = match e.change {
        Change::Unchanged => Tone::Muted,
        _ => Tone::Severity(e.worst.unwrap_or(Severity::Medium)),
    };
    let marker = if e.change == Change::SecretLike {
        "#literal"
    } else {
        ""
    };
    TableRow::new(
        vec![
            e.namespace.clone(),
            format!("{}/{}", e.kind, e.name),
            e.key.clone(),
            e.change.name().into(),
            e.baseline.clone(),
            e.current.clone(),
            used_by,
        ],
        format!("{}/{}/{}/{}{marker}", e.namespace, e.kind, e.name, e.key),
        tone,
    )
    .source(i)
}

pub fn build(input: &BuildInput) -> Data {
    let usage = Usage::of(input.view);
    let index = config_findings(input.evaluation);
    let mut entries = Vec::new();
    if let Some(baseline) = input.baseline {
        config_map_drift(input, &index, &usage, baseline, &mut entries);
        secret_drift(input, &index, &usage, baseline, &mut entries);
    }
    literals(input, &usage, &mut entries);
    // What changed comes first, then the secret-like literals, then what did not change.
    entries.sort_by(|a, b| {
        (
            a.change.rank(),
            &a.namespace,
            &a.kind,
            &a.name,
            &a.key,
            a.change.name(),
        )
            .cmp(&(
                b.change.rank(),
                &b.namespace,
                &b.kind,
                &b.name,
                &b.key,
                b.change.name(),
            ))
    });
    let rows = entries.iter().enumerate().map(|(i, e)| row(i, e)).collect();
    let baseline = input.baseline.map(|b| BaselineInfo {
        context: clean(&b.context),
        config_maps: b.config_maps.len(),
        keys: b.key_count(),
        secrets: b.secrets.len(),
    });
    Data {
        rows,
        entries,
        baseline,
    }
}
