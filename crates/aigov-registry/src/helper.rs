//! Running a Docker credential helper: `docker-credential-<name> get`, started directly (never
//! through a shell), the server URL on stdin, JSON on stdout, within a deadline.

use super::credentials::Credentials;
use super::secret::Password;
use serde::Deserialize;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// A helper name that is a plain program-name suffix (no path, no shell syntax).
fn valid_helper_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Ask `docker-credential-<helper>` for `server`'s credentials. `Ok(Anonymous)` when the
/// helper has none for it. The error text never holds the helper's output.
pub async fn run_helper(
    helper: &str,
    server: &str,
    timeout: Duration,
) -> Result<Credentials, String> {
    if !valid_helper_name(helper) {
        return Err(format!(
            "credential helper name {helper:?} is not a plain name"
        ));
    }
    run_program(&format!("docker-credential-{helper}"), server, timeout).await
}

/// Run one helper program (looked up on PATH, or a path in the tests).
async fn run_program(
    program: &str,
    server: &str,
    timeout: Duration,
) -> Result<Credentials, String> {
    let mut child = tokio::process::Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .await
            .map_err(|e| format!("cannot talk to {program}: {e}"))?;
    }
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| format!("{program} did not answer within {} s", timeout.as_secs()))?
        .map_err(|e| format!("{program} failed: {e}"))?;
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        if stdout.contains("credentials not found") {
            return Ok(Credentials::Anonymous);
        }
        return Err(format!("{program} get exited with {}", output.status));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .map_err(|_| format!("{program} get did not print the expected JSON"))?;
    if answer.secret.is_empty() {
        return Ok(Credentials::Anonymous);
    }
    if answer.username == "<token>" {
        return Ok(Credentials::Bearer(Password::new(answer.secret)));
    }
    Ok(Credentials::Basic {
        username: answer.username,
        password: Password::new(answer.secret),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_names_with_paths_or_shell_syntax_are_refused() {
        assert!(valid_helper_name("desktop"));
        assert!(valid_helper_name("ecr-login"));
        assert!(!valid_helper_name("../evil"));
        assert!(!valid_helper_name("x; rm -rf /"));
        assert!(!valid_helper_name(""));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_helper_on_path_is_run_without_a_shell() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("docker-credential-aigovtest");
        std::fs::write(
            &script,
            "#!/bin/sh\nread server\necho \"{\\\"Username\\\":\\\"u-$server\\\",\\\"Secret\\\":\\\"pw\\\"}\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let program = script.display().to_string();
        let found = run_program(&program, "r.example", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(
            found,
            Credentials::Basic {
                username: "u-r.example".into(),
                password: Password::new("pw")
            }
        );
        let err = run_helper("aigov-no-such-helper", "r.example", Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(
            err.contains("docker-credential-aigov-no-such-helper"),
            "{err}"
        );
    }
}
