//! Aggregated ClusterRoles: the rules of every ClusterRole an aggregation selector picks, resolved once.
//!
//! Kubernetes' aggregation controller rewrites an aggregating ClusterRole's `rules` with
//! the rules of the ClusterRoles its selectors match; an aggregating role matched by
//! another one passes its aggregate on, so the result is transitive. Here the effective
//! rules are the role's own rules plus the own rules of every ClusterRole reachable
//! through selectors, which is that fixed point and terminates on cycles.

use crate::model::rbac::{PolicyRule, Role};
use std::collections::HashSet;

/// The effective rules of each role in `roles`, index for index. ClusterRoles (empty
/// namespace) must come first, as the index sorts them.
pub fn effective_rules(roles: &[&Role]) -> Vec<Vec<PolicyRule>> {
    let cluster_end = roles.partition_point(|r| r.meta.namespace.is_empty());
    let cluster = &roles[..cluster_end];
    let edges: Vec<Vec<usize>> = cluster
        .iter()
        .enumerate()
        .map(|(i, role)| selected(cluster, i, role))
        .collect();
    roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            if i < cluster_end && !role.aggregation.is_empty() {
                reachable_rules(cluster, &edges, i)
            } else {
                role.rules.clone()
            }
        })
        .collect()
}

/// The ClusterRoles `role` (at `me`) selects, in selector order and then by name,
/// without itself (as the controller skips it) and without repeats.
fn selected(cluster: &[&Role], me: usize, role: &Role) -> Vec<usize> {
    let mut seen = vec![false; cluster.len()];
    let mut out = Vec::new();
    for selector in &role.aggregation {
        for (j, candidate) in cluster.iter().enumerate() {
            if j != me && !seen[j] && selector.matches(&candidate.meta.labels) {
                seen[j] = true;
                out.push(j);
            }
        }
    }
    out
}

/// Own rules of `start` and of every role reachable from it, depth first, each
/// distinct rule once.
fn reachable_rules(cluster: &[&Role], edges: &[Vec<usize>], start: usize) -> Vec<PolicyRule> {
    let mut visited = vec![false; cluster.len()];
    let mut seen_rules: HashSet<&PolicyRule> = HashSet::new();
    let mut out = Vec::new();
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut visited[i], true) {
            continue;
        }
        for rule in &cluster[i].rules {
            if seen_rules.insert(rule) {
                out.push(rule.clone());
            }
        }
        stack.extend(edges[i].iter().rev().filter(|&&j| !visited[j]));
    }
    out
}
