//! Load a snapshot and evaluate the rules: the common start of `audit`, `who-can`, `can-i`
//! and `reach`.

use super::CommandError;
use super::session::{self, Session};
use crate::cli::GlobalArgs;
use crate::cluster::{LoadOptions, Progress, load};
use crate::model::Snapshot;
use crate::rules::{Evaluation, Inputs, evaluate};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A progress line on stderr when it is a terminal; nothing otherwise.
pub fn stderr_progress() -> crate::cluster::load::ProgressFn {
    let show = std::io::stderr().is_terminal();
    let total = LoadOptions::default().kinds.len();
    let finished = Arc::new(AtomicUsize::new(0));
    Arc::new(move |p: Progress| {
        if p.done && show {
            let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
            eprint!("\rloading {n}/{total} kinds…");
            if n == total {
                eprint!("\r\x1b[2K");
            }
        }
    })
}

/// Connect and load a snapshot.
pub async fn load_snapshot(global: &GlobalArgs) -> Result<(Session, Snapshot), CommandError> {
    let session = session::open(global, false).await?;
    let snapshot = load(
        &session.connection,
        &LoadOptions::default(),
        stderr_progress(),
    )
    .await;
    Ok((session, snapshot))
}

/// Connect, load and evaluate with the user's settings and the saved baseline.
pub async fn analyse(global: &GlobalArgs) -> Result<(Session, Snapshot, Evaluation), CommandError> {
    let (session, snapshot) = load_snapshot(global).await?;
    let config = crate::config::load();
    config.print_warnings();
    let baseline = crate::baseline::load_for(&snapshot.origin.context).map_err(CommandError::Io)?;
    let inputs = Inputs {
        settings: config.rules.clone(),
        baseline: baseline.as_ref(),
        ..Default::default()
    };
    let evaluation = evaluate(&snapshot, &inputs);
    Ok((session, snapshot, evaluation))
}
