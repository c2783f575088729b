//! `--read-pull-secrets`: the audit note recorded before any pull secret is read, and the
//! read itself (through the cluster layer), turned into registry credentials.

use aigov_registry::Credentials;
use aigov_registry::pull_secrets::{PullSecretRef, credentials_in};
use std::collections::{BTreeMap, BTreeSet};

/// The audit entry that must be recorded before `refs` are read: which Secrets, for which
/// registries, never their content. Headless commands and the console record the same one.
pub fn opt_in_note(refs: &BTreeMap<PullSecretRef, BTreeSet<String>>) -> aigov_audit::Entry {
    let secrets: Vec<String> = refs.keys().map(ToString::to_string).collect();
    let registries: BTreeSet<&String> = refs.values().flatten().collect();
    aigov_audit::Entry::new(aigov_audit::EntryKind::Note).details(serde_json::json!({
        "event": "pull_secrets_read",
        "flag": "--read-pull-secrets",
        "secrets": secrets,
        "registries": registries,
    }))
}

/// Read each referenced secret (a GET through the connection, under its deadline) and
/// collect the credentials for its registries. The first secret to name a registry wins.
/// Returns the credentials and, per secret that could not be used, why.
pub async fn read(
    connection: &aigov_kube::Connection,
    refs: &BTreeMap<PullSecretRef, BTreeSet<String>>,
) -> (BTreeMap<String, Credentials>, Vec<String>) {
    let mut credentials = BTreeMap::new();
    let mut problems = Vec::new();
    for (secret, registries) in refs {
        let data = match aigov_kube::secrets::read_pull_secret_data(
            connection,
            &secret.namespace,
            &secret.name,
        )
        .await
        {
            Ok(data) => data,
            Err(e) => {
                problems.push(format!("pull secret {secret}: {e}"));
                continue;
            }
        };
        match credentials_in(&data, registries) {
            Ok(found) => {
                for (registry, c) in found {
                    credentials.entry(registry).or_insert(c);
                }
            }
            Err(why) => problems.push(format!("pull secret {secret}: {why}")),
        }
    }
    (credentials, problems)
}
