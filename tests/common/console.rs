//! The console drawn off-screen for the hostile-input and canary tests: an `App` on a
//! simulator's snapshot, then every view, tab, row's detail pane and the help screen drawn with
//! ratatui's TestBackend (the cells) and with crossterm into a byte buffer (what a terminal
//! would receive), each screen handed to a check.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::TestSim;
use aigov::cluster::{LoadOptions, load};
use aigov::model::{Identity, Snapshot};
use aigov::rules::config::Baseline;
use aigov::tui::action::Action;
use aigov::tui::app::{App, ConnectionInfo, Mode, Options};
use aigov::tui::data::{BuildInputs, derive};
use aigov::tui::keymap::Keymap;
use aigov::tui::theme::Theme;
use aigov::tui::ui;
use aigov::tui::update::update;
use aigov::tui::view::ViewId;
use aigov::tui::views::{self, audit_log::Loaded};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::path::Path;
use std::sync::Arc;

/// Rows of one table drawn whole (with their detail pane); beyond that only the detail text
/// is built and checked, so a 10,000-row table stays quick.
pub const ROWS_DRAWN_PER_TABLE: usize = 300;

/// The snapshot the admin context of `t` sees.
pub async fn snapshot_of(t: &TestSim) -> Snapshot {
    let connection = t.connect_as("aigov-demo-admin").await;
    load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await
}

/// An `App` as the runner would have it after the load: data derived (with `baseline` for the
/// drift view) and the audit log view reading `audit_log` (or finding none).
pub fn app_on(snapshot: Snapshot, baseline: Option<Baseline>, audit_log: Option<&Path>) -> App {
    let data = derive(
        Arc::new(snapshot),
        &BuildInputs {
            baseline,
            ..Default::default()
        },
    );
    let mut app = App::new(Options::default(), Keymap::default(), Theme::default());
    app.connection = Some(ConnectionInfo {
        context: "aigov-demo-admin".into(),
        server: "https://127.0.0.1:6443".into(),
        identity: Identity {
            username: "aigov-demo-admin".into(),
            groups: vec!["system:masters".into()],
            source: "self-subject-review".into(),
        },
        read_only: false,
        contexts: vec!["aigov-demo-admin".into()],
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
    let loaded = match audit_log {
        Some(path) => {
            let (records, torn) = aigov::audit::show::read(path).unwrap();
            Loaded::Read {
                path: path.display().to_string(),
                records,
                torn: torn.is_some(),
            }
        }
        None => Loaded::Missing {
            path: "/nonexistent/audit.jsonl".into(),
        },
    };
    update(&mut app, Action::AuditLogLoaded(loaded));
    app
}

/// The cells of one frame, a line per row.
pub fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(frame, app)).unwrap();
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

/// The bytes crossterm would write to a terminal for one frame.
pub fn render_bytes(app: &mut App, width: u16, height: u16) -> Vec<u8> {
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
    };
    let bytes = SharedBytes::default();
    let mut terminal =
        Terminal::with_options(CrosstermBackend::new(bytes.clone()), options).unwrap();
    terminal.draw(|frame| ui::draw(frame, app)).unwrap();
    drop(terminal);
    bytes.0.borrow().clone()
}

/// A writer whose bytes stay readable after the terminal that owns it is dropped.
#[derive(Clone, Default)]
struct SharedBytes(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for SharedBytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The selected row's detail pane as plain text (what the pane draws, before wrapping).
pub fn detail_text(app: &App) -> String {
    let Some(text) = views::detail(app) else {
        return String::new();
    };
    let mut out = String::new();
    for line in &text.lines {
        for span in &line.spans {
            out.push_str(&span.content);
        }
        out.push('\n');
    }
    out
}

#[path = "../../fuzz/harness/forbidden.rs"]
mod forbidden;

/// A character that must never reach a terminal raw: everything the sanitiser promises to
/// neutralise (the shared list in `fuzz/harness/forbidden.rs`) except `\n`, which multi-line
/// text (detail panes, frames) legitimately holds.
pub fn is_raw_control(c: char) -> bool {
    c != '\n' && forbidden::forbidden(c)
}

/// The first raw control in `text`, with some context, for an assertion message.
pub fn first_raw_control(text: &str) -> Option<String> {
    let (at, c) = text.char_indices().find(|(_, c)| is_raw_control(*c))?;
    let from = text[..at]
        .char_indices()
        .rev()
        .nth(40)
        .map_or(0, |(i, _)| i);
    Some(format!("{c:?} after {:?}", &text[from..at]))
}

/// Terminal bytes with crossterm's own CSI sequences (`ESC [`, parameter and intermediate
/// bytes 0x20–0x3F, one final byte 0x40–0x7E) taken out; what is left must hold no escape at
/// all, so no OSC, DCS, APC, PM or SOS and no C1 or bidi control can have come from the data.
/// A sequence broken by any other character is left whole, so that character and the escape
/// before it are checked.
pub fn without_own_csi(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            let mut body = String::new();
            while let Some(&next) = chars.peek() {
                if !('\u{20}'..='\u{3f}').contains(&next) {
                    break;
                }
                body.push(next);
                chars.next();
            }
            if chars
                .peek()
                .is_some_and(|f| ('\u{40}'..='\u{7e}').contains(f))
            {
                chars.next();
            } else {
                out.push_str("\u{1b}[");
                out.push_str(&body);
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// What [`every_screen`] covered.
#[derive(Debug, Default, Clone, Copy)]
pub struct Covered {
    pub frames: usize,
    pub details: usize,
    pub terminal_bytes: usize,
}

/// Draw every view (each RBAC tab and the who-can `queries` too) at 80x24 and 160x48 with and
/// without the detail pane, every row's detail pane, and every page of the help screen; each
/// frame, detail text and terminal byte stream (made text by [`without_own_csi`]) goes to
/// `check(label, text)`.
pub fn every_screen(app: &mut App, queries: &[&str], mut check: impl FnMut(&str, &str)) -> Covered {
    let mut covered = Covered::default();
    for view in ViewId::ALL {
        app.view = view;
        let mut variants: Vec<String> = vec![String::new()];
        if view == ViewId::Rbac {
            variants.push("rbac.subjects".into());
            variants.extend(queries.iter().map(|q| format!("who-can {q}")));
        }
        for variant in &variants {
            if variant == "rbac.subjects" {
                views::handle(app, "rbac.subjects");
            } else if let Some(query) = variant.strip_prefix("who-can ") {
                // A rejected query only flashes a message and would leave the previous screen
                // to be drawn again: start from no answer and require one.
                app.views.rbac.who = None;
                views::prompt_submitted(app, query);
                assert!(
                    app.views.rbac.who.is_some(),
                    "who-can {query:?} was not answered: {:?}",
                    app.message
                );
            }
            let label = format!("{view:?} {variant}");
            screens_of_view(app, &label, &mut covered, &mut check);
        }
    }
    app.detail = false;
    for scroll in [0, 20, 40, 60] {
        app.mode = Mode::Help { scroll };
        let screen = render(app, 160, 48);
        covered.frames += 1;
        check(&format!("help scroll {scroll}"), &screen);
    }
    app.mode = Mode::Normal;
    covered
}

fn screens_of_view(
    app: &mut App,
    label: &str,
    covered: &mut Covered,
    check: &mut impl FnMut(&str, &str),
) {
    for detail in [false, true] {
        app.detail = detail;
        for (w, h) in [(80, 24), (160, 48)] {
            let screen = render(app, w, h);
            covered.frames += 1;
            check(&format!("{label} {w}x{h} detail {detail}"), &screen);
        }
        let bytes = render_bytes(app, 160, 48);
        covered.terminal_bytes += bytes.len();
        check(
            &format!("{label} terminal bytes detail {detail}"),
            &without_own_csi(&bytes),
        );
    }
    app.detail = true;
    let rows = views::table(app).map_or(0, |t| t.len());
    for position in 0..rows {
        if let Some(table) = views::table(app) {
            table.select_position(position);
        }
        covered.details += 1;
        check(&format!("{label} row {position} detail"), &detail_text(app));
        if position < ROWS_DRAWN_PER_TABLE {
            let screen = render(app, 160, 48);
            covered.frames += 1;
            check(&format!("{label} row {position} 160x48"), &screen);
        }
    }
    if let Some(table) = views::table(app) {
        table.select_position(0);
    }
    app.detail = false;
}
