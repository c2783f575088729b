//! One remediation end to end against the demo simulator: load and evaluate, propose for one
//! finding key, review (not blocked) and apply each change in order with an audit log, check
//! the finding is gone; then roll back with the inverses (reverse order, each reviewed) and
//! check the finding is back. Each apply must be one committed write, with its intent and
//! result at the end of the audit trail. The tests read the objects as the simulator stores
//! them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::TestSim;
use aigov_audit::{AuditLog, EntryKind, MemorySink, Record};
use aigov_core::model::{Kind, Snapshot};
use aigov_core::rules::{Evaluation, Inputs, evaluate};
use aigov_kube::write::{Operation, WriteRequest, Writer};
use aigov_kube::{Connection, LoadOptions, load};
use aigov_remediation::apply::{Actor, Applied, Report, apply};
use aigov_remediation::diff::DiffLine;
use aigov_remediation::review::{Reviewed, review};
use aigov_remediation::{PlannedChange, Proposal, Remediation, Target, propose};
use serde_json::Value;
use std::sync::Arc;

pub const ADMIN: &str = "aigov-demo-admin";

pub struct Fixture {
    pub t: TestSim,
    pub connection: Connection,
    pub writer: Writer,
    pub log: AuditLog<MemorySink>,
}

/// The demo simulator, connected as its admin, with an in-memory audit log.
pub async fn demo() -> Fixture {
    let t = super::demo_sim().await;
    let connection = t.connect_as(ADMIN).await;
    let writer = Writer::new(&connection).unwrap();
    Fixture {
        t,
        connection,
        writer,
        log: AuditLog::with_sink(MemorySink::new()).unwrap(),
    }
}

fn actor() -> Actor {
    Actor {
        session: "remediation-kinds".into(),
        context: ADMIN.into(),
        user: ADMIN.into(),
    }
}

/// The lines a review's diff adds (`+`) or removes (`-`), without the marker, trimmed.
pub fn added(reviewed: &Reviewed) -> Vec<String> {
    lines(reviewed, |l| matches!(l, DiffLine::Added(_)))
}

pub fn removed(reviewed: &Reviewed) -> Vec<String> {
    lines(reviewed, |l| matches!(l, DiffLine::Removed(_)))
}

fn lines(reviewed: &Reviewed, keep: impl Fn(&DiffLine) -> bool) -> Vec<String> {
    reviewed
        .diff
        .iter()
        .filter(|l| keep(l))
        .map(|l| l.text()[1..].trim().to_string())
        .collect()
}

/// Assert that `lines` holds `expected` (trimmed, exact), showing the whole diff otherwise.
pub fn assert_line(reviewed: &Reviewed, lines: &[String], expected: &str) {
    assert!(
        lines.iter().any(|l| l == expected),
        "no line `{expected}` in the diff of {}:\n{}",
        reviewed.change.description,
        reviewed
            .diff
            .iter()
            .map(DiffLine::text)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The records of an audit log's bytes (a file's, or a `MemorySink`'s), once the hash chain
/// verifies.
pub fn verified_records(bytes: &[u8]) -> Vec<Record> {
    aigov_audit::verify::verify_bytes(bytes).expect("the audit chain verifies");
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The audit trail of `report` in `records`: its intent, and exactly one result that refers
/// to it, with the `outcome` given (and the re-read verdict, when given).
pub fn assert_audited(records: &[Record], report: &Report, outcome: &str, reread: Option<&str>) {
    let intent = records
        .iter()
        .find(|r| r.seq == report.intent_seq)
        .expect("the intent is in the log");
    assert_eq!(intent.entry.kind, EntryKind::Intent);
    let results: Vec<&Record> = records
        .iter()
        .filter(|r| r.entry.refers_to == Some(report.intent_seq))
        .collect();
    assert_eq!(results.len(), 1, "one result per intent");
    let details = results[0].entry.details.clone().unwrap();
    assert_eq!(details["outcome"], outcome, "{details}");
    if let Some(reread) = reread {
        assert_eq!(details["reread"], reread, "{details}");
    }
}

/// A JSON pointer on an object, as a string.
pub fn text_at<'v>(object: &'v Value, pointer: &str) -> Option<&'v str> {
    object.pointer(pointer)?.as_str()
}

impl Fixture {
    pub async fn snapshot(&self) -> Snapshot {
        load(&self.connection, &LoadOptions::default(), Arc::new(|_| {})).await
    }

    pub async fn evaluation(&self) -> (Snapshot, Evaluation) {
        let snapshot = self.snapshot().await;
        let evaluation = evaluate(&snapshot, &Inputs::default());
        (snapshot, evaluation)
    }

    /// The finding keys on a fresh load.
    pub async fn keys(&self) -> Vec<String> {
        self.evaluation()
            .await
            .1
            .findings
            .iter()
            .map(|f| f.key())
            .collect()
    }

    /// The object as the simulator stores it.
    pub fn stored(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Value {
        self.object(api_version, kind, namespace, name)
            .unwrap_or_else(|| panic!("{kind} {namespace}/{name} is not stored"))
    }

    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        self.t.sim.object(api_version, kind, namespace, name)
    }

    /// Create an object as another client would (not through a remediation), to set up a
    /// situation the demo does not have.
    pub async fn create(&self, kind: Kind, body: Value) {
        let namespace = text_at(&body, "/metadata/namespace").unwrap_or_default();
        let name = text_at(&body, "/metadata/name").unwrap();
        let request = WriteRequest {
            target: Target::of(kind, namespace, name),
            operation: Operation::Create { body: body.clone() },
            resource_version: None,
            field_manager: "kubectl".into(),
            dry_run: false,
        };
        self.writer.send(&request).await.unwrap();
    }

    /// The proposal for the finding `key` of a fresh load: it must be a change.
    pub async fn propose(&self, key: &str) -> (Remediation, Vec<PlannedChange>) {
        let (snapshot, evaluation) = self.evaluation().await;
        let finding = evaluation
            .findings
            .iter()
            .find(|f| f.key() == key)
            .unwrap_or_else(|| panic!("the demo has no finding {key}"));
        assert!(finding.remediable, "{key} is not remediable");
        match propose(finding, &evaluation.view_of(&snapshot)) {
            Proposal::Change {
                remediation,
                changes,
                ..
            } => {
                assert!(!changes.is_empty(), "{key}: a change with no request");
                assert!(changes.iter().all(|c| c.finding_key == key));
                (remediation, changes)
            }
            other => panic!("{key}: {other:?}"),
        }
    }

    /// Review then apply each change in order; every review must pass and every apply be
    /// done. Returns the reviews, for their diffs.
    pub async fn apply_in_order(&mut self, changes: &[PlannedChange]) -> Vec<Reviewed> {
        let mut reviews = Vec::new();
        for change in changes {
            let reviewed = review(&self.writer, change).await;
            assert_eq!(reviewed.blocked(), None, "{}", change.description);
            assert!(
                !reviewed.diff.is_empty(),
                "{}: empty diff",
                change.description
            );
            let writes = self.t.sim.committed_writes();
            let report = apply(
                &self.writer,
                &mut self.log,
                &actor(),
                &reviewed,
                "remediation kinds: end-to-end test against the simulator",
            )
            .await
            .unwrap();
            assert!(
                matches!(report.applied, Applied::Done { .. }),
                "{}: {report:?}",
                change.description
            );
            assert_eq!(report.result_not_recorded, None);
            assert_eq!(self.t.sim.committed_writes(), writes + 1, "one write");
            self.assert_recorded(change, report.intent_seq);
            reviews.push(reviewed);
        }
        reviews
    }

    /// The trail ends with this change's intent and the server's answer to it.
    fn assert_recorded(&self, change: &PlannedChange, intent_seq: u64) {
        let text = std::str::from_utf8(self.log.sink().bytes()).unwrap();
        let records: Vec<Record> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let [.., intent, result] = records.as_slice() else {
            panic!("no intent and result for {}", change.description);
        };
        assert_eq!(intent.seq, intent_seq);
        assert_eq!(intent.entry.kind, EntryKind::Intent);
        let object = intent.entry.object.as_ref().unwrap();
        assert_eq!(
            (
                object.resource.as_str(),
                object.namespace.as_str(),
                object.name.as_str()
            ),
            (
                change.target.resource.as_str(),
                change.target.namespace.as_str(),
                change.target.name.as_str()
            )
        );
        assert_eq!(result.entry.kind, EntryKind::Result);
        assert_eq!(result.entry.refers_to, Some(intent.seq));
        assert!(
            matches!(result.entry.http_status, Some(200 | 201)),
            "{:?}",
            result.entry
        );
    }

    /// Propose for `key`, apply the changes and check the finding is gone on a fresh load.
    pub async fn fix(&mut self, key: &str) -> (Remediation, Vec<PlannedChange>, Vec<Reviewed>) {
        assert!(self.keys().await.iter().any(|k| k == key), "no {key}");
        let (remediation, changes) = self.propose(key).await;
        let reviews = self.apply_in_order(&changes).await;
        assert!(
            !self.keys().await.iter().any(|k| k == key),
            "{key} remains after {remediation:?}"
        );
        (remediation, changes, reviews)
    }

    /// Apply the inverses in reverse order (each reviewed), check the finding is back.
    pub async fn roll_back(&mut self, changes: &[PlannedChange], key: &str) -> Vec<Reviewed> {
        let inverses: Vec<PlannedChange> =
            changes.iter().rev().map(PlannedChange::inverse).collect();
        let reviews = self.apply_in_order(&inverses).await;
        assert!(
            self.keys().await.iter().any(|k| k == key),
            "{key} is not back after the rollback"
        );
        reviews
    }
}
