//! Apply under faults: a connection dropped before or after the server acted, a gateway that
//! answers 504 after the write was made, and 500s on every kind of request. The outcome aigov
//! reports matches what the simulator holds, every apply is audited (an unknown outcome is
//! resolved by re-reading the object), and no change ever reaches the store twice: the
//! simulator's request log is counted per object.
//! Run with `cargo test --test remediation_faults -- --nocapture` to see the figures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_audit::{AuditLog, EntryKind, Record};
use aigov_core::model::Kind;
use aigov_kube::Connection;
use aigov_kube::write::Writer;
use aigov_remediation::apply::{Actor, Applied, Landed, Report, apply};
use aigov_remediation::plan::{Status, status_after};
use aigov_remediation::review::review;
use aigov_remediation::{Operation, PatchType, PlannedChange, Target};
use aigov_sim::{DropPoint, FaultSettings, SimHandle, SimOptions};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const ADMIN: &str = "aigov-demo-admin";
const LABEL: &str = "aigov-test/fault-run";
const REASON: &str = "robustness: apply under injected faults";

fn actor() -> Actor {
    Actor {
        session: "remediation-faults".into(),
        context: ADMIN.into(),
        user: ADMIN.into(),
    }
}

async fn connection(t: &common::TestSim) -> Connection {
    t.connect_with(ADMIN, Duration::from_secs(2), false).await
}

/// Label namespace `name` with `LABEL: value`: a change whose effect is easy to read back.
fn label_change(name: &str, value: &str) -> PlannedChange {
    let patch = |v: serde_json::Value| Operation::Patch {
        patch_type: PatchType::Merge,
        body: json!({"metadata": {"labels": {LABEL: v}}}),
    };
    PlannedChange {
        target: Target::of(Kind::Namespace, "", name),
        operation: patch(json!(value)),
        resource_version: None,
        uid: None,
        description: format!("label namespace {name} {LABEL}={value}"),
        finding_key: format!("TEST:Namespace//{name}#"),
        undo: patch(serde_json::Value::Null),
        undo_exact: true,
        reverts: false,
    }
}

fn label_of(sim: &SimHandle, namespace: &str) -> Option<String> {
    let object = sim.object("v1", "Namespace", "", namespace)?;
    object
        .pointer(&format!("/metadata/labels/{}", LABEL.replace('/', "~1")))?
        .as_str()
        .map(str::to_string)
}

fn object_path(change: &PlannedChange) -> String {
    format!("{}/{}", change.target.collection_path(), change.target.name)
}

/// Real (not dry-run) mutating requests the simulator received for `path`: all of them, and
/// those it committed (answered 2xx; a dropped-after-commit write is logged with its 2xx).
fn writes_to(sim: &SimHandle, path: &str) -> (usize, usize) {
    let real: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.real_write && r.path == path)
        .collect();
    let committed = real
        .iter()
        .filter(|r| (200..300).contains(&r.status))
        .count();
    (real.len(), committed)
}

fn records(path: &Path) -> Vec<Record> {
    aigov_audit::verify_file(path).expect("the audit chain verifies");
    aigov_audit::show::read(path).unwrap().0
}

/// The audit trail of `report` in the log at `path`: see [`common::remediate::assert_audited`].
fn assert_audited(path: &Path, report: &Report, outcome: &str, reread: Option<&str>) {
    common::remediate::assert_audited(&records(path), report, outcome, reread);
}

/// An apply whose outcome is unknown: whether the re-read shows it landed, and why it is
/// unknown. Any other outcome fails the test.
fn unknown(report: &Report) -> (Landed, &str) {
    match &report.applied {
        Applied::Unknown { landed, reason, .. } => (*landed, reason),
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
}

/// Review (faults off) and apply `change` with `faults` on; the report.
async fn apply_with(
    t: &common::TestSim,
    writer: &Writer,
    log: &Path,
    change: &PlannedChange,
    faults: FaultSettings,
) -> Report {
    let reviewed = review(writer, change).await;
    assert_eq!(reviewed.blocked(), None);
    t.sim.set_faults(faults);
    let mut audit = AuditLog::open(log).unwrap();
    let report = apply(writer, &mut audit, &actor(), &reviewed, REASON)
        .await
        .unwrap();
    t.sim.set_faults(FaultSettings::default());
    assert_eq!(report.result_not_recorded, None);
    report
}

#[tokio::test]
async fn a_connection_dropped_before_the_write_is_resolved_as_not_landed_and_can_be_applied_once() {
    let t = common::demo_sim().await;
    let writer = Writer::new(&connection(&t).await).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let change = label_change("notebooks", "1");
    let path = object_path(&change);
    let faults = FaultSettings {
        drop_write_connections: Some(DropPoint::BeforeCommit),
        ..Default::default()
    };
    let report = apply_with(&t, &writer, &log, &change, faults).await;
    let (landed, reason) = unknown(&report);
    assert_eq!(landed, Landed::No, "{reason}");
    eprintln!("dropped before commit: outcome unknown ({reason}); re-read: not landed");
    assert_eq!(label_of(&t.sim, "notebooks"), None, "nothing was written");
    assert_eq!(
        writes_to(&t.sim, &path),
        (1, 0),
        "one request, not committed"
    );
    assert_audited(&log, &report, "unknown", Some("not_landed"));
    assert!(matches!(
        status_after(&report, "now"),
        Status::Failed { .. }
    ));

    // Told it did not land, the operator applies again: exactly one commit in the end.
    let again = apply_with(&t, &writer, &log, &change, FaultSettings::default()).await;
    assert!(matches!(again.applied, Applied::Done { .. }), "{again:?}");
    assert_eq!(label_of(&t.sim, "notebooks").as_deref(), Some("1"));
    assert_eq!(writes_to(&t.sim, &path), (2, 1), "committed once");
    assert_audited(&log, &again, "applied", None);
}

#[tokio::test]
async fn a_connection_dropped_after_the_write_is_resolved_as_landed_and_never_sent_again() {
    let t = common::demo_sim().await;
    let writer = Writer::new(&connection(&t).await).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let change = label_change("notebooks", "2");
    let path = object_path(&change);
    let faults = FaultSettings {
        drop_write_connections: Some(DropPoint::AfterCommit),
        ..Default::default()
    };
    let report = apply_with(&t, &writer, &log, &change, faults).await;
    let (landed, reason) = unknown(&report);
    assert_eq!(landed, Landed::Yes, "{reason}");
    eprintln!("dropped after commit: outcome unknown ({reason}); re-read: landed");
    assert_eq!(label_of(&t.sim, "notebooks").as_deref(), Some("2"));
    assert_eq!(
        writes_to(&t.sim, &path),
        (1, 1),
        "sent once, committed once"
    );
    assert_audited(&log, &report, "unknown", Some("landed"));
    assert!(
        matches!(status_after(&report, "now"), Status::Applied { .. }),
        "the plan counts it applied, so it is not pending and never sent again"
    );
}

#[tokio::test]
async fn a_gateway_timeout_after_the_write_is_an_unknown_outcome_not_a_refusal() {
    let t = common::demo_sim().await;
    let writer = Writer::new(&connection(&t).await).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let change = label_change("notebooks", "3");
    let faults = FaultSettings {
        gateway_timeout_after_commit: true,
        ..Default::default()
    };
    let report = apply_with(&t, &writer, &log, &change, faults).await;
    // The write was made: "refused, nothing was written" would be a false audit record.
    let (landed, reason) = unknown(&report);
    assert_eq!(landed, Landed::Yes, "{reason}");
    assert!(reason.contains("504"), "{reason}");
    assert_eq!(label_of(&t.sim, "notebooks").as_deref(), Some("3"));
    assert_eq!(writes_to(&t.sim, &object_path(&change)), (1, 1));
    assert_audited(&log, &report, "unknown", Some("landed"));
}

/// What one change went through under 500s.
#[derive(Debug, Default)]
struct Tally {
    blocked_reviews: usize,
    applies: usize,
    done: usize,
    landed_after_unknown: usize,
    not_landed: usize,
    undetermined: usize,
}

#[tokio::test]
async fn apply_under_thirty_percent_500s_is_truthful_audited_and_never_applied_twice() {
    let t = common::sim_with(SimOptions {
        seed: 11,
        ..Default::default()
    })
    .await;
    let writer = Writer::new(&connection(&t).await).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let mut namespaces: Vec<String> = t
        .sim
        .objects("v1", "Namespace")
        .iter()
        .filter_map(|o| o.pointer("/metadata/name")?.as_str().map(str::to_string))
        .collect();
    namespaces.sort();
    assert!(namespaces.len() >= 5, "{namespaces:?}");
    t.sim.set_faults(FaultSettings {
        error_rate: 0.3,
        ..Default::default()
    });
    let mut tally = Tally::default();
    for name in &namespaces {
        let change = label_change(name, "500s");
        let mut sent_for_this = 0;
        let mut stopped = false;
        // The operator's loop: retry only what aigov says did not land; stop when it says the
        // change is made, or that the outcome cannot be determined (check before retrying).
        for _attempt in 0..20 {
            let reviewed = review(&writer, &change).await;
            if reviewed.blocked().is_some() {
                tally.blocked_reviews += 1;
                continue;
            }
            let mut audit = AuditLog::open(&log).unwrap();
            let report = apply(&writer, &mut audit, &actor(), &reviewed, REASON)
                .await
                .unwrap();
            drop(audit);
            tally.applies += 1;
            sent_for_this += 1;
            let now = label_of(&t.sim, name);
            let (outcome, reread, stop) = match &report.applied {
                Applied::Done { .. } => {
                    tally.done += 1;
                    assert_eq!(now.as_deref(), Some("500s"), "{name}: done means made");
                    ("applied", None, true)
                }
                Applied::Unknown {
                    landed: Landed::Yes,
                    ..
                } => {
                    tally.landed_after_unknown += 1;
                    assert_eq!(now.as_deref(), Some("500s"), "{name}: landed means made");
                    ("unknown", Some("landed"), true)
                }
                Applied::Unknown {
                    landed: Landed::No, ..
                } => {
                    tally.not_landed += 1;
                    assert_eq!(now, None, "{name}: not landed means not made");
                    ("unknown", Some("not_landed"), false)
                }
                Applied::Unknown { .. } => {
                    tally.undetermined += 1;
                    ("unknown", Some("undetermined"), true)
                }
                other => panic!("{name}: {other:?}"),
            };
            assert_audited(&log, &report, outcome, reread);
            if stop {
                stopped = true;
                break;
            }
        }
        assert!(
            stopped,
            "{name}: 20 attempts without aigov saying the change is made or cannot be determined"
        );
        let (sent, committed) = writes_to(&t.sim, &object_path(&change));
        assert_eq!(
            sent, sent_for_this,
            "{name}: one request per apply, never a retry"
        );
        // Only these applies write the label, so the store holds it exactly when one of
        // them was committed, and none was committed twice.
        assert_eq!(
            committed,
            usize::from(label_of(&t.sim, name).is_some()),
            "{name}: committed {committed} times, label {:?}",
            label_of(&t.sim, name)
        );
    }
    t.sim.set_faults(FaultSettings::default());
    let records = records(&log);
    let intent_count = records
        .iter()
        .filter(|r| r.entry.kind == EntryKind::Intent)
        .count();
    assert_eq!(intent_count, tally.applies, "an intent for every apply");
    let server_errors = t.sim.requests().iter().filter(|r| r.status == 500).count();
    eprintln!(
        "500s at 30%: {} namespaces, {server_errors} requests answered 500, {} reviews blocked by a 500, {} applies: {} done, {} unknown then re-read as landed, {} re-read as not landed (applied again), {} undetermined; every object committed once exactly when its label is stored; {} audit entries, chain verified",
        namespaces.len(),
        tally.blocked_reviews,
        tally.applies,
        tally.done,
        tally.landed_after_unknown,
        tally.not_landed,
        tally.undetermined,
        records.len()
    );
    assert!(server_errors > 0, "faults were injected");
    assert!(tally.done + tally.landed_after_unknown > 0);
}
