//! `aigov sim serve` as a child process, for tests that drive real binaries against it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct ServedSim {
    child: Child,
    pub url: String,
    pub kubeconfig: PathBuf,
    pub dir: tempfile::TempDir,
}

pub fn aigov_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_aigov"))
}

/// Start `aigov sim serve` with extra arguments and wait until it listens.
pub fn serve(extra: &[&str]) -> ServedSim {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut child = Command::new(aigov_binary())
        .args(["sim", "serve", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("aigov sim serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").unwrap();
    let url = first
        .strip_prefix("listening on ")
        .expect("prints `listening on URL`")
        .to_string();
    // Drain the rest in the background so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    ServedSim {
        child,
        url,
        kubeconfig,
        dir,
    }
}

impl Drop for ServedSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real binary, isolated from the machine it runs on: `data` is its data directory and
/// `data/config` its config directory (so no `config.toml` of the developer's applies), with
/// no home, no `KUBECONFIG` and no `DOCKER_CONFIG`.
pub fn aigov_command(data: &Path) -> Command {
    let mut command = Command::new(aigov_binary());
    command
        .env_remove("KUBECONFIG")
        .env_remove("DOCKER_CONFIG")
        .env("HOME", "/nonexistent-home")
        .env("AIGOV_DATA_DIR", data)
        .env("AIGOV_CONFIG_DIR", data.join("config"));
    command
}

/// Run [`aigov_command`] with `args`: (exit code, stdout, stderr).
pub fn run_aigov(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::from_std(aigov_command(data))
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
