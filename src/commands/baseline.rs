//! (being written)

use super::{CommandError, Outcome};
use crate::cli::GlobalArgs;

pub async fn save(_global: &GlobalArgs) -> Result<Outcome, CommandError> {
    Err(CommandError::Usage("baseline save is not built yet".into()))
}
