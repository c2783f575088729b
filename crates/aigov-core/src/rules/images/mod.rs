//! Image rules: references in workloads that do not pin what runs (mutable tags, `latest`,
//! no tag), pull policies that fetch a moving tag on every start, and replicas of one
//! workload running different bits; with registry facts (through [`RegistryFacts`]), tags that
//! moved under running pods and tags the registry let be overwritten (`moved`).

mod immutability;
mod moved;
mod registry;
#[cfg(test)]
pub(crate) mod tests;

pub use immutability::{Immutability, ImmutabilitySetting, Mutability};
pub use moved::{IMG_004, IMG_005};
pub use registry::{RegistryFacts, TagFact, TagMove};

use super::catalog::{Planner, Remedy, RuleInfo};
use super::finding::{Area, Finding, ObjectRef, Place, Severity};
use super::view::{Unit, View};
use crate::model::Kind;
use crate::model::image::{ImageRef, digest_of_image_id};
use crate::model::workloads::Container;
use crate::sanitize::sanitize;
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

pub static IMG_001: RuleInfo = RuleInfo {
    id: "AIGOV-IMG-001",
    area: Area::Images,
    severity: Severity::Medium,
    title: "Image without a digest in an AI workload",
    checks: "Every container image of an AI workload is referenced by digest (`@sha256:...`). A tag alone is medium; `latest` or no tag at all is high. A tag the registry enforces as immutable (a Harbor immutable-tag rule, ECR `IMMUTABLE`) is low, unless aigov's tag history saw it overwritten. An image reference that cannot be parsed is low (info outside AI workloads), with the parser's error.",
    why: "A tag is a pointer the registry owner can move. An AI workload referenced by tag can start different model-serving or training code after any restart, reschedule or scale-up, without a change to its spec, so what was reviewed is not what runs.",
    fix: "Pin the image to a digest (`repo:tag@sha256:...`), ideally the digest the pods already run. aigov proposes the digest the pods report in `imageID`, or the registry's digest for the tag once look-ups run.",
    false_positives: "Images built and deployed by a pipeline that rewrites the tag for every build are still mutable from the registry's point of view; pin anyway or make the registry's tags immutable.",
    remedy: Remedy::Plan(Planner::PinDigest),
};

pub static IMG_002: RuleInfo = RuleInfo {
    id: "AIGOV-IMG-002",
    area: Area::Images,
    severity: Severity::Low,
    title: "imagePullPolicy Always with a mutable tag",
    checks: "Containers with `imagePullPolicy: Always` whose image has no digest. Low; medium in AI workloads; info when the registry enforces the tag's immutability (each pull then gets the same bits). The API server sets `Always` by itself for `latest` and untagged images.",
    why: "With `Always`, every container start pulls whatever the tag points at now, so a moved tag reaches the workload at the next restart, and the registry must be reachable for pods to start.",
    fix: "Pin the image to a digest (then `Always` only re-checks the same bits), or use a versioned tag with `IfNotPresent` and make the registry's tags immutable.",
    false_positives: "Development workloads that deliberately follow a moving tag.",
    remedy: Remedy::Guidance,
};

pub static IMG_003: RuleInfo = RuleInfo {
    id: "AIGOV-IMG-003",
    area: Area::Images,
    severity: Severity::High,
    title: "Replicas of one workload run different image digests",
    checks: "Pods of one workload unit whose container runs the same image reference but reports different `imageID` digests.",
    why: "The tag moved between pulls, so replicas behind one Service serve different model code or weights: answers differ by replica, and neither the spec nor the rollout history says which bits are current.",
    fix: "Pin the image to the intended digest and roll the workload, so that every replica runs the same bits.",
    false_positives: "Nodes that report the digest of a platform-specific manifest on one node and of the image index on another can differ without the tag having moved; compare the digests with the registry.",
    remedy: Remedy::Guidance,
};

pub static RULES: &[&RuleInfo] = &[&IMG_001, &IMG_002, &IMG_003, &IMG_004, &IMG_005];

/// The kinds whose objects carry pod specs: what the image rules read.
pub(crate) const POD_KINDS: [Kind; 7] = [
    Kind::Pod,
    Kind::Deployment,
    Kind::StatefulSet,
    Kind::DaemonSet,
    Kind::ReplicaSet,
    Kind::Job,
    Kind::CronJob,
];

pub fn evaluate(view: &View, registry: &RegistryFacts, out: &mut Vec<Finding>) {
    for (object, kind) in unknown_scopes(view, &POD_KINDS) {
        out.push(IMG_001.incomplete(object.clone(), kind.name()));
        out.push(IMG_002.incomplete(object, kind.name()));
    }
    for (object, kind) in unknown_scopes(view, &[Kind::Pod]) {
        if !registry.digests.is_empty() {
            // Without the pods, a moved tag cannot be told from a running one.
            out.push(IMG_004.incomplete(object.clone(), kind.name()));
        }
        out.push(IMG_003.incomplete(object, kind.name()));
    }
    for unit in &view.units {
        let ai = unit.is_ai();
        for container in unit.spec.all_containers() {
            match ImageRef::parse(&container.image) {
                Err(error) => out.push(unparsable(unit, container, &error.to_string())),
                Ok(image) if image.is_pinned() => {}
                Ok(image) => {
                    if ai {
                        out.push(unpinned(unit, container, &image, registry));
                    }
                    moved::check(unit, container, &image, registry, out);
                    if container.image_pull_policy.as_deref() == Some("Always") {
                        out.push(pull_always(unit, container, &image, ai, registry));
                    }
                }
            }
        }
        diverging_digests(unit, out);
    }
}

/// Where `kinds` are not fully known: `Namespace/*` when a kind could be read nowhere,
/// otherwise each namespace it could not be read in. Each scope once, with the first kind.
pub(crate) fn unknown_scopes(view: &View, kinds: &[Kind]) -> Vec<(ObjectRef, Kind)> {
    use crate::model::Coverage;
    let mut scopes: BTreeMap<ObjectRef, Kind> = BTreeMap::new();
    for kind in kinds {
        match view.snapshot.coverage.get(kind) {
            Some(Coverage::Complete | Coverage::NotServed) => {}
            Some(Coverage::Partial { unknown_namespaces }) => {
                for namespace in unknown_namespaces.keys() {
                    scopes
                        .entry(ObjectRef::new("Namespace", "", namespace))
                        .or_insert(*kind);
                }
            }
            Some(Coverage::Unknown { .. }) | None => {
                scopes
                    .entry(ObjectRef::new("Namespace", "", "*"))
                    .or_insert(*kind);
            }
        }
    }
    scopes.into_iter().collect()
}

pub(super) fn at_container(unit: &Unit, container: &Container) -> ObjectRef {
    unit.object().at(Place::container(&container.name))
}

/// The distinct digests the unit's pods report for one container, with the pods.
pub(super) fn running_digests<'a>(
    unit: &'a Unit,
    container: &str,
) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut digests: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (pod, status) in unit.statuses_of(container) {
        if let Some(digest) = digest_of_image_id(&status.image_id) {
            digests.entry(digest).or_default().push(&pod.meta.name);
        }
    }
    digests
}

fn unparsable(unit: &Unit, container: &Container, error: &str) -> Finding {
    let mut f = IMG_001.finding(
        at_container(unit, container),
        format!(
            "container {} has an image reference that cannot be parsed",
            sanitize(&container.name)
        ),
    );
    f.severity = if unit.is_ai() {
        Severity::Low
    } else {
        Severity::Info
    };
    f.remediable = false;
    f.explanation = format!(
        "{} aigov cannot tell whether this reference pins a digest, and the kubelet may fail to pull it.",
        IMG_001.why
    );
    f.evidence
        .push(format!("image: {}", sanitize(&container.image)));
    f.evidence.push(format!("parser: {}", sanitize(error)));
    f
}

fn unpinned(
    unit: &Unit,
    container: &Container,
    image: &ImageRef,
    registry: &RegistryFacts,
) -> Finding {
    let name = sanitize(&container.name);
    let (title, severity) = match image.tag.as_deref() {
        None => (
            format!("container {name} runs an image with no tag or digest (pulls latest)"),
            Severity::High,
        ),
        Some("latest") => (
            format!("container {name} runs an image by the tag latest, not by digest"),
            Severity::High,
        ),
        Some(tag) => (
            format!(
                "container {name} runs an image by the tag {}, not by digest",
                sanitize(tag)
            ),
            Severity::Medium,
        ),
    };
    let mut f = IMG_001.finding(at_container(unit, container), title);
    f.severity = severity;
    let immutability = registry.immutability(image);
    if immutability.state == Mutability::Immutable {
        // The registry refuses to move the tag, so what runs cannot change under the spec; the
        // finding stays (low) because the setting can be switched off, or an image deleted and
        // pushed again under the tag, and only a digest pins against that.
        f.severity = Severity::Low;
        f.evidence.push(format!(
            "registry enforces immutability ({}): the tag cannot be overwritten while that setting stands; a digest still pins against the setting being removed",
            sanitize(&immutability.source)
        ));
    }
    f.evidence.push(format!(
        "image: {} (normalised {})",
        sanitize(&container.image),
        sanitize(&image.to_string())
    ));
    let running = running_digests(unit, &container.name);
    let mut pin = None;
    if let Some((digest, pods)) = running.iter().next()
        && running.len() == 1
    {
        f.evidence.push(format!(
            "running digest: {} ({} pod{})",
            sanitize(digest),
            pods.len(),
            if pods.len() == 1 { "" } else { "s" }
        ));
        pin = Some("the running digest");
    } else if running.len() > 1 {
        f.evidence.push(format!(
            "the pods run {} different digests (see AIGOV-IMG-003): no single digest to pin",
            running.len()
        ));
    } else if unit.pods.is_empty() {
        f.evidence.push("no running pods".into());
    } else {
        f.evidence
            .push("the pods report no image digest (imageID)".into());
    }
    if let Some(fact) = registry.tag(image) {
        f.evidence.push(format!(
            "registry digest for the tag: {} ({}, checked {})",
            sanitize(&fact.digest),
            sanitize(&fact.media_type),
            sanitize(&fact.checked_at)
        ));
        pin = pin.or(Some("the registry's digest"));
    } else if let Some(reason) = registry.unknown_reason(image) {
        f.evidence
            .push(format!("registry look-up failed: {}", sanitize(reason)));
    }
    if immutability.state != Mutability::Immutable && registry.setting(image).is_some() {
        f.evidence.push(format!(
            "tag immutability: {}",
            sanitize(&immutability.describe())
        ));
    }
    match pin {
        Some(_) if !unit.images_patchable() => {
            f.remediable = false;
            f.evidence.push(format!(
                "the image cannot be patched in place ({}): pin it where the {} is created",
                if unit.kind == "Job" {
                    "a Job's pod template is immutable"
                } else {
                    "a controller manages the pod"
                },
                unit.kind
            ));
        }
        Some(source) => f.evidence.push(format!("fix: pin to {source}")),
        None => f.remediable = false,
    }
    f
}

fn pull_always(
    unit: &Unit,
    container: &Container,
    image: &ImageRef,
    ai: bool,
    registry: &RegistryFacts,
) -> Finding {
    let tag = image.effective_tag().unwrap_or("latest");
    let immutability = registry.immutability(image);
    let enforced = immutability.state == Mutability::Immutable;
    let mut f = IMG_002.finding(
        at_container(unit, container),
        format!(
            "container {} pulls the {}tag {} at every start (imagePullPolicy: Always)",
            sanitize(&container.name),
            if enforced { "" } else { "mutable " },
            sanitize(tag)
        ),
    );
    if enforced {
        // Every pull gets the same bits while the registry refuses to move the tag: what is
        // left is the dependence on the registry at every start.
        f.severity = Severity::Info;
    } else if ai {
        f.severity = Severity::Medium;
    }
    f.evidence
        .push(format!("image: {}", sanitize(&container.image)));
    f.evidence.push("imagePullPolicy: Always".into());
    if enforced {
        f.evidence.push(format!(
            "registry enforces immutability ({}): each pull gets the same bits",
            sanitize(&immutability.source)
        ));
    }
    f
}

/// IMG-003: the same container image reference, resolved to different digests across the
/// unit's pods. Pods with a different reference (a rollout in progress) are compared only with
/// pods of the same reference, so a rollout to a new tag is not a finding.
fn diverging_digests(unit: &Unit, out: &mut Vec<Finding>) {
    if unit.pods.len() < 2 {
        return;
    }
    // (container, image reference) -> digest -> pods
    let mut seen: BTreeMap<(&str, &str), BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for pod in &unit.pods {
        let images: HashMap<&str, &str> = pod
            .spec
            .all_containers()
            .map(|c| (c.name.as_str(), c.image.as_str()))
            .collect();
        for status in &pod.container_statuses {
            let Some(digest) = digest_of_image_id(&status.image_id) else {
                continue;
            };
            let reference = images
                .get(status.name.as_str())
                .copied()
                .unwrap_or(status.image.as_str());
            seen.entry((status.name.as_str(), reference))
                .or_default()
                .entry(digest)
                .or_default()
                .insert(pod.meta.name.as_str());
        }
    }
    let mut reported = BTreeSet::new();
    for ((container, reference), digests) in seen {
        if digests.len() < 2 || !reported.insert(container) {
            continue;
        }
        let mut f = IMG_003.finding(
            unit.object().at(Place::container(container)),
            format!(
                "{} replicas of container {} run {} different digests of {}",
                digests.values().map(BTreeSet::len).sum::<usize>(),
                sanitize(container),
                digests.len(),
                sanitize(reference)
            ),
        );
        for (digest, pods) in &digests {
            let names: Vec<String> = pods
                .iter()
                .take(5)
                .map(|p| sanitize(p).into_owned())
                .collect();
            let more = pods.len().saturating_sub(names.len());
            f.evidence.push(format!(
                "{} runs on {}{}",
                sanitize(digest),
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        out.push(f);
    }
}
