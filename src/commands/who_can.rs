//! (being written)

use super::{CommandError, Outcome};
use crate::cli::{GlobalArgs, WhoCanArgs};

pub async fn run(_global: &GlobalArgs, _args: &WhoCanArgs) -> Result<Outcome, CommandError> {
    Err(CommandError::Usage("who-can is not built yet".into()))
}
