//! What a look-up found for one image: the registry's digest and media type, or *unknown* with
//! the reason. A failure is never "clean"; [`to_facts`] files both kinds for the rules.

use aigov_core::model::image::ImageRef;
use aigov_core::rules::images::{RegistryFacts, TagFact};

/// The outcome of resolving one image reference's tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Resolved(Resolution),
    Unknown { reason: UnknownReason },
}

/// The registry's current answer for a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The manifest digest, `sha256:...`.
    pub digest: String,
    /// The manifest's media type (OCI index, Docker manifest list, single manifest, ...).
    pub media_type: String,
    /// When the registry answered (a cached answer keeps its original time).
    pub checked_at: jiff::Timestamp,
    /// Served from the in-memory cache, without asking the registry.
    pub from_cache: bool,
}

/// Why a tag could not be resolved. `Display` is one line for the operator, naming the next
/// step where there is one; it never holds a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownReason {
    #[error("pinned by digest only: no tag to resolve")]
    NoTag,
    #[error("registry {registry} unreachable: {detail}")]
    Unreachable { registry: String, detail: String },
    #[error("registry {registry} did not answer within {seconds} s")]
    Timeout { registry: String, seconds: u64 },
    #[error(
        "registry {registry} refused the request ({status}): check the credentials for it in ~/.docker/config.json"
    )]
    Refused { registry: String, status: u16 },
    #[error("tag {tag} not found in {registry}/{repository} (404)")]
    NotFound {
        registry: String,
        repository: String,
        tag: String,
    },
    #[error("registry {registry} kept answering 429 Too Many Requests after {attempts} attempts")]
    RateLimited { registry: String, attempts: u32 },
    #[error(
        "needs consent: credentials for {registry} come from docker-credential-{helper}; allow credential helpers to run it"
    )]
    NeedsConsent { registry: String, helper: String },
    #[error("credentials for {registry} could not be read: {detail}")]
    Credentials { registry: String, detail: String },
    #[error("registry {registry} answered unexpectedly: {detail}")]
    Protocol { registry: String, detail: String },
}

impl Lookup {
    pub fn resolved(&self) -> Option<&Resolution> {
        match self {
            Lookup::Resolved(r) => Some(r),
            Lookup::Unknown { .. } => None,
        }
    }

    pub fn unknown_reason(&self) -> Option<&UnknownReason> {
        match self {
            Lookup::Resolved(_) => None,
            Lookup::Unknown { reason } => Some(reason),
        }
    }
}

impl From<UnknownReason> for Lookup {
    fn from(reason: UnknownReason) -> Self {
        Lookup::Unknown { reason }
    }
}

/// File look-ups (in the order of `images`) into the rules' [`RegistryFacts`]: resolved tags
/// as facts, failures as unknown with their reason.
pub fn to_facts(images: &[ImageRef], lookups: &[Lookup], facts: &mut RegistryFacts) {
    for (image, lookup) in images.iter().zip(lookups) {
        match lookup {
            Lookup::Resolved(r) => facts.insert(
                image,
                TagFact {
                    digest: r.digest.clone(),
                    media_type: r.media_type.clone(),
                    checked_at: r.checked_at.to_string(),
                },
            ),
            Lookup::Unknown {
                reason: UnknownReason::NoTag,
            } => {}
            Lookup::Unknown { reason } => facts.insert_unknown(image, reason.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_keep_resolved_and_unknown_apart() {
        let images = [
            ImageRef::parse("reg.example/a:1").unwrap(),
            ImageRef::parse("reg.example/b:1").unwrap(),
        ];
        let lookups = [
            Lookup::Resolved(Resolution {
                digest: format!("sha256:{}", "a".repeat(64)),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                checked_at: jiff::Timestamp::UNIX_EPOCH,
                from_cache: false,
            }),
            UnknownReason::Refused {
                registry: "reg.example".into(),
                status: 401,
            }
            .into(),
        ];
        let mut facts = RegistryFacts::default();
        to_facts(&images, &lookups, &mut facts);
        assert!(facts.tag(&images[0]).is_some());
        assert!(facts.unknown_reason(&images[1]).unwrap().contains("401"));
    }
}
