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
    refuse_if_nothing_was_read(&snapshot)?;
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

/// A connection that could read no kind at all (every list refused or failing) is an error to
/// fix, not an inventory of unknowns.
fn refuse_if_nothing_was_read(snapshot: &crate::model::Snapshot) -> Result<(), CommandError> {
    use crate::model::Coverage;
    let mut reasons = snapshot.coverage.values().filter_map(|c| match c {
        Coverage::Unknown { reason } => Some(reason.as_str()),
        _ => None,
    });
    let readable = snapshot
        .coverage
        .values()
        .any(|c| !matches!(c, Coverage::Unknown { .. } | Coverage::NotServed));
    match reasons.next() {
        Some(first) if !readable => Err(CommandError::Usage(format!(
            "nothing could be read through context {:?}: {first}",
            snapshot.origin.context
        ))),
        _ => Ok(()),
    }
}
