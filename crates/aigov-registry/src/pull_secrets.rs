//! Image pull secrets as registry credentials, only when the operator opts in
//! (`--read-pull-secrets`): which Secrets the workloads pull with (the pod's own
//! `imagePullSecrets` and its service account's), and reading exactly those, for exactly the
//! registries their workloads' images come from. The caller records the opt-in in the audit
//! log before anything is read; the values stay in memory as [`Password`]s.

use super::credentials::{CredentialSource, Credentials, DockerConfig};
use aigov_core::model::image::ImageRef;
use aigov_core::rules::View;
use std::collections::{BTreeMap, BTreeSet};

/// A Secret a workload pulls with.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PullSecretRef {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for PullSecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The pull secrets the view's workloads use for `images`, each with the registries of the
/// images those workloads run.
pub fn referenced(
    view: &View<'_>,
    images: &[ImageRef],
) -> BTreeMap<PullSecretRef, BTreeSet<String>> {
    let wanted: BTreeSet<String> = images.iter().map(ToString::to_string).collect();
    let mut out: BTreeMap<PullSecretRef, BTreeSet<String>> = BTreeMap::new();
    for unit in &view.units {
        let registries: BTreeSet<String> = unit
            .spec
            .all_containers()
            .filter_map(|c| ImageRef::parse(&c.image).ok())
            .filter(|i| wanted.contains(&i.to_string()))
            .map(|i| i.registry)
            .collect();
        if registries.is_empty() {
            continue;
        }
        let from_account = view
            .service_account(unit.namespace, &unit.spec.service_account)
            .into_iter()
            .flat_map(|sa| sa.image_pull_secrets.iter());
        for name in unit.spec.image_pull_secrets.iter().chain(from_account) {
            out.entry(PullSecretRef {
                namespace: unit.namespace.to_string(),
                name: name.clone(),
            })
            .or_default()
            .extend(registries.iter().cloned());
        }
    }
    out
}

/// The credentials in one pull secret's data (`.dockerconfigjson`, or the older `.dockercfg`)
/// for `registries`. Errors never hold the secret's content.
pub fn credentials_in(
    data: &BTreeMap<String, Vec<u8>>,
    registries: &BTreeSet<String>,
) -> Result<BTreeMap<String, Credentials>, String> {
    let text = if let Some(json) = data.get(".dockerconfigjson") {
        String::from_utf8_lossy(json).into_owned()
    } else if let Some(legacy) = data.get(".dockercfg") {
        // `.dockercfg` is the `auths` map alone.
        format!("{{\"auths\": {}}}", String::from_utf8_lossy(legacy))
    } else {
        return Err("it has neither .dockerconfigjson nor .dockercfg".into());
    };
    let config = DockerConfig::parse(&text)
        .map_err(|_| "its Docker config is not valid JSON".to_string())?;
    let mut out = BTreeMap::new();
    for registry in registries {
        if let Ok(CredentialSource::Stored(credentials)) = config.source_for(registry) {
            out.insert(registry.clone(), credentials);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: trainer, namespace: ml}
imagePullSecrets: [{name: from-account}]
---
apiVersion: v1
kind: Pod
metadata: {name: train, namespace: ml}
spec:
  serviceAccountName: trainer
  imagePullSecrets: [{name: own}]
  containers: [{name: c, image: "registry.example:5000/team/train:v1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: web}
spec:
  imagePullSecrets: [{name: unrelated}]
  containers: [{name: c, image: "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]
"#;

    #[test]
    fn the_pods_and_their_service_accounts_pull_secrets_are_referenced_for_their_registries() {
        let snapshot = aigov_core::rules::testing::snapshot(FIXTURE);
        let settings = aigov_core::rules::RulesConfig::default();
        let view = View::new(&snapshot, &settings);
        let images = crate::tagged_images(&view);
        let refs = referenced(&view, &images);
        let names: Vec<String> = refs.keys().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["ml/from-account", "ml/own"],
            "pinned images need no secret"
        );
        assert!(
            refs.values()
                .all(|r| r.iter().eq(["registry.example:5000"]))
        );
    }

    #[test]
    fn credentials_come_from_either_format_and_only_for_the_registries_asked() {
        use base64::Engine;
        let auth = base64::engine::general_purpose::STANDARD.encode("bot:s3cret-value");
        let json = format!(
            r#"{{"auths": {{"registry.example:5000": {{"auth": "{auth}"}}, "other.example": {{"auth": "{auth}"}}}}}}"#
        );
        let wanted: BTreeSet<String> = ["registry.example:5000".to_string()].into();
        let data = BTreeMap::from([(".dockerconfigjson".to_string(), json.into_bytes())]);
        let found = credentials_in(&data, &wanted).unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), ["registry.example:5000"]);
        assert!(!format!("{found:?}").contains("s3cret-value"));
        let legacy = format!(r#"{{"registry.example:5000": {{"auth": "{auth}"}}}}"#);
        let data = BTreeMap::from([(".dockercfg".to_string(), legacy.into_bytes())]);
        assert_eq!(credentials_in(&data, &wanted).unwrap().len(), 1);
        let bad = BTreeMap::from([(".dockerconfigjson".to_string(), b"{s3cret-value".to_vec())]);
        let err = credentials_in(&bad, &wanted).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(credentials_in(&BTreeMap::new(), &wanted).is_err());
    }
}
