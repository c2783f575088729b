//! `aigov inventory` (and, until the console lands, `aigov demo`).

use super::session;
use super::{CommandError, Outcome, print};
use crate::report::{Format, inventory};
use crate::settings::Settings;
use aigov_kube::{LoadOptions, load};

pub async fn run(
    settings: &Settings,
    format: Format,
    force_demo: bool,
) -> Result<Outcome, CommandError> {
    let session = session::open(settings, force_demo).await?;
    let snapshot = load(
        &session.connection,
        &LoadOptions::default(),
        super::analysis::stderr_progress(),
    )
    .await;
    refuse_if_nothing_was_read(&snapshot)?;
    let inventory = inventory::build(&snapshot);
    match format {
        Format::Table => print(&inventory::to_table(&inventory)),
        Format::Json => print(&(inventory::to_json(&inventory) + "\n")),
    }
    Ok(Outcome::Yes)
}

/// A connection that could read no kind at all (every list refused or failing) is an error to
/// fix, not an inventory of unknowns.
pub fn refuse_if_nothing_was_read(
    snapshot: &aigov_core::model::Snapshot,
) -> Result<(), CommandError> {
    use aigov_core::model::Coverage;
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
