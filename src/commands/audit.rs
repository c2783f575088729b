//! (being written)

use super::{CommandError, Outcome};
use crate::cli::{AuditArgs, GlobalArgs};

pub async fn run(_global: &GlobalArgs, _args: &AuditArgs) -> Result<Outcome, CommandError> {
    Err(CommandError::Usage("audit is not built yet".into()))
}
