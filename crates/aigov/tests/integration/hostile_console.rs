//! Hostile input in the console: every view, tab, detail pane and the help screen of the
//! demo plus the hostile objects, and of the hostile manifests alone, drawn off-screen: no raw
//! control byte reaches a frame, the hostile text shows in its visible form, and every frame
//! completes within its bound. (The headless side is `hostile_input`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_sim::Dataset;
use common::console::{self, first_raw_control};
use common::hostile::{self, assert_within, hostile_audit_log, sim_on, simulator_fixture, write};
use std::time::{Duration, Instant};

/// Every console screen of demo + hostile (measured 13 s for 817 frames and 10,495 panes).
const CONSOLE_HOSTILE_BOUND: Duration = Duration::from_secs(75);
/// Every console screen of the demo alone (measured 5.9 s).
const CONSOLE_DEMO_BOUND: Duration = Duration::from_secs(30);
/// Every console screen of the hostile manifests (measured 1.2 s).
const CONSOLE_NAMES_BOUND: Duration = Duration::from_secs(10);

/// Hostile text in the visible form some console screen must show.
const CONSOLE_MARKERS: [&str; 6] = [
    "mallory^[[2J",
    "^[]52;c;",
    "\\u{9b}",
    "\\u{202e}",
    "\\u{200b}",
    "MODEL_^[[2JNAME",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_draws_every_hostile_screen_visible_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    simulator_fixture(dir.path());
    let t = sim_on(vec![
        Dataset::Demo,
        Dataset::Fixture(dir.path().to_path_buf()),
    ])
    .await;
    let snapshot = console::snapshot_of(&t).await;
    // The drift view: a baseline of this state, then the hostile ConfigMap changes.
    let view_settings = aigov_core::rules::RulesConfig::default();
    let baseline = aigov_core::rules::config::Baseline::capture(
        &aigov_core::rules::View::new(&snapshot, &view_settings),
        "2026-01-01T00:00:00Z",
    );
    let config_maps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(t.admin().await, "hostile-ns");
    config_maps
        .patch(
            "hostile-config",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({"data": {
                "MODEL_\u{1b}[2JNAME": "changed", "NEW_\u{1b}]52;c;aGk=\u{7}": "added"}})),
        )
        .await
        .unwrap();
    let snapshot = console::snapshot_of(&t).await;
    let log_dir = tempfile::tempdir().unwrap();
    let log = hostile_audit_log(log_dir.path());
    let mut app = console::app_on(snapshot, Some(baseline), Some(&log));
    let queries = ["get secrets -n hostile-ns", "create pods/exec", "list pods"];
    let mut seen = String::new();
    let started = Instant::now();
    let covered = console::every_screen(&mut app, &queries, |label, text| {
        if let Some(bad) = first_raw_control(text) {
            panic!("{label}: raw control drawn: {bad}");
        }
        for marker in CONSOLE_MARKERS {
            if text.contains(marker) && !seen.contains(marker) {
                seen.push_str(marker);
            }
        }
    });
    let hostile_time = started.elapsed();
    assert!(covered.details > 0, "no detail pane was checked");
    for marker in CONSOLE_MARKERS {
        assert!(
            seen.contains(marker),
            "no screen shows {marker}: the hostile objects were not drawn"
        );
    }

    let demo = sim_on(vec![Dataset::Demo]).await;
    let mut demo_app = console::app_on(console::snapshot_of(&demo).await, None, None);
    let started = Instant::now();
    let demo_covered = console::every_screen(&mut demo_app, &queries, |label, text| {
        assert!(first_raw_control(text).is_none(), "{label}");
    });
    assert!(demo_covered.details > 0, "no detail pane was checked");
    let demo_time = started.elapsed();
    println!(
        "console, demo + hostile: {} frames, {} detail panes, {} terminal bytes in {:?} (bound {CONSOLE_HOSTILE_BOUND:?}; {:.2} ms per frame)",
        covered.frames,
        covered.details,
        covered.terminal_bytes,
        hostile_time,
        hostile_time.as_secs_f64() * 1000.0 / covered.frames as f64
    );
    println!(
        "console, demo alone: {} frames, {} detail panes in {:?} (bound {CONSOLE_DEMO_BOUND:?}; {:.2} ms per frame); per-frame ratio {:.2}",
        demo_covered.frames,
        demo_covered.details,
        demo_time,
        demo_time.as_secs_f64() * 1000.0 / demo_covered.frames as f64,
        (hostile_time.as_secs_f64() / covered.frames as f64)
            / (demo_time.as_secs_f64() / demo_covered.frames as f64)
    );
    assert_within(
        "the console on demo + hostile",
        hostile_time,
        CONSOLE_HOSTILE_BOUND,
    );
    assert_within("the console on the demo", demo_time, CONSOLE_DEMO_BOUND);
}

/// Names, namespaces, service accounts and images made of escape sequences cannot come from
/// an API server (it refuses them) but can from manifests: the console draws a snapshot read
/// by `check -f`'s loader too.
#[test]
fn the_console_draws_hostile_names_read_from_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hostile-names.json", &hostile::hostile_names());
    std::fs::copy(hostile::escapes_fixture(), dir.path().join("escapes.yaml")).unwrap();
    let loaded = aigov_core::manifest::load(&[dir.path().to_path_buf()]).unwrap();
    assert!(
        loaded.problems.is_empty(),
        "{:?} in {}",
        loaded.problems,
        path.display()
    );
    let mut app = console::app_on(loaded.snapshot, None, None);
    let mut shown = false;
    let started = Instant::now();
    let covered = console::every_screen(&mut app, &["get secrets -A"], |label, text| {
        if let Some(bad) = first_raw_control(text) {
            panic!("{label}: raw control drawn: {bad}");
        }
        shown |= text.contains("evil^[[2J^[]52;c;");
    });
    assert!(shown, "no screen shows the hostile names");
    assert!(covered.details > 0, "no detail pane was checked");
    let elapsed = started.elapsed();
    println!(
        "console on hostile manifests: {} frames, {} detail panes in {elapsed:?} (bound {CONSOLE_NAMES_BOUND:?})",
        covered.frames, covered.details,
    );
    assert_within(
        "the console on hostile manifests",
        elapsed,
        CONSOLE_NAMES_BOUND,
    );
}
