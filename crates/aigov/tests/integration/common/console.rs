//! The console drawn off-screen for the hostile-input and canary tests: an `App` on a
//! simulator's snapshot, then every view, tab, row's detail pane and the help screen drawn with
//! ratatui's TestBackend (the cells) and with crossterm into a byte buffer (what a terminal
//! would receive), each screen handed to a check.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::TestSim;
use aigov::tui::action::Action;
use aigov::tui::app::{App, ConnectionInfo, Mode, Options};
use aigov::tui::data::{BuildInputs, derive};
use aigov::tui::keymap::Keymap;
use aigov::tui::theme::Theme;
use aigov::tui::ui;
use aigov::tui::update::update;
use aigov::tui::view::ViewId;
use aigov::tui::views::{self, audit_log::Loaded};
use aigov_core::model::{Identity, Snapshot};
use aigov_core::rules::config::Baseline;
use aigov_kube::{LoadOptions, load};
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
            let (records, torn) = aigov_audit::show::read(path).unwrap();
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

#[path = "../../../../../fuzz/harness/forbidden.rs"]
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

/// ESC made visible: caret notation (the sanitiser) or a quoted string's escape (an image
/// reference's parse error quotes it as Rust's `{:?}` does, JSON text as `\u001b`).
const ESC_SHOWN: &[&str] = &["^[", "\\u{1b}", "\\u001b"];

/// Sequence bodies the hostile fixtures carry (`tests/fixtures/hostile/escapes.yaml`,
/// `hostile::PAYLOAD`, the drift patch in tests/hostile_input.rs), each with the visible forms
/// of the control that starts it. Ratatui silently drops a grapheme holding a control
/// character, so an unsanitised `ESC [2J` reaches the cells as `[2J`, which no raw-control
/// check can see: every occurrence of a body must come right after one of its visible forms.
const ESCAPE_BODIES: &[(&[&str], &str)] = &[
    (ESC_SHOWN, "[2J"),
    (ESC_SHOWN, "[2K"),
    (ESC_SHOWN, "[5m"),
    (ESC_SHOWN, "[31m"),
    (ESC_SHOWN, "[1;1H"),
    (ESC_SHOWN, "[?1049h"),
    (ESC_SHOWN, "]52;c;"),
    (ESC_SHOWN, "]8;;"),
    (ESC_SHOWN, "]0;pwned"),
    (ESC_SHOWN, "P1$qm"),
    (ESC_SHOWN, "P+q544e"),
    (ESC_SHOWN, "P$q"),
    (ESC_SHOWN, "_apc"),
    (ESC_SHOWN, "_Gf=100"),
    (ESC_SHOWN, "^pm"),
    (ESC_SHOWN, "^privacy"),
    (ESC_SHOWN, "Xsos"),
    (ESC_SHOWN, "Xstart of string"),
    (
        &["\\u{9b}", "\\u009b", "^[[", "\\u{1b}[", "\\u001b["],
        "31m",
    ),
    (&["\\u{9b}", "\\u009b", "^[[", "\\u{1b}[", "\\u001b["], "2J"),
    (
        &["\\u{9d}", "\\u009d", "^[]", "\\u{1b}]", "\\u001b]"],
        "52;c;",
    ),
    (&["\\u{9d}", "\\u009d"], "0;t"),
];

/// The first escape-sequence body in `text` not preceded by the visible form of the control
/// that starts it (see [`ESCAPE_BODIES`]): the trace of an escape whose ESC or C1 byte was
/// dropped on the way to the cells instead of shown, with some context. `text` is a grid of
/// rows (a frame, or [`terminal_screen`]); a pane may wrap its text anywhere, even inside the
/// visible form, so a body at the start of a pane's row (after its border) may take its
/// prefix from the end of the same pane's row above.
pub fn first_dropped_escape(text: &str) -> Option<String> {
    for (shown, body) in ESCAPE_BODIES {
        for (at, _) in text.match_indices(body) {
            if shown.iter().any(|prefix| text[..at].ends_with(prefix))
                || shown
                    .iter()
                    .any(|prefix| wrapped_before(text, at).ends_with(prefix))
            {
                continue;
            }
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            let to = text[at..]
                .char_indices()
                .nth(body.chars().count() + 10)
                .map_or(text.len(), |(i, _)| at + i);
            return Some(format!(
                "{body:?} without its escape, in {:?}",
                &text[from..to]
            ));
        }
    }
    None
}

fn is_border(c: char) -> bool {
    ('\u{2500}'..='\u{257f}').contains(&c)
}

/// What comes before byte `at` in its pane when the pane's row is joined to the row above:
/// the pane starts after the last border before `at` on its row, and takes the same columns
/// (up to the next border) of the row above.
fn wrapped_before(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before: Vec<char> = text[line_start..at].chars().collect();
    let column = before
        .iter()
        .rposition(|c| is_border(*c))
        .map_or(0, |i| i + 1);
    let on_line: String = before[column..].iter().collect();
    let above = &text[..line_start.saturating_sub(1)];
    let above: Vec<char> = above[above.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .collect();
    let from = column.min(above.len());
    let to = above[from..]
        .iter()
        .position(|c| is_border(*c))
        .map_or(above.len(), |i| from + i);
    let above: String = above[from..to].iter().collect();
    format!("{}{}", above.trim_end(), on_line.trim_start())
}

/// The screen a terminal would show after `bytes` (one frame drawn from a blank screen): each
/// character placed at the cell crossterm's cursor moves (`ESC [ row ; col H`) put it, other
/// CSI sequences skipped, rows joined by `\n`. Unlike [`without_own_csi`], rows stay apart and
/// columns line up, as in a frame.
pub fn terminal_screen(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut rows: Vec<Vec<char>> = Vec::new();
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            let mut params = String::new();
            while let Some(&next) = chars.peek() {
                if !('\u{20}'..='\u{3f}').contains(&next) {
                    break;
                }
                params.push(next);
                chars.next();
            }
            if chars.next() == Some('H') {
                let mut at = params
                    .split(';')
                    .map(|n| n.parse::<usize>().unwrap_or(1).max(1) - 1);
                row = at.next().unwrap_or(0);
                col = at.next().unwrap_or(0);
            }
            continue;
        }
        if rows.len() <= row {
            rows.resize(row + 1, Vec::new());
        }
        let cells = &mut rows[row];
        if cells.len() <= col {
            cells.resize(col + 1, ' ');
        }
        cells[col] = c;
        col += 1;
    }
    let mut out = String::new();
    for cells in rows {
        out.extend(cells);
        out.push('\n');
    }
    out
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
/// `check(label, text)`, after this helper's own checks that the text holds no raw control
/// ([`first_raw_control`]) and no escape whose control character was dropped
/// ([`first_dropped_escape`]).
pub fn every_screen(
    app: &mut App,
    queries: &[&str],
    mut user_check: impl FnMut(&str, &str),
) -> Covered {
    // `rows` is `text` laid out as rows: the terminal bytes' text (`without_own_csi`) runs
    // one row into the next, so the dropped-escape check reads their `terminal_screen`.
    let mut check = |label: &str, text: &str, rows: &str| {
        if let Some(bad) = first_raw_control(text) {
            panic!("{label}: raw control drawn: {bad}");
        }
        if let Some(bad) = first_dropped_escape(rows) {
            panic!("{label}: escape sequence drawn with its control dropped: {bad}");
        }
        user_check(label, text);
    };
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
        check(&format!("help scroll {scroll}"), &screen, &screen);
    }
    app.mode = Mode::Normal;
    covered
}

fn screens_of_view(
    app: &mut App,
    label: &str,
    covered: &mut Covered,
    check: &mut impl FnMut(&str, &str, &str),
) {
    for detail in [false, true] {
        app.detail = detail;
        for (w, h) in [(80, 24), (160, 48)] {
            let screen = render(app, w, h);
            covered.frames += 1;
            check(
                &format!("{label} {w}x{h} detail {detail}"),
                &screen,
                &screen,
            );
        }
        let bytes = render_bytes(app, 160, 48);
        covered.terminal_bytes += bytes.len();
        check(
            &format!("{label} terminal bytes detail {detail}"),
            &without_own_csi(&bytes),
            &terminal_screen(&bytes),
        );
    }
    app.detail = true;
    let rows = views::table(app).map_or(0, |t| t.len());
    for position in 0..rows {
        if let Some(table) = views::table(app) {
            table.select_position(position);
        }
        covered.details += 1;
        let detail = detail_text(app);
        check(&format!("{label} row {position} detail"), &detail, &detail);
        if position < ROWS_DRAWN_PER_TABLE {
            let screen = render(app, 160, 48);
            covered.frames += 1;
            check(&format!("{label} row {position} 160x48"), &screen, &screen);
        }
    }
    if let Some(table) = views::table(app) {
        table.select_position(0);
    }
    app.detail = false;
}
