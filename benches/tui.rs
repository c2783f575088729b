//! Console performance (issue 4): the first frame before any data, and a key press on a
//! `--scale 100000` snapshot (update + draw on ratatui's TestBackend). The console's memory
//! at that scale is measured on the real process by `benches/console_at_scale.py`. Each timing is printed with its ratio to a baseline measured in the
//! same run (drawing the same screen without the update), because the machine is noisy.
//! Run: `cargo bench --bench tui` (AIGOV_BENCH_PODS=N for another size).

use aigov::tui::action::Action;
use aigov::tui::app::{App, Options};
use aigov::tui::data::{BuildInputs, derive};
use aigov::tui::keymap::Keymap;
use aigov::tui::theme::Theme;
use aigov::tui::ui;
use aigov::tui::update::update;
use aigov::tui::view::ViewId;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Median and worst of `runs` timings of `f`.
fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    // First frame: the app as `tui::run` builds it, drawn before any data exists.
    let (first, first_worst) = measure(30, || {
        let config = aigov::config::load();
        let (theme, _) = Theme::load(None, false);
        let mut app = App::new(Options::default(), Keymap::new(&config.keys), theme);
        let mut terminal =
            Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|_| std::process::exit(2));
        let _ = terminal.draw(|frame| ui::draw(frame, &mut app));
    });
    let (blank, _) = measure(30, || {
        let mut terminal =
            Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|_| std::process::exit(2));
        let _ = terminal
            .draw(|frame| frame.render_widget(ratatui::widgets::Block::default(), frame.area()));
    });

    let pods: usize = std::env::var("AIGOV_BENCH_PODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let before = memory_kib("VmRSS:");
    let snapshot = Arc::new(aigov_sim::scale::snapshot(pods));
    let started = Instant::now();
    let data = derive(snapshot, &BuildInputs::default());
    let derive_time = started.elapsed();
    let mut app = App::new(Options::default(), Keymap::default(), Theme::default());
    app.now = "12:00:00".into();
    update(
        &mut app,
        Action::Derived {
            generation: 0,
            data: Box::new(data),
        },
    );
    let loaded_rss = memory_kib("VmRSS:");
    let peak = memory_kib("VmHWM:");
    let mut terminal =
        Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|_| std::process::exit(2));

    println!(
        "first frame (no data): median {:.2} ms, worst {:.2} ms; blank frame {:.2} ms ({:.1}x); target < 100 ms",
        ms(first),
        ms(first_worst),
        ms(blank),
        ms(first) / ms(blank).max(1e-6)
    );
    println!(
        "{pods} pods: rules + view rows built in {:.0} ms (off the UI thread)",
        ms(derive_time)
    );
    let mut worst_ratio: f64 = 0.0;
    let mut worst: Duration = Duration::ZERO;
    for view in ViewId::ALL {
        app.view = view;
        let (draw_only, _) = measure(20, || {
            let _ = terminal.draw(|frame| ui::draw(frame, &mut app));
        });
        let (step, step_worst) = measure(20, || {
            update(&mut app, key(KeyCode::Down));
            let _ = terminal.draw(|frame| ui::draw(frame, &mut app));
        });
        // A filter change: type a character, then delete it (two key presses, two frames).
        update(&mut app, key(KeyCode::Char('/')));
        let (filter, filter_worst) = measure(10, || {
            update(&mut app, key(KeyCode::Char('e')));
            let _ = terminal.draw(|frame| ui::draw(frame, &mut app));
            update(&mut app, key(KeyCode::Backspace));
            let _ = terminal.draw(|frame| ui::draw(frame, &mut app));
        });
        update(&mut app, key(KeyCode::Esc));
        let filter_per_key = filter / 2;
        let rows = aigov::tui::views::table(&mut app).map_or(0, |t| t.total());
        println!(
            "{:<13} rows {rows:>6}: move {:>6.2} ms (worst {:>6.2}), filter key {:>6.2} ms (worst {:>6.2}), draw alone {:>6.2} ms; move/draw {:.1}x",
            view.title(),
            ms(step),
            ms(step_worst),
            ms(filter_per_key),
            ms(filter_worst / 2),
            ms(draw_only),
            ms(step) / ms(draw_only).max(1e-6)
        );
        worst = worst.max(step).max(filter_per_key);
        worst_ratio = worst_ratio.max(ms(step) / ms(draw_only).max(1e-6));
    }
    println!(
        "slowest key press (median): {:.2} ms; target < 16 ms; worst move/draw ratio {:.1}x",
        ms(worst),
        worst_ratio
    );
    println!(
        "bench process memory: {:.0} MiB resident (peak {:.0} MiB, {:.0} MiB before); this includes the synthetic generator's JSON, which the allocator keeps after it is freed: the console's own figure comes from benches/console_at_scale.py",
        loaded_rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        before as f64 / 1024.0
    );
}
