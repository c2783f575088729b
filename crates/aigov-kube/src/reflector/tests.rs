//! The reflector's loop against a scripted source: which versions it watches from, when it
//! lists, what it reports, and when it waits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use aigov_core::model::Meta;
use aigov_core::model::objects::Namespace;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// What one watch request does.
enum Watch {
    Refused(Error),
    /// Delivers these items, then the server ends the watch.
    Events(Vec<Result<Raw, Error>>),
    /// Says nothing, ever (a dead connection).
    Silent,
}

/// The source's answers, in order, and a log of what was asked (shared with the backoff).
#[derive(Clone, Default)]
struct Script {
    watches: Arc<Mutex<VecDeque<Watch>>>,
    pages: Arc<Mutex<VecDeque<Result<Page, Error>>>>,
    log: Arc<Mutex<Vec<String>>>,
}

/// The error the script answers once it runs out: the tests read up to it.
const END: &str = "end of script";

impl Script {
    fn watches(self, watches: Vec<Watch>) -> Self {
        *self.watches.lock().unwrap() = watches.into();
        self
    }

    fn pages(self, pages: Vec<Result<Page, Error>>) -> Self {
        *self.pages.lock().unwrap() = pages.into();
        self
    }

    fn note(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn transport(reason: &str) -> Error {
    Error::Transport {
        server: "https://sim".into(),
        reason: reason.into(),
    }
}

fn api(code: u16) -> Error {
    Error::Api {
        server: "https://sim".into(),
        code,
        message: "too old resource version".into(),
        retry_after_seconds: None,
    }
}

impl Source for Script {
    fn watch(&self, version: &str) -> BoxFuture<'static, Result<RawEvents, Error>> {
        self.note(format!("watch from {version}"));
        let next = self.watches.lock().unwrap().pop_front();
        let answer = match next {
            None => Err(transport(END)),
            Some(Watch::Refused(e)) => Err(e),
            Some(Watch::Events(items)) => Ok(futures::stream::iter(items).boxed()),
            Some(Watch::Silent) => Ok(futures::stream::pending().boxed()),
        };
        futures::future::ready(answer).boxed()
    }

    fn list(&self, continue_token: Option<String>) -> BoxFuture<'static, Result<Page, Error>> {
        self.note(format!(
            "list {}",
            continue_token.as_deref().unwrap_or("from the start")
        ));
        let next = self.pages.lock().unwrap().pop_front();
        futures::future::ready(next.unwrap_or_else(|| Err(transport(END)))).boxed()
    }

    fn no_version(&self) -> Error {
        transport("no version")
    }
}

/// No waiting, but every pause and reset is logged.
struct Logged(Script);

impl Iterator for Logged {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        self.0.note("back off".into());
        Some(Duration::ZERO)
    }
}

impl Backoff for Logged {
    fn reset(&mut self) {
        self.0.note("reset".into());
    }
}

fn namespace(name: &str, version: &str) -> Object {
    Object::Namespace(Namespace {
        meta: Meta {
            name: name.into(),
            resource_version: version.into(),
            ..Default::default()
        },
        ..Default::default()
    })
}

fn applied(name: &str, version: &str) -> Result<Raw, Error> {
    Ok(Raw::Applied(namespace(name, version), version.into()))
}

fn page(names: &[&str], next: Option<&str>, version: &str) -> Result<Page, Error> {
    Ok(Page {
        objects: names.iter().map(|n| namespace(n, "1")).collect(),
        continue_token: next.map(str::to_string),
        remaining: None,
        resource_version: Some(version.into()),
    })
}

fn describe(item: &Result<WatchEvent, Error>) -> String {
    match item {
        Ok(WatchEvent::ListStarted) => "list started".into(),
        Ok(WatchEvent::Listed(o)) => format!("listed {}", o.meta().name),
        Ok(WatchEvent::ListDone) => "list done".into(),
        Ok(WatchEvent::Applied(o)) => format!("applied {}", o.meta().name),
        Ok(WatchEvent::Deleted(o)) => format!("deleted {}", o.meta().name),
        Err(Error::Api { code, .. }) => format!("error {code}"),
        Err(Error::Transport { reason, .. }) if reason == END => "end".into(),
        Err(e) => format!("error: {e}"),
    }
}

/// Run the reflector on `script` from `version` until the script runs out.
async fn run(script: &Script, version: &str, idle: Duration) -> Vec<String> {
    let mut stream = reflect(
        script.clone(),
        version.into(),
        Box::new(Logged(script.clone())),
        idle,
    );
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let item = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("the script runs out within 10 s")
            .expect("the stream never ends");
        seen.push(describe(&item));
        if seen.last().map(String::as_str) == Some("end") {
            return seen;
        }
    }
}

fn watched_from(log: &[String]) -> Vec<&str> {
    log.iter()
        .filter_map(|l| l.strip_prefix("watch from "))
        .collect()
}

const IDLE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn it_starts_from_the_given_version_without_a_list_and_resumes_from_the_last_seen() {
    let script = Script::default().watches(vec![
        Watch::Events(vec![applied("a", "11"), Ok(Raw::Bookmark("15".into()))]),
        Watch::Events(vec![Ok(Raw::Deleted(namespace("a", "16"), "16".into()))]),
    ]);
    let seen = run(&script, "10", IDLE).await;
    assert_eq!(seen, ["applied a", "deleted a", "end"]);
    let log = script.log();
    assert_eq!(watched_from(&log), ["10", "15", "16"], "{log:?}");
    assert!(!log.iter().any(|l| l.starts_with("list")), "{log:?}");
}

#[tokio::test]
async fn a_410_lists_once_and_the_watch_goes_on_from_the_lists_version() {
    let script = Script::default()
        .watches(vec![
            Watch::Events(vec![applied("a", "11"), Err(api(410))]),
            Watch::Events(vec![applied("d", "21")]),
        ])
        .pages(vec![
            page(&["a", "b"], Some("c1"), "20"),
            page(&["c"], None, "20"),
        ]);
    let seen = run(&script, "10", IDLE).await;
    assert_eq!(
        seen,
        [
            "applied a",
            "error 410",
            "list started",
            "listed a",
            "listed b",
            "listed c",
            "list done",
            "applied d",
            "end"
        ]
    );
    let log = script.log();
    assert_eq!(watched_from(&log), ["10", "20", "21"], "{log:?}");
    assert_eq!(
        log.iter().filter(|l| l.starts_with("list")).count(),
        2,
        "one list of two pages: {log:?}"
    );
    assert_eq!(
        log.iter().filter(|l| *l == "back off").count(),
        1,
        "a 410 is no outage; only the end of the script waits: {log:?}"
    );
}

#[tokio::test]
async fn a_watch_refused_with_410_lists_too() {
    let script = Script::default()
        .watches(vec![Watch::Refused(api(410))])
        .pages(vec![page(&["a"], None, "30")]);
    let seen = run(&script, "10", IDLE).await;
    assert_eq!(
        seen,
        ["error 410", "list started", "listed a", "list done", "end"]
    );
    assert_eq!(watched_from(&script.log()), ["10", "30"]);
}

#[tokio::test]
async fn an_expired_continue_token_restarts_the_relist_and_its_version_wins() {
    let script = Script::default()
        .watches(vec![Watch::Refused(api(410))])
        .pages(vec![
            page(&["a"], Some("c1"), "20"),
            Err(api(410)),
            page(&["a", "b"], None, "25"),
        ]);
    let seen = run(&script, "10", IDLE).await;
    assert_eq!(
        seen,
        [
            "error 410",
            "list started",
            "listed a",
            "list started",
            "listed a",
            "listed b",
            "list done",
            "end"
        ]
    );
    assert_eq!(watched_from(&script.log()), ["10", "25"]);
}

#[tokio::test]
async fn a_relist_that_fails_part_way_starts_over_after_the_backoff() {
    let script = Script::default()
        .watches(vec![Watch::Refused(api(410))])
        .pages(vec![
            page(&["a"], Some("c1"), "20"),
            Err(transport("connection reset")),
            page(&["a", "b"], None, "30"),
        ]);
    let seen = run(&script, "10", IDLE).await;
    assert_eq!(
        seen,
        [
            "error 410",
            "list started",
            "listed a",
            "error: request to https://sim failed: connection reset",
            "list started",
            "listed a",
            "listed b",
            "list done",
            "end"
        ]
    );
    let log = script.log();
    let failed = log.iter().position(|l| l == "list c1").unwrap();
    assert_eq!(
        log[failed + 1..failed + 3],
        ["back off", "list from the start"],
        "{log:?}"
    );
    assert_eq!(watched_from(&log), ["10", "30"]);
}

#[tokio::test]
async fn errors_are_reported_and_retried_from_the_same_version_after_the_backoff() {
    let script = Script::default().watches(vec![
        Watch::Refused(transport("connection refused")),
        Watch::Events(vec![
            applied("a", "12"),
            Err(transport("connection reset")),
            applied("b", "13"),
        ]),
    ]);
    let seen = run(&script, "10", IDLE).await;
    assert_eq!(
        seen,
        [
            "error: request to https://sim failed: connection refused",
            "applied a",
            "error: request to https://sim failed: connection reset",
            "applied b",
            "end"
        ]
    );
    let log = script.log();
    assert_eq!(
        log[..4],
        ["watch from 10", "back off", "watch from 10", "reset"],
        "{log:?}"
    );
    assert_eq!(watched_from(&log), ["10", "10", "13"]);
}

#[tokio::test]
async fn a_watch_that_ends_at_once_empty_waits_before_the_next() {
    let script = Script::default().watches(vec![
        Watch::Events(Vec::new()),
        Watch::Events(vec![applied("a", "11")]),
        Watch::Events(vec![Ok(Raw::Bookmark("12".into()))]),
    ]);
    let seen = run(&script, "10", IDLE).await;
    assert_eq!(seen, ["applied a", "end"]);
    let log = script.log();
    assert_eq!(
        log[..6],
        [
            "watch from 10",
            "back off",
            "watch from 10",
            "reset",
            "watch from 11",
            "reset"
        ],
        "{log:?}"
    );
    // A watch with a bookmark in it was no failure: the next opens at once.
    assert_eq!(log[6], "watch from 12", "{log:?}");
}

#[tokio::test]
async fn a_silent_watch_is_opened_again_after_the_idle_timeout() {
    let script =
        Script::default().watches(vec![Watch::Silent, Watch::Events(vec![applied("a", "11")])]);
    let seen = run(&script, "10", Duration::from_millis(50)).await;
    assert_eq!(seen, ["applied a", "end"]);
    assert_eq!(watched_from(&script.log()), ["10", "10", "11"]);
}

#[tokio::test]
async fn without_a_version_it_lists_first() {
    let script = Script::default()
        .watches(vec![Watch::Events(vec![applied("b", "8")])])
        .pages(vec![page(&["a"], None, "7")]);
    let seen = run(&script, "", IDLE).await;
    assert_eq!(
        seen,
        ["list started", "listed a", "list done", "applied b", "end"]
    );
    assert_eq!(watched_from(&script.log()), ["7", "8"]);
}

#[tokio::test]
async fn a_list_without_a_version_is_reported_and_listed_again() {
    let mut unversioned = page(&["a"], None, "").unwrap();
    unversioned.resource_version = None;
    let script = Script::default()
        .watches(vec![Watch::Refused(api(410))])
        .pages(vec![Ok(unversioned), page(&["a"], None, "9")]);
    let seen = run(&script, "5", IDLE).await;
    assert_eq!(
        seen,
        [
            "error 410",
            "list started",
            "listed a",
            "list done",
            "error: request to https://sim failed: no version",
            "list started",
            "listed a",
            "list done",
            "end"
        ]
    );
    assert_eq!(watched_from(&script.log()), ["5", "9"]);
}
