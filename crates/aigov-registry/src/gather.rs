//! Registry facts for a snapshot: every distinct image reference by tag that a workload uses
//! is looked up (within the client's limits), the answers are recorded in the tag history (in
//! the data directory, 0600), the registries' immutability settings are read (Harbor, ECR),
//! and answers, settings and the history's moves become the rules' [`RegistryFacts`].

use super::client::{RegistryClient, tag_key};
use super::history::TagHistory;
use super::outcome::{Lookup, to_facts};
use aigov_core::model::image::ImageRef;
use aigov_core::rules::View;
use aigov_core::rules::images::{RegistryFacts, TagMove};
use std::collections::BTreeSet;
use std::path::Path;

/// What the look-ups found.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub facts: RegistryFacts,
    /// The distinct references looked up, in name order, with their answers.
    pub images: Vec<ImageRef>,
    pub lookups: Vec<Lookup>,
    /// Why the tag history could not be read or written, if it could not (the look-ups still
    /// count; moves are then only those of earlier runs that could be read).
    pub history_problem: Option<String>,
}

/// The distinct image references by tag (no digest) that the view's workloads use, in name
/// order. Callers pass the view they evaluate with, so it is built once.
pub fn tagged_images(view: &View<'_>) -> Vec<ImageRef> {
    let mut seen = BTreeSet::new();
    for unit in &view.units {
        for container in unit.spec.all_containers() {
            if let Ok(image) = ImageRef::parse(&container.image)
                && !image.is_pinned()
            {
                seen.insert(image.to_string());
            }
        }
    }
    seen.iter()
        .filter_map(|text| ImageRef::parse(text).ok())
        .collect()
}

/// Look up every tag of `images` ([`tagged_images`]) and file the answers; `history_dir`
/// keeps the tag history (`None`: no history, so no moves).
pub async fn gather(
    client: &RegistryClient,
    images: Vec<ImageRef>,
    history_dir: Option<&Path>,
) -> Gathered {
    let lookups = client.resolve_all(&images).await;
    let mut gathered = Gathered {
        images,
        lookups,
        ..Gathered::default()
    };
    to_facts(&gathered.images, &gathered.lookups, &mut gathered.facts);
    let settings = client
        .immutability_all(&gathered.images, &gathered.lookups)
        .await;
    for (image, setting) in gathered.images.iter().zip(settings) {
        gathered.facts.insert_setting(image, setting);
    }
    let Some(dir) = history_dir else {
        return gathered;
    };
    let mut history = match TagHistory::load(dir) {
        Ok(history) => history,
        Err(e) => {
            gathered.history_problem = Some(e.to_string());
            return gathered;
        }
    };
    history.record_lookups(&gathered.images, &gathered.lookups);
    if let Err(e) = history.save(dir) {
        gathered.history_problem = Some(e.to_string());
    }
    for image in &gathered.images {
        let Some(key) = tag_key(image) else { continue };
        for moved in history.moves(&key) {
            gathered.facts.insert_move(
                image,
                TagMove {
                    from_digest: moved.previous_digest,
                    from_seen: moved.previous_seen,
                    to_digest: moved.new_digest,
                    to_seen: moved.new_seen,
                },
            );
        }
    }
    gathered
}
