//! Guided audit tests: walking the steps, marking with notes, refusing an empty note where one
//! is required, leaving with unsaved marks, the summary and its effect, drawing, and the
//! report files (modes, content, no raw control characters).

use super::report::{to_markdown, write_report_in};
use super::*;
use crate::tui::app::{ConnectionInfo, Options};
use crate::tui::data::{BuildInputs, derive};
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;
use aigov_core::model::Identity;
use aigov_core::rules::{Finding, ObjectRef, Severity};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use std::sync::Arc;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: trainer, namespace: ml}
spec:
  containers: [{name: t, image: "pytorch/pytorch:latest", resources: {limits: {nvidia.com/gpu: "1"}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ml}
spec:
  containers: [{name: w, image: "nginx:1.27"}]
"#;

const HOSTILE: &str = "evil \u{1b}[2J\u{1b}]52;c;aGk=\u{7} \u{202e}title";

fn app_without_data() -> App {
    let mut app = App::new(
        Options {
            read_only: true,
            guided: true,
            demo: false,
        },
        Keymap::new(&toml::Table::new()),
        Theme::monochrome(),
    );
    app.connection = Some(ConnectionInfo {
        context: "prod/eu".into(),
        server: "https://10.0.0.1:6443".into(),
        identity: Identity {
            username: "auditor@example.com".into(),
            groups: vec!["auditors".into(), "system:authenticated".into()],
            source: "self-subject-review".into(),
        },
        read_only: true,
        contexts: vec!["prod/eu".into()],
        ..Default::default()
    });
    app.now = "12:00:00".into();
    app.size = (160, 48);
    app
}

/// An app with data: the fixture's findings plus one with a hostile title in RBAC.
fn loaded() -> App {
    let mut app = app_without_data();
    let snapshot = Arc::new(aigov_core::rules::testing::snapshot(FIXTURE));
    let mut data = derive(snapshot, &BuildInputs::default());
    data.evaluation.findings.push(Finding {
        rule: &aigov_core::rules::permissions::SECRETS_READ,
        severity: Severity::High,
        object: ObjectRef::new("RoleBinding", "ml", "x\u{1b}[31m"),
        title: HOSTILE.into(),
        explanation: "why".into(),
        evidence: vec!["\u{9b}evidence".into()],
        remediable: false,
        incomplete: true,
        detail: aigov_core::rules::Detail::None,
    });
    crate::tui::views::on_data(&mut app, data);
    app.refreshed_at = Some("12:00:00".into());
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    key(app, KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn state(app: &App) -> &State {
    app.guided.as_ref().expect("the guided audit is open")
}

fn step_of(id: &str) -> usize {
    STEPS.iter().position(|s| s.id == id).expect("a step") + 1
}

/// Move to the step with this id.
fn go_to(app: &mut App, id: &str) {
    let target = step_of(id);
    while app.guided.as_ref().map_or(0, |s| s.step) < target {
        press(app, KeyCode::Enter);
    }
}

#[test]
fn launched_guided_waits_for_data_then_walks_every_step_in_order() {
    let mut app = app_without_data();
    assert_eq!(app.mode, Mode::Guided, "--guided opens it at once");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        state(&app).step,
        0,
        "no data yet: stays on the loading step"
    );
    assert!(state(&app).audit.is_none());
    let loaded = loaded();
    app.data = loaded.data;
    let mut seen = vec![];
    for _ in 0..SUMMARY {
        press(&mut app, KeyCode::Right);
        seen.push(state(&app).current().map(|s| s.def.id));
    }
    assert_eq!(
        seen,
        vec![
            Some("namespaces"),
            Some("rbac"),
            Some("reach"),
            Some("images"),
            Some("config"),
            Some("admission"),
            None
        ]
    );
    assert_eq!(state(&app).step, SUMMARY);
    press(&mut app, KeyCode::Enter);
    assert_eq!(state(&app).step, SUMMARY, "the summary is the last step");
    press(&mut app, KeyCode::Left);
    assert_eq!(state(&app).step, SUMMARY - 1);
    let audit = state(&app).audit.as_ref().expect("built");
    assert_eq!(audit.context, "prod/eu");
    assert_eq!(
        audit.counts().findings,
        app.data.as_ref().map_or(0, |d| d.evaluation.findings.len()),
        "every finding belongs to exactly one step"
    );
}

#[test]
fn start_from_the_console_flashes_without_data_and_resumes_an_audit() {
    let mut app = app_without_data();
    app.mode = Mode::Normal;
    start(&mut app);
    assert_eq!(app.mode, Mode::Guided);
    assert!(
        app.message
            .as_ref()
            .is_some_and(|(m, _)| m.contains("no data"))
    );
    let mut app = loaded();
    app.mode = Mode::Normal;
    start(&mut app);
    go_to(&mut app, "rbac");
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Esc);
    assert_eq!(state(&app).confirm, Some(Confirm::Leave));
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.mode, Mode::Guided, "any key but y stays");
    start(&mut app);
    assert_eq!(state(&app).step, step_of("rbac"), "resumed where it was");
}

#[test]
fn marking_asks_for_a_note_and_refuses_an_empty_one_where_required() {
    let mut app = loaded();
    go_to(&mut app, "rbac");
    let first = state(&app).current().and_then(|s| s.selected());
    assert_eq!(first, Some(0));
    press(&mut app, KeyCode::Char('a'));
    assert!(state(&app).prompt.is_some());
    press(&mut app, KeyCode::Enter);
    let prompt = state(&app).prompt.as_ref().expect("still asking");
    assert!(
        prompt
            .error
            .as_deref()
            .is_some_and(|e| e.contains("required"))
    );
    typed(&mut app, "  ");
    press(&mut app, KeyCode::Enter);
    assert!(state(&app).prompt.is_some(), "blank is empty too");
    typed(&mut app, "break-glass account, reviewed quarterly");
    press(&mut app, KeyCode::Enter);
    assert!(state(&app).prompt.is_none());
    let step = state(&app).current().expect("rbac step");
    assert_eq!(step.items[0].mark, Some(Mark::AcceptedRisk));
    assert_eq!(
        step.items[0].note,
        "break-glass account, reviewed quarterly"
    );
    assert_eq!(step.table.rows[0].cells[0], "accepted");

    // Not applicable also needs a note; needs fix does not.
    let next = step.selected().expect("moved on");
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Enter);
    assert!(state(&app).prompt.is_some());
    press(&mut app, KeyCode::Esc);
    assert!(state(&app).prompt.is_none(), "esc cancels the note");
    assert_eq!(state(&app).current().expect("step").items[next].mark, None);
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Enter);
    let step = state(&app).current().expect("step");
    assert_eq!(step.items[next].mark, Some(Mark::NeedsFix));
    assert_eq!(step.items[next].note, "");

    // Marking again edits, with the old note offered; u removes the mark and its note.
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(
        state(&app)
            .prompt
            .as_ref()
            .map(|p| p.input.text().to_string()),
        Some("break-glass account, reviewed quarterly".to_string())
    );
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('u'));
    let step = state(&app).current().expect("step");
    assert_eq!(step.items[0].mark, None);
    assert_eq!(step.items[0].note, "");
    assert_eq!(step.table.rows[0].cells[0], "·");
}

#[test]
fn bulk_marking_covers_only_unmarked_findings() {
    let mut app = loaded();
    go_to(&mut app, "rbac");
    let total = state(&app).current().expect("step").items.len();
    assert!(total >= 2, "the fixture has several RBAC findings");
    press(&mut app, KeyCode::Char('f'));
    typed(&mut app, "rotate");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('N'));
    press(&mut app, KeyCode::Enter);
    assert!(
        state(&app).prompt.is_some(),
        "bulk not applicable needs a note"
    );
    typed(&mut app, "lab cluster");
    press(&mut app, KeyCode::Enter);
    let step = state(&app).current().expect("step");
    assert_eq!(step.items[0].mark, Some(Mark::NeedsFix));
    assert_eq!(step.items[0].note, "rotate");
    assert!(
        step.items[1..]
            .iter()
            .all(|i| i.mark == Some(Mark::NotApplicable) && i.note == "lab cluster")
    );
    assert_eq!(step.counts().not_reviewed, 0);
    press(&mut app, KeyCode::Char('A'));
    assert!(state(&app).prompt.is_none(), "nothing left to mark");
}

#[test]
fn leaving_with_unsaved_marks_asks_first() {
    let mut app = loaded();
    go_to(&mut app, "namespaces");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal, "nothing marked: leaves at once");
    assert!(app.guided.is_none());

    start(&mut app);
    go_to(&mut app, "rbac");
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Enter);
    key(
        &mut app,
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    );
    assert_eq!(state(&app).confirm, Some(Confirm::Quit));
    assert!(!app.quit);
    press(&mut app, KeyCode::Esc);
    assert!(!app.quit, "esc does not confirm");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.guided.is_none(), "discarded");
}

#[test]
fn the_summary_writes_a_report_with_the_marks() {
    let mut app = loaded();
    go_to(&mut app, "rbac");
    press(&mut app, KeyCode::Char('f'));
    typed(&mut app, "remove the grant");
    press(&mut app, KeyCode::Enter);
    assert!(
        press(&mut app, KeyCode::Char('w')).is_empty(),
        "only from the summary"
    );
    while state(&app).step < SUMMARY {
        press(&mut app, KeyCode::Right);
    }
    let effects = press(&mut app, KeyCode::Char('w'));
    let [Effect::WriteGuidedReport(report)] = effects.as_slice() else {
        panic!("expected one WriteGuidedReport, got {effects:?}");
    };
    assert_eq!(report.context, "prod/eu");
    assert_eq!(report.identity.username, "auditor@example.com");
    assert_eq!(report.generated_at, "12:00:00");
    assert_eq!(report.counts.needs_fix, 1);
    assert_eq!(report.counts.not_reviewed, report.counts.findings - 1);
    let rbac = &report.areas[1];
    assert_eq!(rbac.step, "rbac");
    assert_eq!(rbac.findings[0].status, "needs-fix");
    assert_eq!(rbac.findings[0].note, "remove the grant");
    assert!(
        rbac.findings
            .iter()
            .skip(1)
            .all(|f| f.status == "not-reviewed")
    );
    assert!(
        press(&mut app, KeyCode::Char('w')).is_empty(),
        "one write at a time"
    );

    // Unsaved until written; then leaving does not ask.
    assert_eq!(state(&app).unsaved(), 1);
    report_written(&mut app, Ok(vec![PathBuf::from("/tmp/r.md")]));
    assert_eq!(state(&app).unsaved(), 0);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|frame| draw(frame, app)).expect("draws");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..height {
        for x in 0..width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn every_step_draws_at_both_sizes_without_raw_control_characters() {
    let mut app = loaded();
    for (w, h) in [(160, 48), (80, 24)] {
        app.size = (w, h);
        app.guided = None;
        let intro = screen(&app, w, h);
        assert!(intro.contains("Guided read-only audit"));
        assert!(intro.contains("READ-ONLY"), "{intro}");
        for _ in 0..SUMMARY {
            press(&mut app, KeyCode::Right);
            if state(&app).current().is_some_and(|s| s.def.id == "rbac") {
                press(&mut app, KeyCode::End);
                press(&mut app, KeyCode::Char('d'));
            }
            let text = screen(&app, w, h);
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
                "raw control characters on screen at {w}x{h}:\n{text}"
            );
        }
        let summary = screen(&app, w, h);
        assert!(summary.contains("Summary"), "{summary}");
    }
}

#[test]
fn the_report_files_are_private_complete_and_clean() {
    let mut app = loaded();
    go_to(&mut app, "rbac");
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Char('a'));
    typed(&mut app, "known | risk `x` <b>");
    press(&mut app, KeyCode::Enter);
    let audit = state(&app).audit.clone().expect("built");
    let report = Report::build(&audit, "12:00:00");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data").join("reports");
    let at: jiff::Timestamp = "2025-06-01T10:20:30Z".parse().expect("time");
    let paths = write_report_in(&report, &dir, at).expect("written");
    assert_eq!(paths.len(), 2);
    assert_eq!(
        paths[0].file_name().and_then(|n| n.to_str()),
        Some("guided-prod_eu-20250601T102030Z.md")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
        };
        assert_eq!(mode(&dir), 0o700);
        for p in &paths {
            assert_eq!(mode(p), 0o600, "{}", p.display());
        }
    }
    let markdown = std::fs::read_to_string(&paths[0]).expect("markdown");
    let json = std::fs::read_to_string(&paths[1]).expect("json");
    for text in [&markdown, &json] {
        assert!(
            !text.chars().any(|c| (c.is_control() && c != '\n')
                || ('\u{80}'..='\u{9f}').contains(&c)
                || c == '\u{202e}'),
            "raw control characters in the report"
        );
        assert!(text.contains("prod/eu"));
        assert!(text.contains("auditors"));
        assert!(text.contains("2025-06-01T10:20:30Z"));
    }
    assert!(markdown.contains(
        "- **Identity:** auditor\\@example.com (groups: auditors, system:authenticated)"
    ));
    assert!(json.contains("\"username\": \"auditor@example.com\""));
    assert!(markdown.contains("| accepted risk |"));
    assert!(
        markdown.contains("known \\| risk \\`x\\` \\<b\\>"),
        "notes are escaped"
    );
    assert!(markdown.contains("**not reviewed**"));
    assert!(markdown.contains("(incomplete)"));
    assert!(
        markdown.contains("evil ^\\[\\[2J"),
        "the hostile title is made visible"
    );
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["kind"], "aigov-guided-audit");
    assert_eq!(value["identity"]["groups"][0], "auditors");
    assert_eq!(value["counts"]["accepted_risk"], 1);
    let rbac = &value["areas"][1];
    assert_eq!(rbac["areas"][0], "RBAC");
    let marked: Vec<&serde_json::Value> = rbac["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "accepted-risk")
        .collect();
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0]["note"], "known | risk `x` <b>");
    assert!(
        marked[0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("^[[2J"))
    );

    // A second report in the same second gets its own files.
    let again = write_report_in(&report, &dir, at).expect("written again");
    assert_ne!(again[0], paths[0]);
    assert!(paths[0].exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
}

#[test]
fn write_report_uses_the_data_dir() {
    let temp = tempfile::tempdir().expect("temp dir");
    // SAFETY: only this test reads AIGOV_DATA_DIR in the guided module's tests.
    unsafe { std::env::set_var("AIGOV_DATA_DIR", temp.path()) };
    let mut app = loaded();
    press(&mut app, KeyCode::Enter);
    let audit = state(&app).audit.clone().expect("built");
    let paths = write_report(&Report::build(&audit, "12:00:00")).expect("written");
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with(temp.path().join("reports")))
    );
    let markdown = to_markdown(&Report::build(&audit, "x"));
    assert!(markdown.starts_with("# aigov guided audit report"));
}
