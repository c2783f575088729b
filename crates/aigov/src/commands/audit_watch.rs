//! `aigov audit --watch`: the audit, then, until Ctrl-C or SIGTERM, every finding that
//! appears, resolves or changes as the cluster changes. Watch events come from the engine's
//! live feed (the console's own); each batch goes through the incremental evaluator, which
//! judges only what the changed objects can affect, and the difference is printed at once: a
//! line of text per finding, or one JSON line (`--format jsonl`, see `report::watch`).
//!
//! A lost watch is said (a `disconnected` line, and on stderr) and the feed resumes; since a
//! finding is printed only when the findings differ from the last ones printed, a resumed or
//! re-listed watch never replays findings as new.

use super::audit::{self, check_namespaces};
use super::{Outcome, print_checked};
use crate::cli::AuditArgs;
use crate::engine::Error;
use crate::engine::analysis::{Loaded, inputs, load_inputs, refuse_if_nothing_was_read};
use crate::engine::live::{Feed, Update};
use crate::report::AuditFormat;
use crate::report::findings::{self, FindingOut};
use crate::report::watch::{self, Change, Seen};
use crate::settings::Settings;
use aigov_core::rules::incremental::{Delta, Incremental};
use clap::ValueEnum;

use std::time::{Duration, Instant};

pub async fn run(settings: &Settings, args: &AuditArgs) -> Result<Outcome, Error> {
    let jsonl = match args.filter.format {
        AuditFormat::Jsonl => true,
        AuditFormat::Table => false,
        other => {
            let name = other.to_possible_value().map(|v| v.get_name().to_string());
            return Err(Error::Usage(format!(
                "--watch prints a table or --format jsonl; {} is a document, not a stream",
                name.unwrap_or_default()
            )));
        }
    };
    let Loaded {
        session,
        snapshot,
        gathered,
        baseline,
    } = load_inputs(settings, true).await?;
    refuse_if_nothing_was_read(&snapshot)?;
    check_namespaces(&snapshot, &args.namespaces)?;
    let started = Instant::now();
    let inputs = inputs(settings, baseline.as_ref(), gathered.as_ref());
    let mut live = Incremental::new(snapshot, inputs);
    let evaluated_in = started.elapsed();

    let report = audit::report(live.snapshot(), &live.evaluation(), args);
    let start = if jsonl {
        watch::existing_lines(&report)
    } else {
        findings::render(&report, AuditFormat::Table, settings.color_stdout())
    };
    if !print_checked(&start) {
        return Ok(Outcome::Yes);
    }
    let mut feed = Feed::start(
        &session.options,
        &session.connection,
        live.snapshot(),
        Duration::ZERO,
    )
    .await?;

    let out = Stream { jsonl, args };
    let synced = watch::synced_line(&report, Some(evaluated_in.as_millis()));
    let mut terminate = terminate_signal()?;
    loop {
        let update = tokio::select! {
            update = feed.next(live.snapshot(), false) => update,
            _ = tokio::signal::ctrl_c() => {
                out.stopped("interrupt");
                break;
            }
            _ = terminate.recv() => {
                out.stopped("terminate");
                break;
            }
        };
        let written = match update {
            Some(Update::Changes(batch)) => {
                let delta = live.apply(batch.changes);
                out.delta(&delta, &Seen::new(batch.resource_version, batch.seen_at))
            }
            Some(Update::Disconnected {
                error,
                until_reload,
            }) => out.disconnected(&error, until_reload),
            Some(Update::Reconnected) => out.reconnected(),
            Some(Update::Synced) if jsonl => print_checked(&synced),
            Some(Update::Synced) => {
                eprintln!("aigov: watching for changes; Ctrl-C stops");
                true
            }
            None => {
                out.stopped("nothing is left to watch");
                break;
            }
        };
        if !written {
            // The reader went away (`| head`): there is nobody to tell.
            break;
        }
    }
    Ok(Outcome::Yes)
}

fn terminate_signal() -> Result<tokio::signal::unix::Signal, Error> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::terminate())
        .map_err(|e| Error::Io(format!("cannot listen for SIGTERM: {e}")))
}

/// Where the stream goes, and which findings it shows.
struct Stream<'a> {
    jsonl: bool,
    args: &'a AuditArgs,
}

impl Stream<'_> {
    /// Print what a batch changed; false when stdout is closed.
    fn delta(&self, delta: &Delta, seen: &Seen) -> bool {
        let changes = (delta.added.iter().map(|f| (Change::New, f)))
            .chain(delta.resolved.iter().map(|f| (Change::Resolved, f)))
            .chain(delta.changed.iter().map(|f| (Change::Changed, f)));
        let mut text = String::new();
        for (change, finding) in
            changes.filter(|(_, f)| audit::shows(f, &self.args.filter, &self.args.namespaces))
        {
            let finding = FindingOut::of(finding);
            if self.jsonl {
                text.push_str(&watch::change_line(change, &finding, seen));
            } else {
                text.push_str(&watch::change_text(change, &finding, seen));
            }
        }
        text.is_empty() || print_checked(&text)
    }

    fn disconnected(&self, error: &str, until_reload: bool) -> bool {
        eprintln!(
            "aigov: {}; {}",
            aigov_core::sanitize::sanitize(error),
            if until_reload {
                "those objects stay as last seen until aigov is started again"
            } else {
                "the findings stay as last seen, and the watch resumes when the cluster answers"
            }
        );
        !self.jsonl || print_checked(&watch::disconnected_line(error, until_reload, &now()))
    }

    fn reconnected(&self) -> bool {
        eprintln!("aigov: the watch is back");
        !self.jsonl || print_checked(&watch::reconnected_line(&now()))
    }

    fn stopped(&self, reason: &str) {
        if self.jsonl {
            print_checked(&watch::stopped_line(reason, &now()));
        } else {
            eprintln!("aigov: stopped ({reason})");
        }
    }
}

fn now() -> String {
    watch::timestamp(jiff::Timestamp::now())
}
