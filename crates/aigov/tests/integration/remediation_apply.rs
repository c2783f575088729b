//! Review and apply against the simulator: a demo finding's remediation is dry-run and diffed,
//! applied with its audit intent and result, verified by re-evaluation, and rolled back by its
//! inverse. A conflict between review and apply writes nothing; a failed dry run is never
//! followed by a write; an intent that cannot be recorded means no mutating request at all;
//! no answer is recorded as an unknown outcome.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_audit::{AuditLog, EntryKind, MemorySink};
use aigov_core::rules::{Inputs, evaluate};
use aigov_kube::write::Writer;
use aigov_kube::{Connection, LoadOptions, load};
use aigov_remediation::apply::{Actor, Applied, ApplyError, Landed, apply};
use aigov_remediation::diff::DiffLine;
use aigov_remediation::review::review;
use aigov_remediation::{PlannedChange, Proposal, propose};
use aigov_sim::FaultSettings;
use common::remediate::{assert_audited, verified_records};
use std::sync::Arc;

const ADMIN: &str = "aigov-demo-admin";
/// AI namespace `notebooks` has no Pod Security enforce label in the demo (AIGOV-NS-003).
const FINDING: &str = "AIGOV-NS-003:Namespace//notebooks#";

async fn finding_keys(connection: &Connection) -> Vec<String> {
    let snapshot = load(connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    evaluate(&snapshot, &Inputs::default())
        .findings
        .iter()
        .map(|f| f.key())
        .collect()
}

/// The planned change for the demo's NS-003 finding on `notebooks`.
async fn planned(connection: &Connection) -> PlannedChange {
    let snapshot = load(connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    let evaluation = evaluate(&snapshot, &Inputs::default());
    let finding = evaluation
        .findings
        .iter()
        .find(|f| f.key() == FINDING)
        .unwrap_or_else(|| panic!("no {FINDING}"));
    match propose(finding, &evaluation.view_of(&snapshot)) {
        Proposal::Change { changes, .. } => {
            assert_eq!(changes.len(), 1);
            changes.into_iter().next().unwrap()
        }
        other => panic!("{other:?}"),
    }
}

/// The admin connection with a 1 s deadline, for the tests where the server stops answering.
async fn impatient(t: &common::TestSim) -> Connection {
    t.connect_with(ADMIN, std::time::Duration::from_secs(1), false)
        .await
}

fn actor() -> Actor {
    Actor {
        session: "test-session".into(),
        context: ADMIN.into(),
        user: ADMIN.into(),
    }
}

fn enforce(t: &common::TestSim) -> Option<String> {
    t.sim
        .object("v1", "Namespace", "", "notebooks")?
        .pointer("/metadata/labels/pod-security.kubernetes.io~1enforce")?
        .as_str()
        .map(str::to_string)
}

fn mutating_requests(t: &common::TestSim) -> usize {
    t.sim
        .requests()
        .iter()
        .filter(|r| matches!(r.method.as_str(), "PATCH" | "PUT" | "DELETE"))
        .filter(|r| !r.query.contains("dryRun"))
        .count()
}

#[tokio::test]
async fn review_apply_verify_and_roll_back() {
    let t = common::demo_sim().await;
    let connection = t.connect_as(ADMIN).await;
    let writer = Writer::new(&connection).unwrap();
    let change = planned(&connection).await;
    assert!(
        finding_keys(&connection)
            .await
            .contains(&FINDING.to_string())
    );

    let reviewed = review(&writer, &change).await;
    assert_eq!(reviewed.blocked(), None);
    let added: Vec<String> = reviewed
        .diff
        .iter()
        .filter(|l| matches!(l, DiffLine::Added(_)))
        .map(DiffLine::text)
        .collect();
    assert_eq!(added.len(), 1, "{:?}", reviewed.diff);
    assert!(added[0].contains("pod-security.kubernetes.io/enforce: baseline"));
    assert_eq!(enforce(&t), None, "the review wrote nothing");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::open(&path).unwrap();
    let short = apply(&writer, &mut log, &actor(), &reviewed, "too short").await;
    assert!(matches!(short, Err(ApplyError::Justification)));
    let report = apply(
        &writer,
        &mut log,
        &actor(),
        &reviewed,
        "CIS 5.2: AI namespaces must enforce Pod Security",
    )
    .await
    .unwrap();
    assert!(matches!(report.applied, Applied::Done { .. }), "{report:?}");
    assert_eq!(report.result_not_recorded, None);
    assert_eq!(enforce(&t).as_deref(), Some("baseline"));
    assert!(
        !finding_keys(&connection)
            .await
            .contains(&FINDING.to_string()),
        "verified: the finding is gone"
    );

    // The trail: intent then result, chained.
    drop(log);
    let verified = aigov_audit::verify_file(&path).unwrap();
    assert_eq!(verified.entries, 2);
    let (records, _) = aigov_audit::show::read(&path).unwrap();
    assert_eq!(records[0].entry.kind, EntryKind::Intent);
    assert!(
        records[0]
            .entry
            .justification
            .as_deref()
            .unwrap()
            .contains("CIS 5.2")
    );
    assert!(records[0].entry.resource_version_before.is_some());
    assert_eq!(records[1].entry.kind, EntryKind::Result);
    assert_eq!(records[1].entry.refers_to, Some(records[0].seq));
    assert_eq!(records[1].entry.http_status, Some(200));
    assert!(records[1].entry.audit_id.is_some());

    // Roll back: the inverse goes through the same review and apply.
    let inverse = change.inverse();
    let reviewed = review(&writer, &inverse).await;
    assert_eq!(reviewed.blocked(), None);
    let mut log = AuditLog::open(&path).unwrap();
    let report = apply(
        &writer,
        &mut log,
        &actor(),
        &reviewed,
        "roll back: testing the inverse",
    )
    .await
    .unwrap();
    assert!(matches!(report.applied, Applied::Done { .. }));
    assert_eq!(enforce(&t), None, "the original is restored");
    assert!(
        finding_keys(&connection)
            .await
            .contains(&FINDING.to_string())
    );
}

#[tokio::test]
async fn a_conflict_between_review_and_apply_writes_nothing() {
    let t = common::demo_sim().await;
    let connection = t.connect_as(ADMIN).await;
    let writer = Writer::new(&connection).unwrap();
    let reviewed = review(&writer, &planned(&connection).await).await;
    // Someone else changes the namespace after the review.
    let other = aigov_kube::write::WriteRequest {
        target: reviewed.change.target.clone(),
        operation: aigov_kube::write::Operation::Patch {
            patch_type: aigov_kube::write::PatchType::Merge,
            body: serde_json::json!({"metadata": {"labels": {"owner": "someone-else"}}}),
        },
        resource_version: None,
        field_manager: "kubectl".into(),
        dry_run: false,
    };
    writer.send(&other).await.unwrap();
    let writes = t.sim.committed_writes();
    let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
    let report = apply(
        &writer,
        &mut log,
        &actor(),
        &reviewed,
        "enforce baseline on notebooks",
    )
    .await
    .unwrap();
    assert!(
        matches!(report.applied, Applied::Conflict { .. }),
        "{report:?}"
    );
    assert_eq!(t.sim.committed_writes(), writes, "nothing written");
    assert_eq!(enforce(&t), None);
    assert_eq!(report.result_not_recorded, None);
    let records = verified_records(log.sink().bytes());
    assert_audited(&records, &report, "conflict", None);
    let result = records
        .iter()
        .find(|r| r.entry.refers_to == Some(report.intent_seq))
        .unwrap();
    assert_eq!(result.entry.http_status, Some(409), "{:?}", result.entry);

    // Asked again: a new review reads the object as it is now and dry-runs against it.
    let again = review(&writer, &reviewed.change).await;
    assert!(again.blocked().is_none(), "{:?}", again.blocked());
    assert_ne!(
        again.reviewed_resource_version(),
        reviewed.reviewed_resource_version()
    );
    assert!(
        again
            .diff
            .iter()
            .any(|l| matches!(l, DiffLine::Context(t) if t.contains("owner: someone-else"))),
        "the diff is against the changed object: {:?}",
        again.diff
    );
    let report = apply(
        &writer,
        &mut log,
        &actor(),
        &again,
        "enforce baseline on notebooks",
    )
    .await
    .unwrap();
    assert!(matches!(report.applied, Applied::Done { .. }), "{report:?}");
    assert_eq!(enforce(&t).as_deref(), Some("baseline"));
    assert_audited(
        &verified_records(log.sink().bytes()),
        &report,
        "applied",
        None,
    );
}

#[tokio::test]
async fn a_lost_answer_is_resolved_by_reading_the_object_again() {
    let t = common::demo_sim().await;
    let connection = impatient(&t).await;
    let writer = Writer::new(&connection).unwrap();
    let reviewed = review(&writer, &planned(&connection).await).await;
    // The server makes the change, and the answer never arrives.
    t.sim.set_faults(FaultSettings {
        lose_write_answers: true,
        ..Default::default()
    });
    let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
    let report = apply(
        &writer,
        &mut log,
        &actor(),
        &reviewed,
        "enforce baseline on notebooks",
    )
    .await
    .unwrap();
    match &report.applied {
        Applied::Unknown { landed, .. } => assert_eq!(*landed, Landed::Yes),
        other => panic!("{other:?}"),
    }
    assert_eq!(enforce(&t).as_deref(), Some("baseline"));
    let text = String::from_utf8(log.into_sink().into_bytes()).unwrap();
    assert!(text.contains("\"reread\":\"landed\""), "{text}");
}

#[tokio::test]
async fn a_failed_dry_run_is_never_followed_by_a_write() {
    let t = common::demo_sim().await;
    let admin = t.connect_as(ADMIN).await;
    let change = planned(&admin).await;
    // The read-only demo user may read but not patch namespaces: the dry run gets a 403.
    let viewer = Writer::new(&t.connect_as("aigov-demo-readonly").await).unwrap();
    let reviewed = review(&viewer, &change).await;
    let why = reviewed.blocked().expect("blocked");
    assert!(why.contains("403"), "{why}");
    let before = mutating_requests(&t);
    let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
    let refused = apply(
        &viewer,
        &mut log,
        &actor(),
        &reviewed,
        "should never be sent",
    )
    .await;
    assert!(matches!(refused, Err(ApplyError::Blocked(_))));
    assert_eq!(mutating_requests(&t), before);
    assert!(log.into_sink().into_bytes().is_empty(), "no intent either");
}

#[tokio::test]
async fn an_intent_that_cannot_be_recorded_means_no_request() {
    let t = common::demo_sim().await;
    let connection = t.connect_as(ADMIN).await;
    let writer = Writer::new(&connection).unwrap();
    let reviewed = review(&writer, &planned(&connection).await).await;
    let before = mutating_requests(&t);
    // A full disk: the intent line does not fit.
    let mut log = AuditLog::with_sink(MemorySink::new().fail_after(10)).unwrap();
    let refused = apply(
        &writer,
        &mut log,
        &actor(),
        &reviewed,
        "enforce baseline on notebooks",
    )
    .await;
    assert!(matches!(refused, Err(ApplyError::Audit(_))), "{refused:?}");
    assert_eq!(
        mutating_requests(&t),
        before,
        "no mutating request reached the server"
    );
    assert_eq!(enforce(&t), None);
}

#[tokio::test]
async fn no_answer_is_recorded_as_an_unknown_outcome() {
    let t = common::demo_sim().await;
    let connection = impatient(&t).await;
    let writer = Writer::new(&connection).unwrap();
    let reviewed = review(&writer, &planned(&connection).await).await;
    t.sim.set_faults(FaultSettings {
        hang_rate: 1.0,
        ..Default::default()
    });
    let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
    let report = apply(
        &writer,
        &mut log,
        &actor(),
        &reviewed,
        "enforce baseline on notebooks",
    )
    .await
    .unwrap();
    assert!(
        matches!(
            report.applied,
            Applied::Unknown {
                landed: Landed::Undetermined,
                ..
            }
        ),
        "the re-read got no answer either: {report:?}"
    );
    let text = String::from_utf8(log.into_sink().into_bytes()).unwrap();
    assert_eq!(text.lines().count(), 2, "intent and result");
    assert!(text.contains("\"outcome\":\"unknown\""), "{text}");
}
