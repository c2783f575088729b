//! (being written)

use super::catalog::RuleInfo;
use super::finding::Finding;
use super::view::View;

pub const RULES: &[RuleInfo] = &[];

pub fn evaluate(_view: &View, _out: &mut Vec<Finding>) {}
