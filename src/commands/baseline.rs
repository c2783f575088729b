//! `aigov baseline save`: record the approved configuration of the current context (content
//! hashes of the ConfigMaps AI workloads use, resourceVersions of their Secrets).

use super::analysis::load_snapshot;
use super::inventory::refuse_if_nothing_was_read;
use super::{CommandError, Outcome, print};
use crate::cli::GlobalArgs;
use crate::model::{Coverage, Kind};
use crate::rules::View;
use crate::rules::config::Baseline;
use crate::sanitize::sanitize;

pub async fn save(global: &GlobalArgs) -> Result<Outcome, CommandError> {
    let (session, snapshot) = load_snapshot(global).await?;
    refuse_if_nothing_was_read(&snapshot)?;
    // A baseline missing a kind would report everything of it as new on the next run.
    for kind in [Kind::ConfigMap, Kind::Secret] {
        match snapshot.coverage.get(&kind) {
            Some(Coverage::Unknown { reason }) => {
                return Err(CommandError::Usage(format!(
                    "cannot save a baseline: {} could not be read ({}); check that this identity may list them",
                    kind.api().plural,
                    sanitize(reason)
                )));
            }
            Some(Coverage::Partial { unknown_namespaces }) => {
                let names: Vec<String> = unknown_namespaces
                    .keys()
                    .map(|n| sanitize(n).into_owned())
                    .collect();
                eprintln!(
                    "aigov: warning: {} could not be read in {}; the baseline leaves them out",
                    kind.api().plural,
                    names.join(", ")
                );
            }
            _ => {}
        }
    }
    let config = crate::config::load();
    config.print_warnings();
    let view = View::new(&snapshot, &config.rules);
    let baseline = Baseline::capture(&view, &jiff::Timestamp::now().to_string());
    // Recorded before it is saved: a baseline change the trail cannot hold is not made.
    let entry = crate::audit::Entry::new(crate::audit::EntryKind::BaselineChange).details(
        serde_json::json!({
            "server": baseline.server,
            "config_maps": baseline.config_maps.len(),
            "keys": baseline.key_count(),
            "secrets": baseline.secrets.len(),
        }),
    );
    let info = session.connection.audit_session("baseline save");
    crate::audit::AuditLog::open_default()
        .map(|log| crate::audit::Session::new(log, info))
        .and_then(|mut audit| {
            audit.append(entry)?;
            audit.finish()
        })
        .map_err(|e| {
            CommandError::Usage(format!(
                "the baseline was not saved: the audit log refused it ({e})"
            ))
        })?;
    let path = crate::baseline::save(&baseline).map_err(CommandError::Io)?;
    print(&format!(
        "saved the baseline for context {}: {} ConfigMap{} ({} key{}), {} Secret{}\n{}\n",
        sanitize(&baseline.context),
        baseline.config_maps.len(),
        plural(baseline.config_maps.len()),
        baseline.key_count(),
        plural(baseline.key_count()),
        baseline.secrets.len(),
        plural(baseline.secrets.len()),
        sanitize(&path.display().to_string())
    ));
    Ok(Outcome::Yes)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
