//! The real binary in a real terminal: a detached tmux session on the tests' own tmux server,
//! its raw output recorded, keys sent and the screen read.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::serve::aigov_binary;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of the tests' own, so they neither see nor disturb the user's sessions.
const SOCKET: &str = "aigov-tests";

fn tmux_output(args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .args(["-L", SOCKET])
        .args(args)
        .output()
        .unwrap()
}

/// Run tmux on the tests' server: its stdout, whether or not it succeeded.
pub fn tmux(args: &[&str]) -> String {
    String::from_utf8_lossy(&tmux_output(args).stdout).into_owned()
}

/// [`tmux`], failing the test at once if tmux does not succeed.
pub fn tmux_ok(args: &[&str]) -> String {
    let out = tmux_output(args);
    assert!(
        out.status.success(),
        "tmux {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim_end()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub struct Session {
    pub name: String,
    pub dir: tempfile::TempDir,
}

impl Session {
    /// Start `aigov ARGS` in a detached 160x48 tmux session whose raw output is recorded.
    pub fn start(test: &str, args: &str) -> Option<Session> {
        Session::start_with_env(test, "", args)
    }

    /// [`Session::start`] with `ENV=value` assignments before the command.
    pub fn start_with_env(test: &str, env: &str, args: &str) -> Option<Session> {
        Session::start_prepared(test, env, args, |_| {})
    }

    /// [`Session::start_with_env`], after `prepare` has set up the session's directory (it is
    /// both the config and the data directory). Like [`super::serve::aigov_command`], the
    /// command gets no home, no `KUBECONFIG` and no `DOCKER_CONFIG`; the shell records its exit
    /// code ([`Session::status`]) and how long it ran ([`Session::elapsed`]).
    pub fn start_prepared(
        test: &str,
        env: &str,
        args: &str,
        prepare: impl FnOnce(&Path),
    ) -> Option<Session> {
        if !tmux_available() {
            eprintln!("SKIPPED {test}: tmux is not on PATH");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path());
        let name = format!("aigov-{test}-{}", std::process::id());
        let status = dir.path().join("status");
        let raw = dir.path().join("raw");
        let times = dir.path().join("times");
        // Start and end in ms since the epoch, written before the status so both are there
        // once the status is.
        let script = format!(
            "sleep 0.5; unset KUBECONFIG DOCKER_CONFIG; s=$(date +%s%3N); \
             {env} HOME=/nonexistent-home AIGOV_CONFIG_DIR={dir} AIGOV_DATA_DIR={dir} {bin} {args}; \
             c=$?; e=$(date +%s%3N); echo \"$s $e\" > {times}; echo $c > {status}; \
             stty -a | grep -q -- ' icanon' && echo TERMINAL-RESTORED; sleep 60",
            dir = dir.path().display(),
            bin = aigov_binary().display(),
            times = times.display(),
            status = status.display(),
        );
        tmux_ok(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "160",
            "-y",
            "48",
            &script,
        ]);
        // tmux holds an ESC for 500 ms by default to see whether a sequence follows, which
        // would turn `Escape` then `?` into Alt-?.
        tmux(&["set-option", "-s", "escape-time", "0"]);
        tmux_ok(&[
            "pipe-pane",
            "-t",
            &name,
            "-o",
            &format!("cat >> {}", raw.display()),
        ]);
        Some(Session { name, dir })
    }

    pub fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-t", &self.name])
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            tmux(&["send-keys", "-t", &self.name, k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn literal(&self, text: &str) {
        tmux(&["send-keys", "-t", &self.name, "-l", text]);
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Wait until the screen contains `text`, or fail with the screen.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; the screen is:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn status(&self) -> Option<i32> {
        let path: PathBuf = self.dir.path().join("status");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(code) = text.trim().parse()
            {
                return Some(code);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// How long the command ran, as the shell measured it; `None` until it has ended.
    pub fn elapsed(&self) -> Option<Duration> {
        let text = std::fs::read_to_string(self.dir.path().join("times")).ok()?;
        let (start, end) = text.trim().split_once(' ')?;
        let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
        Some(Duration::from_millis(end.checked_sub(start)?))
    }

    pub fn raw(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("raw")).unwrap_or_default()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.name]);
    }
}
