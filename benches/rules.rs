//! Rule evaluation and data reach over a synthetic `--scale 100000` snapshot (about 100,000
//! pods with proportional namespaces, RBAC and PVCs).
//!
//! Targets (issue 3): all rules under 1 s, data reach under 2 s. Because the machine is
//! shared and noisy, each figure is also printed as a ratio to a baseline measured in the
//! same run: one linear pass over every container, volume and binding of the snapshot, the
//! least any rule engine must do. Run: `cargo bench --bench rules`.

use aigov_core::model::Snapshot;
use aigov_core::rules::{Inputs, RulesConfig, View, evaluate, reach};
use criterion::Criterion;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The baseline: touch every container, volume and binding subject once.
fn linear_pass(snapshot: &Snapshot) -> usize {
    let mut n = 0;
    for pod in &snapshot.pods {
        for c in pod.spec.all_containers() {
            n += c.image.len() + c.volume_mounts.len() + c.env.len();
        }
        n += pod.spec.volumes.len();
    }
    for w in &snapshot.workloads {
        n += w.template.containers.len();
    }
    for b in &snapshot.bindings {
        n += b.subjects.len();
    }
    n
}

/// The best of `runs` timings: the least disturbed by other load on the machine.
fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let pods: usize = std::env::var("AIGOV_BENCH_PODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let started = Instant::now();
    let snapshot = aigov_sim::scale::snapshot(pods);
    eprintln!(
        "snapshot: {} pods, {} workloads, {} bindings, {} PVCs (built in {:.1}s)",
        snapshot.pods.len(),
        snapshot.workloads.len(),
        snapshot.bindings.len(),
        snapshot.pvcs.len(),
        started.elapsed().as_secs_f64()
    );
    let settings = RulesConfig::default();
    let inputs = Inputs::default();

    let mut criterion = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    criterion.bench_function("baseline: linear pass", |b| {
        b.iter(|| black_box(linear_pass(&snapshot)))
    });
    criterion.bench_function("rules: evaluate all", |b| {
        b.iter(|| black_box(evaluate(&snapshot, &inputs)))
    });
    criterion.bench_function("reach: every sensitive volume", |b| {
        b.iter(|| {
            let view = View::new(&snapshot, &settings);
            black_box(reach::sensitive_volumes(&view))
        })
    });
    criterion.final_summary();

    let baseline = best_of(5, || {
        black_box(linear_pass(&snapshot));
    });
    let rules = best_of(3, || {
        black_box(evaluate(&snapshot, &inputs));
    });
    let reach_time = best_of(3, || {
        let view = View::new(&snapshot, &settings);
        black_box(reach::sensitive_volumes(&view));
    });
    let findings = evaluate(&snapshot, &inputs).findings.len();
    let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64().max(1e-9);
    println!("\n{pods} pods, {findings} findings");
    println!(
        "baseline (linear pass):  {:>8.1} ms",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "all rules:               {:>8.1} ms  ({:.0}x baseline; target < 1000 ms)",
        rules.as_secs_f64() * 1e3,
        ratio(rules)
    );
    println!(
        "data reach:              {:>8.1} ms  ({:.0}x baseline; target < 2000 ms)",
        reach_time.as_secs_f64() * 1e3,
        ratio(reach_time)
    );
}
