//! `aigov inventory` (and, until the console lands, `aigov demo`).

use super::CommandError;
use super::session;
use crate::cli::GlobalArgs;
use crate::cluster::{LoadOptions, Progress, load};
use crate::report::{Format, inventory};
use std::io::IsTerminal;
use std::sync::Arc;

pub async fn run(
    global: &GlobalArgs,
    format: Format,
    force_demo: bool,
) -> Result<(), CommandError> {
    let session = session::open(global, force_demo).await?;
    let show_progress = std::io::stderr().is_terminal();
    let total_kinds = LoadOptions::default().kinds.len();
    let finished = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = finished.clone();
    let progress = Arc::new(move |p: Progress| {
        if p.done && show_progress {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            eprint!("\rloading {n}/{total_kinds} kinds…");
            if n == total_kinds {
                eprint!("\r\x1b[2K");
            }
        }
    });
    let snapshot = load(&session.connection, &LoadOptions::default(), progress).await;
    let inventory = inventory::build(&snapshot);
    let text = match format {
        Format::Table => inventory::to_table(&inventory),
        Format::Json => inventory::to_json(&inventory) + "\n",
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    Ok(())
}
