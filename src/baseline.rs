//! The configuration drift baseline on disk (being written).

use crate::rules::config::Baseline;

/// The baseline saved for a context, if any.
pub fn load_for(_context: &str) -> Result<Option<Baseline>, String> {
    Ok(None)
}
