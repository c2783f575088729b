//! The property: after every step of a random sequence of watch-like events (adds, updates,
//! deletes, kinds listed again, coverage changes), the incremental evaluator's snapshot holds
//! what the same changes make of a copy, its findings and classification equal a full
//! evaluation of that copy, and the delta it returned is exactly the difference between the
//! previous and the new full results.

use super::cluster::{Event, base, event};
use super::{Incremental, reference_delta};
use crate::model::Snapshot;
use crate::model::image::ImageRef;
use crate::rules::config::Baseline;
use crate::rules::images::{RegistryFacts, TagFact, TagMove};
use crate::rules::{Inputs, RulesConfig, View, evaluate};
use proptest::prelude::*;

/// Registry facts that make the tag rules fire: `vllm:latest` moved away from what the pods
/// run, and the notebook's tag was seen overwritten.
fn registry() -> RegistryFacts {
    let mut facts = RegistryFacts::default();
    let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    if let Ok(image) = ImageRef::parse("vllm/vllm-openai:latest") {
        facts.insert(
            &image,
            TagFact {
                digest: d('2'),
                media_type: "application/vnd.oci.image.index.v1+json".into(),
                checked_at: "2026-12-07T09:00:00Z".into(),
            },
        );
    }
    if let Ok(image) = ImageRef::parse("jupyter/scipy-notebook:2024-01-01") {
        facts.insert_move(
            &image,
            TagMove {
                from_digest: d('3'),
                from_seen: "2026-12-01T09:00:00Z".into(),
                to_digest: d('1'),
                to_seen: "2026-12-06T09:00:00Z".into(),
            },
        );
    }
    facts
}

/// Whether two snapshots hold the same objects in the same order, and the same coverage.
fn same_objects(a: &Snapshot, b: &Snapshot) -> bool {
    a.coverage == b.coverage
        && a.namespaces == b.namespaces
        && a.pods == b.pods
        && a.workloads == b.workloads
        && a.pvcs == b.pvcs
        && a.pvs == b.pvs
        && a.storage_classes == b.storage_classes
        && a.service_accounts == b.service_accounts
        && a.config_maps == b.config_maps
        && a.secrets == b.secrets
        && a.services == b.services
        && a.events == b.events
        && a.roles == b.roles
        && a.bindings == b.bindings
        && a.network_policies == b.network_policies
        && a.admission_policies == b.admission_policies
        && a.admission_bindings == b.admission_bindings
        && a.custom == b.custom
}

/// An event's numbers: its variant and four choices (see `cluster::event`).
type Numbers = (u8, u8, u8, u8, u8);

/// One step: one or two events applied as one batch (a coverage change on its own).
fn steps() -> impl Strategy<Value = Vec<Vec<Numbers>>> {
    let event = (0u8..30, any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>());
    proptest::collection::vec(proptest::collection::vec(event, 1..3), 1..20)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn incremental_findings_equal_a_full_evaluation_after_every_step(steps in steps()) {
        let start = base();
        let settings = RulesConfig::default();
        let baseline = Baseline::capture(&View::new(&start, &settings), "2026-12-07T08:00:00Z");
        let inputs = Inputs { settings, baseline: Some(&baseline), registry: registry() };
        // The same changes applied to a copy: what the evaluator's snapshot must equal.
        let mut reference = start.clone();
        let mut live = Incremental::new(start, inputs.clone());
        let mut before = evaluate(&reference, &inputs).findings;
        for batch in steps {
            let mut changes = Vec::new();
            for (variant, a, b, c, d) in batch {
                match event(variant, a, b, c, d) {
                    Event::Changes(more) => changes.extend(more),
                    // Applied at once, before the batch's changes, and checked on its own.
                    Event::Coverage(kind, coverage) => {
                        reference.coverage.insert(kind, coverage.clone());
                        let delta = live.set_coverage(kind, coverage);
                        let now = evaluate(&reference, &inputs).findings;
                        prop_assert_eq!(delta, reference_delta(&before, &now));
                        before = now;
                    }
                }
            }
            reference.apply(changes.clone());
            let delta = live.apply(changes);
            prop_assert!(same_objects(live.snapshot(), &reference));
            let expected = evaluate(&reference, &inputs);
            let got = live.evaluation();
            prop_assert_eq!(&got.findings, &expected.findings, "after {:?}", live.last_recomputed());
            prop_assert_eq!(&got.namespaces, &expected.namespaces);
            prop_assert!(live.caches_are_fresh());
            prop_assert_eq!(delta, reference_delta(&before, &expected.findings));
            before = expected.findings;
        }
    }
}
