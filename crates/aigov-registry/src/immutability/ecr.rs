//! Amazon ECR's tag mutability: a registry host `<account>.dkr.ecr.<region>.amazonaws.com`
//! names the account and region; `DescribeRepositories` gives the repository's
//! `imageTagMutability` (`MUTABLE`, `IMMUTABLE`, and `*_WITH_EXCLUSION` with wildcard filters for
//! the tags that behave the other way). The SDK call is behind the `ecr` cargo feature; without
//! it ECR hosts read *unknown (built without ecr)*.

use aigov_core::rules::images::ImmutabilitySetting;
use aigov_core::sanitize::{sanitize, truncate_display};

/// An ECR registry host, split into what `DescribeRepositories` needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EcrHost {
    /// The 12-digit account id (the registry id).
    pub account: String,
    pub region: String,
}

/// `123456789012.dkr.ecr.eu-west-1.amazonaws.com` (also `-fips`, and `.amazonaws.com.cn`).
pub fn ecr_host(registry: &str) -> Option<EcrHost> {
    let host = registry.split(':').next().unwrap_or(registry);
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let mut parts = rest.split('.');
    let account = parts.next()?;
    let (dkr, ecr, region) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && dkr == "dkr"
        && (ecr == "ecr" || ecr == "ecr-fips")
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && parts.next().is_none();
    valid.then(|| EcrHost {
        account: account.to_string(),
        region: region.to_string(),
    })
}

/// What `DescribeRepositories` said about one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositorySetting {
    /// `MUTABLE`, `IMMUTABLE`, `IMMUTABLE_WITH_EXCLUSION` or `MUTABLE_WITH_EXCLUSION`.
    pub mutability: String,
    /// The wildcard filters of the tags that behave the other way (`*_WITH_EXCLUSION`).
    pub exclusions: Vec<String>,
}

/// Whether `tag` can be overwritten under the repository's setting.
#[cfg_attr(not(any(feature = "ecr", test)), allow(dead_code))]
pub fn evaluate(setting: &RepositorySetting, tag: &str) -> ImmutabilitySetting {
    let mutability = truncate_display(&sanitize(&setting.mutability), 40).into_owned();
    let excluded = setting
        .exclusions
        .iter()
        .find(|filter| wildcard_match(filter, tag))
        .map(|filter| truncate_display(&sanitize(filter), 80).into_owned());
    let with_filter =
        |filter: &str| format!("ecr {mutability}: the tag matches exclusion filter {filter}");
    match (setting.mutability.as_str(), excluded) {
        ("IMMUTABLE", _) => ImmutabilitySetting::immutable("ecr IMMUTABLE"),
        ("MUTABLE", _) => ImmutabilitySetting::mutable("ecr MUTABLE"),
        ("IMMUTABLE_WITH_EXCLUSION", Some(filter)) => {
            ImmutabilitySetting::mutable(with_filter(&filter))
        }
        ("IMMUTABLE_WITH_EXCLUSION", None) => ImmutabilitySetting::immutable(
            "ecr IMMUTABLE_WITH_EXCLUSION (no exclusion filter matches the tag)",
        ),
        ("MUTABLE_WITH_EXCLUSION", Some(filter)) => {
            ImmutabilitySetting::immutable(with_filter(&filter))
        }
        ("MUTABLE_WITH_EXCLUSION", None) => ImmutabilitySetting::mutable(
            "ecr MUTABLE_WITH_EXCLUSION (no exclusion filter matches the tag)",
        ),
        _ => ImmutabilitySetting::unknown(format!(
            "ecr imageTagMutability {mutability} is not one aigov knows"
        )),
    }
}

/// ECR's exclusion filters are literal text with `*` wildcards (any run of characters).
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(feature = "ecr")]
pub use sdk::Describer;

#[cfg(feature = "ecr")]
mod sdk {
    //! The `DescribeRepositories` call through the official AWS SDK, with the standard
    //! credential chain (environment, profile, web identity, container and instance roles) and
    //! the standard endpoint overrides (`AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL`).

    use super::{EcrHost, RepositorySetting};
    use aws_sdk_ecr::config::ProvideCredentials;
    use aws_sdk_ecr::error::{DisplayErrorContext, ProvideErrorMetadata};
    use std::collections::HashMap;
    use std::time::Duration;

    /// One SDK client per region, made on first use.
    #[derive(Default)]
    pub struct Describer {
        clients: tokio::sync::Mutex<HashMap<String, aws_sdk_ecr::Client>>,
    }

    impl Describer {
        async fn client(
            &self,
            region: &str,
            timeout: Duration,
        ) -> Result<aws_sdk_ecr::Client, String> {
            let mut clients = self.clients.lock().await;
            if let Some(client) = clients.get(region) {
                return Ok(client.clone());
            }
            // The SDK's default HTTPS client would bring aws-lc; aigov uses ring everywhere.
            let http = aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https();
            let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new(region.to_string()))
                .http_client(http)
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_timeout(timeout)
                        .connect_timeout(timeout)
                        .build(),
                )
                .load()
                .await;
            let provider = config
                .credentials_provider()
                .ok_or("no AWS credentials provider is configured")?;
            tokio::time::timeout(timeout, provider.provide_credentials())
                .await
                .map_err(|_| format!("no AWS credentials within {} s", timeout.as_secs()))?
                .map_err(|e| {
                    format!(
                        "no AWS credentials ({})",
                        super::truncate_display(&super::sanitize(&e.to_string()), 160)
                    )
                })?;
            let client = aws_sdk_ecr::Client::new(&config);
            clients.insert(region.to_string(), client.clone());
            Ok(client)
        }

        /// The repository's `imageTagMutability` and exclusion filters.
        pub async fn describe(
            &self,
            host: &EcrHost,
            repository: &str,
            timeout: Duration,
        ) -> Result<RepositorySetting, String> {
            let client = self.client(&host.region, timeout).await?;
            let answer = client
                .describe_repositories()
                .registry_id(&host.account)
                .repository_names(repository)
                .send()
                .await
                .map_err(|e| match e.code() {
                    // The service's error code names the problem (AccessDeniedException,
                    // RepositoryNotFoundException, ...); its message holds no credential.
                    Some(code) => format!(
                        "ecr DescribeRepositories failed: {code}{}",
                        e.message().map(|m| format!(" ({m})")).unwrap_or_default()
                    ),
                    None => format!(
                        "ecr DescribeRepositories failed: {}",
                        DisplayErrorContext(&e)
                    ),
                })
                .map_err(|m| super::truncate_display(&super::sanitize(&m), 240).into_owned())?;
            let repository = answer
                .repositories()
                .first()
                .ok_or("ecr DescribeRepositories returned no repository")?;
            let mutability = repository
                .image_tag_mutability()
                .map(|m| m.as_str().to_string())
                .ok_or("ecr did not say the repository's imageTagMutability")?;
            let exclusions = repository
                .image_tag_mutability_exclusion_filters()
                .iter()
                .map(|f| f.filter().to_string())
                .collect();
            Ok(RepositorySetting {
                mutability,
                exclusions,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::rules::images::Mutability;

    #[test]
    fn ecr_hosts_name_account_and_region() {
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(EcrHost {
                account: "123456789012".into(),
                region: "eu-west-1".into()
            })
        );
        assert!(ecr_host("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com").is_some());
        assert!(ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn").is_some());
        assert_eq!(ecr_host("public.ecr.aws"), None);
        assert_eq!(ecr_host("12345.dkr.ecr.eu-west-1.amazonaws.com"), None);
        assert_eq!(ecr_host("harbor.example"), None);
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil"),
            None
        );
    }

    fn setting(mutability: &str, exclusions: &[&str]) -> RepositorySetting {
        RepositorySetting {
            mutability: mutability.into(),
            exclusions: exclusions.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn mutability_and_exclusion_filters() {
        assert_eq!(
            evaluate(&setting("IMMUTABLE", &[]), "v1").state,
            Mutability::Immutable
        );
        assert_eq!(
            evaluate(&setting("MUTABLE", &[]), "v1").state,
            Mutability::Mutable
        );
        let immutable_but = setting("IMMUTABLE_WITH_EXCLUSION", &["latest", "dev-*"]);
        assert_eq!(evaluate(&immutable_but, "v1").state, Mutability::Immutable);
        assert_eq!(evaluate(&immutable_but, "dev-7").state, Mutability::Mutable);
        assert!(
            evaluate(&immutable_but, "latest")
                .source
                .contains("filter latest")
        );
        let mutable_but = setting("MUTABLE_WITH_EXCLUSION", &["release-*-final"]);
        assert_eq!(
            evaluate(&mutable_but, "release-3-final").state,
            Mutability::Immutable
        );
        assert_eq!(
            evaluate(&mutable_but, "release-3").state,
            Mutability::Mutable
        );
        assert_eq!(
            evaluate(&setting("SOMETHING_NEW", &[]), "v1").state,
            Mutability::Unknown
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(wildcard_match("ab", "ab"));
        assert!(!wildcard_match("ab", "abc"));
        assert!(!wildcard_match("a*a", "a"));
    }
}
