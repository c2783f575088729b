//! Hostile input through both paths: every escape-sequence family in every string field the
//! console and the reports draw, a 1 MiB annotation, a pod with 10,000 containers, names at
//! their length limits and just over, and documents nested 10,000 levels deep. Headless
//! (`aigov check -f` and the commands against the simulator loaded with the hostile objects)
//! and the console (every view, tab, detail pane and the help screen, drawn off-screen): no raw
//! control byte reaches the output, and every command and frame completes. Elapsed times are
//! printed (`--nocapture`) for docs/hostile-input.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_sim::{Dataset, SimOptions};
use assert_cmd::Command;
use common::console::{self, first_raw_control};
use common::hostile::{self, assert_within, hostile_audit_log, sim_on, simulator_fixture, write};
use common::serve::aigov_binary;
use serde_json::Value;
use std::time::{Duration, Instant};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn aigov(args: &[&str]) -> Run {
    let started = Instant::now();
    let out = Command::new(aigov_binary())
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home")
        .env("AIGOV_CONFIG_DIR", "/nonexistent-aigov-config")
        .env("AIGOV_DATA_DIR", "/nonexistent-aigov-data")
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        elapsed: started.elapsed(),
    }
}

/// Bounds on elapsed time, about five times (or more) what each measures on a 2-core machine
/// in a debug build with the other tests running: loose enough for a loaded machine, tight
/// enough that a hang or a quadratic blow-up fails rather than only printing a large number.
/// `check -f` of the hostile directory, per format (measured 0.4–1.1 s).
const CHECK_F_BOUND: Duration = Duration::from_secs(10);
/// `check -f` of a deeply nested document, which must fail fast (measured 15–110 ms).
const DEEP_NESTING_BOUND: Duration = Duration::from_secs(5);
/// One headless command against the hostile simulator (measured 0.07–2.1 s).
const HEADLESS_BOUND: Duration = Duration::from_secs(15);

/// Neither stream carries a raw control character, and the command ended as expected.
fn assert_terminal_safe(label: &str, run: &Run, codes: &[i32]) {
    assert!(
        codes.contains(&run.code),
        "{label}: exit {}\n{}",
        run.code,
        run.stderr
    );
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if let Some(bad) = first_raw_control(text) {
            panic!("{label}: {stream} carries a raw control: {bad}");
        }
    }
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("internal error"),
        "{label}: {}",
        run.stderr
    );
}

fn collect_strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push_str(k);
            collect_strings(v, out);
        }),
        _ => {}
    }
}

#[test]
fn the_committed_fixture_really_carries_every_escape_family() {
    let path = hostile::escapes_fixture();
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut documents, mut problems) = (Vec::new(), Vec::new());
    aigov_core::manifest::read_text(&path, &text, &mut documents, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let mut strings = String::new();
    documents
        .iter()
        .for_each(|d| collect_strings(&d.value, &mut strings));
    for (family, piece) in [
        ("CSI", "\x1b[2J"),
        ("OSC 52", "\x1b]52;c;"),
        ("OSC 8", "\x1b]8;;"),
        ("DCS", "\x1bP"),
        ("APC", "\x1b_"),
        ("PM", "\x1b^"),
        ("SOS", "\x1bX"),
        ("C1 CSI", "\u{9b}"),
        ("C1 OSC", "\u{9d}"),
        ("C1 DCS", "\u{90}"),
        ("C1 ST", "\u{9c}"),
        ("C1 NEL", "\u{85}"),
        ("BEL", "\x07"),
        ("BS", "\x08"),
        ("CR", "\r"),
        ("ESC alone", "esc\x1b alone"),
        ("RLO", "\u{202e}"),
        ("LRE..LRO", "\u{202a}\u{202b}\u{202c}\u{202d}"),
        ("isolates", "\u{2066}\u{2067}\u{2068}\u{2069}"),
        ("LRM RLM", "\u{200e}\u{200f}"),
        ("zero width", "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}"),
    ] {
        assert!(strings.contains(piece), "the fixture has no {family}");
        // And the check every output goes through would catch it raw.
        assert!(
            first_raw_control(piece).is_some(),
            "{family} is not detected"
        );
    }
}

/// Only a well-formed CSI (parameters and intermediates, then one final byte) is taken out of
/// the terminal bytes: a control inside a broken sequence stays, to be caught.
#[test]
fn without_own_csi_keeps_what_breaks_a_sequence() {
    assert_eq!(
        console::without_own_csi(b"a\x1b[1;31mb\x1b[?25lc\x1b[ qd"),
        "abcd"
    );
    for bytes in [
        "\x1b[1\u{202e}m".as_bytes(),
        "\x1b[\u{9b}31m".as_bytes(),
        b"\x1b[12\x1b]52;c;x\x07",
        b"\x1b[",
    ] {
        let left = console::without_own_csi(bytes);
        assert!(first_raw_control(&left).is_some(), "{bytes:?} -> {left:?}");
    }
}

/// An escape whose control was dropped (as ratatui drops it from a cell) leaves its body
/// bare: found, unlike the sanitised form, also when a pane wraps between the two.
#[test]
fn first_dropped_escape_finds_a_bare_sequence_body() {
    for dropped in [
        "Namespace/evil[2J] AI",
        "x]52;c;aGk=",
        "KEY_31m_C1",
        "│ a ^[ │\n│ b[2J │\n",
    ] {
        assert!(
            console::first_dropped_escape(dropped).is_some(),
            "{dropped:?}"
        );
    }
    for shown in [
        "Namespace/evil^[[2J^[]52;c;",
        "KEY_\\u{9b}31m_C1",
        "\"evil\\u{1b}[2J\"",
        "\"because\\u001b[2J\"",
        // Wrapped in a pane right of a table: `^[` ends the pane's row above.
        "│ table │ text ^[│\n│ row   │[2J more │\n",
        // Wrapped inside the visible form.
        "│ text \\u{│\n│9b}31m │\n",
    ] {
        assert_eq!(console::first_dropped_escape(shown), None, "{shown:?}");
    }
}

/// The terminal screen rebuilt from crossterm's bytes puts each character where the cursor
/// moves put it, so rows stay apart and columns line up.
#[test]
fn terminal_screen_places_characters_at_the_cursor() {
    assert_eq!(
        console::terminal_screen(b"\x1b[1;1Hab\x1b[31m\x1b[2;3Hc\x1b[0md\x1b[1;4He"),
        "ab e\n  cd\n"
    );
}

#[test]
fn check_f_draws_hostile_manifests_visible_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(hostile::escapes_fixture(), dir.path().join("escapes.yaml")).unwrap();
    write(dir.path(), "names.yaml", &hostile::names_at_limit());
    write(dir.path(), "hostile-names.json", &hostile::hostile_names());
    let big = write(dir.path(), "big.json", &hostile::big_objects());
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "names.yaml", &hostile::names_at_limit());
    let target = dir.path().to_str().unwrap();
    println!(
        "check -f: {} files, big.json {} bytes (1 MiB annotation twice, {} containers)",
        4,
        std::fs::metadata(&big).unwrap().len(),
        hostile::CONTAINERS
    );
    let mut json = None;
    for format in ["table", "json", "markdown", "sarif"] {
        let baseline = aigov(&[
            "check",
            "-f",
            plain.path().to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_terminal_safe("plain check", &baseline, &[0, 1]);
        let run = aigov(&["check", "-f", target, "--format", format]);
        assert_terminal_safe(&format!("check -f --format {format}"), &run, &[1]);
        println!(
            "check -f --format {format}: {:?} (bound {CHECK_F_BOUND:?}; stdout {} bytes); plain manifest {:?}; ratio {:.1}",
            run.elapsed,
            run.stdout.len(),
            baseline.elapsed,
            run.elapsed.as_secs_f64() / baseline.elapsed.as_secs_f64()
        );
        assert_within(
            &format!("check -f --format {format}"),
            run.elapsed,
            CHECK_F_BOUND,
        );
        assert_within("plain check", baseline.elapsed, CHECK_F_BOUND);
        // The hostile text arrived, in visible form, rather than being dropped.
        let shown = if format == "markdown" {
            without_markdown_escapes(&run.stdout)
        } else {
            run.stdout.clone()
        };
        assert!(
            shown.contains("mallory^[[2J"),
            "{format}: the RBAC subject is shown"
        );
        assert!(shown.contains("\\u{202e}"), "{format}");
        assert!(shown.contains("evil^[[2J^[]52;c;"), "{format}");
        if format == "json" {
            json = Some(run.stdout);
        }
    }
    let report: Value = serde_json::from_str(&json.expect("the json run")).unwrap();
    let text = report.to_string();
    assert!(
        text.contains(&hostile::dns_label(63)),
        "the 63-character namespace is kept whole"
    );
    assert!(
        !text.contains(&"weights-shard-".repeat(20)),
        "the 1 MiB annotation is not copied into the report"
    );
}

/// Markdown output escapes punctuation with a backslash (`^\\[`); undo that to compare.
fn without_markdown_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            out.extend(chars.next());
            continue;
        }
        out.push(c);
    }
    out
}

#[test]
fn deep_nesting_is_one_plain_line_and_exit_2_never_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, limit) in [
        ("deep.json", hostile::deep_json(), "128"),
        ("deep-flow.yaml", hostile::deep_yaml_flow(), "64"),
        ("deep-block.yaml", hostile::deep_yaml_block(), "64"),
    ] {
        let path = write(dir.path(), name, &text);
        for format in ["table", "json"] {
            let run = aigov(&["check", "-f", path.to_str().unwrap(), "--format", format]);
            assert_terminal_safe(&format!("{name} {format}"), &run, &[2]);
            let problems: Vec<&str> = run.stderr.lines().filter(|l| l.contains(name)).collect();
            assert_eq!(problems.len(), 1, "{name}: {}", run.stderr);
            assert!(
                problems[0].starts_with("aigov: ")
                    && problems[0].contains(&format!("nested more than {limit} levels deep")),
                "{}",
                problems[0]
            );
            assert!(run.stderr.lines().all(|l| l.starts_with("aigov: ")));
            println!(
                "check -f {name} ({} bytes, --format {format}): exit 2 in {:?} (bound {DEEP_NESTING_BOUND:?}): {}",
                text.len(),
                run.elapsed,
                problems[0]
            );
            assert_within(
                &format!("check -f {name} --format {format}"),
                run.elapsed,
                DEEP_NESTING_BOUND,
            );
        }
    }
}

#[tokio::test]
async fn names_one_over_their_limit_are_refused_by_the_simulator() {
    for (what, text) in hostile::names_just_over() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "over.yaml", &text);
        let refused = aigov_sim::start(SimOptions {
            datasets: vec![Dataset::Fixture(dir.path().to_path_buf())],
            ..SimOptions::default()
        })
        .await;
        let message = refused.err().expect("refused").to_string();
        assert!(
            message.contains("metadata.name: Invalid value"),
            "{what}: {message}"
        );
        // `check -f` has no API server to refuse them: it reads them and completes.
        let run = aigov(&["check", "-f", dir.path().to_str().unwrap()]);
        assert_terminal_safe(what, &run, &[0, 1]);
    }
}

fn headless_commands() -> Vec<Vec<&'static str>> {
    let mut commands: Vec<Vec<&str>> = ["table", "json", "markdown", "sarif"]
        .into_iter()
        .map(|f| vec!["audit", "--format", f])
        .collect();
    for format in ["table", "json"] {
        commands.push(vec!["inventory", "--format", format]);
        commands.push(vec!["images", "--format", format]);
        commands.push(vec![
            "who-can",
            "get",
            "secrets",
            "-n",
            "hostile-ns",
            "--format",
            format,
        ]);
        commands.push(vec!["who-can", "list", "pods", "-A", "--format", format]);
        commands.push(vec![
            "reach",
            "pvc/hostile-weights",
            "-n",
            "hostile-ns",
            "--format",
            format,
        ]);
    }
    commands.push(vec![
        "can-i",
        "get",
        "secrets",
        "-n",
        "hostile-ns",
        "--as",
        "eve",
        "-v",
    ]);
    commands
}

/// Every headless command against `t`; returns the runs.
fn run_all(t: &common::TestSim) -> Vec<(String, Run)> {
    let kubeconfig = t.kubeconfig.to_str().unwrap().to_string();
    headless_commands()
        .into_iter()
        .map(|args| {
            let mut full = vec!["--kubeconfig", &kubeconfig, "--offline"];
            full.extend(&args);
            (args.join(" "), aigov(&full))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_commands_against_the_hostile_simulator_stay_terminal_safe() {
    let dir = tempfile::tempdir().unwrap();
    simulator_fixture(dir.path());
    let started = Instant::now();
    let t = sim_on(vec![
        Dataset::Demo,
        Dataset::Fixture(dir.path().to_path_buf()),
    ])
    .await;
    println!(
        "simulator with demo + hostile fixture started in {:?}",
        started.elapsed()
    );
    let demo = sim_on(vec![Dataset::Demo]).await;
    let normal = run_all(&demo);
    let hostile = run_all(&t);
    for ((label, run), (_, plain)) in hostile.iter().zip(&normal) {
        assert_terminal_safe(label, run, &[0, 1]);
        println!(
            "aigov {label}: {:?} (bound {HEADLESS_BOUND:?}; stdout {} bytes); demo alone {:?}; ratio {:.2}",
            run.elapsed,
            run.stdout.len(),
            plain.elapsed,
            run.elapsed.as_secs_f64() / plain.elapsed.as_secs_f64()
        );
        assert_within(&format!("aigov {label}"), run.elapsed, HEADLESS_BOUND);
        assert_within(
            &format!("aigov {label} (demo alone)"),
            plain.elapsed,
            HEADLESS_BOUND,
        );
    }
    println!(
        "{} headless commands run against each simulator",
        hostile.len()
    );
    let stdout_of =
        |label: &str| -> &str { &hostile.iter().find(|(l, _)| l == label).unwrap().1.stdout };
    assert!(
        stdout_of("audit --format table").contains("hostile-admin^G^H^M"),
        "the binding is named, visibly"
    );
    let inventory = stdout_of("inventory --format table");
    assert!(inventory.contains(&hostile::dns_label(63)), "{inventory}");
    let reach = stdout_of("reach pvc/hostile-weights -n hostile-ns --format table");
    assert!(reach.contains("eve\\u{2067}\\u{2068}\\u{feff}"), "{reach}");
}

#[test]
fn log_show_of_a_hostile_audit_log_is_terminal_safe() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_audit_log(dir.path());
    let path = log.to_str().unwrap();
    let verified = aigov(&["log", "verify", path]);
    assert_terminal_safe("log verify", &verified, &[0]);
    for format in ["table", "json"] {
        let run = aigov(&["log", "show", "--format", format, path]);
        assert_terminal_safe(&format!("log show --format {format}"), &run, &[0]);
        assert!(run.stdout.contains("mallory^[[2J"), "{}", run.stdout);
    }
}
