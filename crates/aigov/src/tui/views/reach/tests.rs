//! The Data reach view on fixtures: rows and trees built from real objects, hostile names
//! made visible, the read-write facet, and the tree's focus and scrolling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::tui::action::Action;
use crate::tui::app::Options;
use crate::tui::data::{BuildInputs, derive};
use crate::tui::keymap::Keymap;
use crate::tui::update::update;
use aigov_core::rules::config::Baseline;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;

/// An app with the fixture's data loaded (and a baseline, when given).
pub(crate) fn app_with(yaml: &str, baseline: Option<Baseline>) -> App {
    let snapshot = Arc::new(aigov_core::rules::testing::snapshot(yaml));
    let inputs = BuildInputs {
        baseline,
        ..Default::default()
    };
    let data = derive(snapshot, &inputs);
    let mut app = App::new(Options::default(), Keymap::default(), Theme::monochrome());
    update(
        &mut app,
        Action::Derived {
            generation: 0,
            data: Box::new(data),
        },
    );
    app
}

pub(crate) fn press(app: &mut App, code: KeyCode) {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Every character of the whole screen, drawn at `width` x `height`.
pub(crate) fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| crate::tui::ui::draw(frame, app))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: "imagenet\e[2J", namespace: ml, labels: {aigov.dev/data: dataset}}
spec: {accessModes: [ReadWriteMany], storageClassName: nfs}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: weights, namespace: ml, labels: {aigov.dev/data: model}}
spec: {accessModes: [ReadOnlyMany]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch, namespace: ml}
spec: {accessModes: [ReadWriteOnce]}
---
apiVersion: v1
kind: Pod
metadata: {name: trainer-0, namespace: ml}
spec:
  serviceAccountName: trainer
  containers:
  - name: train
    image: "pytorch/pytorch:2.3.1"
    resources: {limits: {nvidia.com/gpu: "1"}}
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: model, mountPath: /model, readOnly: true}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: "imagenet\e[2J"}}
  - {name: model, persistentVolumeClaim: {claimName: weights}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-debugger, namespace: ml}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: interns-debug, namespace: ml}
subjects: [{kind: Group, name: interns, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: pod-debugger, apiGroup: rbac.authorization.k8s.io}
"#;

fn all_text(v: &Volume) -> String {
    let mut text = format!("{} {} {} {}", v.namespace, v.pvc, v.pv, v.storage_class);
    for l in &v.tree {
        text.push_str(&l.guide);
        text.push_str(&l.text);
        text.push('\n');
    }
    text
}

#[test]
fn sensitive_volumes_become_rows_with_their_mounts_and_reach() {
    let app = app_with(FIXTURE, None);
    let state = &app.views.reach;
    let names: Vec<&str> = state.volumes.iter().map(|v| v.pvc.as_str()).collect();
    assert_eq!(
        names,
        ["imagenet^[[2J", "weights"],
        "the unlabelled, unmounted claim is not sensitive"
    );
    let imagenet = &state.volumes[0];
    assert_eq!((imagenet.units, imagenet.units_rw), (1, 1));
    assert_eq!(imagenet.data, "dataset");
    let weights = &state.volumes[1];
    assert_eq!(
        (weights.units, weights.units_rw),
        (1, 0),
        "mounted read-only"
    );
    let row = &state.table.rows[0];
    assert_eq!(row.cells[3], "RWX");
    assert_eq!(row.cells[5], "1 1rw");
    assert_eq!(state.table.rows[1].cells[5], "1 ro");
    assert_eq!(row.cells[4], "? nfs", "a StorageClass that does not exist");
    assert!(
        imagenet.findings.iter().all(
            |&i| app.data.as_ref().unwrap().evaluation.findings[i].area()
                == aigov_core::rules::Area::Reach
        ),
        "only REACH findings are attached"
    );
}

#[test]
fn the_tree_names_each_subject_and_its_path() {
    let app = app_with(FIXTURE, None);
    let tree = &app.views.reach.volumes[0].tree;
    let text: Vec<String> = tree
        .iter()
        .map(|l| format!("{}{}", l.guide, l.text))
        .collect();
    let at = |needle: &str| {
        text.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{}", text.join("\n")))
    };
    let mount = at("train: /data, READ-WRITE, sa trainer, 1 pod");
    assert!(at("Pod/trainer-0") < mount);
    let subject = at("Group/interns");
    let binding = at("via RoleBinding ml/interns-debug -> Role pod-debugger");
    let way = at("exec into Pod/trainer-0");
    assert!(
        subject < binding && binding < way,
        "subject, then binding, then the way"
    );
    assert!(text[way].contains("└─ ") || text[way].contains("├─ "));
    assert!(
        text.iter()
            .any(|l| l.contains("ServiceAccount/ml/trainer") && !l.contains("metadata")),
        "the pod's service account reaches the data"
    );
    assert_eq!(tree[0].style, LineStyle::Heading);
    assert_eq!(tree[mount].style, LineStyle::Warn);
}

#[test]
fn hostile_names_come_out_sanitised() {
    let mut app = app_with(FIXTURE, None);
    for v in &app.views.reach.volumes {
        let text = all_text(v);
        assert!(!text.contains('\u{1b}'), "{text:?}");
    }
    assert!(all_text(&app.views.reach.volumes[0]).contains("imagenet^[[2J"));
    app.view = ViewId::Reach;
    app.detail = true;
    let shown = screen(&mut app, 160, 48);
    assert!(!shown.contains('\u{1b}'));
    assert!(shown.contains("imagenet^[[2J"));
    assert!(shown.contains("Group/interns"));
}

#[test]
fn m_lists_only_volumes_mounted_read_write() {
    let mut app = app_with(FIXTURE, None);
    app.view = ViewId::Reach;
    assert_eq!(app.views.reach.table.len(), 2);
    press(&mut app, KeyCode::Char('m'));
    assert!(app.views.reach.rw_only);
    assert_eq!(app.views.reach.table.len(), 1);
    assert_eq!(app.views.reach.table.rows[0].cells[1], "imagenet^[[2J");
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.views.reach.table.len(), 2);
}

#[test]
fn t_moves_the_keys_into_the_tree_and_esc_back() {
    let mut app = app_with(FIXTURE, None);
    app.view = ViewId::Reach;
    // A short tree pane, so there is something to scroll.
    screen(&mut app, 80, 14);
    assert!(app.views.reach.tree_height < app.views.reach.volumes[0].tree.len());
    press(&mut app, KeyCode::Char('t'));
    assert!(app.views.reach.tree_focus);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.views.reach.tree_scroll, 2);
    assert_eq!(
        app.views.reach.table.selected_position(),
        0,
        "the table keeps its selection while the tree scrolls"
    );
    press(&mut app, KeyCode::End);
    let bottom = app.views.reach.tree_scroll;
    assert_eq!(
        bottom,
        app.views.reach.volumes[0].tree.len() - app.views.reach.tree_height
    );
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.views.reach.tree_scroll, bottom, "clamped at the end");
    press(&mut app, KeyCode::Esc);
    assert!(!app.views.reach.tree_focus);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.views.reach.table.selected_position(), 1);
    screen(&mut app, 80, 14);
    assert_eq!(
        app.views.reach.tree_scroll, 0,
        "a new volume starts at the top"
    );
}

#[test]
fn the_detail_pane_lists_the_volume_findings_with_evidence() {
    let mut app = app_with(FIXTURE, None);
    app.view = ViewId::Reach;
    let text = detail(&app).unwrap();
    let lines: Vec<String> = text
        .lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let all = lines.join("\n");
    assert!(all.contains("PVC ml/imagenet^[[2J (dataset)"), "{all}");
    assert!(all.contains("AIGOV-REACH-004"), "RWX dataset: {all}");
    assert!(all.contains("• accessModes: ReadWriteMany"), "{all}");
    assert!(all.contains("fix: "), "{all}");
    assert!(!all.contains('\u{1b}'));
}

#[test]
fn f_opens_the_findings_of_the_volume() {
    let mut app = app_with(FIXTURE, None);
    app.view = ViewId::Reach;
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.view, ViewId::Findings);
    assert_eq!(app.views.findings.namespace.as_deref(), Some("ml"));
    assert!(!app.views.findings.table.is_empty());
}
