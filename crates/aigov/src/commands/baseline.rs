//! `aigov baseline save`: record the approved configuration of the current context (content
//! hashes and non-secret values of the ConfigMaps AI workloads use, resourceVersions of their
//! Secrets). `aigov baseline accept KEY...`: accept drift findings' objects as they are now.

use super::{Outcome, print};
use crate::engine::Error;
use crate::engine::analysis::refuse_if_nothing_was_read;
use crate::engine::analysis::{analyse, load_snapshot};
use crate::settings::Settings;
use aigov_core::model::{Coverage, Kind};
use aigov_core::rules::View;
use aigov_core::rules::config::Baseline;
use aigov_core::sanitize::sanitize;

pub async fn save(settings: &Settings) -> Result<Outcome, Error> {
    let (session, snapshot) = load_snapshot(settings).await?;
    refuse_if_nothing_was_read(&snapshot)?;
    // A baseline missing a kind would report everything of it as new on the next run.
    for kind in [Kind::ConfigMap, Kind::Secret] {
        match snapshot.coverage.get(&kind) {
            Some(Coverage::Unknown { reason }) => {
                return Err(Error::Usage(format!(
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
    let view = View::new(&snapshot, &settings.rules);
    let baseline = Baseline::capture(&view, &jiff::Timestamp::now().to_string());
    // Recorded before it is saved: a baseline change the trail cannot hold is not made.
    let entry = aigov_audit::Entry::new(aigov_audit::EntryKind::BaselineChange).details(
        serde_json::json!({
            "server": baseline.server,
            "config_maps": baseline.config_maps.len(),
            "keys": baseline.key_count(),
            "secrets": baseline.secrets.len(),
        }),
    );
    crate::engine::session::record_first(&session.connection, "baseline save", vec![entry])
        .map_err(|e| {
            Error::Usage(format!(
                "the baseline was not saved: the audit log refused it ({e})"
            ))
        })?;
    let path = aigov_state::baseline::save(&baseline).map_err(Error::Io)?;
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

/// Accept the current state of the objects of drift findings into the saved baseline. Every
/// acceptance is recorded in the audit trail before the baseline is replaced.
pub async fn accept(settings: &Settings, keys: &[String]) -> Result<Outcome, Error> {
    let (session, snapshot, evaluation) = analyse(settings).await?;
    let context = &session.connection.context;
    let Some(mut baseline) = aigov_state::baseline::load_for(context).map_err(Error::Io)? else {
        return Err(Error::Usage(format!(
            "no baseline is saved for context {}: save one with `aigov baseline save`",
            sanitize(context)
        )));
    };
    let view = View::new(&snapshot, &settings.rules);
    let mut entries = Vec::new();
    for key in keys {
        let Some(finding) = evaluation.findings.iter().find(|f| f.key() == *key) else {
            return Err(Error::Usage(format!(
                "no finding {} on context {} (keys as `aigov audit --format json` prints them)",
                sanitize(key),
                sanitize(context)
            )));
        };
        let (accepted, entry) = aigov_remediation::accept_into(&baseline, finding, &view)
            .map_err(|e| Error::Usage(sanitize(&e).into_owned()))?;
        baseline = accepted;
        entries.push(entry);
    }
    baseline.saved_at = jiff::Timestamp::now().to_string();
    crate::engine::session::record_first(&session.connection, "baseline accept", entries).map_err(
        |e| {
            Error::Usage(format!(
                "the baseline was not changed: the audit log refused it ({e})"
            ))
        },
    )?;
    let path = aigov_state::baseline::save(&baseline).map_err(Error::Io)?;
    print(&format!(
        "accepted {} finding{} into the baseline for context {}\n{}\n",
        keys.len(),
        plural(keys.len()),
        sanitize(context),
        sanitize(&path.display().to_string())
    ));
    Ok(Outcome::Yes)
}
