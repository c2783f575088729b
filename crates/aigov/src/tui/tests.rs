//! `update` unit tests: navigation, filtering, the palette, key overrides, context switches
//! and stale results, on a small fixture cluster.

use super::action::{Action, Effect};
use super::app::{App, ConnectionInfo, Mode, Options};
use super::data::{BuildInputs, derive};
use super::keymap::Keymap;
use super::theme::Theme;
use super::update::update;
use super::view::ViewId;
use aigov_core::model::Identity;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use std::sync::Arc;

pub(crate) const FIXTURE: &str = r#"
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
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: w, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Event
metadata: {name: trainer.1, namespace: ml}
involvedObject: {kind: Pod, name: trainer}
reason: BackOff
type: Warning
message: "restarting \e[2J\e]52;c;aGk=\a \u202e"
"#;

pub(crate) fn loaded_app(keymap: Keymap) -> App {
    let snapshot = Arc::new(aigov_core::rules::testing::snapshot(FIXTURE));
    let data = derive(snapshot, &BuildInputs::default());
    let mut app = App::new(Options::default(), keymap, Theme::monochrome());
    app.connection = Some(ConnectionInfo {
        context: "fixture".into(),
        server: "https://127.0.0.1:6443".into(),
        identity: Identity {
            username: "tester".into(),
            groups: vec!["system:authenticated".into()],
            source: "test".into(),
        },
        read_only: false,
        contexts: vec!["fixture".into(), "other".into()],
        ..Default::default()
    });
    app.now = "12:00:00".into();
    update(
        &mut app,
        Action::Derived {
            generation: 0,
            data: Box::new(data),
        },
    );
    app
}

pub(crate) fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(crate) fn typing(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn number_keys_and_tab_switch_views() {
    let mut app = loaded_app(Keymap::default());
    assert_eq!(app.view, ViewId::Overview);
    press(&mut app, KeyCode::Char('7'));
    assert_eq!(app.view, ViewId::Findings);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.view, ViewId::AuditLog);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.view, ViewId::Overview, "tab wraps around");
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.view, ViewId::AuditLog);
}

#[test]
fn the_filter_narrows_the_table_and_esc_clears_it() {
    let mut app = loaded_app(Keymap::default());
    press(&mut app, KeyCode::Char('7'));
    let all = app.views.findings.table.len();
    assert!(all > 1);
    press(&mut app, KeyCode::Char('/'));
    assert!(matches!(app.mode, Mode::Filter(_)));
    typing(&mut app, "IMG-001");
    assert_eq!(
        app.views.findings.table.len(),
        1,
        "filtering happens as you type"
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(
        app.views.findings.table.len(),
        1,
        "the filter stays after enter"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.views.findings.table.len(), all, "esc clears it");
}

#[test]
fn findings_facets_combine_with_the_text_filter() {
    let mut app = loaded_app(Keymap::default());
    press(&mut app, KeyCode::Char('7'));
    let all = app.views.findings.table.len();
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(
        app.views.findings.area,
        Some(aigov_core::rules::Area::Namespaces)
    );
    let ns_only = app.views.findings.table.len();
    assert!(ns_only < all && ns_only > 0);
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.views.findings.table.len(), all);
}

#[test]
fn palette_commands_switch_views_filter_and_quit() {
    let mut app = loaded_app(Keymap::default());
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "findings latest");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, ViewId::Findings);
    assert_eq!(app.views.findings.table.filter(), "latest");
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "rb");
    press(&mut app, KeyCode::Tab);
    match &app.mode {
        Mode::Palette(input) => assert_eq!(input.text(), "rbac", "tab completes"),
        other => panic!("still in the palette, got {other:?}"),
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, ViewId::Rbac);
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "nope");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.message
            .as_ref()
            .is_some_and(|(m, _)| m.contains("unknown command :nope"))
    );
    assert!(!app.quit);
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "q");
    press(&mut app, KeyCode::Enter);
    assert!(app.quit);
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut app = loaded_app(Keymap::default());
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Help { scroll: 0 });
    press(&mut app, KeyCode::Down);
    assert_eq!(app.mode, Mode::Help { scroll: 1 });
    press(&mut app, KeyCode::Char('z'));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn user_key_overrides_take_effect() {
    let overrides: toml::Table = toml::from_str("quit = \"x\"\n\"go.findings\" = \"F\"\n").unwrap();
    let mut app = loaded_app(Keymap::new(&overrides));
    press(&mut app, KeyCode::Char('F'));
    assert_eq!(app.view, ViewId::Findings);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit, "q no longer quits");
    press(&mut app, KeyCode::Char('x'));
    assert!(
        app.quit,
        "x quits, even in the findings view where x had a binding"
    );
}

#[test]
fn enter_opens_the_detail_pane_and_esc_closes_it() {
    let mut app = loaded_app(Keymap::default());
    press(&mut app, KeyCode::Char('7'));
    press(&mut app, KeyCode::Enter);
    assert!(app.detail);
    let text = super::views::detail(&app).expect("the selected finding has a detail");
    assert!(
        text.lines
            .iter()
            .any(|l| l.to_string().contains("How to fix"))
    );
    press(&mut app, KeyCode::Esc);
    assert!(!app.detail);
}

#[test]
fn moving_and_clicking_select_rows() {
    let mut app = loaded_app(Keymap::default());
    app.size = (160, 48);
    press(&mut app, KeyCode::Char('7'));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.views.findings.table.selected_position(), 1);
    press(&mut app, KeyCode::End);
    assert_eq!(
        app.views.findings.table.selected_position(),
        app.views.findings.table.len() - 1
    );
    press(&mut app, KeyCode::Home);
    assert_eq!(app.views.findings.table.selected_position(), 0);
    let body = super::layout::areas(app.size, false).body;
    // The second data row sits below the border and the header.
    update(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 5,
            row: body.y + 3,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.views.findings.table.selected_position(), 1);
    update(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 2,
            row: 2,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.view, ViewId::Overview, "clicking a tab switches to it");
}

#[test]
fn a_context_switch_drops_the_old_data_and_ignores_late_results() {
    let mut app = loaded_app(Keymap::default());
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "ctx");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Contexts { selected: 0 });
    press(&mut app, KeyCode::Down);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Connect {
            generation: 1,
            context: Some("other".into())
        }]
    );
    assert!(
        app.data.is_none(),
        "nothing of the old cluster stays on screen"
    );
    // A result the old generation was still computing arrives late: it is dropped.
    let snapshot = Arc::new(aigov_core::rules::testing::snapshot(FIXTURE));
    let late = derive(snapshot, &BuildInputs::default());
    update(
        &mut app,
        Action::Derived {
            generation: 0,
            data: Box::new(late),
        },
    );
    assert!(app.data.is_none());
}

#[test]
fn errors_are_kept_in_a_history_and_staleness_shows() {
    let mut app = loaded_app(Keymap::default());
    update(
        &mut app,
        Action::Disconnected {
            generation: 0,
            error: "watch failed: connection reset".into(),
            until_reload: false,
        },
    );
    assert_eq!(
        app.errors.last().map(|e| e.message.as_str()),
        Some("watch failed: connection reset"),
        "a retrying watch asks for no reload"
    );
    assert_eq!(app.stale_since.as_deref(), Some("12:00:00"));
    assert!(app.data.is_some(), "stale data stays on screen");
    update(&mut app, Action::Reconnected { generation: 0 });
    assert_eq!(app.stale_since, None);
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "errors");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Errors { scroll: 0 });
    assert_eq!(app.errors.len(), 1);
}

#[test]
fn reload_bumps_the_generation_and_asks_the_runner() {
    let mut app = loaded_app(Keymap::default());
    let effects = press(&mut app, KeyCode::Char('r'));
    assert_eq!(effects, vec![Effect::Reload { generation: 1 }]);
    assert!(app.loading.active);
}

#[test]
fn warnings_of_the_current_generation_are_kept_and_older_ones_dropped() {
    let mut app = loaded_app(Keymap::default());
    let warn = |generation| Action::Warning {
        generation,
        message: format!("drift is not shown: baseline of generation {generation} is corrupt"),
    };
    update(&mut app, warn(0));
    assert_eq!(app.errors.len(), 1);
    press(&mut app, KeyCode::Char('r'));
    update(&mut app, warn(0));
    assert_eq!(
        app.errors.len(),
        1,
        "a warning of the previous generation is dropped"
    );
    update(&mut app, warn(1));
    assert_eq!(app.errors.len(), 2);
    assert!(app.data.is_some(), "a warning blanks nothing");
}

#[test]
fn a_failed_first_connection_ends_the_console_but_a_failed_switch_does_not() {
    let mut app = App::new(Options::default(), Keymap::default(), Theme::default());
    update(
        &mut app,
        Action::ConnectFailed {
            generation: 0,
            error: "context \"prod\" not found in /tmp/kubeconfig (contexts: dev)".into(),
        },
    );
    assert!(app.quit);
    assert_eq!(
        app.fatal.as_deref(),
        Some("context \"prod\" not found in /tmp/kubeconfig (contexts: dev)")
    );

    let mut app = loaded_app(Keymap::default());
    press(&mut app, KeyCode::Char(':'));
    typing(&mut app, "ctx other");
    let effects = press(&mut app, KeyCode::Enter);
    let generation = match effects.as_slice() {
        [Effect::Connect { generation, .. }] => *generation,
        other => panic!("{other:?}"),
    };
    update(
        &mut app,
        Action::ConnectFailed {
            generation,
            error: "cannot reach https://10.0.0.1:6443".into(),
        },
    );
    assert!(!app.quit, "a failed switch keeps the console");
    assert_eq!(app.fatal, None);
    assert_eq!(app.errors.len(), 1);
}

#[test]
fn the_audit_log_view_reads_the_log_when_opened_and_lists_newest_first() {
    use crate::tui::views::audit_log::Loaded;
    use aigov_audit::{AuditLog, Entry, EntryKind, MemorySink};
    let mut app = loaded_app(Keymap::default());
    let effects = press(&mut app, KeyCode::Char('8'));
    assert_eq!(effects, vec![Effect::LoadAuditLog]);
    assert!(
        press(&mut app, KeyCode::Char('j')).is_empty(),
        "only on opening"
    );

    let mut log = AuditLog::with_sink(MemorySink::new()).unwrap();
    for verb in ["stage", "patch"] {
        log.append(
            Entry::new(EntryKind::Intent)
                .user("ops@example.com")
                .verb(verb),
        )
        .unwrap();
    }
    let bytes = log.into_sink().into_bytes();
    let mut records = Vec::new();
    aigov_audit::verify::scan(&bytes, &aigov_audit::Head::genesis(), 1, |r| {
        records.push(r)
    })
    .unwrap();
    update(
        &mut app,
        Action::AuditLogLoaded(Loaded::Read {
            path: "/data/audit/audit.jsonl".into(),
            records,
            torn: false,
        }),
    );
    let table = crate::tui::views::table(&mut app).expect("a table once read");
    let first = &table.selected_row().unwrap().cells;
    assert_eq!(first[0], "2", "newest first");
    assert_eq!(first[4], "patch");
    press(&mut app, KeyCode::Enter);
    let detail = crate::tui::views::detail(&app).expect("the entry in full");
    let text: String = detail.lines.iter().map(|l| l.to_string() + "\n").collect();
    assert!(
        text.contains("\"verb\": \"patch\"") && text.contains("\"hash\""),
        "{text}"
    );

    update(
        &mut app,
        Action::AuditLogLoaded(Loaded::Failed("line 2: modified".into())),
    );
    assert!(
        crate::tui::views::table(&mut app).is_none(),
        "an untrusted log shows no rows"
    );
}

#[test]
fn the_overview_names_the_key_that_shows_every_finding() {
    let screen = super::views::reach::tests::screen;
    let title_of = |app: &mut App| {
        screen(app, 160, 48)
            .lines()
            .find(|line| line.contains("Most severe findings"))
            .map(str::to_string)
            .expect("the overview shows its most severe findings")
    };
    let mut app = loaded_app(Keymap::default());
    let total = app.data.as_ref().expect("loaded").evaluation.findings.len();
    assert!(total > 0);
    let title = title_of(&mut app);
    assert!(
        title.contains(&format!(" of {total} (7 for all)")),
        "{title}"
    );

    let overrides: toml::Table = toml::from_str("\"go.findings\" = \"F\"\n").unwrap();
    let title = title_of(&mut loaded_app(Keymap::new(&overrides)));
    assert!(title.contains("(F for all)"), "{title}");
}

#[test]
fn a_refused_watch_names_the_users_reload_key() {
    let refused = "watching Pod is refused, so it stays as loaded: 403";
    for (config, hint) in [
        ("", "(press r to reload)"),
        ("reload = \"ctrl-r\"", "(press ctrl-r to reload)"),
        // Another action claims r, so reload has no key left: the command is named instead.
        ("quit = [\"q\", \"r\"]", "(type :reload to reload)"),
    ] {
        let overrides: toml::Table = toml::from_str(config).unwrap();
        let mut app = loaded_app(Keymap::new(&overrides));
        update(
            &mut app,
            Action::Disconnected {
                generation: 0,
                error: refused.into(),
                until_reload: true,
            },
        );
        let shown = app.errors.last().map(|e| e.message.clone());
        assert_eq!(shown, Some(format!("{refused} {hint}")), "{config}");
    }
}
