//! `Derived`: what the views draw, built off the UI thread from a snapshot and its
//! evaluation, then swapped into the app whole.

use super::views::ViewData;
use aigov_core::model::Snapshot;
use aigov_core::rules::config::Baseline;
use aigov_core::rules::images::RegistryFacts;
use aigov_core::rules::rbac::RbacIndex;
use aigov_core::rules::{Evaluation, Inputs, RulesConfig, View, evaluate_view};
use std::sync::Arc;

pub struct Derived {
    pub snapshot: Arc<Snapshot>,
    pub evaluation: Evaluation,
    /// For the RBAC view's who-can prompt.
    pub rbac: RbacIndex,
    pub views: ViewData,
    pub baseline_saved: bool,
    /// The baseline drift was judged against: staging restores from it, `b` accepts into it.
    pub baseline: Option<Baseline>,
    /// The rule settings it was evaluated with.
    pub settings: RulesConfig,
}

/// What building needs besides the snapshot.
#[derive(Debug, Clone, Default)]
pub struct BuildInputs {
    pub settings: RulesConfig,
    pub baseline: Option<Baseline>,
    /// What the registries said about the workloads' tags (empty until the look-ups finish,
    /// and offline).
    pub registry: RegistryFacts,
}

/// Evaluate the rules and build every view's rows. Pure, but heavy at scale: the effect
/// runner calls it on a blocking thread.
pub fn derive(snapshot: Arc<Snapshot>, inputs: &BuildInputs) -> Derived {
    let rule_inputs = Inputs {
        settings: inputs.settings.clone(),
        baseline: inputs.baseline.as_ref(),
        registry: inputs.registry.clone(),
    };
    let view = View::new(&snapshot, &inputs.settings);
    let evaluation = evaluate_view(&view, &rule_inputs);
    let views = ViewData::build(
        &snapshot,
        &evaluation,
        &view,
        inputs.baseline.as_ref(),
        &inputs.registry,
    );
    let rbac = RbacIndex::new(&snapshot.roles, &snapshot.bindings);
    drop(view);
    Derived {
        snapshot,
        evaluation,
        rbac,
        views,
        baseline_saved: inputs.baseline.is_some(),
        baseline: inputs.baseline.clone(),
        settings: inputs.settings.clone(),
    }
}
