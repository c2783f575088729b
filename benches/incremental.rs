//! Incremental evaluation at scale (issue 14): the time per watch-like event of
//! `rules::incremental::Incremental::apply` on the synthetic `--scale` snapshot, against a full
//! `rules::evaluate` of the same snapshot measured in the same run, as a ratio, because the
//! machine is shared and noisy.
//!
//! Events, one object each: a pod created with an image `:latest` in an AI namespace, the same
//! pod deleted, a running pod updated (its digest), a ConfigMap changed (a token pasted in,
//! then removed), and RBAC changes (a RoleBinding granting exec created and deleted, a Role
//! widened and narrowed, a ClusterRoleBinding to a read-only ClusterRole created and deleted).
//! A ClusterRoleBinding that grants pod creation everywhere can change who reaches every
//! claim, so it is evaluated in full; it is timed on its own line.
//!
//! Targets: median under 100 ms and p99 under 250 ms per event at 150,000 pods.
//! Run: `cargo bench -p aigov --bench incremental` (AIGOV_BENCH_PODS=N for another size,
//! AIGOV_BENCH_EVENTS=N for another number of events).

use aigov_core::model::rbac::{Binding, PolicyRule, Role, RoleRef, RoleRefKind, Subject};
use aigov_core::model::snapshot::{Change, ObjectKey};
use aigov_core::model::workloads::{ContainerStatus, Pod};
use aigov_core::model::{ConfigValue, Kind, Meta, Object, Snapshot};
use aigov_core::rules::incremental::Incremental;
use aigov_core::rules::{Inputs, evaluate};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The value at quantile `q` of sorted timings (nearest rank).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn upsert(object: Object) -> Vec<Change> {
    vec![Change::Upsert(Box::new(object))]
}

fn remove(kind: Kind, namespace: &str, name: &str) -> Vec<Change> {
    vec![Change::Remove(ObjectKey::new(kind, namespace, name))]
}

fn meta(namespace: &str, name: &str) -> Meta {
    Meta {
        name: name.into(),
        namespace: namespace.into(),
        uid: format!("bench-{namespace}-{name}"),
        ..Meta::default()
    }
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    PolicyRule {
        verbs: own(verbs),
        api_groups: own(groups),
        resources: own(resources),
        ..PolicyRule::default()
    }
}

fn binding(namespace: &str, name: &str, kind: RoleRefKind, role: &str, subject: Subject) -> Object {
    Object::Binding(Binding {
        meta: meta(namespace, name),
        role_ref: RoleRef {
            kind,
            name: role.into(),
        },
        subjects: vec![subject],
    })
}

/// A new pod like `template`, but bare and running `image`.
fn new_pod(template: &Pod, name: &str, image: &str) -> Object {
    let mut pod = template.clone();
    pod.meta = meta(&template.meta.namespace, name);
    pod.meta.labels = template.meta.labels.clone();
    for c in &mut pod.spec.containers {
        c.image = image.into();
    }
    pod.container_statuses = Vec::new();
    pod.phase = "Pending".into();
    Object::Pod(Box::new(pod))
}

/// A running replica whose container now reports another digest.
fn updated_pod(pod: &Pod, round: usize) -> Object {
    let mut pod = pod.clone();
    pod.container_statuses = vec![ContainerStatus {
        name: "main".into(),
        image: pod.spec.containers[0].image.clone(),
        image_id: format!("registry.example.com/ml/trainer@sha256:{round:064x}"),
        ready: true,
    }];
    Object::Pod(Box::new(pod))
}

/// One round of events in the AI namespace `ai` (and the ordinary one `svc`).
fn round(
    snapshot: &Snapshot,
    ai: &str,
    svc: &str,
    round: usize,
) -> Vec<(&'static str, Vec<Change>)> {
    let replica = |ns: &str| snapshot.pods.iter().find(|p| p.meta.namespace == ns);
    let mut events = Vec::new();
    let name = format!("debug-{round}");
    if let Some(template) = replica(ai) {
        let pod = new_pod(template, &name, "pytorch/pytorch:latest");
        events.push(("pod created (AI ns, :latest)", upsert(pod)));
        events.push(("pod updated (digest)", upsert(updated_pod(template, round))));
        events.push(("pod deleted", remove(Kind::Pod, ai, &name)));
    }
    if let Some(template) = replica(svc) {
        let pod = new_pod(template, &name, "nginx:latest");
        events.push(("pod created (other ns, :latest)", upsert(pod)));
        events.push(("pod deleted", remove(Kind::Pod, svc, &name)));
    }
    if let Some(config) = snapshot
        .config_maps
        .iter()
        .find(|c| c.meta.namespace == ai && c.meta.name == "model-config")
    {
        let mut changed = config.clone();
        changed.data.insert(
            "HF_TOKEN".into(),
            ConfigValue::new(format!("hf_{round:04}Zx8Qm2Lp9Vr4Tn6Yb1Kc7Hd3Jf5Gs")),
        );
        events.push(("ConfigMap changed", upsert(Object::ConfigMap(changed))));
        events.push((
            "ConfigMap changed",
            upsert(Object::ConfigMap(config.clone())),
        ));
    }
    // RBAC changes are rarer than workload changes: a pair every third round, each kind in turn.
    if !round.is_multiple_of(3) {
        return events;
    }
    let rbac: [(&str, Vec<Change>); 2] = match round / 3 % 3 {
        0 => [
            (
                "RoleBinding created (exec)",
                upsert(binding(
                    ai,
                    "oncall-exec",
                    RoleRefKind::Role,
                    "developer",
                    Subject::group("oncall"),
                )),
            ),
            (
                "RoleBinding deleted",
                remove(Kind::RoleBinding, ai, "oncall-exec"),
            ),
        ],
        1 => {
            let role = |extra: bool| {
                let mut rules = vec![
                    rule(
                        &["get", "list", "watch", "create", "delete"],
                        &["", "apps"],
                        &["pods", "deployments", "pods/log"],
                    ),
                    rule(&["create"], &[""], &["pods/exec"]),
                ];
                if extra {
                    rules.push(rule(&["get"], &[""], &["secrets"]));
                }
                Object::Role(Role {
                    meta: meta(ai, "developer"),
                    rules,
                    aggregation: Vec::new(),
                })
            };
            [
                ("Role changed", upsert(role(true))),
                ("Role changed", upsert(role(false))),
            ]
        }
        _ => [
            (
                "ClusterRoleBinding created (read-only)",
                upsert(binding(
                    "",
                    "auditors",
                    RoleRefKind::ClusterRole,
                    "scale-reader-0",
                    Subject::group("auditors"),
                )),
            ),
            (
                "ClusterRoleBinding deleted (read-only)",
                remove(Kind::ClusterRoleBinding, "", "auditors"),
            ),
        ],
    };
    events.extend(rbac);
    events
}

struct Stats {
    all: Vec<Duration>,
    by_kind: BTreeMap<&'static str, Vec<Duration>>,
    bindings: usize,
    full: usize,
}

/// The 1-minute load average, to tell a busy machine from a slow program.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let pods = env("AIGOV_BENCH_PODS", 150_000);
    let load_at_start = load();
    let wanted = env("AIGOV_BENCH_EVENTS", 300);
    let started = Instant::now();
    let snapshot = aigov_sim::scale::snapshot(pods);
    eprintln!(
        "snapshot: {} pods, {} workloads, {} namespaces, {} bindings (built in {:.1}s)",
        snapshot.pods.len(),
        snapshot.workloads.len(),
        snapshot.namespaces.len(),
        snapshot.bindings.len(),
        started.elapsed().as_secs_f64()
    );
    let ai: Vec<String> = (snapshot.namespaces.iter())
        .map(|n| n.meta.name.clone())
        .filter(|n| n.starts_with("ml-"))
        .collect();
    let svc: Vec<String> = (snapshot.namespaces.iter())
        .map(|n| n.meta.name.clone())
        .filter(|n| n.starts_with("svc-"))
        .collect();
    let inputs = Inputs::default();

    let mut full_times: Vec<Duration> = Vec::new();
    let mut full = |snapshot: &Snapshot| {
        let start = Instant::now();
        black_box(evaluate(snapshot, &inputs));
        full_times.push(start.elapsed());
    };
    full(&snapshot);
    let start = Instant::now();
    let mut live = Incremental::new(snapshot, inputs.clone());
    let first = start.elapsed();
    eprintln!(
        "first evaluation by the incremental evaluator: {:.0} ms",
        ms(first)
    );
    full(live.snapshot());

    let mut stats = Stats {
        all: Vec::new(),
        by_kind: BTreeMap::new(),
        bindings: 0,
        full: 0,
    };
    let mut r = 0;
    while stats.all.len() < wanted {
        let (a, s) = (&ai[r * 7 % ai.len()], &svc[r * 11 % svc.len()]);
        for (kind, changes) in round(live.snapshot(), a, s, r) {
            let start = Instant::now();
            let delta = live.apply(changes);
            let took = start.elapsed();
            black_box(delta);
            stats.all.push(took);
            stats.by_kind.entry(kind).or_default().push(took);
            stats.bindings += usize::from(live.last_recomputed().bindings);
            stats.full += usize::from(live.last_recomputed().full.is_some());
        }
        // The baseline is sampled through the run, so both see the same machine load.
        if r % 6 == 5 {
            full(live.snapshot());
        }
        r += 1;
    }
    full(live.snapshot());

    // A ClusterRoleBinding that lets a group create pods everywhere: evaluated in full.
    let mut wide = Vec::new();
    for changes in [
        upsert(binding(
            "",
            "platform-deployers",
            RoleRefKind::ClusterRole,
            "edit",
            Subject::group("deployers"),
        )),
        upsert(Object::Role(Role {
            meta: meta("", "edit"),
            rules: vec![rule(&["create"], &[""], &["pods"])],
            aggregation: Vec::new(),
        })),
        remove(Kind::ClusterRoleBinding, "", "platform-deployers"),
    ] {
        let start = Instant::now();
        black_box(live.apply(changes));
        wide.push((start.elapsed(), live.last_recomputed().full.is_some()));
    }

    let same = live.evaluation().findings == evaluate(live.snapshot(), &inputs).findings;
    stats.all.sort();
    full_times.sort();
    let median = quantile(&stats.all, 0.5);
    let p99 = quantile(&stats.all, 0.99);
    let full_median = quantile(&full_times, 0.5);
    let ratio = |d: Duration| d.as_secs_f64() / full_median.as_secs_f64().max(1e-9);
    println!(
        "\n{} pods, {} findings, {} events ({} re-ran the binding rules, {} in full)",
        live.snapshot().pods.len(),
        live.findings().len(),
        stats.all.len(),
        stats.bindings,
        stats.full
    );
    println!(
        "{:<40} {:>6} {:>10} {:>10} {:>10}",
        "event", "count", "median ms", "p99 ms", "max ms"
    );
    for (kind, times) in &mut stats.by_kind {
        times.sort();
        println!(
            "{kind:<40} {:>6} {:>10.1} {:>10.1} {:>10.1}",
            times.len(),
            ms(quantile(times, 0.5)),
            ms(quantile(times, 0.99)),
            ms(quantile(times, 1.0))
        );
    }
    println!(
        "{:<40} {:>6} {:>10.1} {:>10.1} {:>10.1}",
        "all events",
        stats.all.len(),
        ms(median),
        ms(p99),
        ms(quantile(&stats.all, 1.0))
    );
    println!(
        "full evaluate of the same snapshot:      {:>6} {:>10.1}   (baseline, sampled through the run)",
        full_times.len(),
        ms(full_median)
    );
    println!(
        "per event / full evaluate: median {:.3}, p99 {:.3}   (targets: median < 100 ms, p99 < 250 ms)",
        ratio(median),
        ratio(p99)
    );
    for (i, (took, was_full)) in wide.iter().enumerate() {
        println!(
            "cluster-wide pod-create grant, step {}:   {:>8.1} ms ({:.2}x full; {})",
            i + 1,
            ms(*took),
            ratio(*took),
            if *was_full {
                "evaluated in full"
            } else {
                "scoped"
            }
        );
    }
    println!(
        "load average (1 min): {load_at_start} at the start, {} at the end",
        load()
    );
    println!("findings equal a full evaluation at the end: {same}");
    if !same {
        std::process::exit(1);
    }
}
