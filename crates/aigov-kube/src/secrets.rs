//! The one place aigov reads a Secret's data: the image pull secrets the operator opted into
//! with `--read-pull-secrets`. Every other Secret is listed as metadata only.

use super::{Connection, Error};
use std::collections::BTreeMap;

/// The data of Secret `namespace/name` (a GET through the connection, under its deadline).
/// The caller must have recorded the opt-in in the audit log first.
pub async fn read_pull_secret_data(
    connection: &Connection,
    namespace: &str,
    name: &str,
) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    use k8s_openapi::api::core::v1::Secret;
    let api: kube::Api<Secret> = kube::Api::namespaced(connection.client.clone(), namespace);
    let secret = connection.request(api.get(name)).await?;
    Ok(secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.0))
        .collect())
}
