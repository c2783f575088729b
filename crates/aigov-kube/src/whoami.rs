//! Who the connection acts as: SelfSubjectReview, falling back to the kubeconfig user on
//! clusters that do not serve it.

use super::connect::Connection;
use super::error::Error;
use aigov_core::model::Identity;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{Api, PostParams};

pub async fn who_am_i(connection: &Connection, kubeconfig_user: &str) -> Result<Identity, Error> {
    let api: Api<SelfSubjectReview> = Api::all(connection.client.clone());
    let review = SelfSubjectReview::default();
    match connection
        .request(api.create(&PostParams::default(), &review))
        .await
    {
        Ok(answer) => {
            let info = answer.status.and_then(|s| s.user_info).unwrap_or_default();
            Ok(Identity {
                username: info.username.unwrap_or_default(),
                groups: info.groups.unwrap_or_default(),
                source: "self-subject-review".into(),
            })
        }
        // Older clusters (before 1.28) and locked-down ones: the request reached the server,
        // so the connection works; name the user the kubeconfig gives.
        Err(Error::Api { code: 404, .. }) | Err(Error::Forbidden { .. }) => Ok(Identity {
            username: kubeconfig_user.to_string(),
            groups: Vec::new(),
            source: "kubeconfig".into(),
        }),
        Err(e) => Err(e),
    }
}
