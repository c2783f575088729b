//! IMG-001: pin a container image to a digest, the one the pods run (their `imageID`) or,
//! once registry look-ups run, the registry's digest for the tag named in the evidence.
//!
//! The patch targets the workload's pod template (`spec.jobTemplate.spec.template` for a
//! CronJob). A pod no controller manages is patched itself: `spec.containers[*].image` is
//! mutable on a running pod, and pinning the digest it already runs restarts the container
//! on the same bits. A Job's template is immutable, and a managed pod would be reverted by
//! its controller: those get guidance (and the rule marks them not remediable).

use super::change::{PatchType, PlannedChange};
use super::workloads::{container, meta_of, spec_pointer, target_of, unit_of};
use super::{Proposal, Remediation};
use aigov_core::model::image::{ImageRef, digest_of_image_id};
use aigov_core::rules::view::{Unit, View};
use aigov_core::rules::{Finding, Place};
use serde_json::json;
use std::collections::BTreeSet;

/// The one digest the unit's pods run for a container, if they agree on one.
fn running_digest<'a>(unit: &Unit<'a>, name: &str) -> Option<&'a str> {
    let digests: BTreeSet<&str> = unit
        .pods
        .iter()
        .flat_map(|p| p.container_statuses.iter())
        .filter(|s| s.name == name)
        .filter_map(|s| digest_of_image_id(&s.image_id))
        .collect();
    match digests.len() {
        1 => digests.into_iter().next(),
        _ => None,
    }
}

/// The registry's digest for the tag, as the rule wrote it into the evidence.
fn registry_digest(finding: &Finding) -> Option<String> {
    finding.evidence.iter().find_map(|line| {
        let rest = line.strip_prefix("registry digest for the tag: ")?;
        let digest = rest.split_whitespace().next()?;
        // Only a well-formed digest goes into a patch.
        digest_of_image_id(&format!("x@{digest}")).map(str::to_string)
    })
}

/// The image with the digest appended; an existing digest is replaced, the tag kept for
/// readers (`repo:tag@sha256:...`; the digest is what the kubelet pulls).
pub(super) fn pinned(image: &str, digest: &str) -> String {
    let base = image.split_once('@').map_or(image, |(b, _)| b);
    format!("{base}@{digest}")
}

pub(super) fn pin(finding: &Finding, view: &View<'_>) -> Proposal {
    let Some(unit) = unit_of(finding, view) else {
        return Proposal::NotApplicable(format!("{} is gone", finding.object));
    };
    let Place::Container { container: name } = &finding.object.place else {
        return Proposal::Guidance(finding.rule.fix.to_string());
    };
    let Some((list, index, c)) = container(unit.spec, name) else {
        return Proposal::NotApplicable(format!("{} has no container {name}", finding.object));
    };
    if let Err(e) = ImageRef::parse(&c.image) {
        return Proposal::Guidance(format!(
            "the image reference of container {name} cannot be parsed ({e}): correct it by hand"
        ));
    }
    if c.image.contains("@sha256:") {
        return Proposal::NotApplicable(format!("container {name} is already pinned"));
    }
    let (digest, source) = match running_digest(unit, name) {
        Some(d) => (d.to_string(), "running pods"),
        None => match registry_digest(finding) {
            Some(d) => (d, "registry"),
            None => {
                return Proposal::Guidance(format!(
                    "no single running digest to pin for container {name}: the registry look-up will provide the tag's digest later; until then pin it by hand (`{}@sha256:...`)",
                    c.image
                ));
            }
        },
    };
    if !unit.images_patchable() {
        return Proposal::Guidance(format!(
            "{} cannot be patched in place ({}): pin {} to {digest} where it is created",
            finding.object,
            if unit.kind == "Job" {
                "a Job's pod template is immutable"
            } else {
                "a controller manages the pod"
            },
            c.image
        ));
    }
    let (Some(target), Some(meta)) = (target_of(unit), meta_of(unit, view)) else {
        return Proposal::NotApplicable(format!("{} is gone", finding.object));
    };
    let to = pinned(&c.image, &digest);
    let at = format!("{}/{list}/{index}", spec_pointer(unit));
    let patch = |from: &str, to: &str| {
        json!([
            {"op": "test", "path": format!("{at}/name"), "value": name},
            {"op": "test", "path": format!("{at}/image"), "value": from},
            {"op": "replace", "path": format!("{at}/image"), "value": to},
        ])
    };
    let description = format!(
        "patch {target}: pin container {name} to {to} (the digest of {}, from the {source})",
        c.image
    );
    let change = PlannedChange::patch(
        target,
        meta,
        PatchType::Json,
        patch(&c.image, &to),
        patch(&to, &c.image),
        description.clone(),
    );
    Proposal::Change {
        remediation: Remediation::PinImage {
            container: name.to_string(),
            from: c.image.clone(),
            to,
            source: source.to_string(),
        },
        summary: description,
        changes: vec![change],
    }
}
