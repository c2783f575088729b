//! Registry immutability settings, where a registry exposes them: Harbor's immutable-tag rules
//! (default build) and Amazon ECR's `imageTagMutability` (the `ecr` feature). Anything else is
//! *unknown*, with the reason; the rules then rely on aigov's tag history.
//!
//! ```text
//! SettingsReader::read_all(ctx, images, lookups) -> Vec<ImmutabilitySetting>   (order kept)
//!   per registry:  mirror / unreachable -> unknown (not asked again)
//!                  ECR host             -> DescribeRepositories (feature `ecr`), else unknown
//!                  otherwise            -> Harbor? (ping) -> the project's rules -> match
//! ```
//!
//! Answers (Harbor or not, a project's rules, an ECR repository's setting) are cached for the
//! registry cache TTL; failures are not cached, so the next look-up asks again.

mod ecr;
mod harbor;

use super::auth::{Authorizer, classify_transport};
use super::cache::TtlCache;
use super::client::tag_key;
use super::credentials::Credentials;
use super::options::{RegistryOptions, api_host};
use super::outcome::{Lookup, UnknownReason};
use aigov_core::model::image::ImageRef;
use aigov_core::rules::images::ImmutabilitySetting;
use aigov_core::sanitize::sanitize;
use futures::StreamExt;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

pub use ecr::{EcrHost, RepositorySetting, ecr_host};
pub use harbor::doublestar_match;

/// What the reader needs from the registry client.
pub struct Context<'a> {
    pub http: &'a reqwest::Client,
    pub auth: &'a Authorizer,
    pub options: &'a RegistryOptions,
}

/// One Harbor project's immutable-tag rules, shared between the cache and the images.
type SharedRules = Arc<Vec<harbor::Rule>>;

/// Reads and caches registries' immutability settings.
pub struct SettingsReader {
    /// registry -> whether it is a Harbor.
    harbor: TtlCache<String, bool>,
    /// (registry, project) -> its immutable-tag rules.
    rules: TtlCache<(String, String), SharedRules>,
    /// (registry, repository) -> ECR's setting.
    ecr: TtlCache<(String, String), RepositorySetting>,
    #[cfg(feature = "ecr")]
    describer: ecr::Describer,
}

/// Where one image's setting is to be read.
enum Target {
    Settled(ImmutabilitySetting),
    Harbor {
        registry: String,
        project: String,
        repository: String,
        tag: String,
    },
    #[cfg_attr(not(feature = "ecr"), allow(dead_code))]
    Ecr {
        host: EcrHost,
        registry: String,
        repository: String,
        tag: String,
    },
}

impl SettingsReader {
    pub fn new(ttl: Duration) -> Self {
        SettingsReader {
            harbor: TtlCache::new(ttl),
            rules: TtlCache::new(ttl),
            ecr: TtlCache::new(ttl),
            #[cfg(feature = "ecr")]
            describer: ecr::Describer::default(),
        }
    }

    /// Forget what was read for the image's project or repository (the console's re-check).
    pub fn forget(&self, image: &ImageRef) {
        if let Some((project, _)) = image.repository.split_once('/') {
            self.rules
                .forget(&(image.registry.clone(), project.to_string()));
        }
        self.ecr
            .forget(&(image.registry.clone(), image.repository.clone()));
    }

    /// The setting for each of `images` (in order), given their manifest `lookups` (same
    /// order): a registry the look-up could not reach is not asked again.
    pub async fn read_all(
        &self,
        ctx: &Context<'_>,
        images: &[ImageRef],
        lookups: &[Lookup],
    ) -> Vec<ImmutabilitySetting> {
        let targets: Vec<Target> = images
            .iter()
            .zip(lookups)
            .map(|(image, lookup)| target(ctx.options, image, lookup))
            .collect();
        let concurrency = ctx.options.concurrency.max(1);

        let registries: BTreeSet<&str> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Harbor { registry, .. } => Some(registry.as_str()),
                _ => None,
            })
            .collect();
        let probes: HashMap<&str, Result<bool, String>> = futures::stream::iter(
            registries
                .into_iter()
                .map(|registry| async move { (registry, self.probe(ctx, registry).await) })
                .collect::<Vec<_>>(),
        )
        .buffered(concurrency)
        .collect()
        .await;

        let projects: BTreeSet<(&str, &str)> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Harbor {
                    registry, project, ..
                } if matches!(probes.get(registry.as_str()), Some(Ok(true))) => {
                    Some((registry.as_str(), project.as_str()))
                }
                _ => None,
            })
            .collect();
        let rules: HashMap<(&str, &str), Result<SharedRules, String>> = futures::stream::iter(
            projects
                .into_iter()
                .map(|key| async move { (key, self.project_rules(ctx, key.0, key.1).await) })
                .collect::<Vec<_>>(),
        )
        .buffered(concurrency)
        .collect()
        .await;

        #[cfg(feature = "ecr")]
        let ecr_answers = self.read_ecr(ctx, &targets).await;

        targets
            .iter()
            .map(|t| match t {
                Target::Settled(setting) => setting.clone(),
                Target::Harbor {
                    registry,
                    project,
                    repository,
                    tag,
                } => match probes.get(registry.as_str()) {
                    Some(Ok(true)) => match rules.get(&(registry.as_str(), project.as_str())) {
                        Some(Ok(rules)) => harbor::evaluate(rules, project, repository, tag),
                        Some(Err(reason)) => ImmutabilitySetting::unknown(reason.clone()),
                        None => ImmutabilitySetting::unknown("Harbor's rules were not read"),
                    },
                    Some(Ok(false)) => not_harbor_or_ecr(registry),
                    Some(Err(reason)) => ImmutabilitySetting::unknown(reason.clone()),
                    None => ImmutabilitySetting::unknown("registry not asked"),
                },
                #[cfg(feature = "ecr")]
                Target::Ecr {
                    registry,
                    repository,
                    tag,
                    ..
                } => match ecr_answers.get(&(registry.clone(), repository.clone())) {
                    Some(Ok(setting)) => ecr::evaluate(setting, tag),
                    Some(Err(reason)) => ImmutabilitySetting::unknown(reason.clone()),
                    None => ImmutabilitySetting::unknown("ECR not asked"),
                },
                #[cfg(not(feature = "ecr"))]
                Target::Ecr { .. } => ImmutabilitySetting::unknown("unknown (built without ecr)"),
            })
            .collect()
    }

    #[cfg(feature = "ecr")]
    async fn read_ecr(
        &self,
        ctx: &Context<'_>,
        targets: &[Target],
    ) -> HashMap<(String, String), Result<RepositorySetting, String>> {
        let mut wanted: BTreeSet<(&EcrHost, &str, &str)> = BTreeSet::new();
        let mut answers = HashMap::new();
        for t in targets {
            if let Target::Ecr {
                host,
                registry,
                repository,
                ..
            } = t
            {
                wanted.insert((host, registry.as_str(), repository.as_str()));
            }
        }
        for (host, registry, repository) in wanted {
            let key = (registry.to_string(), repository.to_string());
            let answer = match self.ecr.get(&key) {
                Some(hit) => Ok(hit),
                None => {
                    let read = self
                        .describer
                        .describe(host, repository, ctx.options.request_timeout)
                        .await;
                    if let Ok(setting) = &read {
                        self.ecr.put(key.clone(), setting.clone());
                    }
                    read
                }
            };
            answers.insert(key, answer);
        }
        answers
    }

    async fn probe(&self, ctx: &Context<'_>, registry: &str) -> Result<bool, String> {
        if let Some(hit) = self.harbor.get(&registry.to_string()) {
            return Ok(hit);
        }
        let answer = harbor::is_harbor(ctx.http, &base_url(ctx.options, registry))
            .await
            .map_err(|e| {
                format!(
                    "immutability settings not read: {}",
                    classify_transport(registry, &e, ctx.options.request_timeout)
                )
            })?;
        self.harbor.put(registry.to_string(), answer);
        Ok(answer)
    }

    async fn project_rules(
        &self,
        ctx: &Context<'_>,
        registry: &str,
        project: &str,
    ) -> Result<SharedRules, String> {
        let key = (registry.to_string(), project.to_string());
        if let Some(hit) = self.rules.get(&key) {
            return Ok(hit);
        }
        let credentials = ctx
            .auth
            .credentials_for(registry)
            .await
            .map_err(|reason| format!("Harbor's immutable-tag rules not read: {reason}"))?;
        // Harbor's API takes basic credentials only: a robot account, or an OIDC user's CLI
        // secret. A registry token (a Docker config `identitytoken`) is not sent to it.
        let token_only = matches!(credentials, Credentials::Bearer(_));
        let header = match credentials {
            Credentials::Basic { .. } => super::auth::basic_header(&credentials),
            Credentials::Bearer(_) | Credentials::Anonymous => None,
        };
        let what = format!(
            "Harbor's immutable-tag rules of project {}",
            sanitize(project)
        );
        let rules = harbor::project_rules(
            ctx.http,
            &base_url(ctx.options, registry),
            project,
            header.as_ref(),
        )
        .await
        .map_err(|e| match e {
            harbor::RulesError::Status(status @ (401 | 403)) if token_only => format!(
                "Harbor refused {what} ({status}): its API takes basic credentials (a robot account, or an OIDC user's CLI secret), and the Docker config has only a token for {}",
                sanitize(registry)
            ),
            harbor::RulesError::Status(status @ (401 | 403)) => format!(
                "Harbor refused {what} ({status}): check the credentials for {} in ~/.docker/config.json and their access to the project",
                sanitize(registry)
            ),
            harbor::RulesError::Status(404) => format!("{what}: project not found (404)"),
            harbor::RulesError::Status(status) => format!("{what}: Harbor answered HTTP {status}"),
            harbor::RulesError::Body(detail) => format!("{what} could not be read: {detail}"),
            harbor::RulesError::Transport(e) => format!(
                "{what} not read: {}",
                classify_transport(registry, &e, ctx.options.request_timeout)
            ),
        })?;
        let rules = Arc::new(rules);
        self.rules.put(key, rules.clone());
        Ok(rules)
    }
}

fn base_url(options: &RegistryOptions, registry: &str) -> String {
    format!("{}://{}", options.scheme_for(registry), api_host(registry))
}

/// Where to read one image's setting, or the reason not to.
fn target(options: &RegistryOptions, image: &ImageRef, lookup: &Lookup) -> Target {
    let Some(key) = tag_key(image) else {
        return Target::Settled(ImmutabilitySetting::unknown("no tag"));
    };
    if options.mirror.is_some() {
        return Target::Settled(ImmutabilitySetting::unknown(
            "not read: look-ups go through the demo registry mirror",
        ));
    }
    if let Some(
        reason @ (UnknownReason::Unreachable { .. }
        | UnknownReason::Timeout { .. }
        | UnknownReason::NeedsConsent { .. }
        | UnknownReason::Credentials { .. }),
    ) = lookup.unknown_reason()
    {
        return Target::Settled(ImmutabilitySetting::unknown(format!("not read: {reason}")));
    }
    if let Some(host) = ecr_host(&key.registry) {
        return Target::Ecr {
            host,
            registry: key.registry,
            repository: key.repository,
            tag: key.tag,
        };
    }
    match key.repository.split_once('/') {
        Some((project, repository)) => Target::Harbor {
            project: project.to_string(),
            repository: repository.to_string(),
            registry: key.registry,
            tag: key.tag,
        },
        // Harbor keeps every repository in a project: a one-segment name is not Harbor's.
        None => Target::Settled(not_harbor_or_ecr(&key.registry)),
    }
}

fn not_harbor_or_ecr(registry: &str) -> ImmutabilitySetting {
    ImmutabilitySetting::unknown(format!(
        "registry {} does not expose immutability settings aigov reads (not Harbor or ECR)",
        sanitize(registry)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mirror;
    use aigov_core::rules::images::Mutability;

    fn unknown(reason: UnknownReason) -> Lookup {
        Lookup::Unknown { reason }
    }

    fn settled(target: Target) -> ImmutabilitySetting {
        match target {
            Target::Settled(setting) => setting,
            Target::Harbor { .. } => panic!("asked Harbor"),
            Target::Ecr { .. } => panic!("asked ECR"),
        }
    }

    fn image(text: &str) -> ImageRef {
        ImageRef::parse(text).expect("a valid reference")
    }

    /// Which registries are asked, before any request: the pure part of `read_all`.
    #[test]
    fn only_a_reachable_registry_with_projects_or_ecr_is_asked() {
        let options = RegistryOptions::default();
        let refused = unknown(UnknownReason::Refused {
            registry: "harbor.example".into(),
            status: 401,
        });
        // A 401 on the manifest still leaves Harbor's own API worth asking.
        assert!(matches!(
            target(&options, &image("harbor.example/ml/vllm:v1"), &refused),
            Target::Harbor { ref project, ref repository, .. } if project == "ml" && repository == "vllm"
        ));
        let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1";
        assert!(matches!(
            target(&options, &image(ecr), &refused),
            Target::Ecr { .. }
        ));
        // A registry that could not be reached is not asked again.
        let unreachable = unknown(UnknownReason::Unreachable {
            registry: "harbor.example".into(),
            detail: "connection refused".into(),
        });
        let setting = settled(target(
            &options,
            &image("harbor.example/ml/vllm:v1"),
            &unreachable,
        ));
        assert_eq!(setting.state, Mutability::Unknown);
        assert!(
            setting
                .source
                .starts_with("not read: registry harbor.example unreachable")
        );
        // A one-segment repository is not Harbor's; a digest has no tag to ask about.
        let single = settled(target(&options, &image("harbor.example/app:v1"), &refused));
        assert!(
            single.source.contains("not Harbor or ECR"),
            "{}",
            single.source
        );
        let pinned = format!("harbor.example/ml/vllm@sha256:{}", "a".repeat(64));
        assert_eq!(
            settled(target(&options, &image(&pinned), &refused)).source,
            "no tag"
        );
        // Through the demo's mirror nothing is asked.
        let mirrored = RegistryOptions {
            mirror: Some(Mirror {
                base_url: "https://127.0.0.1:1".into(),
                ca_pem: None,
            }),
            ..RegistryOptions::default()
        };
        let demo = settled(target(
            &mirrored,
            &image("harbor.example/ml/vllm:v1"),
            &refused,
        ));
        assert!(
            demo.source.contains("demo registry mirror"),
            "{}",
            demo.source
        );
    }

    #[cfg(not(feature = "ecr"))]
    #[tokio::test]
    async fn without_the_ecr_feature_an_ecr_tag_is_unknown_and_says_why() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = crate::RegistryClient::new(RegistryOptions::default()).expect("a client");
        let images = [image(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1",
        )];
        let lookups = [unknown(UnknownReason::Refused {
            registry: images[0].registry.clone(),
            status: 401,
        })];
        let got = client.immutability_all(&images, &lookups).await;
        assert_eq!(got[0].state, Mutability::Unknown);
        assert!(
            got[0].source.contains("built without ecr"),
            "{}",
            got[0].source
        );
    }
}
