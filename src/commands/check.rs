//! (being written)

use super::{CommandError, Outcome};
use crate::cli::CheckArgs;

pub fn run(_args: &CheckArgs) -> Result<Outcome, CommandError> {
    Err(CommandError::Usage("check is not built yet".into()))
}
