//! (being written)

use super::{CommandError, Outcome};
use crate::cli::{GlobalArgs, ReachArgs};

pub async fn run(_global: &GlobalArgs, _args: &ReachArgs) -> Result<Outcome, CommandError> {
    Err(CommandError::Usage("reach is not built yet".into()))
}
