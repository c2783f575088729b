//! `aigov log verify` and `aigov log show`: check the audit trail's hash chain, and print its
//! entries as a table or JSON. Both refuse a log that is a symbolic link or writable by
//! others, and any failure is one line with exit code 2.

use super::{Outcome, print};
use crate::cli::LogShowArgs;
use crate::engine::Error;
use crate::report::Format;
use aigov_audit as audit;
use aigov_core::sanitize::sanitize;
use std::path::{Path, PathBuf};

fn log_path(file: Option<&Path>) -> Result<PathBuf, Error> {
    match file {
        Some(f) => Ok(f.to_path_buf()),
        None => audit::default_path().map_err(fail),
    }
}

/// The one line a user sees; a failed check names the file, the line and why.
fn fail(e: audit::Error) -> Error {
    match e {
        audit::Error::Broken { path, failure } => Error::Usage(format!("{path}: {failure}")),
        other => Error::Usage(other.to_string()),
    }
}

pub fn verify(file: Option<&Path>) -> Result<Outcome, Error> {
    let path = log_path(file)?;
    let verified = audit::verify_file(&path).map_err(fail)?;
    print(&format!(
        "OK: {} entries, head {} (seq {})\n",
        verified.entries, verified.head.hash, verified.head.seq
    ));
    Ok(Outcome::Yes)
}

pub fn show(args: &LogShowArgs) -> Result<Outcome, Error> {
    let since = args
        .since
        .as_deref()
        .map(|text| audit::show::parse_since(text, jiff::Timestamp::now()))
        .transpose()
        .map_err(Error::Usage)?;
    let path = log_path(args.file.as_deref())?;
    let (records, torn) = audit::show::read(&path).map_err(fail)?;
    if let Some(t) = torn {
        eprintln!(
            "aigov: warning: {}: line {} is torn ({} bytes, {}) and is not shown; the next aigov session that writes to the log repairs it",
            sanitize(&path.display().to_string()),
            t.line,
            t.bytes,
            t.why
        );
    }
    let records = audit::show::since(records, since);
    let text = match args.format {
        Format::Json => audit::show::json(&records).map_err(fail)?,
        Format::Table if records.is_empty() => "no entries\n".to_string(),
        Format::Table => audit::show::table(&records),
    };
    print(&text);
    Ok(Outcome::Yes)
}
