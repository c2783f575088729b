//! What registries said about image tags, gathered before evaluation: the seam between the
//! pure image rules and the registry look-ups (which do I/O and live in `aigov_registry`).
//!
//! The rules must work with these facts empty (offline, or before look-ups ran): a tag the
//! facts do not mention is simply not known, never "clean".

use super::immutability::{Immutability, ImmutabilitySetting};
use crate::model::image::ImageRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The registry's answer for one tag at one time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFact {
    /// The manifest digest the tag resolved to, `sha256:...`.
    pub digest: String,
    /// The manifest's media type (an OCI image index, a Docker manifest list, a single
    /// manifest, ...).
    pub media_type: String,
    /// RFC 3339 time of the look-up.
    pub checked_at: String,
}

/// Facts about tags, keyed by [`RegistryFacts::key`]: the normalised `registry/repository:tag`
/// (`docker.io/library/nginx:latest`; an untagged reference is looked up as `latest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryFacts {
    /// Tags that resolved.
    pub digests: BTreeMap<String, TagFact>,
    /// Tags the look-up could not resolve, with the reason (unreachable, refused, unknown
    /// manifest, ...). Reported as unknown, never as clean.
    pub unknown: BTreeMap<String, String>,
    /// Tags seen pointing at different digests over time (aigov's tag history): the
    /// registry let them be overwritten.
    #[serde(default)]
    pub moves: BTreeMap<String, Vec<TagMove>>,
    /// What the registry's own settings say about overwriting each tag (Harbor's
    /// immutable-tag rules, ECR's `imageTagMutability`), or why that is unknown.
    #[serde(default)]
    pub settings: BTreeMap<String, ImmutabilitySetting>,
}

/// One observed overwrite of a tag: it pointed at `from` when first seen, at `to` later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagMove {
    pub from_digest: String,
    /// RFC 3339.
    pub from_seen: String,
    pub to_digest: String,
    pub to_seen: String,
}

impl RegistryFacts {
    /// The key a reference is filed under, or `None` for a reference with a digest and no tag
    /// (nothing to resolve).
    pub fn key(image: &ImageRef) -> Option<String> {
        image
            .effective_tag()
            .map(|tag| format!("{}:{tag}", image.name()))
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
            && self.unknown.is_empty()
            && self.moves.is_empty()
            && self.settings.is_empty()
    }

    /// What the registry said the reference's tag points at, if it was looked up.
    pub fn tag(&self, image: &ImageRef) -> Option<&TagFact> {
        self.digests.get(&Self::key(image)?)
    }

    /// Why the reference's tag could not be looked up, if it was tried and failed.
    pub fn unknown_reason(&self, image: &ImageRef) -> Option<&str> {
        self.unknown.get(&Self::key(image)?).map(String::as_str)
    }

    /// Record a resolved tag.
    pub fn insert(&mut self, image: &ImageRef, fact: TagFact) {
        if let Some(key) = Self::key(image) {
            self.unknown.remove(&key);
            self.digests.insert(key, fact);
        }
    }

    /// The overwrites of the reference's tag that the tag history observed.
    pub fn moves(&self, image: &ImageRef) -> &[TagMove] {
        Self::key(image)
            .and_then(|key| self.moves.get(&key))
            .map_or(&[], Vec::as_slice)
    }

    /// Record an observed overwrite of the reference's tag.
    pub fn insert_move(&mut self, image: &ImageRef, moved: TagMove) {
        if let Some(key) = Self::key(image) {
            self.moves.entry(key).or_default().push(moved);
        }
    }

    /// Record what the registry's settings say about overwriting the reference's tag.
    pub fn insert_setting(&mut self, image: &ImageRef, setting: ImmutabilitySetting) {
        if let Some(key) = Self::key(image) {
            self.settings.insert(key, setting);
        }
    }

    /// The registry's setting for the reference's tag, if it was read (or tried).
    pub fn setting(&self, image: &ImageRef) -> Option<&ImmutabilitySetting> {
        self.settings.get(&Self::key(image)?)
    }

    /// Whether the reference's tag can be overwritten: the registry's setting, unless the tag
    /// history saw it overwritten (then mutable, whatever the registry claims now).
    pub fn immutability(&self, image: &ImageRef) -> Immutability {
        let seen: Vec<&str> = self
            .moves(image)
            .iter()
            .map(|m| m.to_seen.as_str())
            .collect();
        Immutability::decide(self.setting(image), &seen)
    }

    /// Record a tag that could not be resolved, and why.
    pub fn insert_unknown(&mut self, image: &ImageRef, reason: impl Into<String>) {
        if let Some(key) = Self::key(image) {
            self.unknown.insert(key, reason.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_keyed_by_normalised_name_and_effective_tag() {
        let mut facts = RegistryFacts::default();
        assert!(facts.is_empty());
        let untagged = ImageRef::parse("nginx").unwrap();
        let latest = ImageRef::parse("docker.io/library/nginx:latest").unwrap();
        let fact = TagFact {
            digest: format!("sha256:{}", "a".repeat(64)),
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            checked_at: "2025-01-01T00:00:00Z".into(),
        };
        facts.insert(&untagged, fact.clone());
        assert_eq!(
            RegistryFacts::key(&untagged).as_deref(),
            Some("docker.io/library/nginx:latest")
        );
        assert_eq!(facts.tag(&latest), Some(&fact));
        let other = ImageRef::parse("nginx:1.27").unwrap();
        assert_eq!(facts.tag(&other), None);
        facts.insert_unknown(&other, "registry unreachable");
        assert_eq!(facts.unknown_reason(&other), Some("registry unreachable"));
        let pinned_only = ImageRef::parse(&format!("nginx@sha256:{}", "b".repeat(64))).unwrap();
        assert_eq!(RegistryFacts::key(&pinned_only), None);
        assert_eq!(facts.tag(&pinned_only), None);
    }
}
