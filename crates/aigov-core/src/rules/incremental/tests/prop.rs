//! The property: after every step of a random sequence of watch-like events (adds, updates,
//! deletes, kinds listed again, coverage changes), the incremental evaluator's findings and
//! classification equal a full evaluation of the same snapshot, and the delta it returned is
//! exactly the difference between the previous and the new full results.

use super::cluster::{Event, base, event};
use super::{Incremental, reference_delta};
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
        let mut live = Incremental::new(start, inputs.clone());
        let mut before = evaluate(live.snapshot(), &inputs).findings;
        for batch in steps {
            let mut changes = Vec::new();
            for (variant, a, b, c, d) in batch {
                match event(variant, a, b, c, d) {
                    Event::Changes(more) => changes.extend(more),
                    // Applied at once, before the batch's changes, and checked on its own.
                    Event::Coverage(kind, coverage) => {
                        let delta = live.set_coverage(kind, coverage);
                        let now = evaluate(live.snapshot(), &inputs).findings;
                        prop_assert_eq!(delta, reference_delta(&before, &now));
                        before = now;
                    }
                }
            }
            let delta = live.apply(changes);
            let expected = evaluate(live.snapshot(), &inputs);
            let got = live.evaluation();
            prop_assert_eq!(&got.findings, &expected.findings, "after {:?}", live.last_recomputed());
            prop_assert_eq!(&got.namespaces, &expected.namespaces);
            prop_assert_eq!(delta, reference_delta(&before, &expected.findings));
            before = expected.findings;
        }
    }
}
