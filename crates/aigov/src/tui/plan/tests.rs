//! The plan flow through `update`: stage from the Findings view, open the plan, review, a
//! justification that is too short and one that is long enough, the confirmation naming the
//! object, apply, verify on new data; read-only stages nothing. The review and confirmation
//! screens are insta snapshots.

use crate::tui::action::{Action, Effect};
use crate::tui::app::{App, Mode};
use crate::tui::keymap::Keymap;
use crate::tui::tests::{loaded_app, press, typing};
use crate::tui::update::update;
use aigov_kube::write::WriteOutcome;
use aigov_remediation::apply::{Applied, Report};
use aigov_remediation::diff::unified;
use aigov_remediation::plan::{Plan, Status};
use aigov_remediation::review::Reviewed;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

fn app_with_plan() -> App {
    let mut app = loaded_app(Keymap::default());
    app.plan = Some(Plan::new("fixture", "https://127.0.0.1:6443"));
    app
}

fn screen(app: &mut App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 32)).unwrap();
    terminal
        .draw(|frame| crate::tui::ui::draw(frame, app))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..32)
        .map(|y| {
            let line: String = (0..120).map(|x| buffer[(x, y)].symbol()).collect();
            line.trim_end().to_string() + "\n"
        })
        .collect()
}

/// Stage the fixture's NS-003 finding (namespace `ml` enforces no Pod Security level).
fn staged(app: &mut App) -> Vec<Effect> {
    press(app, KeyCode::Char('7'));
    press(app, KeyCode::Char('/'));
    typing(app, "NS-003");
    press(app, KeyCode::Enter);
    press(app, KeyCode::Char('s'))
}

#[test]
fn staging_reviewing_justifying_confirming_and_applying() {
    let mut app = app_with_plan();
    let effects = staged(&mut app);
    let plan = match effects.as_slice() {
        [Effect::SavePlan(plan), Effect::Record(entry)] => {
            assert_eq!(
                entry.kind,
                aigov_audit::EntryKind::Stage,
                "staging is audited"
            );
            plan.clone()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].id, "c1");
    assert!(
        plan.changes[0]
            .change
            .finding_key
            .starts_with("AIGOV-NS-003:Namespace//ml")
    );

    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.mode, Mode::Plan);
    assert!(
        press(&mut app, KeyCode::Char('a')).is_empty(),
        "not before a review"
    );
    let effects = press(&mut app, KeyCode::Char('v'));
    let change = match effects.as_slice() {
        [Effect::ReviewChange { id, change }] if id == "c1" => change.clone(),
        other => panic!("{other:?}"),
    };

    // The runner's answer: the live namespace and the dry run with the label.
    let live = json!({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": {"name": "ml", "resourceVersion": "7"}});
    let mut dry = live.clone();
    dry["metadata"]["labels"] = json!({"pod-security.kubernetes.io/enforce": "baseline"});
    let reviewed = Reviewed {
        change: *change,
        diff: unified(Some(&live), Some(&dry)),
        live: Some(live),
        dry_run: Ok(WriteOutcome {
            status: 200,
            object: Some(dry),
            warnings: vec!["existing pods in namespace \"ml\" violate the new PodSecurity enforce level \"baseline:latest\"".into()],
            audit_id: Some("8d1f".into()),
        }),
    };
    update(
        &mut app,
        Action::PlanReviewed {
            id: "c1".into(),
            reviewed: Box::new(reviewed.clone()),
        },
    );
    insta::assert_snapshot!("plan_review_120x32", screen(&mut app));

    press(&mut app, KeyCode::Char('a'));
    typing(&mut app, "too short");
    let ctrl_s = Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    update(&mut app, ctrl_s);
    assert!(
        matches!(
            app.plan_screen.as_ref().unwrap().step,
            super::Step::Justify(_)
        ),
        "a short justification is refused"
    );
    typing(&mut app, " for the PSA rollout");
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    insta::assert_snapshot!("plan_confirm_120x32", screen(&mut app));
    let effects = press(&mut app, KeyCode::Char('a'));
    match effects.as_slice() {
        [
            Effect::ApplyChange {
                id, justification, ..
            },
        ] => {
            assert_eq!(id, "c1");
            assert_eq!(justification, "too short for the PSA rollout");
        }
        other => panic!("{other:?}"),
    }

    let report = Report {
        applied: Applied::Done {
            outcome: WriteOutcome {
                status: 200,
                object: Some(json!({"metadata": {"resourceVersion": "8"}})),
                warnings: Vec::new(),
                audit_id: None,
            },
        },
        intent_seq: 4,
        result_not_recorded: None,
    };
    let effects = update(
        &mut app,
        Action::PlanApplied {
            id: "c1".into(),
            result: Ok(Box::new(report)),
        },
    );
    assert!(matches!(effects[0], Effect::SavePlan(_)));
    assert!(
        matches!(effects[1], Effect::Reload { .. }),
        "reload to verify"
    );
    let status = &app.plan.as_ref().unwrap().changes[0].status;
    assert!(matches!(
        status,
        Status::Applied {
            intent_seq: 4,
            verified: None,
            ..
        }
    ));
    // The reload still reports the finding (the fixture did not change): not verified.
    let data = crate::tui::data::derive(
        app.data.as_ref().unwrap().snapshot.clone(),
        &Default::default(),
    );
    let generation = app.generation;
    update(
        &mut app,
        Action::Derived {
            generation,
            data: Box::new(data),
        },
    );
    let status = &app.plan.as_ref().unwrap().changes[0].status;
    match status {
        Status::Applied {
            verified: Some(false),
            remains: Some(why),
            ..
        } => assert!(why.starts_with("the rule still reports it: "), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_conflict_writes_nothing_and_reviews_the_change_again() {
    let mut app = app_with_plan();
    staged(&mut app);
    let report = Report {
        applied: Applied::Conflict {
            message: "the object has been modified".into(),
        },
        intent_seq: 4,
        result_not_recorded: None,
    };
    let effects = update(
        &mut app,
        Action::PlanApplied {
            id: "c1".into(),
            result: Ok(Box::new(report)),
        },
    );
    match effects.as_slice() {
        [Effect::SavePlan(_), Effect::ReviewChange { id, .. }] => assert_eq!(id, "c1"),
        other => panic!("no reload, a new review: {other:?}"),
    }
    let status = &app.plan.as_ref().unwrap().changes[0].status;
    assert!(matches!(status, Status::Failed { .. }), "{status:?}");
    assert!(
        app.errors
            .last()
            .unwrap()
            .message
            .contains("nothing was written"),
    );
}

#[test]
fn export_needs_a_file_and_sends_the_plan() {
    let mut app = app_with_plan();
    staged(&mut app);
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "export");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.errors.last().unwrap().message, "usage: :export FILE");
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "export /tmp/reviewed.yaml");
    match press(&mut app, KeyCode::Enter).as_slice() {
        [Effect::ExportPlan { plan, path }] => {
            assert_eq!(plan.changes.len(), 1);
            assert_eq!(path, std::path::Path::new("/tmp/reviewed.yaml"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn read_only_stages_nothing_and_a_revert_stages_the_inverse() {
    let mut app = app_with_plan();
    app.options.read_only = true;
    assert!(staged(&mut app).is_empty());
    assert!(app.plan.as_ref().unwrap().changes.is_empty());

    let mut app = app_with_plan();
    staged(&mut app);
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "revert c1");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "c1 is not applied yet"
    );
    if let Some(s) = app.plan.as_mut().unwrap().get_mut("c1") {
        s.status = Status::Applied {
            at: "t".into(),
            resource_version: None,
            intent_seq: 1,
            verified: Some(true),
            remains: None,
        };
    }
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "revert c1");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::SavePlan(_), Effect::Record(_)]),
        "saved and recorded: {effects:?}"
    );
    let plan = app.plan.as_ref().unwrap();
    assert_eq!(plan.changes[1].id, "c2");
    assert!(plan.changes[1].change.description.starts_with("undo: "));
    assert!(plan.changes[1].change.reverts);
}

#[test]
fn marked_findings_are_staged_together_and_the_marks_cleared() {
    let mut app = app_with_plan();
    press(&mut app, KeyCode::Char('7'));
    press(&mut app, KeyCode::Char('/'));
    typing(&mut app, "NS-00 ml");
    press(&mut app, KeyCode::Enter);
    let shown = app.views.findings.table.len();
    assert!(shown >= 2, "NS-003 and NS-004 on ml");
    for _ in 0..shown {
        press(&mut app, KeyCode::Char(' '));
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.views.findings.marked.len(), shown);
    let first = &app.views.findings.table.rows[app.views.findings.table.selected_index().unwrap()];
    assert!(first.cells[0].starts_with("● "), "{:?}", first.cells);
    // Space again unmarks, and once more marks.
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.views.findings.marked.len(), shown - 1);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.views.findings.marked.len(), shown);

    let effects = press(&mut app, KeyCode::Char('s'));
    let plan = app.plan.as_ref().unwrap();
    let staged: Vec<&str> = plan
        .changes
        .iter()
        .map(|s| s.change.finding_key.as_str())
        .collect();
    assert!(
        staged.contains(&"AIGOV-NS-003:Namespace//ml#"),
        "{staged:?}"
    );
    assert!(
        staged.contains(&"AIGOV-NS-004:Namespace//ml#"),
        "{staged:?}"
    );
    let records = effects
        .iter()
        .filter(|e| matches!(e, Effect::Record(_)))
        .count();
    assert_eq!(
        records,
        plan.changes.len(),
        "every staged change is audited"
    );
    assert!(matches!(effects[0], Effect::SavePlan(_)));
    assert!(app.views.findings.marked.is_empty(), "marks are cleared");
    assert!(
        app.views
            .findings
            .table
            .rows
            .iter()
            .all(|r| !r.cells[0].starts_with("● "))
    );
}
