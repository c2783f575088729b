//! `aigov inventory`: counts per kind and namespace, who the connection is, and what could not
//! be read.

use super::{Outcome, print};
use crate::engine::Error;
use crate::engine::analysis::{load_snapshot, refuse_if_nothing_was_read};
use crate::report::{Format, inventory};
use crate::settings::Settings;

pub async fn run(settings: &Settings, format: Format) -> Result<Outcome, Error> {
    let (_session, snapshot) = load_snapshot(settings).await?;
    refuse_if_nothing_was_read(&snapshot)?;
    let inventory = inventory::build(&snapshot);
    match format {
        Format::Table => print(&inventory::to_table(&inventory)),
        Format::Json => print(&(inventory::to_json(&inventory) + "\n")),
    }
    Ok(Outcome::Yes)
}
