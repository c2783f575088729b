//! (being written)

use super::{CommandError, Outcome};
use crate::cli::{CanIArgs, GlobalArgs};

pub async fn run(_global: &GlobalArgs, _args: &CanIArgs) -> Result<Outcome, CommandError> {
    Err(CommandError::Usage("can-i is not built yet".into()))
}
