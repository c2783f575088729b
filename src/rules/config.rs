//! (being written)

use super::catalog::RuleInfo;
use super::finding::Finding;
use super::view::View;

pub const RULES: &[RuleInfo] = &[];

/// The approved configuration baseline (being written).
#[derive(Debug, Clone, Default)]
pub struct Baseline {}

pub fn evaluate(_view: &View, _baseline: Option<&Baseline>, _out: &mut Vec<Finding>) {}
