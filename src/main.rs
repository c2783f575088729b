//! The aigov binary: parse the command line, set up logging and the panic hook, dispatch.

use aigov::cli::{Cli, Command, SimCommand};
use aigov::commands::{self, CommandError};
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
            aigov::sanitize::sanitize(&message)
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

async fn run(cli: Cli) -> Result<(), CommandError> {
    match &cli.command {
        None | Some(Command::Demo) => {
            let demo = matches!(cli.command, Some(Command::Demo));
            commands::inventory::run(&cli.global, Default::default(), demo).await
        }
        Some(Command::Inventory { format }) => {
            commands::inventory::run(&cli.global, *format, false).await
        }
        Some(Command::Sim {
            command: SimCommand::Serve(args),
        }) => commands::sim::serve(&cli.global, args).await,
    }
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
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aigov: {}", aigov::sanitize::sanitize(&e.to_string()));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
