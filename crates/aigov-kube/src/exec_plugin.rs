//! Kubeconfig credential plugins (`exec`, and the `gcp` auth provider's `cmd-path`): found
//! before a client is built, run only with the operator's consent, never through a shell,
//! and with their stderr captured rather than painted over the console.

use aigov_state::consent::Program;
use kube::config::{ExecInteractiveMode, Kubeconfig};

pub const KIND: &str = "kubeconfig exec plugin";

/// The program the context's user runs for credentials, if any.
pub fn program_of(config: &Kubeconfig, context: &str, source: &str) -> Option<Program> {
    let auth = user_of(config, context)?;
    if let Some(exec) = &auth.exec {
        return Some(Program {
            kind: KIND.into(),
            command: exec.command.clone().unwrap_or_default(),
            args: exec.args.clone().unwrap_or_default(),
            source: source.into(),
        });
    }
    let provider = auth.auth_provider.as_ref()?;
    let command = provider.config.get("cmd-path")?;
    Some(Program {
        kind: KIND.into(),
        command: command.clone(),
        args: provider
            .config
            .get("cmd-args")
            .map(|a| a.split(' ').map(str::to_string).collect())
            .unwrap_or_default(),
        source: source.into(),
    })
}

/// Make the context's exec plugin non-interactive: kube then pipes its stdin and captures
/// its stderr, instead of handing it the terminal the console draws on.
pub fn capture_output(config: &mut Kubeconfig, context: &str) {
    let Some(user) = context_user(config, context) else {
        return;
    };
    for named in &mut config.auth_infos {
        if named.name == user
            && let Some(exec) = named.auth_info.as_mut().and_then(|a| a.exec.as_mut())
        {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
}

/// A plugin failure in one line: the command, its exit status and the last line it wrote to
/// stderr, sanitised. kube's own message would print the plugin's whole output, stdout too,
/// which may hold a credential.
pub fn describe_failure(error: &kube::Error) -> Option<String> {
    let kube::Error::Auth(auth) = error else {
        return None;
    };
    use kube::client::AuthError;
    match auth {
        AuthError::AuthExecRun { out, .. } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("(nothing on stderr)");
            let last: String = aigov_core::sanitize::sanitize(last.trim())
                .chars()
                .take(200)
                .collect();
            Some(format!(
                "the credential plugin failed ({}): {last}",
                out.status
            ))
        }
        AuthError::AuthExecStart(e) => Some(format!("the credential plugin could not start: {e}")),
        AuthError::AuthExecParse(_) => {
            Some("the credential plugin's output is not an ExecCredential".into())
        }
        AuthError::ExecPluginFailed => {
            Some("the credential plugin's answer has no status (no credential)".into())
        }
        _ => None,
    }
}

fn context_user(config: &Kubeconfig, context: &str) -> Option<String> {
    config
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .user
        .clone()
}

fn user_of<'a>(config: &'a Kubeconfig, context: &str) -> Option<&'a kube::config::AuthInfo> {
    let user = context_user(config, context)?;
    config
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: 'https://example.invalid:6443'}
users:
- name: plain
  user: {token: t}
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      interactiveMode: IfAvailable
- name: gke
  user:
    auth-provider:
      name: gcp
      config: {cmd-path: /usr/bin/gcloud, cmd-args: config config-helper}
contexts:
- name: plain
  context: {cluster: c, user: plain}
- name: eks
  context: {cluster: c, user: eks}
- name: gke
  context: {cluster: c, user: gke}
current-context: plain
";

    #[test]
    fn exec_and_gcp_command_users_need_a_program_token_users_do_not() {
        let config = Kubeconfig::from_yaml(CONFIG).unwrap();
        assert_eq!(program_of(&config, "plain", "/k"), None);
        let eks = program_of(&config, "eks", "/k").unwrap();
        assert_eq!(eks.command, "aws");
        assert_eq!(eks.args, ["eks", "get-token", "--cluster-name", "prod"]);
        assert_eq!(eks.source, "/k");
        let gke = program_of(&config, "gke", "/k").unwrap();
        assert_eq!(gke.command, "/usr/bin/gcloud");
        assert_eq!(gke.args, ["config", "config-helper"]);
    }

    #[test]
    fn capture_output_makes_only_the_contexts_plugin_non_interactive() {
        let mut config = Kubeconfig::from_yaml(CONFIG).unwrap();
        capture_output(&mut config, "eks");
        let exec = config.auth_infos[1]
            .auth_info
            .as_ref()
            .unwrap()
            .exec
            .as_ref()
            .unwrap();
        assert_eq!(exec.interactive_mode, Some(ExecInteractiveMode::Never));
    }
}
