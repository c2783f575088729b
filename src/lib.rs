//! aigov: a terminal console for governing Kubernetes clusters that run AI workloads.

pub mod model;
pub mod rules;
pub mod sanitize;
pub mod sim;
