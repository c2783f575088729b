//! The aigov binary: parse the command line, set up logging and the panic hook, dispatch.

use aigov::cli::{BaselineCommand, Cli, Command, LogCommand, SimCommand};
use aigov::commands::{self, Outcome};
use aigov::engine::Error;
use aigov::settings::Settings;
use clap::Parser;
use std::process::ExitCode;

/// Exit code for errors the user must fix: bad input, unreachable cluster, refused.
const EXIT_ERROR: u8 = 2;

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "aigov: internal error{location}: {} (please report this)",
            aigov_core::sanitize::sanitize(&message)
        );
        std::process::exit(i32::from(EXIT_ERROR));
    }));
}

fn init_logging(ansi: bool) {
    // Library logs stay off by default: errors reach the user once, as aigov's own line.
    let filter = tracing_subscriber::EnvFilter::try_from_env("AIGOV_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off,aigov=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time()
        .try_init();
}

async fn run(cli: &Cli, settings: &Settings) -> Result<Outcome, Error> {
    match &cli.command {
        None => console(settings, cli.guided, false).await,
        Some(Command::Demo) => console(settings, cli.guided, true).await,
        Some(Command::Inventory { format }) => commands::inventory::run(settings, *format).await,
        Some(Command::Audit(args)) => commands::audit::run(settings, args).await,
        Some(Command::Images { format }) => commands::images::run(settings, *format).await,
        Some(Command::WhoCan(args)) => commands::who_can::run(settings, args).await,
        Some(Command::CanI(args)) => commands::can_i::run(settings, args).await,
        Some(Command::Reach(args)) => commands::reach::run(settings, args).await,
        Some(Command::Check(args)) => commands::check::run(settings, args),
        Some(Command::Baseline {
            command: BaselineCommand::Save,
        }) => commands::baseline::save(settings).await,
        Some(Command::Baseline {
            command: BaselineCommand::Accept { keys },
        }) => commands::baseline::accept(settings, keys).await,
        Some(Command::Log {
            command: LogCommand::Verify { file },
        }) => commands::log::verify(file.as_deref()),
        Some(Command::Log {
            command: LogCommand::Show(args),
        }) => commands::log::show(args),
        Some(Command::Plan { command }) => commands::plan::run(settings, command).await,
        Some(Command::Rules { format }) => Ok(commands::rules::run(*format)),
        Some(Command::Sim {
            command: SimCommand::Serve(args),
        }) => commands::sim::serve(settings, args)
            .await
            .map(|()| Outcome::Yes),
    }
}

/// The console on a terminal; on a pipe or in CI, where no console can run, the audit.
async fn console(settings: &Settings, guided: bool, demo: bool) -> Result<Outcome, Error> {
    if !settings.interactive() {
        if demo {
            return commands::audit::demo(settings).await;
        }
        return Err(Error::Usage(
            "the console needs a terminal; for scripts use `aigov audit`, `aigov inventory` and the other commands".into(),
        ));
    }
    let options = aigov::tui::app::Options {
        read_only: settings.read_only || guided,
        guided,
        demo,
    };
    aigov::tui::run(settings, options)
        .await
        .map(|()| Outcome::Yes)
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    // Everything the flags, the environment, config.toml and the terminal say, resolved once.
    let settings = Settings::resolve(&cli.global);
    init_logging(settings.terminal.stderr && !settings.no_color);
    let console = matches!(cli.command, None | Some(Command::Demo)) && settings.interactive();
    if !console {
        // The console shows them on its own screen.
        settings.print_config_warnings();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("aigov: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let result = runtime.block_on(run(&cli, &settings));
    // Nothing the command awaited is still running. What may be: a credential plugin that
    // missed its deadline, on a blocking thread; waiting for it would break the deadline.
    runtime.shutdown_background();
    match result {
        Ok(Outcome::Yes) => ExitCode::SUCCESS,
        Ok(Outcome::No) => ExitCode::from(1),
        Err(e) => {
            eprintln!("aigov: {}", aigov_core::sanitize::sanitize(&e.to_string()));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
