//! Fuzz harness: `cluster::kubeconfig::parse`, the body of the kubeconfig loader, then the
//! context choice and server look-up done on what it returns. Errors must be one sanitised
//! line, since they are printed as they are.
//!
//! Shared by `fuzz/fuzz_targets/kubeconfig.rs` and the replay in `tests/fuzz_regressions.rs`.

#[path = "forbidden.rs"]
mod forbidden;

use aigov_kube::kubeconfig::{LoadedKubeconfig, parse};
use forbidden::forbidden;
use std::path::{Path, PathBuf};

/// Feed one input; panics on a property failure.
pub fn check(data: &[u8]) {
    match parse(data, Some(Path::new("/fuzz/kube"))) {
        Ok(config) => {
            let loaded = LoadedKubeconfig {
                config,
                paths: vec![PathBuf::from("/fuzz/kube/config")],
            };
            let names = loaded.context_names();
            for wanted in [None, names.first().map(String::as_str), Some("missing")] {
                match loaded.choose_context(wanted) {
                    Ok(name) => {
                        let _ = loaded.server_of(&name);
                    }
                    Err(e) => {
                        let message = e.to_string();
                        assert!(
                            !message.chars().any(forbidden),
                            "context error is not one plain line: {message:?}"
                        );
                    }
                }
            }
        }
        Err(reason) => {
            assert!(
                !reason.chars().any(forbidden),
                "unsanitised error {reason:?}"
            );
        }
    }
}
