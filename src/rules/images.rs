//! (being written)

use super::catalog::RuleInfo;
use super::finding::Finding;
use super::view::View;

pub const RULES: &[RuleInfo] = &[];

/// What registries said about image tags, gathered before evaluation. Empty until the
/// registry look-ups exist; the rules then report only what the cluster shows.
#[derive(Debug, Clone, Default)]
pub struct RegistryFacts {}

pub fn evaluate(_view: &View, _registry: &RegistryFacts, _out: &mut Vec<Finding>) {}
