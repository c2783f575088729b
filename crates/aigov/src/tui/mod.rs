//! The console: a full-screen ratatui UI over the findings. `App` holds all state and only
//! `update` changes it; keys become named actions through the keymap; background work runs
//! in the effect runner and reports back as actions.

mod accept;
pub mod action;
pub mod app;
pub mod data;
pub mod guided;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod plan;
pub mod progress;
mod recheck;
pub mod recorder;
pub mod registries;
pub mod runner;
pub mod table;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;
pub mod view;
pub mod views;

#[cfg(test)]
mod tests;

use crate::engine::Error;
use crate::settings::Settings;
use action::{Action, Effect};
use aigov_kube::ConnectOptions;
use app::{App, Options};
use futures::StreamExt;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use std::time::Duration;

/// Run the console until the user quits.
pub async fn run(settings: &Settings, options: Options) -> Result<(), Error> {
    let (theme, theme_warnings) = theme::Theme::load(settings.theme.as_deref(), settings.no_color);
    let keymap = keymap::Keymap::new(&settings.keys);
    let mut warnings = settings.config_warnings.clone();
    warnings.extend(theme_warnings);
    warnings.extend(keymap.warnings.clone());

    let mut connect = ConnectOptions {
        read_only: settings.read_only || options.read_only,
        ..settings.connect_options()
    };
    // A credential plugin is agreed to here, on the plain terminal, before the console takes
    // it; inside, only stored consent (or --allow-exec) runs one, e.g. on a context switch.
    if connect.exec == aigov_state::consent::Approval::Ask && !(options.demo || settings.demo) {
        aigov_kube::connect::approve_plugin(&connect).await?;
        connect.exec = aigov_state::consent::Approval::StoredOnly;
    }
    let mut guard = terminal::Guard::enter()
        .map_err(|e| Error::Io(format!("cannot set up the terminal: {e}")))?;
    let mut app = App::new(
        Options {
            read_only: connect.read_only,
            ..options.clone()
        },
        keymap,
        theme,
    );
    for w in warnings {
        app.error(w);
    }
    app.now = now();
    // The first frame is drawn before anything else happens: before the demo cluster starts
    // and before anything is asked of a real one.
    draw(&mut guard, &mut app)?;
    // Debug builds only: lets tests prove a panic restores the terminal.
    #[cfg(debug_assertions)]
    if std::env::var_os("AIGOV_TEST_PANIC_IN_CONSOLE").is_some() {
        panic!("AIGOV_TEST_PANIC_IN_CONSOLE is set");
    }

    // The demo simulator and its kubeconfig live as long as the console.
    let mut demo_baseline = None;
    let _demo = if options.demo || settings.demo {
        let (sim, dir, path) = crate::engine::session::start_demo().await?;
        demo_baseline = Some(
            crate::engine::session::demo_baseline(&sim, &path, connect.timeout, &settings.rules)
                .await?,
        );
        connect.kubeconfig = Some(path);
        Some((sim, dir))
    } else {
        None
    };
    // Tag look-ups, unless --offline; the demo's simulator serves the demo's images.
    // Look-ups run while the console has the terminal: a credential helper runs only with a
    // stored consent or --allow-exec, never after a prompt.
    let registry = (!settings.offline).then(|| {
        let approval = match connect.exec {
            aigov_state::consent::Approval::Allow => aigov_state::consent::Approval::Allow,
            _ => aigov_state::consent::Approval::StoredOnly,
        };
        let mirror = _demo.as_ref().map(|(sim, _)| aigov_registry::Mirror {
            base_url: sim.url(),
            ca_pem: Some(sim.ca_pem.clone()),
        });
        registries::Registries {
            options: crate::engine::registry::options(approval, mirror, connect.timeout),
            read_pull_secrets: settings.read_pull_secrets,
        }
    });
    let (runner, mut actions) = runner::start(runner::RunnerConfig {
        connect: connect.clone(),
        inputs: data::BuildInputs {
            settings: settings.rules.clone(),
            baseline: demo_baseline,
            registry: Default::default(),
        },
        baselines: runner::Baselines::DataDir,
        registry,
    });
    runner.send(Effect::Connect {
        generation: 0,
        context: connect.context.clone(),
    });
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let mut terminate = signal();
    loop {
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Action::Key(key),
                Some(Ok(Event::Mouse(mouse))) => Action::Mouse(mouse),
                Some(Ok(Event::Resize(w, h))) => Action::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(Error::Io(format!("cannot read the terminal: {e}"))),
                None => Action::Quit,
            },
            Some(action) = actions.recv() => action,
            _ = ticker.tick() => Action::Tick(now()),
            _ = terminate.recv() => Action::Quit,
        };
        for effect in update::update(&mut app, action) {
            runner.send(effect);
        }
        if app.quit {
            break;
        }
        draw(&mut guard, &mut app)?;
    }
    drop(guard);
    if let Err(e) = runner.close_audit().await {
        eprintln!("aigov: the audit session was not closed: {e}");
    }
    print_audit_head();
    match app.fatal {
        Some(error) => Err(Error::Usage(error)),
        None => Ok(()),
    }
}

fn draw(guard: &mut terminal::Guard, app: &mut App) -> Result<(), Error> {
    guard
        .terminal
        .draw(|frame| ui::draw(frame, app))
        .map(|_| ())
        .map_err(|e| Error::Io(format!("cannot draw: {e}")))
}

/// The audit log's head, printed after the terminal is restored, for the operator to keep:
/// the chain alone cannot show that its tail was cut off later.
fn print_audit_head() {
    let Ok(path) = aigov_audit::default_path() else {
        return;
    };
    if std::fs::symlink_metadata(&path).is_err() {
        return;
    }
    match aigov_audit::head(&path) {
        Ok(head) => println!("aigov: audit log {}: {head}", path.display()),
        Err(e) => eprintln!("aigov: {e}"),
    }
}

fn now() -> String {
    jiff::Zoned::now().strftime("%H:%M:%S").to_string()
}

/// SIGTERM (and SIGHUP) as a stream of one-shot notices; Ctrl-C arrives as a key in raw mode.
fn signal() -> tokio::sync::mpsc::UnboundedReceiver<()> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
        let _ = tx.send(());
    });
    #[cfg(not(unix))]
    drop(tx);
    rx
}
