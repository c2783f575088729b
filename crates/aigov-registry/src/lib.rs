//! The OCI distribution client: resolve image tags to manifest digests (HEAD, then GET),
//! authenticate (anonymous, basic, bearer challenge, Docker config and credential helpers with
//! consent), within limits (concurrency, deadlines, 429 `Retry-After`, a TTL cache); record
//! the tag history and tell moved tags; compare with the digests pods run.
//!
//! ```text
//! RegistryClient::resolve_all(&[ImageRef]) -> Vec<Lookup>      (order kept)
//!   Lookup::Resolved(Resolution { digest, media_type, checked_at, from_cache })
//!   Lookup::Unknown { reason: UnknownReason }                  (never "clean")
//! TagHistory::record(&TagKey, digest, time) -> Option<TagMoved>
//! compare_running(registry digest, pods' imageIDs) -> Comparison
//! to_facts(images, lookups, &mut RegistryFacts)                (the rules' seam)
//! RegistryClient::immutability_all(&[ImageRef], &[Lookup]) -> Vec<ImmutabilitySetting>
//!   (Harbor immutable-tag rules; ECR imageTagMutability with feature `ecr`; else unknown)
//! tagged_images(&View) -> gather(&client, images, history dir) -> Gathered   (for a snapshot)
//! ```

mod auth;
mod cache;
mod client;
mod compare;
mod credentials;
mod gather;
mod helper;
mod helper_consent;
mod history;
mod immutability;
mod manifest;
mod options;
mod outcome;
pub mod pull_secrets;
mod secret;

pub use cache::TagKey;
pub use client::{RegistryClient, RegistryError, tag_key};
pub use compare::{Comparison, compare_running};
pub use credentials::{
    ConsentCallback, CredentialSource, Credentials, CredentialsError, DockerConfig, HelperConsent,
    default_docker_config_path,
};
pub use gather::{Gathered, gather, tagged_images};
pub use helper_consent::with_operator_docker_config;
pub use history::{HistoryError, Sighting, TagHistory, TagMoved, default_dir as history_dir};
pub use immutability::{EcrHost, doublestar_match, ecr_host};
pub use manifest::{
    ACCEPTED, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, sha256_digest,
};
pub use options::{Mirror, RegistryOptions};
pub use outcome::{Lookup, Resolution, UnknownReason, to_facts};
pub use secret::Password;
