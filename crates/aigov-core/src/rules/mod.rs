//! Pure analysis rules: functions from a snapshot to findings, with no I/O and no async.
//!
//! `evaluate` builds a [`View`] once (workload units, look-ups, the RBAC index and the AI
//! namespace classification) and runs every area's rules over it.

pub mod admission;
pub mod catalog;
pub mod classify;
pub mod config;
pub mod finding;
pub mod images;
pub mod incremental;
pub mod namespaces;
pub mod permissions;
pub mod place;
pub mod rbac;
pub mod reach;
pub mod settings;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod view;

pub use catalog::{Planner, Remedy, RuleInfo};
pub use classify::NamespaceClass;
pub use finding::{Area, Detail, Finding, FindingKey, ObjectRef, Place, Severity};
pub use settings::RulesConfig;
pub use view::View;

use crate::model::Snapshot;

/// What the rules read besides the snapshot.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    pub settings: RulesConfig,
    /// The approved configuration baseline, when one was saved for this context.
    pub baseline: Option<&'a config::Baseline>,
    /// Facts gathered from registries before evaluation (empty until look-ups run).
    pub registry: images::RegistryFacts,
}

#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Most severe first, then by key.
    pub findings: Vec<Finding>,
    pub namespaces: Vec<NamespaceClass>,
    /// The settings the findings were judged with: a view for staging their fixes is built
    /// with these, so the planner sees what the user was shown.
    pub settings: RulesConfig,
}

impl Evaluation {
    /// The view of `snapshot` (the one evaluated) with the evaluation's own settings.
    pub fn view_of<'s>(&'s self, snapshot: &'s Snapshot) -> View<'s> {
        View::new(snapshot, &self.settings)
    }
}

pub fn evaluate(snapshot: &Snapshot, inputs: &Inputs<'_>) -> Evaluation {
    evaluate_view(&View::new(snapshot, &inputs.settings), inputs)
}

/// Evaluate over a view already built (the console builds one for its own views too).
pub fn evaluate_view(view: &View<'_>, inputs: &Inputs<'_>) -> Evaluation {
    let findings = unsorted(view, inputs);
    // Keys are built once per finding, not once per comparison.
    let mut keyed: Vec<(String, Finding)> = findings.into_iter().map(|f| (f.key(), f)).collect();
    keyed.sort_by(|(ka, a), (kb, b)| order((ka, a), (kb, b)));
    keyed.dedup_by(|(ka, _), (kb, _)| ka == kb);
    let findings = keyed.into_iter().map(|(_, f)| f).collect();
    Evaluation {
        findings,
        namespaces: view.namespaces.values().cloned().collect(),
        settings: view.settings.clone(),
    }
}

/// The order of [`Evaluation::findings`]: most severe first, then by key. Shared with the
/// incremental evaluator, which sorts findings it keeps by their keys the same way.
pub(crate) fn order((ka, a): (&str, &Finding), (kb, b): (&str, &Finding)) -> std::cmp::Ordering {
    b.severity.cmp(&a.severity).then_with(|| ka.cmp(kb))
}

/// Every area's findings over the view, joined in area order, before sorting and
/// deduplication (the incremental evaluator sorts them itself, with the others it keeps).
pub(crate) fn unsorted(view: &View<'_>, inputs: &Inputs<'_>) -> Vec<Finding> {
    // The areas only read the view, so they run side by side; their findings are joined in
    // area order, and sorted by the caller, so the result does not depend on the threads.
    std::thread::scope(|scope| {
        let area = |run: fn(&View<'_>, &Inputs<'_>, &mut Vec<Finding>)| {
            scope.spawn(move || {
                let mut out = Vec::new();
                run(view, inputs, &mut out);
                out
            })
        };
        let areas = [
            area(|v, _, out| namespaces::evaluate(v, out)),
            area(|v, _, out| permissions::evaluate(v, out)),
            area(|v, _, out| reach::evaluate(v, out)),
            area(|v, i, out| images::evaluate(v, &i.registry, out)),
            area(|v, i, out| config::evaluate(v, i.baseline, out)),
            area(|v, _, out| admission::evaluate(v, out)),
        ];
        areas
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
