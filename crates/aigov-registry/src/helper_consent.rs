//! Docker credential helpers under the same consent rule as kubeconfig exec plugins: the
//! program (`docker-credential-<name> get`, named by the Docker config) runs only when the
//! consent store holds it, the operator agrees at the terminal, or `--allow-exec` is given.

use super::credentials::HelperConsent;
use super::options::RegistryOptions;
use aigov_state::consent::{Approval, ConsentStore, Program, ask_on_terminal, decide};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const KIND: &str = "docker credential helper";

/// The program a helper name stands for, as the consent store keys it.
pub fn helper_program(helper: &str, docker_config: &Path) -> Program {
    Program {
        kind: KIND.into(),
        command: format!("docker-credential-{helper}"),
        args: vec!["get".into()],
        source: docker_config.display().to_string(),
    }
}

/// Options that read the operator's Docker config (`~/.docker/config.json`, when it exists),
/// with its credential helpers under `approval` and the default consent store; the rest are
/// the defaults, for the caller to fill in.
pub fn with_operator_docker_config(approval: Approval) -> RegistryOptions {
    let docker_config = super::default_docker_config_path().filter(|p| p.exists());
    RegistryOptions {
        helper_consent: docker_config
            .as_deref()
            .map_or_else(Default::default, |path| {
                helper_consent(ConsentStore::default_location(), approval, path)
            }),
        docker_config,
        ..RegistryOptions::default()
    }
}

/// The registry client's consent for helpers, backed by `store`. Look-ups run concurrently,
/// so the prompts are taken one at a time.
pub fn helper_consent(
    store: ConsentStore,
    approval: Approval,
    docker_config: &Path,
) -> HelperConsent {
    let docker_config = docker_config.to_path_buf();
    let one_at_a_time = Arc::new(Mutex::new(()));
    HelperConsent::Ask(Arc::new(move |helper, registry| {
        let _turn = one_at_a_time.lock().unwrap_or_else(|e| e.into_inner());
        let program = helper_program(helper, &docker_config);
        decide(&store, &program, approval, |p| {
            ask_on_terminal(p, &format!("registry {registry}"))
        })
        .is_ok()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_runs_only_once_agreed_and_the_agreement_is_per_helper_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConsentStore::at(dir.path().join(aigov_state::consent::FILE_NAME));
        let config = dir.path().join("config.json");
        let stored_only = helper_consent(store.clone(), Approval::StoredOnly, &config);
        assert!(!stored_only.allows("desktop", "r.example"));
        let flag = helper_consent(store.clone(), Approval::Allow, &config);
        assert!(flag.allows("desktop", "r.example"));
        assert!(
            stored_only.allows("desktop", "other.example"),
            "remembered per helper"
        );
        assert!(!stored_only.allows("ecr-login", "r.example"));
        let elsewhere = helper_consent(store, Approval::StoredOnly, &dir.path().join("other.json"));
        assert!(
            !elsewhere.allows("desktop", "r.example"),
            "another config is another program"
        );
    }
}
