//! The aigov binary: parse the command line, set up logging and the panic hook, dispatch.

use aigov::cli::{BaselineCommand, Cli, Command, LogCommand, SimCommand};
use aigov::commands::{self, CommandError, Outcome};
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

fn init_logging() {
    use std::io::IsTerminal;
    // Library logs stay off by default: errors reach the user once, as aigov's own line.
    let filter = tracing_subscriber::EnvFilter::try_from_env("AIGOV_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off,aigov=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .try_init();
}

async fn run(cli: Cli) -> Result<Outcome, CommandError> {
    let global = &cli.global;
    match &cli.command {
        None => console(global, cli.guided, false).await,
        Some(Command::Demo) => console(global, cli.guided, true).await,
        Some(Command::Inventory { format }) => {
            commands::inventory::run(global, *format, false).await
        }
        Some(Command::Audit(args)) => commands::audit::run(global, args).await,
        Some(Command::Images { format }) => commands::images::run(global, *format).await,
        Some(Command::WhoCan(args)) => commands::who_can::run(global, args).await,
        Some(Command::CanI(args)) => commands::can_i::run(global, args).await,
        Some(Command::Reach(args)) => commands::reach::run(global, args).await,
        Some(Command::Check(args)) => commands::check::run(args),
        Some(Command::Baseline {
            command: BaselineCommand::Save,
        }) => commands::baseline::save(global).await,
        Some(Command::Baseline {
            command: BaselineCommand::Accept { keys },
        }) => commands::baseline::accept(global, keys).await,
        Some(Command::Log {
            command: LogCommand::Verify { file },
        }) => commands::log::verify(file.as_deref()),
        Some(Command::Log {
            command: LogCommand::Show(args),
        }) => commands::log::show(args),
        Some(Command::Plan { command }) => commands::plan::run(global, command).await,
        Some(Command::Rules { format }) => Ok(commands::rules::run(*format)),
        Some(Command::Sim {
            command: SimCommand::Serve(args),
        }) => commands::sim::serve(global, args)
            .await
            .map(|()| Outcome::Yes),
    }
}

/// The console on a terminal; on a pipe or in CI, where no console can run, the audit.
async fn console(
    global: &aigov::cli::GlobalArgs,
    guided: bool,
    demo: bool,
) -> Result<Outcome, CommandError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        if demo {
            return commands::audit::demo(global).await;
        }
        return Err(CommandError::Usage(
            "the console needs a terminal; for scripts use `aigov audit`, `aigov inventory` and the other commands".into(),
        ));
    }
    let options = aigov::tui::app::Options {
        read_only: global.read_only || guided,
        guided,
        demo,
    };
    aigov::tui::run(global, options)
        .await
        .map(|()| Outcome::Yes)
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    init_logging();
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
    let result = runtime.block_on(run(cli));
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
