//! RBAC rules (AIGOV-RBAC-001..010) over effective permissions: each binding's effective
//! rules (its role with aggregation applied, from `rules::rbac`) are checked once and
//! reported per subject, so no query rescans the bindings.
//!
//! A finding's object is the binding with the subject as its path
//! (`subject/Group/interns`), or, for RBAC-009, the `default` ServiceAccount; keys are
//! stable because they name only the rule, the binding and the subject.

mod accounts;
mod context;
mod escalation;
mod grants;
mod info;
#[cfg(test)]
mod tests;

pub use context::{Who, classify, describe_rule, subject_label};
pub use grants::{Grant, narrowable_grant};

pub use info::*;

pub(crate) use context::Context;
pub(crate) use grants::writes_config_maps;

use super::finding::Finding;
use super::view::View;

pub fn evaluate(view: &View, out: &mut Vec<Finding>) {
    evaluate_context(&Context::new(view), out);
}

/// The RBAC rules over a context the caller may have adjusted: the incremental evaluator
/// gives it the workload-derived parts (data namespaces, ConfigMaps AI workloads use) it
/// keeps per namespace, over a view that holds no workloads.
pub(crate) fn evaluate_context(ctx: &Context, out: &mut Vec<Finding>) {
    grants::evaluate(ctx, out);
    escalation::evaluate(ctx, out);
    accounts::evaluate(ctx, out);
    context::gaps(ctx, out);
}
