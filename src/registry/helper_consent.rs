//! Docker credential helpers under the same consent rule as kubeconfig exec plugins: the
//! program (`docker-credential-<name> get`, named by the Docker config) runs only when the
//! consent store holds it, the operator agrees at the terminal, or `--allow-exec` is given.

use super::credentials::HelperConsent;
use crate::consent::{Approval, ConsentStore, Program, ask_on_terminal, decide};
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
        let store = ConsentStore::at(dir.path().join(crate::consent::FILE_NAME));
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
