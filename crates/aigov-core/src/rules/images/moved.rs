//! What only the registry can tell: a tag whose digest is no longer the one the pods run
//! (IMG-004: a restart would run different bits) and a tag the registry let be overwritten
//! (IMG-005: the tag is mutable, seen in aigov's tag history). Both need registry facts; with
//! none (offline, or a look-up that failed) nothing is claimed either way.

use super::immutability::{Mutability, claimed_after_overwrite};
use super::registry::{RegistryFacts, TagMove};
use super::{at_container, running_digests};
use crate::model::image::ImageRef;
use crate::model::workloads::Container;
use crate::rules::catalog::{Remedy, RuleInfo};
use crate::rules::finding::{Area, Finding, Severity};
use crate::rules::view::Unit;
use crate::sanitize::sanitize;

pub static IMG_004: RuleInfo = RuleInfo {
    id: "AIGOV-IMG-004",
    area: Area::Images,
    severity: Severity::High,
    title: "Image tag moved: the registry serves other bits than the pods run",
    checks: "Containers referenced by tag whose registry digest for that tag (looked up now) is not among the digests their pods report in `imageID`.",
    why: "The tag was re-pushed after the pods started. The next restart, reschedule or scale-up pulls different code or weights than the ones running and reviewed, with no change to the workload's spec.",
    fix: "Pin the workload to the digest it runs now (AIGOV-IMG-001's remediation), then find out who moved the tag and make the registry's tags immutable.",
    false_positives: "A multi-architecture image: nodes may report the digest of the platform manifest while the registry resolves the tag to the index. Compare the platform manifests of the index with the running digest.",
    remedy: Remedy::Guidance,
};

pub static IMG_005: RuleInfo = RuleInfo {
    id: "AIGOV-IMG-005",
    area: Area::Images,
    severity: Severity::Medium,
    title: "Registry let an image tag be overwritten (mutable tag)",
    checks: "Tags that aigov's tag history (every look-up, kept in the data directory) saw resolve to one digest and later to another.",
    why: "A registry that lets a tag be overwritten lets anyone with push rights change what every workload using the tag runs at its next start. For model-serving and training images that is unreviewed code or weights.",
    fix: "Turn on tag immutability in the registry (Harbor immutable-tag rules, ECR `imageTagMutability: IMMUTABLE`, ...) and pin workloads to digests.",
    false_positives: "Tags that are meant to move, like `nightly`, in development namespaces.",
    remedy: Remedy::Guidance,
};

/// IMG-004 and IMG-005 for one container referenced by tag.
pub fn check(
    unit: &Unit,
    container: &Container,
    image: &ImageRef,
    registry: &RegistryFacts,
    out: &mut Vec<Finding>,
) {
    if let Some(fact) = registry.tag(image) {
        let running = running_digests(unit, &container.name);
        if !running.is_empty() && !running.contains_key(fact.digest.as_str()) {
            let mut f = IMG_004.finding(
                at_container(unit, container),
                format!(
                    "container {}: tag {} now points at other bits than the pods run",
                    sanitize(&container.name),
                    sanitize(&image.to_string())
                ),
            );
            if !unit.is_ai() {
                f.severity = Severity::Medium;
            }
            f.evidence.push(format!(
                "registry digest: {} ({}, checked {})",
                sanitize(&fact.digest),
                sanitize(&fact.media_type),
                sanitize(&fact.checked_at)
            ));
            for (digest, pods) in &running {
                f.evidence.push(format!(
                    "running digest: {} ({} pod{})",
                    sanitize(digest),
                    pods.len(),
                    if pods.len() == 1 { "" } else { "s" }
                ));
            }
            f.evidence
                .push("a restart would pull the registry's digest".into());
            out.push(f);
        }
    }
    let moves = registry.moves(image);
    if !moves.is_empty() {
        let mut f = IMG_005.finding(
            at_container(unit, container),
            format!(
                "container {}: the registry let tag {} be overwritten",
                sanitize(&container.name),
                sanitize(&image.to_string())
            ),
        );
        if unit.is_ai() {
            f.severity = Severity::High;
        }
        f.evidence.extend(moves.iter().map(move_line));
        f.evidence.push(match registry.setting(image) {
            Some(s) if s.state == Mutability::Immutable => {
                claimed_after_overwrite(&sanitize(&s.source))
            }
            Some(s) if s.state == Mutability::Mutable => {
                format!("registry setting: mutable ({})", sanitize(&s.source))
            }
            Some(s) => format!(
                "registry immutability settings: unknown ({}); this is what aigov's tag history observed",
                sanitize(&s.source)
            ),
            None => "registry immutability settings: unknown (this is what aigov's tag history observed)"
                .into(),
        });
        out.push(f);
    }
}

fn move_line(moved: &TagMove) -> String {
    format!(
        "was {} (seen {}), then {} (seen {})",
        sanitize(&moved.from_digest),
        sanitize(&moved.from_seen),
        sanitize(&moved.to_digest),
        sanitize(&moved.to_seen)
    )
}
