//! The write path (`cluster::write`) against the simulator: dry runs change nothing and bring
//! the server's warnings and Audit-Id back, the reviewed resourceVersion is enforced (409 on a
//! stale one, for patches and deletes), a read-only connection has no writer, and a server
//! that never answers gives an *unknown outcome*, not a failure that looks like "not applied".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::model::Kind;
use aigov_kube::write::{Operation, PatchType, Target, WriteError, WriteRequest, Writer};
use aigov_kube::{ConnectOptions, connect};
use aigov_sim::FaultSettings;
use serde_json::json;
use std::time::Duration;

const ADMIN: &str = "aigov-demo-admin";

fn namespace(name: &str) -> Target {
    Target::of(Kind::Namespace, "", name)
}

fn label(target: Target, rv: Option<&str>, dry_run: bool) -> WriteRequest {
    WriteRequest {
        target,
        operation: Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
        },
        resource_version: rv.map(str::to_string),
        field_manager: "aigov".into(),
        dry_run,
    }
}

fn enforce_level(t: &common::TestSim) -> String {
    t.sim
        .object("v1", "Namespace", "", "ml-training")
        .unwrap()
        .pointer("/metadata/labels/pod-security.kubernetes.io~1enforce")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_returns_warnings_and_an_audit_id() {
    let t = common::demo_sim().await;
    let writer = Writer::new(&t.connect_as(ADMIN).await).unwrap();
    let live = writer.get(&namespace("ml-training")).await.unwrap();
    let rv = live["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let before = t.sim.committed_writes();

    let outcome = writer
        .send(&label(namespace("ml-training"), Some(&rv), true))
        .await
        .unwrap();
    assert_eq!(outcome.status, 200);
    assert_eq!(
        outcome.object.as_ref().unwrap()["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted",
        "the dry run shows the object as it would be"
    );
    assert!(
        outcome.warnings[0].starts_with(
            "existing pods in namespace \"ml-training\" violate the new PodSecurity enforce level"
        ),
        "{:?}",
        outcome.warnings
    );
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("hostPath volumes"))
    );
    assert_eq!(outcome.audit_id.as_deref().map(str::len), Some(36));
    assert_eq!(t.sim.committed_writes(), before, "nothing committed");
    assert_eq!(enforce_level(&t), "baseline");
}

#[tokio::test]
async fn the_reviewed_resource_version_is_enforced() {
    let t = common::demo_sim().await;
    let writer = Writer::new(&t.connect_as(ADMIN).await).unwrap();
    let live = writer.get(&namespace("ml-training")).await.unwrap();
    let reviewed = live["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // Someone else changes the namespace between review and apply.
    writer
        .send(&WriteRequest {
            operation: Operation::Patch {
                patch_type: PatchType::Merge,
                body: json!({"metadata": {"labels": {"team": "research"}}}),
            },
            ..label(namespace("ml-training"), None, false)
        })
        .await
        .unwrap();
    let before = t.sim.committed_writes();
    let stale = writer
        .send(&label(namespace("ml-training"), Some(&reviewed), false))
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(409), "{stale}");
    assert_eq!(
        t.sim.committed_writes(),
        before,
        "a conflict writes nothing"
    );
    assert_eq!(enforce_level(&t), "baseline");

    // Re-read, and the same change with the fresh resourceVersion goes through.
    let fresh = writer.get(&namespace("ml-training")).await.unwrap();
    let rv = fresh["metadata"]["resourceVersion"].as_str().unwrap();
    let applied = writer
        .send(&label(namespace("ml-training"), Some(rv), false))
        .await
        .unwrap();
    assert_ne!(applied.resource_version(), Some(rv));
    assert_eq!(enforce_level(&t), "restricted");

    // A JSON patch carries the precondition as a test operation; a delete as a precondition.
    let json_patch = WriteRequest {
        operation: Operation::Patch {
            patch_type: PatchType::Json,
            body: json!([{"op": "add", "path": "/metadata/labels/x", "value": "y"}]),
        },
        ..label(namespace("ml-training"), Some(&reviewed), false)
    };
    let refused = writer.send(&json_patch).await.unwrap_err();
    assert!(matches!(refused, WriteError::Answered { .. }), "{refused}");
    let delete = WriteRequest {
        operation: Operation::Delete,
        ..label(namespace("web-shop"), Some("1"), false)
    };
    assert_eq!(writer.send(&delete).await.unwrap_err().status(), Some(409));
    assert!(t.sim.object("v1", "Namespace", "", "web-shop").is_some());
}

#[tokio::test]
async fn a_read_only_connection_has_no_writer() {
    let t = common::demo_sim().await;
    let connection = connect(&ConnectOptions {
        kubeconfig: Some(t.kubeconfig.clone()),
        context: Some(ADMIN.into()),
        timeout: Duration::from_secs(10),
        read_only: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let refused = Writer::new(&connection).unwrap_err();
    assert!(matches!(refused, WriteError::ReadOnly { .. }), "{refused}");
}

#[tokio::test]
async fn no_answer_is_an_unknown_outcome() {
    let t = common::demo_sim().await;
    let connection = connect(&ConnectOptions {
        kubeconfig: Some(t.kubeconfig.clone()),
        context: Some(ADMIN.into()),
        timeout: Duration::from_secs(1),
        read_only: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let writer = Writer::new(&connection).unwrap();
    t.sim.set_faults(FaultSettings {
        hang_rate: 1.0,
        ..Default::default()
    });
    let started = std::time::Instant::now();
    let error = writer
        .send(&label(namespace("ml-training"), None, false))
        .await
        .unwrap_err();
    assert!(matches!(error, WriteError::Unknown { .. }), "{error}");
    assert!(error.to_string().contains("re-read"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
