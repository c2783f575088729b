//! The RBAC view on a small fixture: binding rows and risk markers, the subjects ×
//! namespace permission summary, toggling, the detail pane and the who-can prompt.

use super::*;
use crate::tui::app::Options;
use crate::tui::data::{BuildInputs, derive};
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;
use crate::tui::update::{named, update};
use crate::tui::view::ViewId;
use aigov_core::rules::testing::snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: trainer, namespace: ml}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: model-config, namespace: ml}
data: {MODEL: llama-3-8b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml}
spec:
  selector: {matchLabels: {app: trainer}}
  template:
    metadata: {labels: {app: trainer}}
    spec:
      serviceAccountName: trainer
      containers:
      - name: main
        image: pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime
        envFrom: [{configMapRef: {name: model-config}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ml-admin}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ml-engineers-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ml-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ml-engineers}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: debugger}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-debugs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: ml}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: trainer-secrets, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects: [{kind: ServiceAccount, name: trainer}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: config-view}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-config: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: configmap-editor, labels: {example.com/aggregate-to-config: "true"}}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [update, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: config-editors, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: config-view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: no-such-role}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-dev, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
"#;

fn app() -> App {
    let mut app = App::new(Options::default(), Keymap::default(), Theme::monochrome());
    let derived = derive(Arc::new(snapshot(FIXTURE)), &BuildInputs::default());
    crate::tui::views::on_data(&mut app, derived);
    app.view = ViewId::Rbac;
    app
}

/// (key cells) of every row a table shows, in order.
fn cells(table: &TableModel, columns: &[usize]) -> Vec<String> {
    (0..table.len())
        .map(|i| {
            let mut t = table.clone();
            t.select_position(i);
            let row = t.selected_row().expect("row");
            columns
                .iter()
                .map(|c| row.cells[*c].as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

fn text(t: &Text) -> String {
    t.lines
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn select(table: &mut TableModel, key: &str) {
    table.select_key(key);
    assert_eq!(table.selected_row().map(|r| r.key.as_str()), Some(key));
}

#[test]
fn bindings_list_kind_role_subjects_permissions_and_risk() {
    let app = app();
    let rows = cells(&app.views.rbac.bindings, &[0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(
        rows,
        [
            "critical | ClusterRoleBinding |  | everyone-debugs | ClusterRole/debugger | exec | Group/system:authenticated",
            "critical | ClusterRoleBinding |  | ml-engineers-admin | ClusterRole/ml-admin | cluster-admin | Group/ml-engineers",
            "medium | RoleBinding | ml | config-editors | ClusterRole/config-view | cm-write | User/alice",
            "- | RoleBinding | ml | dangling | Role/no-such-role (missing) | - | User/carol",
            "high | RoleBinding | ml | trainer-secrets | Role/secret-reader | secrets | SA/ml/trainer",
            "- | RoleBinding | web | web-dev | ClusterRole/debugger | exec | User/bob",
        ]
    );
    let table = &app.views.rbac.bindings;
    let tones: Vec<Tone> = table.rows.iter().map(|r| r.tone).collect();
    assert_eq!(
        tones[0],
        Tone::Severity(aigov_core::rules::Severity::Critical)
    );
    assert_eq!(
        tones[3],
        Tone::Muted,
        "a binding of a missing role grants nothing"
    );
    assert_eq!(
        tones[5],
        Tone::Plain,
        "risky but outside the AI namespaces: no finding"
    );
}

#[test]
fn subjects_show_effective_permissions_per_ai_namespace() {
    let app = app();
    let rows = cells(&app.views.rbac.subjects, &[0, 1, 2, 3, 4]);
    assert_eq!(
        rows,
        [
            "medium | ml | User/alice | exec cm-write | 2",
            "- | ml | User/carol | exec | 2",
            "critical | ml | Group/ml-engineers | cluster-admin | 1",
            "critical | ml | Group/system:authenticated (broad) | exec | 1",
            "high | ml | SA/ml/trainer | secrets exec | 2",
        ],
        "bob is only bound in web, which is not an AI namespace"
    );
}

#[test]
fn toggling_tables_and_risky_rows() {
    let mut app = app();
    assert_eq!(app.views.rbac.tab, Tab::Bindings);
    assert_eq!(table(&mut app.views.rbac).map(|t| t.total()), Some(6));
    named(&mut app, "rbac.subjects");
    assert_eq!(app.views.rbac.tab, Tab::Subjects);
    assert_eq!(table(&mut app.views.rbac).map(|t| t.total()), Some(5));
    named(&mut app, "rbac.bindings");
    assert_eq!(app.views.rbac.tab, Tab::Bindings);
    select(
        &mut app.views.rbac.bindings,
        "RoleBinding/ml/trainer-secrets",
    );
    named(&mut app, "rbac.risky");
    assert!(app.views.rbac.risky_only);
    let names = cells(&app.views.rbac.bindings, &[3]);
    assert!(!names.contains(&"dangling".to_string()), "{names:?}");
    assert_eq!(names.len(), 5);
    assert_eq!(
        app.views
            .rbac
            .bindings
            .selected_row()
            .map(|r| r.key.as_str()),
        Some("RoleBinding/ml/trainer-secrets"),
        "the selection survives the toggle"
    );
    named(&mut app, "rbac.risky");
    assert_eq!(app.views.rbac.bindings.total(), 6);
    // A view key is resolved through the keymap in the RBAC view.
    let key = crate::tui::keymap::Key::parse("s").expect("key");
    assert_eq!(app.keymap.lookup(ViewId::Rbac, key), Some("rbac.subjects"));
}

#[test]
fn binding_detail_lists_aggregated_rules_and_findings() {
    let mut app = app();
    select(
        &mut app.views.rbac.bindings,
        "RoleBinding/ml/config-editors",
    );
    let shown = text(&detail(&app).expect("detail"));
    assert!(shown.contains("role: ClusterRole config-view"), "{shown}");
    assert!(
        shown.contains("verbs [update, patch] on [configmaps]"),
        "aggregated rules are listed: {shown}"
    );
    assert!(shown.contains("• User alice"), "{shown}");
    assert!(shown.contains("AIGOV-RBAC-010"), "{shown}");
    select(&mut app.views.rbac.bindings, "RoleBinding/ml/dangling");
    let shown = text(&detail(&app).expect("detail"));
    assert!(shown.contains("does not exist"), "{shown}");
    assert!(shown.contains("No findings."), "{shown}");
}

#[test]
fn subject_detail_names_the_grants_behind_each_permission() {
    let mut app = app();
    named(&mut app, "rbac.subjects");
    select(&mut app.views.rbac.subjects, "ml|SA/ml/trainer");
    let shown = text(&detail(&app).expect("detail"));
    assert!(shown.contains("ServiceAccount ml/trainer in ml"), "{shown}");
    assert!(
        shown.contains(
            "RoleBinding ml/trainer-secrets → Role secret-reader: verbs [get, list] on [secrets]"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "ClusterRoleBinding everyone-debugs → ClusterRole debugger (as Group system:authenticated)"
        ),
        "grants through a group name the group: {shown}"
    );
    assert!(shown.contains("AIGOV-RBAC-001"), "{shown}");
}

#[test]
fn who_can_prompt_answers_with_subjects_and_bindings() {
    let mut app = app();
    named(&mut app, "rbac.who-can");
    assert!(matches!(app.mode, Mode::Prompt(_)));
    app.mode = Mode::Normal;
    prompt_submitted(&mut app, "get secrets -n ml");
    let who = app.views.rbac.who.as_ref().expect("an answer");
    assert_eq!(
        cells(&who.table, &[0, 1, 2]),
        [
            "Group ml-engineers | ClusterRoleBinding ml-engineers-admin | ClusterRole ml-admin",
            "ServiceAccount ml/trainer | RoleBinding ml/trainer-secrets | Role secret-reader",
        ]
    );
    assert!(
        who.title()
            .contains("2 subject(s) can get secrets in namespace ml")
    );
    assert!(who.notes().is_empty(), "{:?}", who.notes());
    // The focused table is now the answer; the detail pane shows the selected grant.
    assert_eq!(table(&mut app.views.rbac).map(|t| t.total()), Some(2));
    let shown = text(&detail(&app).expect("detail"));
    assert!(
        shown.contains("binding: ClusterRoleBinding ml-engineers-admin"),
        "{shown}"
    );
    // Without a namespace only ClusterRoleBindings count, and the answer says so.
    prompt_submitted(&mut app, "create pods/exec");
    let who = app.views.rbac.who.as_ref().expect("an answer");
    let subjects = cells(&who.table, &[0]);
    assert_eq!(
        subjects,
        ["Group ml-engineers", "Group system:authenticated (broad)"]
    );
    assert!(who.notes()[0].contains("only ClusterRoleBindings"));
    // The next prompt starts from the last query; Esc closes the answer.
    named(&mut app, "rbac.who-can");
    assert_eq!(app.mode, Mode::Prompt(LineInput::with("create pods/exec")));
    app.mode = Mode::Normal;
    named(&mut app, "back");
    assert!(app.views.rbac.who.is_none());
}

#[test]
fn bad_who_can_queries_flash_one_line_and_keep_the_view() {
    let mut app = app();
    prompt_submitted(&mut app, "get secrets -n ml");
    for (query, expected) in [
        ("get", "give VERB RESOURCE"),
        ("", "give VERB RESOURCE"),
        (
            "get pods/exec/x -n ml",
            "not RESOURCE or RESOURCE/SUBRESOURCE",
        ),
        ("get pods --output json", "unknown option --output"),
        ("get pods -n", "-n needs a value"),
        ("get pods extra", "unexpected \"extra\""),
        ("get pods -A -n ml", "cannot be used together"),
    ] {
        prompt_submitted(&mut app, query);
        let message = app
            .message
            .as_ref()
            .map(|m| m.0.clone())
            .unwrap_or_default();
        assert!(message.contains(expected), "{query:?}: {message}");
        assert!(!message.contains('\n'));
        assert!(
            app.views.rbac.who.is_some(),
            "a bad query keeps the previous answer"
        );
    }
}

#[test]
fn queries_parse_flags_in_any_order() {
    let q = who_can::parse_query("--name hf-token get -n=ml secrets").expect("parses");
    assert_eq!(
        q,
        who_can::Query {
            verb: "get".into(),
            resource: "secrets".into(),
            namespace: Some("ml".into()),
            name: Some("hf-token".into()),
            all_namespaces: false,
        }
    );
    let q = who_can::parse_query("list nodes -A").expect("parses");
    assert!(q.all_namespaces);
    assert_eq!(
        who_can::parse_query("get pods -nml")
            .expect("parses")
            .namespace,
        Some("ml".into())
    );
}

#[test]
fn the_view_draws_both_tables_and_the_answer_without_control_bytes() {
    let mut app = app();
    prompt_submitted(&mut app, "get secrets -n nowhere");
    let notes = app.views.rbac.who.as_ref().expect("answer").notes();
    assert!(
        notes.iter().any(|n| n.contains("does not exist")),
        "{notes:?}"
    );
    for (w, h) in [(160, 48), (80, 24)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        terminal
            .draw(|frame| crate::tui::ui::draw(frame, &mut app))
            .expect("draw");
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(screen.contains("RBAC bindings"), "{w}x{h}");
        assert!(screen.contains("who-can"), "{w}x{h}");
        assert!(!screen.contains('\u{1b}'));
    }
    update(
        &mut app,
        crate::tui::action::Action::Key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Esc,
        )),
    );
    assert!(app.views.rbac.who.is_none(), "esc closes the answer");
}

#[test]
fn new_data_re_asks_the_shown_question() {
    let mut app = app();
    prompt_submitted(&mut app, "get secrets -n ml");
    let more = format!(
        "{FIXTURE}---\n{}",
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: more-readers, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}]
"#
    );
    let derived = derive(Arc::new(snapshot(&more)), &BuildInputs::default());
    crate::tui::views::on_data(&mut app, derived);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    terminal
        .draw(|frame| crate::tui::ui::draw(frame, &mut app))
        .expect("draw");
    let who = app.views.rbac.who.as_ref().expect("answer");
    assert!(cells(&who.table, &[0]).contains(&"User dave".to_string()));
}
