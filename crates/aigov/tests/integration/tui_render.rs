//! Every console view drawn on the demo data with ratatui's TestBackend, at 80x24 and 160x48,
//! as insta snapshots; and proof that nothing drawn carries a control character from the data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov::tui::action::Action;
use aigov::tui::app::{App, ConnectionInfo, Options};
use aigov::tui::data::{BuildInputs, derive};
use aigov::tui::keymap::Keymap;
use aigov::tui::theme::Theme;
use aigov::tui::ui;
use aigov::tui::update::update;
use aigov::tui::view::ViewId;
use aigov_core::model::Identity;
use aigov_kube::{LoadOptions, load};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

async fn demo_app() -> App {
    let t = common::demo_sim().await;
    // As `aigov demo` does: a baseline, then the demo's drift after it.
    let baseline = aigov::engine::session::demo_baseline(
        &t.sim,
        &t.kubeconfig,
        std::time::Duration::from_secs(10),
        &Default::default(),
    )
    .await
    .unwrap();
    let connection = t.connect_as("aigov-demo-admin").await;
    let snapshot = Arc::new(load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await);
    let data = derive(
        snapshot,
        &BuildInputs {
            baseline: Some(baseline),
            ..Default::default()
        },
    );
    let mut app = App::new(Options::default(), Keymap::default(), Theme::default());
    // Fixed where the real values vary between runs (the simulator's port, the clock).
    app.connection = Some(demo_connection());
    app.now = "12:00:00".into();
    update(
        &mut app,
        Action::Derived {
            generation: 0,
            data: Box::new(data),
        },
    );
    // As the runner answers when no change has been recorded on this machine.
    update(
        &mut app,
        Action::AuditLogLoaded(aigov::tui::views::audit_log::Loaded::Missing {
            path: "/home/ops/.local/share/aigov/audit/audit.jsonl".into(),
        }),
    );
    app
}

fn demo_connection() -> ConnectionInfo {
    ConnectionInfo {
        context: "aigov-demo-admin".into(),
        server: "https://127.0.0.1:6443".into(),
        identity: Identity {
            username: "aigov-demo-admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
            source: "self-subject-review".into(),
        },
        read_only: false,
        contexts: vec!["aigov-demo-admin".into(), "aigov-demo-readonly".into()],
        ..Default::default()
    }
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(frame, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn view_name(view: ViewId) -> String {
    view.title().to_lowercase().replace(' ', "_")
}

#[tokio::test]
async fn every_view_at_both_sizes() {
    let mut app = demo_app().await;
    for view in ViewId::ALL {
        for (w, h) in [(80, 24), (160, 48)] {
            app.view = view;
            let screen = render(&mut app, w, h);
            insta::assert_snapshot!(format!("{}_{w}x{h}", view_name(view)), screen);
        }
    }
}

#[tokio::test]
async fn the_demo_shows_drift_since_its_baseline_without_values() {
    let mut app = demo_app().await;
    app.view = ViewId::Drift;
    let screen = render(&mut app, 160, 48);
    for expected in [
        "VLLM_MAX_MODEL_LEN",
        "VLLM_ENFORCE_EAGER",
        "generation_config.json",
        "hf-token",
    ] {
        assert!(screen.contains(expected), "{expected} missing:\n{screen}");
    }
    let first_unchanged = screen.find(" unchanged ").expect("unchanged rows");
    for drift in [" changed ", " added "] {
        let at = screen.find(drift).expect("drift rows");
        assert!(at < first_unchanged, "drift is listed first:\n{screen}");
    }
    for value in ["32768", "temperature", "1.2"] {
        assert!(
            !screen.contains(value),
            "a value ({value}) is drawn:\n{screen}"
        );
    }
}

#[test]
fn loading_shows_a_gauge_per_kind_and_the_header_counts() {
    use aigov_core::model::Kind;
    use aigov_kube::Progress;
    let mut app = App::new(Options::default(), Keymap::default(), Theme::default());
    app.now = "12:00:00".into();
    update(
        &mut app,
        Action::Connected {
            generation: 0,
            info: demo_connection(),
        },
    );
    let steps = [
        (Kind::Namespace, 7, Some(7), true),
        (Kind::Pod, 500, Some(2000), false),
        (Kind::Secret, 120, None, false),
        (Kind::RoleBinding, 40, Some(40), true),
    ];
    for (kind, loaded, total, done) in steps {
        update(
            &mut app,
            Action::Progress {
                generation: 0,
                progress: Progress {
                    kind,
                    loaded,
                    total,
                    done,
                },
            },
        );
    }
    let screen = render(&mut app, 160, 48);
    assert!(screen.contains("loading 2/"), "{screen}");
    assert!(screen.contains("Pod 500/2000"), "{screen}");
    insta::assert_snapshot!("loading_160x48", screen);
}

#[test]
fn an_unverified_server_keeps_a_warning_in_the_header() {
    let header = |allow_insecure_apply: bool| {
        let mut app = App::new(Options::default(), Keymap::default(), Theme::default());
        update(
            &mut app,
            Action::Connected {
                generation: 0,
                info: ConnectionInfo {
                    insecure_skip_tls_verify: true,
                    allow_insecure_apply,
                    ..demo_connection()
                },
            },
        );
        render(&mut app, 160, 48)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        header(false).contains("TLS NOT VERIFIED: writes refused"),
        "{}",
        header(false)
    );
    assert!(header(true).contains("TLS NOT VERIFIED: writes allowed"));
    let mut verified = App::new(Options::default(), Keymap::default(), Theme::default());
    update(
        &mut verified,
        Action::Connected {
            generation: 0,
            info: demo_connection(),
        },
    );
    assert!(!render(&mut verified, 160, 48).contains("TLS NOT VERIFIED"));
}

#[tokio::test]
async fn detail_panes_and_overlays() {
    let mut app = demo_app().await;
    app.view = ViewId::Findings;
    app.detail = true;
    insta::assert_snapshot!("findings_detail_160x48", render(&mut app, 160, 48));
    app.detail = false;
    app.mode = aigov::tui::app::Mode::Help { scroll: 0 };
    insta::assert_snapshot!("help_160x48", render(&mut app, 160, 48));
}

#[tokio::test]
async fn hostile_text_from_the_cluster_is_drawn_visible_never_raw() {
    let mut app = demo_app().await;
    app.view = ViewId::Namespaces;
    app.views.namespaces.table.select_key("ml-training");
    app.detail = true;
    let screen = render(&mut app, 160, 48);
    assert!(
        screen.contains("^[[2J"),
        "the event's escape sequence is shown in caret notation:\n{screen}"
    );
    assert!(
        screen.contains("\\u{202e}"),
        "the bidi override is shown escaped"
    );
    // The training pod's annotation, in the Images view's detail pane.
    app.view = ViewId::Images;
    aigov::tui::views::set_filter(&mut app, "resnet50");
    let screen = render(&mut app, 160, 48);
    for piece in [
        "ml.example.com/last-epoch-summary =",
        "^[[2J^[]52;c;",
        "\\u{202e}gpj.exe",
    ] {
        assert!(
            screen.contains(piece),
            "the annotation is shown in visible form ({piece}):\n{screen}"
        );
    }
    aigov::tui::views::set_filter(&mut app, "");
    for view in ViewId::ALL {
        app.view = view;
        for detail in [false, true] {
            app.detail = detail;
            let screen = render(&mut app, 160, 48);
            // The shared list of what the sanitiser neutralises (`fuzz/harness/forbidden.rs`).
            if let Some(bad) = screen.chars().find(|c| common::console::is_raw_control(*c)) {
                panic!("{view:?} (detail {detail}) draws a raw control character {bad:?}");
            }
            // Ratatui drops a grapheme holding a control, so an unsanitised escape shows up
            // only as its body (`[2J`) without the `^[` before it.
            if let Some(bad) = common::console::first_dropped_escape(&screen) {
                panic!(
                    "{view:?} (detail {detail}) draws an escape with its control dropped: {bad}"
                );
            }
        }
    }
}
