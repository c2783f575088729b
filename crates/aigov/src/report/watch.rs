//! The finding stream of `aigov audit --watch`: JSON lines (`--format jsonl`), or one line of
//! text per event for a person. `aigov audit --format jsonl` without `--watch` prints the
//! stream's first part only: the findings that exist, then `synced`.
//!
//! Every JSON line is one object with `schema_version` and `event`:
//! - `existing` (`finding`): a finding at the start;
//! - `synced` (`findings`, `hidden`, `complete`, `unreadable`, `context`, `evaluated_in_ms`):
//!   the start is complete;
//! - `new`, `resolved`, `changed` (`finding`, `resource_version`, `seen_at`): a change, with the
//!   resourceVersion of the newest watch event that led to it and when aigov saw that event;
//!   `resolved` carries the finding as it was last reported;
//! - `disconnected` (`reason`, `until_reload`), `reconnected`: the watch was lost (the stream
//!   resumes, never replaying findings as new) or is back;
//! - `stopped` (`reason`): the last line.

use super::findings::{FindingOut, Report, SCHEMA_VERSION};
use aigov_core::sanitize::sanitize;
use serde_json::{Value, json};

/// What a finding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    Resolved,
    Changed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Resolved => "resolved",
            Change::Changed => "changed",
        }
    }
}

/// Where a change came from: the watch event's resourceVersion and when aigov saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub resource_version: Option<String>,
    /// RFC 3339 with milliseconds.
    pub at: String,
}

impl Seen {
    pub fn new(resource_version: Option<String>, at: jiff::Timestamp) -> Self {
        Seen {
            resource_version,
            at: timestamp(at),
        }
    }
}

/// An RFC 3339 time with milliseconds, in UTC.
pub fn timestamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn line(mut object: Value) -> String {
    object["schema_version"] = json!(SCHEMA_VERSION);
    let mut text = object.to_string();
    text.push('\n');
    text
}

/// The stream's first part: each finding of `report` as `existing`, then `synced`.
pub fn start_lines(report: &Report, evaluated_in_ms: Option<u128>) -> String {
    existing_lines(report) + &synced_line(report, evaluated_in_ms)
}

/// Each finding of `report` as `existing`.
pub fn existing_lines(report: &Report) -> String {
    report
        .findings
        .iter()
        .map(|finding| line(json!({"event": "existing", "finding": finding})))
        .collect()
}

/// `synced`: the start is complete (with `--watch`, every watch is under way), with what
/// could not be read (`complete` is false then: unknown is not clean) and, when known, how
/// long the full evaluation took.
pub fn synced_line(report: &Report, evaluated_in_ms: Option<u128>) -> String {
    line(json!({
        "event": "synced",
        "findings": report.findings.len(),
        "hidden": report.summary.hidden,
        "complete": report.summary.complete,
        "unreadable": report.unreadable,
        "context": report.context,
        "evaluated_in_ms": evaluated_in_ms,
    }))
}

/// One finding that appeared, resolved or changed.
pub fn change_line(change: Change, finding: &FindingOut, seen: &Seen) -> String {
    line(json!({
        "event": change.name(),
        "finding": finding,
        "resource_version": seen.resource_version,
        "seen_at": seen.at,
    }))
}

/// The watch was lost; `reason` is cluster text and is sanitised.
pub fn disconnected_line(reason: &str, until_reload: bool, at: &str) -> String {
    line(json!({
        "event": "disconnected",
        "reason": sanitize(reason),
        "until_reload": until_reload,
        "seen_at": at,
    }))
}

pub fn reconnected_line(at: &str) -> String {
    line(json!({"event": "reconnected", "seen_at": at}))
}

pub fn stopped_line(reason: &str, at: &str) -> String {
    line(json!({"event": "stopped", "reason": reason, "seen_at": at}))
}

/// A change for a person: `12:00:01.234 new      high      AIGOV-IMG-001  Pod/ml/x container/c  title`.
pub fn change_text(change: Change, finding: &FindingOut, seen: &Seen) -> String {
    let time = seen.at.get(11..23).unwrap_or(&seen.at);
    format!(
        "{time} {:<8} {:<8} {}  {}  {}\n",
        change.name(),
        finding.severity.name(),
        finding.rule,
        finding.object,
        finding.title
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::rules::{Place, permissions};

    fn finding() -> FindingOut {
        let object =
            aigov_core::rules::ObjectRef::new("Pod", "ml", "x\u{1b}[2J").at(Place::container("c"));
        FindingOut::of(&permissions::SECRETS_READ.finding(object, "title\u{7}"))
    }

    #[test]
    fn every_line_is_one_json_object_with_its_event_and_the_schema_version() {
        let seen = Seen::new(Some("42".into()), jiff::Timestamp::UNIX_EPOCH);
        let lines = [
            change_line(Change::New, &finding(), &seen),
            disconnected_line("watch \u{1b}]8;;x\u{7} failed\nagain", false, &seen.at),
            reconnected_line(&seen.at),
            stopped_line("interrupt", &seen.at),
        ];
        for text in &lines {
            assert!(
                text.ends_with('\n') && text.matches('\n').count() == 1,
                "{text:?}"
            );
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(value["schema_version"], SCHEMA_VERSION);
            assert!(
                !text.contains('\u{1b}') && !text.contains("\\u001b"),
                "cluster text is sanitised: {text}"
            );
        }
        let new: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(new["event"], "new");
        assert_eq!(new["resource_version"], "42");
        assert_eq!(new["seen_at"], "1970-01-01T00:00:00.000Z");
        assert_eq!(new["finding"]["rule"], "AIGOV-RBAC-001");
        assert_eq!(new["finding"]["object"]["path"], "container/c");
    }

    #[test]
    fn the_text_line_names_the_change_severity_rule_object_and_title() {
        let seen = Seen::new(None, jiff::Timestamp::UNIX_EPOCH);
        let text = change_text(Change::Resolved, &finding(), &seen);
        assert!(text.starts_with("00:00:00.000 resolved "), "{text}");
        assert!(
            text.contains("AIGOV-RBAC-001") && text.contains(" container/c "),
            "{text}"
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }
}
