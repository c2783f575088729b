//! `aigov plan ...`: the headless remediation flow on the current context's staged plan.
//! `stage` plans the fix of findings by key, `show` lists the plan, `review` dry-runs it,
//! `apply --reason TEXT --yes` applies it through review and the audit trail and then
//! re-evaluates, `revert ID` stages an applied change's inverse, `export FILE` writes YAML.

use super::{Outcome, print};
use crate::cli::PlanCommand;
use crate::engine::Error;
use crate::engine::analysis::{analyse, analyse_with_registry};
use crate::engine::session::{self, Session};
use crate::settings::Settings;
use aigov_audit::{AuditLog, Entry, EntryKind, Session as AuditSession};
use aigov_core::rules::FindingKey;
use aigov_core::sanitize::sanitize;
use aigov_kube::write::Writer;
use aigov_remediation::apply::{Actor, Applied, Landed, apply};
use aigov_remediation::plan::{self, Plan, Status};
use aigov_remediation::review::{Reviewed, review};
use aigov_remediation::{Proposal, propose_to_stage};
use std::path::PathBuf;

pub async fn run(settings: &Settings, command: &PlanCommand) -> Result<Outcome, Error> {
    match command {
        PlanCommand::Stage { keys } => stage(settings, keys).await,
        PlanCommand::Show => show(settings).await,
        PlanCommand::Review => review_all(settings).await,
        PlanCommand::Apply { reason, yes, plan } => {
            apply_all(settings, reason, *yes, plan.as_deref()).await
        }
        PlanCommand::Revert { id } => revert(settings, id).await,
        PlanCommand::Export { file } => export(settings, file).await,
    }
}

fn plans_dir() -> Result<PathBuf, Error> {
    plan::dir().ok_or_else(|| {
        Error::Usage("cannot determine a data directory for the plan; set AIGOV_DATA_DIR".into())
    })
}

fn load(session: &Session) -> Result<(PathBuf, Plan), Error> {
    let dir = plans_dir()?;
    let c = &session.connection;
    let plan = plan::load_in(&dir, &c.context, &c.server).map_err(Error::Usage)?;
    Ok((dir, plan))
}

fn save(dir: &std::path::Path, plan: &Plan) -> Result<(), Error> {
    plan::save_in(dir, plan).map(|_| ()).map_err(Error::Io)
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// This command's audit session on `session`'s connection: its entries are framed by
/// `session_start` and `session_end`.
fn audit(session: &Session, command: &str) -> Result<AuditSession, Error> {
    let log = AuditLog::open_default().map_err(audit_error)?;
    Ok(AuditSession::new(
        log,
        crate::engine::session::audit_session(&session.connection, command),
    ))
}

fn audit_error(e: aigov_audit::Error) -> Error {
    Error::Usage(e.to_string())
}

/// Close the audit session; the log's head, for the operator to keep.
fn close(audit: AuditSession) -> Result<aigov_audit::Head, Error> {
    audit
        .finish()
        .map(|log| log.head().clone())
        .map_err(audit_error)
}

async fn stage(settings: &Settings, keys: &[String]) -> Result<Outcome, Error> {
    // With the registries asked (unless --offline), so a pin can use the tag's digest.
    let (session, snapshot, evaluation, _) = analyse_with_registry(settings).await?;
    let (dir, mut plan) = load(&session)?;
    let baseline =
        aigov_state::baseline::load_for(&session.connection.context).map_err(Error::Io)?;
    let mut audit = audit(&session, "plan stage")?;
    let mut out = String::new();
    let mut staged = 0;
    // The view the findings were judged on: the user's settings, so the same facts.
    let view = evaluation.view_of(&snapshot);
    for key in keys {
        let Some(finding) = evaluation.findings.iter().find(|f| f.key() == *key) else {
            let why = match key.parse::<FindingKey>() {
                Ok(_) => {
                    "it may be fixed already; `aigov audit --format json` lists the current keys"
                        .to_string()
                }
                Err(e) => e.to_string(),
            };
            return Err(Error::Usage(format!(
                "no finding {} on context {} ({why})",
                sanitize(key),
                sanitize(&session.connection.context)
            )));
        };
        match propose_to_stage(finding, &view, baseline.as_ref()) {
            Proposal::Change { changes, .. } => {
                for change in changes {
                    staged += 1;
                    let description = change.description.clone();
                    let id = plan.stage(change, &now());
                    let entry = Entry::new(EntryKind::Stage).details(
                        serde_json::json!({"id": id, "finding": key, "description": description}),
                    );
                    audit.append(entry).map_err(audit_error)?;
                    out.push_str(&format!("staged {id}: {}\n", sanitize(&description)));
                }
            }
            Proposal::Guidance(text) => out.push_str(&format!(
                "not staged: {} has no automatic fix: {}\n",
                sanitize(key),
                sanitize(&text)
            )),
            Proposal::NotApplicable(why) => out.push_str(&format!(
                "not staged: {}: {}\n",
                sanitize(key),
                sanitize(&why)
            )),
        }
    }
    save(&dir, &plan)?;
    close(audit)?;
    print(&out);
    if staged == 0 {
        // Nothing was staged: a script must not go on to review and apply nothing.
        return Ok(Outcome::No);
    }
    Ok(Outcome::Yes)
}

fn status_text(status: &Status) -> String {
    match status {
        Status::Staged => "staged".into(),
        Status::Applied {
            verified, remains, ..
        } => match (verified, remains) {
            (Some(true), _) => "applied and verified".into(),
            (Some(false), Some(why)) => format!("applied, finding remains: {}", sanitize(why)),
            (Some(false), None) => "applied, finding remains".into(),
            (None, _) => "applied".into(),
        },
        Status::Failed { reason } => format!("not applied: {}", sanitize(reason)),
    }
}

async fn show(settings: &Settings) -> Result<Outcome, Error> {
    let session = session::open(settings).await?;
    let (_, plan) = load(&session)?;
    if plan.changes.is_empty() {
        print("the plan is empty: stage a fix with `aigov plan stage FINDING_KEY`\n");
        return Ok(Outcome::Yes);
    }
    let mut out = String::new();
    for s in &plan.changes {
        out.push_str(&format!(
            "{}  {}  {}\n",
            s.id,
            status_text(&s.status),
            sanitize(&s.change.description)
        ));
    }
    print(&out);
    Ok(Outcome::Yes)
}

fn writer(session: &Session) -> Result<Writer, Error> {
    Writer::new(&session.connection).map_err(|e| Error::Usage(e.to_string()))
}

async fn review_all(settings: &Settings) -> Result<Outcome, Error> {
    let session = session::open(settings).await?;
    let (_, plan) = load(&session)?;
    let writer = writer(&session)?;
    let mut audit = audit(&session, "plan review")?;
    let actor = Actor::of(audit.info());
    let mut out = String::new();
    let mut blocked = false;
    for id in plan.pending() {
        let Some(staged) = plan.get(&id) else {
            continue;
        };
        let reviewed = review(&writer, &staged.change).await;
        audit
            .append(aigov_remediation::apply::dry_run_entry(&actor, &reviewed))
            .map_err(audit_error)?;
        blocked |= describe_review(&mut out, &id, &staged.change.description, &reviewed);
    }
    close(audit)?;
    print(&out);
    Ok(if blocked { Outcome::No } else { Outcome::Yes })
}

/// The review of change `id` as text: warnings, then the diff or why it is blocked. Returns
/// whether it is blocked.
fn describe_review(out: &mut String, id: &str, description: &str, reviewed: &Reviewed) -> bool {
    out.push_str(&format!("{id}: {}\n", sanitize(description)));
    if let Some((staged, now)) = reviewed.changed_since_staged() {
        out.push_str(&format!(
            "  note: the object changed since this was staged (resourceVersion {} -> {}); the diff is against it as it is now\n",
            sanitize(&staged),
            sanitize(&now)
        ));
    }
    for warning in reviewed.warnings() {
        out.push_str(&format!("  warning: {}\n", sanitize(warning)));
    }
    match reviewed.blocked() {
        Some(why) => {
            out.push_str(&format!("  BLOCKED: {}\n", sanitize(&why)));
            true
        }
        None => {
            for line in &reviewed.diff {
                out.push_str(&format!("  {}\n", line.text()));
            }
            false
        }
    }
}

/// The ids to apply: the plan's pending changes, or those of an exported plan file, staged
/// into the context's plan first (a change already staged is not added twice).
fn to_apply(
    plan: &mut Plan,
    file: Option<&std::path::Path>,
    session: &Session,
    audit: &mut AuditSession,
) -> Result<Vec<String>, Error> {
    let Some(file) = file else {
        return Ok(plan.pending());
    };
    let shown = sanitize(&file.display().to_string()).into_owned();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Usage(format!("cannot read the plan {shown}: {e}")))?;
    let exported = Plan::parse(&text, &shown).map_err(Error::Usage)?;
    let c = &session.connection;
    exported
        .check_target(&c.context, &c.server)
        .map_err(Error::Usage)?;
    let mut ids = Vec::new();
    for staged in exported.changes {
        if staged.status == Status::Staged || matches!(staged.status, Status::Failed { .. }) {
            let (finding, description) = (
                staged.change.finding_key.clone(),
                staged.change.description.clone(),
            );
            let id = plan.stage(staged.change, &now());
            audit
                .append(Entry::new(EntryKind::Stage).details(serde_json::json!({
                    "id": id, "finding": finding, "description": description,
                    "from": file.display().to_string(),
                })))
                .map_err(audit_error)?;
            ids.push(id);
        }
    }
    Ok(ids)
}

async fn apply_all(
    settings: &Settings,
    reason: &str,
    yes: bool,
    file: Option<&std::path::Path>,
) -> Result<Outcome, Error> {
    if !yes {
        return Err(Error::Usage(
            "refusing to apply without --yes: this command does not prompt; review with `aigov plan review` first".into(),
        ));
    }
    if reason.trim().chars().count() < aigov_remediation::apply::MIN_JUSTIFICATION {
        return Err(Error::Usage(
            "--reason must say why in at least 10 characters".into(),
        ));
    }
    let session = session::open(settings).await?;
    let (dir, mut plan) = load(&session)?;
    let writer = writer(&session)?;
    let mut audit = audit(&session, "plan apply")?;
    let actor = Actor::of(audit.info());
    let mut out = String::new();
    let mut all_ok = true;
    let mut applied_now = Vec::new();
    for id in to_apply(&mut plan, file, &session, &mut audit)? {
        let Some(staged) = plan.get(&id).cloned() else {
            continue;
        };
        let reviewed = review(&writer, &staged.change).await;
        audit
            .append(aigov_remediation::apply::dry_run_entry(&actor, &reviewed))
            .map_err(audit_error)?;
        let applied = apply(
            &writer,
            audit.log().map_err(audit_error)?,
            &actor,
            &reviewed,
            reason,
        )
        .await;
        if let Ok(report) = &applied {
            audit.count(if report.result_not_recorded.is_none() {
                2
            } else {
                1
            });
        }
        let conflict = matches!(
            &applied,
            Ok(report) if matches!(report.applied, Applied::Conflict { .. })
        );
        let status = match applied {
            Ok(report) => {
                if matches!(
                    report.applied,
                    Applied::Done { .. }
                        | Applied::Unknown {
                            landed: Landed::Yes,
                            ..
                        }
                ) {
                    applied_now.push(id.clone());
                }
                plan::status_after(&report, &now())
            }
            Err(aigov_remediation::apply::ApplyError::Justification) => {
                return Err(Error::Usage(
                    "--reason must say why in at least 10 characters".into(),
                ));
            }
            Err(e) => Status::Failed {
                reason: e.to_string(),
            },
        };
        if conflict {
            // Never retried, never forced: read the object again, dry-run the change against
            // it, and show the result; it stays pending for the operator to apply again.
            let again = review(&writer, &staged.change).await;
            audit
                .append(aigov_remediation::apply::dry_run_entry(&actor, &again))
                .map_err(audit_error)?;
            out.push_str(&format!(
                "{id}: the object changed since it was reviewed; nothing was written. The review against the object as it is now:\n"
            ));
            describe_review(&mut out, &id, &staged.change.description, &again);
            out.push_str(&format!(
                "{id}: still pending: check the diff above and apply again\n"
            ));
        }
        if let Some(s) = plan.get_mut(&id) {
            s.status = status;
        }
        // Saved after every change, so an interrupted apply leaves the plan accurate.
        save(&dir, &plan)?;
    }
    // Verify: re-read everything and re-evaluate the rules.
    if !applied_now.is_empty() {
        let (_, _, evaluation) = analyse(settings).await?;
        if plan.verify(&evaluation.findings) {
            save(&dir, &plan)?;
        }
    }
    for s in &plan.changes {
        if !matches!(
            s.status,
            Status::Applied {
                verified: Some(true),
                ..
            }
        ) {
            all_ok = false;
        }
        out.push_str(&format!(
            "{}  {}  {}\n",
            s.id,
            status_text(&s.status),
            sanitize(&s.change.description)
        ));
    }
    let head = close(audit)?;
    out.push_str(&format!(
        "audit log {head}: keep it to detect a truncated log later\n"
    ));
    print(&out);
    Ok(if all_ok { Outcome::Yes } else { Outcome::No })
}

async fn revert(settings: &Settings, id: &str) -> Result<Outcome, Error> {
    let session = session::open(settings).await?;
    let (dir, mut plan) = load(&session)?;
    let Some(staged) = plan.get(id) else {
        return Err(Error::Usage(format!(
            "no change {} in the plan",
            sanitize(id)
        )));
    };
    if !matches!(staged.status, Status::Applied { .. }) {
        return Err(Error::Usage(format!(
            "change {id} was not applied; there is nothing to revert"
        )));
    }
    let inverse = staged.change.inverse();
    let description = inverse.description.clone();
    let finding = inverse.finding_key.clone();
    let new_id = plan.stage(inverse, &now());
    let mut audit = audit(&session, "plan revert")?;
    audit
        .append(Entry::new(EntryKind::Stage).details(serde_json::json!({
            "id": new_id, "finding": finding, "description": description, "reverts": id,
        })))
        .map_err(audit_error)?;
    save(&dir, &plan)?;
    close(audit)?;
    print(&format!(
        "staged {new_id}: {} (review and apply it like any change)\n",
        sanitize(&description)
    ));
    Ok(Outcome::Yes)
}

async fn export(settings: &Settings, file: &std::path::Path) -> Result<Outcome, Error> {
    let session = session::open(settings).await?;
    let (_, plan) = load(&session)?;
    let yaml = plan.to_yaml().map_err(Error::Io)?;
    aigov_state::state_file::write_file_atomic(file, yaml.as_bytes()).map_err(Error::Io)?;
    let entry = Entry::new(EntryKind::Export).details(
        serde_json::json!({"file": file.display().to_string(), "changes": plan.changes.len()}),
    );
    let mut audit = audit(&session, "plan export")?;
    audit.append(entry).map_err(audit_error)?;
    close(audit)?;
    print(&format!(
        "wrote the plan ({} changes) to {}\n",
        plan.changes.len(),
        sanitize(&file.display().to_string())
    ));
    Ok(Outcome::Yes)
}
