//! The Images view on fixtures: one row per unit and container, running digests from the
//! pods, findings attached, facets, hostile names made visible.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::tui::tests::{press, typing};
use crate::tui::view::ViewId;
use crate::tui::views::images::build::ANNOTATION_CHARS;
use crate::tui::views::reach::tests::{app_with, screen};
use ratatui::crossterm::event::KeyCode;

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn fixture() -> String {
    let pod = |name: &str, image_id: &str| {
        format!(
            r#"---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: ml
  labels: {{app: vllm}}
  ownerReferences: [{{apiVersion: apps/v1, kind: StatefulSet, name: vllm, uid: u1, controller: true}}]
spec:
  containers: [{{name: vllm, image: "vllm/vllm-openai:v0.6.3", resources: {{limits: {{nvidia.com/gpu: "1"}}}}}}]
status:
  containerStatuses:
  - {{name: vllm, image: "vllm/vllm-openai:v0.6.3", imageID: "docker.io/vllm/vllm-openai@{image_id}", ready: true}}
"#
        )
    };
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: ml}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: vllm, namespace: ml, uid: u1}}
spec:
  selector: {{matchLabels: {{app: vllm}}}}
  template:
    metadata: {{labels: {{app: vllm}}}}
    spec:
      initContainers: [{{name: fetch, image: "busybox@{pinned}"}}]
      containers: [{{name: vllm, image: "vllm/vllm-openai:v0.6.3", resources: {{limits: {{nvidia.com/gpu: "1"}}}}}}]
{a}{b}---
apiVersion: v1
kind: Pod
metadata: {{name: "debug\e[31m", namespace: ml}}
spec:
  containers: [{{name: shell, image: "nginx", imagePullPolicy: Always}}]
"#,
        pinned = digest('c'),
        a = pod("vllm-0", &digest('a')),
        b = pod("vllm-1", &digest('b')),
    )
}

fn row_of<'a>(state: &'a State, container: &str) -> (&'a ImageInfo, &'a TableRow) {
    let row = state
        .table
        .rows
        .iter()
        .find(|r| r.cells[2].starts_with(container))
        .unwrap_or_else(|| panic!("no row for container {container}"));
    (&state.images[row.source], row)
}

/// The rule ids of the findings attached to one row's image.
fn rules_of<'a>(app: &'a App, info: &ImageInfo) -> Vec<&'a str> {
    let findings = &app.data.as_ref().unwrap().evaluation.findings;
    info.findings.iter().map(|&i| findings[i].rule.id).collect()
}

#[test]
fn one_row_per_container_with_reference_running_digests_and_findings() {
    let app = app_with(&fixture(), None);
    let state = &app.views.images;
    assert_eq!(state.table.total(), 3, "fetch, vllm and shell");
    let (vllm, row) = row_of(state, "vllm");
    assert_eq!(row.cells[1], "StatefulSet/vllm");
    assert_eq!(row.cells[3], "vllm/vllm-openai:v0.6.3");
    assert_eq!(row.cells[4], "v0.6.3");
    assert_eq!(
        row.cells[5], "sha256:aaaaaaaa… +1",
        "two replicas, two digests"
    );
    assert_eq!(row.cells[6], "yes");
    assert_eq!(row.cells[7], "high", "AIGOV-IMG-003: replicas differ");
    assert_eq!(vllm.running.len(), 2);
    assert_eq!(vllm.pods.len(), 2);
    let rules = rules_of(&app, vllm);
    assert!(
        rules.contains(&"AIGOV-IMG-003") && rules.contains(&"AIGOV-IMG-001"),
        "{rules:?}"
    );
    let (fetch, row) = row_of(state, "fetch");
    assert!(fetch.init);
    assert_eq!(row.cells[2], "fetch (init)");
    assert_eq!(row.cells[4], "@sha256:cccccccc…");
    let (_, row) = row_of(state, "shell");
    assert_eq!(row.cells[4], "latest (implied)");
    assert_eq!(row.cells[5], "-", "the pod reports no imageID");
    assert!(
        state.images.iter().all(|i| i.registry.is_none()),
        "no registry facts invented"
    );
}

#[test]
fn hostile_names_come_out_sanitised() {
    let mut app = app_with(&fixture(), None);
    let state = &app.views.images;
    for row in &state.table.rows {
        assert!(
            row.cells.iter().all(|c| !c.contains('\u{1b}')),
            "{:?}",
            row.cells
        );
    }
    assert!(
        state
            .table
            .rows
            .iter()
            .any(|r| r.cells[1] == "Pod/debug^[[31m")
    );
    app.view = ViewId::Images;
    app.detail = true;
    let shown = screen(&mut app, 160, 48);
    assert!(!shown.contains('\u{1b}'));
    assert!(shown.contains("debug^[[31m"));
}

#[test]
fn facets_narrow_to_ai_workloads_and_unpinned_images() {
    let mut app = app_with(&fixture(), None);
    app.view = ViewId::Images;
    press(&mut app, KeyCode::Char('u'));
    assert_eq!(
        app.views.images.table.len(),
        2,
        "the pinned init container is hidden"
    );
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.views.images.table.len(), 1);
    assert_eq!(app.views.images.table.rows[0].cells[2], "vllm");
    press(&mut app, KeyCode::Char('u'));
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.views.images.table.len(), 3);
}

#[test]
fn the_detail_pane_parses_the_reference_and_lists_pods() {
    let mut app = app_with(&fixture(), None);
    app.view = ViewId::Images;
    let position = app
        .views
        .images
        .table
        .rows
        .iter()
        .position(|r| r.cells[2] == "vllm")
        .unwrap();
    app.views.images.table.select_position(position);
    let text = detail(&app).unwrap();
    let all: Vec<String> = text
        .lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let all = all.join("\n");
    for needle in [
        "registry:   docker.io",
        "repository: vllm/vllm-openai",
        "tag:        v0.6.3",
        "digest:     (none: the tag can move)",
        &format!("{}  (1 pod)", digest('a')),
        &format!("vllm-1: docker.io/vllm/vllm-openai@{}", digest('b')),
        "not checked",
        "AIGOV-IMG-003",
        "fix: ",
    ] {
        assert!(all.contains(needle), "{needle:?} missing from\n{all}");
    }
}

#[test]
fn digests_are_shortened_to_eight_hex_characters() {
    assert_eq!(short_digest(&digest('1')), "sha256:11111111…");
    assert_eq!(short_digest("sha256:abc"), "sha256:abc");
    assert_eq!(
        tag_or_digest(&Ok(Parsed {
            tag: Some("v1".into()),
            digest: Some(digest('f')),
            ..Default::default()
        })),
        "v1@sha256:ffffffff…"
    );
    assert_eq!(tag_or_digest(&Err("bad".into())), "unparsable");
}

#[test]
fn pod_annotations_are_drawn_sanitised_masked_and_without_the_last_applied_copy() {
    let long = "x".repeat(500);
    let yaml = format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: ml}}
---
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: ml
  annotations:
    ml.example.com/summary: "epoch 3 \e[2J\e]52;c;aGk=\a done"
    ml.example.com/hf-token: "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    ml.example.com/long: "{long}"
    kubectl.kubernetes.io/last-applied-configuration: '{{"spec":{{"containers":[{{"env":[{{"name":"HF_TOKEN","value":"hf_LastAppliedSecret0123456789abcd"}}]}}]}}}}'
spec:
  containers: [{{name: t, image: "pytorch/pytorch:2.3.1", resources: {{limits: {{nvidia.com/gpu: "1"}}}}}}]
"#
    );
    let mut app = app_with(&yaml, None);
    let (info, _) = row_of(&app.views.images, "t");
    let value = |suffix: &str| {
        info.annotations
            .iter()
            .find(|(k, _)| k.ends_with(suffix))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no annotation {suffix}: {:?}", info.annotations))
    };
    assert_eq!(value("summary"), "epoch 3 ^[[2J^[]52;c;aGk=^G done");
    let token = value("hf-token");
    assert!(token.starts_with("(secret-like"), "{token}");
    assert!(!token.contains("AbCdEfGhIjKlMnOp"), "{token}");
    assert!(!value("last-applied-configuration").contains("hf_LastApplied"));
    assert_eq!(
        value("long").chars().count(),
        ANNOTATION_CHARS + 1,
        "cut, with …"
    );
    app.view = ViewId::Images;
    app.detail = true;
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains("Pod annotations"), "{shown}");
    assert!(shown.contains("^[[2J"), "{shown}");
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'));
    assert!(!shown.contains("hf_LastApplied") && !shown.contains("AbCdEfGhIjKlMnOp"));
}

#[test]
fn registry_facts_fill_the_registry_columns_and_a_moved_tag_reads_moved() {
    use aigov_core::model::image::ImageRef;
    use aigov_core::rules::images::{RegistryFacts, TagFact, TagMove};
    let vllm = ImageRef::parse("vllm/vllm-openai:v0.6.3").unwrap();
    let nginx = ImageRef::parse("nginx").unwrap();
    let mut facts = RegistryFacts::default();
    facts.insert(
        &vllm,
        TagFact {
            digest: digest('d'),
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            checked_at: "2026-11-27T10:11:12Z".into(),
        },
    );
    facts.insert_move(
        &vllm,
        TagMove {
            from_digest: digest('a'),
            from_seen: "2026-11-20T08:00:00Z".into(),
            to_digest: digest('d'),
            to_seen: "2026-11-27T10:11:12Z".into(),
        },
    );
    facts.insert_unknown(&nginx, "docker.io refused the request (401)");
    facts.insert_setting(
        &nginx,
        aigov_core::rules::images::ImmutabilitySetting::immutable(
            "harbor rule 5 of project library",
        ),
    );
    let snapshot = std::sync::Arc::new(aigov_core::rules::testing::snapshot(&fixture()));
    let data = crate::tui::data::derive(
        snapshot,
        &crate::tui::data::BuildInputs {
            registry: facts,
            ..Default::default()
        },
    );
    let mut app = app_with(&fixture(), None);
    let generation = app.generation;
    crate::tui::update::update(
        &mut app,
        crate::tui::action::Action::Derived {
            generation,
            data: Box::new(data),
        },
    );
    let state = &app.views.images;
    let headers: Vec<&str> = state.table.columns.iter().map(|c| c.title).collect();
    assert!(
        headers.contains(&"REGISTRY") && headers.contains(&"CHECKED"),
        "{headers:?}"
    );
    let (info, row) = row_of(state, "vllm");
    assert_eq!(
        info.registry.as_ref().unwrap().moved,
        Some(true),
        "the pods run a and b, the tag is d"
    );
    assert_eq!(
        &row.cells[6..10],
        ["sha256:dddddddd…", "MOVED", "mutable", "10:11:12"]
    );
    assert_eq!(
        info.registry.as_ref().unwrap().immutability_source,
        "history: overwritten at 2026-11-27T10:11:12Z"
    );
    let (shell, row) = row_of(state, "shell");
    assert_eq!(
        row.cells[6], "unknown",
        "a failed look-up is unknown, never clean"
    );
    assert_eq!(row.cells[8], "immutable", "the registry's own setting");
    assert_eq!(
        shell.registry.as_ref().unwrap().immutability_source,
        "harbor rule 5 of project library"
    );
    let (_, row) = row_of(state, "fetch");
    assert_eq!(
        row.cells[6], "pinned",
        "a pinned reference has nothing to look up"
    );
    let rules = rules_of(&app, info);
    assert!(
        rules.contains(&"AIGOV-IMG-004") && rules.contains(&"AIGOV-IMG-005"),
        "{rules:?}"
    );
}

/// Filter the Images view to `text`, check that exactly the row of `container` is left (so
/// the key acts on the row the test means), and press `R`.
fn recheck_filtered(app: &mut App, text: &str, container: &str) -> Vec<crate::tui::action::Effect> {
    press(app, KeyCode::Esc);
    press(app, KeyCode::Char('/'));
    typing(app, text);
    press(app, KeyCode::Enter);
    let table = &app.views.images.table;
    assert_eq!(table.len(), 1, "the filter {text:?} keeps one row");
    assert_eq!(
        table.selected_row().map(|r| r.cells[2].as_str()),
        Some(container),
        "the filter {text:?} selects the row of {container}"
    );
    press(app, KeyCode::Char('R'))
}

#[test]
fn r_re_checks_the_selected_tag_but_not_a_pinned_reference() {
    let mut app = app_with(&fixture(), None);
    press(&mut app, KeyCode::Char('5'));
    assert_eq!(
        recheck_filtered(&mut app, "openai", "vllm"),
        vec![crate::tui::action::Effect::RecheckImage(
            "vllm/vllm-openai:v0.6.3".into()
        )]
    );
    assert!(
        recheck_filtered(&mut app, "busybox", "fetch (init)").is_empty(),
        "a pinned reference has no tag"
    );
}
