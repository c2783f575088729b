//! `RbacIndex`: roles and bindings indexed once, so each query touches only the bindings that can apply.

use super::matching::{rule_allows, subject_matches, user_subjects};
use super::{Decision, Grant, Request, ResolvedRule, UserInfo, aggregate};
use crate::model::rbac::{Binding, PolicyRule, Role, RoleRefKind, Subject, SubjectKind};
use std::collections::HashMap;

struct IndexedRole {
    namespace: String,
    /// Effective rules: aggregated for an aggregating ClusterRole.
    rules: Vec<PolicyRule>,
}

struct IndexedBinding {
    kind: &'static str,
    namespace: String,
    name: String,
    role_kind: RoleRefKind,
    role_name: String,
    /// The role it refers to, if that role exists.
    role: Option<usize>,
    /// Subjects with ServiceAccount namespaces defaulted to the binding's, without repeats.
    subjects: Vec<Subject>,
}

/// Roles and bindings of one cluster, indexed for authorisation and analysis.
///
/// Roles and bindings are kept sorted by (namespace, name), so cluster-scoped ones
/// (empty namespace) come first and each namespace's are contiguous: every per-subject
/// and per-role list of binding indexes is sorted the same way and a namespace's slice
/// is found by binary search.
pub struct RbacIndex {
    roles: Vec<IndexedRole>,
    /// namespace ("" for ClusterRoles) -> name -> role index.
    role_lookup: HashMap<String, HashMap<String, usize>>,
    bindings: Vec<IndexedBinding>,
    /// Subject -> sorted indexes of the bindings naming it.
    by_subject: HashMap<Subject, Vec<usize>>,
    /// Role index -> sorted indexes of the bindings referring to it.
    by_role: Vec<Vec<usize>>,
}

impl RbacIndex {
    /// Index `roles` (Roles and ClusterRoles) and `bindings` (RoleBindings and
    /// ClusterRoleBindings). Of two roles with the same namespace and name, the first wins.
    pub fn new(roles: &[Role], bindings: &[Binding]) -> Self {
        let mut sorted_roles: Vec<&Role> = roles.iter().collect();
        sorted_roles.sort_by(|a, b| meta_key(&a.meta).cmp(&meta_key(&b.meta)));
        sorted_roles.dedup_by(|b, a| meta_key(&a.meta) == meta_key(&b.meta));
        let effective = aggregate::effective_rules(&sorted_roles);

        let mut role_lookup: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (i, role) in sorted_roles.iter().enumerate() {
            role_lookup
                .entry(role.meta.namespace.clone())
                .or_default()
                .insert(role.meta.name.clone(), i);
        }
        let roles: Vec<IndexedRole> = sorted_roles
            .iter()
            .zip(effective)
            .map(|(role, rules)| IndexedRole {
                namespace: role.meta.namespace.clone(),
                rules,
            })
            .collect();

        let mut sorted_bindings: Vec<&Binding> = bindings.iter().collect();
        sorted_bindings.sort_by(|a, b| meta_key(&a.meta).cmp(&meta_key(&b.meta)));

        let mut index = Self {
            by_role: vec![Vec::new(); roles.len()],
            roles,
            role_lookup,
            bindings: Vec::with_capacity(sorted_bindings.len()),
            by_subject: HashMap::new(),
        };
        for (i, binding) in sorted_bindings.into_iter().enumerate() {
            let indexed = index.index_binding(binding);
            if let Some(role) = indexed.role {
                index.by_role[role].push(i);
            }
            for subject in indexed.subjects.iter().filter(|s| matchable(s)) {
                index.by_subject.entry(subject.clone()).or_default().push(i);
            }
            index.bindings.push(indexed);
        }
        index
    }

    fn index_binding(&self, binding: &Binding) -> IndexedBinding {
        let namespace = binding.meta.namespace.clone();
        let role_name = binding.role_ref.name.clone();
        let role = match binding.role_ref.kind {
            // A ClusterRoleBinding's Role would be looked up in namespace "", where none exist.
            RoleRefKind::Role if namespace.is_empty() => None,
            RoleRefKind::Role => self.lookup(&namespace, &role_name),
            RoleRefKind::ClusterRole => self.lookup("", &role_name),
        };
        let mut subjects: Vec<Subject> = Vec::with_capacity(binding.subjects.len());
        for subject in &binding.subjects {
            let mut subject = subject.clone();
            if subject.kind == SubjectKind::ServiceAccount && subject.namespace.is_empty() {
                subject.namespace.clone_from(&namespace);
            }
            if !subjects.contains(&subject) {
                subjects.push(subject);
            }
        }
        IndexedBinding {
            kind: binding.kind_name(),
            namespace,
            name: binding.meta.name.clone(),
            role_kind: binding.role_ref.kind,
            role_name,
            role,
            subjects,
        }
    }

    fn lookup(&self, namespace: &str, name: &str) -> Option<usize> {
        self.role_lookup.get(namespace)?.get(name).copied()
    }

    /// Every way `user` is granted `request`, ClusterRoleBindings first, each binding
    /// reported once per granting rule with the first of its subjects the user matches.
    pub fn authorize(&self, user: &UserInfo, request: &Request) -> Decision {
        let mut grants = Vec::new();
        for (binding, subject) in self.user_bindings(user, request.namespace()) {
            for rule in self.binding_rules(binding) {
                if rule_allows(rule, request) {
                    grants.push(grant(binding, rule, subject));
                }
            }
        }
        Decision {
            allowed: !grants.is_empty(),
            grants,
        }
    }

    /// Whether `user` may do `request`; stops at the first granting rule.
    pub fn is_allowed(&self, user: &UserInfo, request: &Request) -> bool {
        self.user_bindings(user, request.namespace())
            .iter()
            .any(|(binding, _)| {
                self.binding_rules(binding)
                    .iter()
                    .any(|r| rule_allows(r, request))
            })
    }

    /// Every subject granted `request`, one grant per binding, granting rule and subject,
    /// in binding order. ServiceAccounts with no namespace in a ClusterRoleBinding match
    /// nobody and are left out.
    pub fn who_can(&self, request: &Request) -> Vec<Grant> {
        let namespace = request.namespace();
        let cluster_roles = self.roles.partition_point(|r| r.namespace.is_empty());
        let ns_roles = if namespace.is_empty() {
            0..0
        } else {
            let start = self
                .roles
                .partition_point(|r| r.namespace.as_str() < namespace);
            start
                ..self
                    .roles
                    .partition_point(|r| r.namespace.as_str() <= namespace)
        };
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for role in (0..cluster_roles).chain(ns_roles) {
            let slices = self.applicable(&self.by_role[role], namespace);
            if slices.iter().all(|s| s.is_empty()) {
                continue;
            }
            let allowing: Vec<usize> = (self.roles[role].rules.iter().enumerate())
                .filter(|(_, rule)| rule_allows(rule, request))
                .map(|(i, _)| i)
                .collect();
            for &b in slices.iter().copied().flatten() {
                for &rule in &allowing {
                    let subjects = self.bindings[b].subjects.iter().enumerate();
                    found.extend(
                        subjects
                            .filter(|(_, s)| matchable(s))
                            .map(|(s, _)| (b, rule, s)),
                    );
                }
            }
        }
        found.sort_unstable();
        found
            .into_iter()
            .filter_map(|(b, rule, s)| {
                let binding = &self.bindings[b];
                let rule = self.binding_rules(binding).get(rule)?;
                Some(grant(binding, rule, binding.subjects.get(s)?))
            })
            .collect()
    }

    /// Every rule that applies to `user` in `namespace` (ClusterRoleBindings' rules
    /// included), in binding order, as a SelfSubjectRulesReview lists them. With an empty
    /// namespace, only ClusterRoleBindings apply.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Vec<ResolvedRule> {
        let mut out = Vec::new();
        for (binding, subject) in self.user_bindings(user, namespace) {
            out.extend(
                self.binding_rules(binding)
                    .iter()
                    .map(|rule| grant(binding, rule, subject)),
            );
        }
        out
    }

    /// The effective rules of a role: a Role in `namespace`, or a ClusterRole (namespace
    /// ignored), with aggregation applied. `None` when the role does not exist.
    pub fn effective_rules(
        &self,
        role_kind: RoleRefKind,
        role_name: &str,
        namespace: &str,
    ) -> Option<&[PolicyRule]> {
        let role = match role_kind {
            RoleRefKind::Role if namespace.is_empty() => return None,
            RoleRefKind::Role => self.lookup(namespace, role_name)?,
            RoleRefKind::ClusterRole => self.lookup("", role_name)?,
        };
        Some(&self.roles[role].rules)
    }

    /// The bindings that apply to `user` for a request in `namespace`, in binding order,
    /// each with the first of its subjects the user matches.
    fn user_bindings(&self, user: &UserInfo, namespace: &str) -> Vec<(&IndexedBinding, &Subject)> {
        let mut ids: Vec<usize> = Vec::new();
        for subject in user_subjects(user) {
            if let Some(list) = self.by_subject.get(&subject) {
                for slice in self.applicable(list, namespace) {
                    ids.extend_from_slice(slice);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .filter_map(|i| {
                let binding = &self.bindings[i];
                let subject = binding.subjects.iter().find(|s| subject_matches(s, user))?;
                Some((binding, subject))
            })
            .collect()
    }

    /// Of a sorted list of binding indexes, the ClusterRoleBindings and, for a
    /// non-empty namespace, that namespace's RoleBindings.
    fn applicable<'a>(&self, list: &'a [usize], namespace: &str) -> [&'a [usize]; 2] {
        let ns_of = |i: &usize| self.bindings[*i].namespace.as_str();
        let cluster = list.partition_point(|i| ns_of(i).is_empty());
        if namespace.is_empty() {
            return [&list[..cluster], &[]];
        }
        let start = list.partition_point(|i| ns_of(i) < namespace);
        let end = list.partition_point(|i| ns_of(i) <= namespace);
        [&list[..cluster], &list[start..end]]
    }

    fn binding_rules(&self, binding: &IndexedBinding) -> &[PolicyRule] {
        binding.role.map_or(&[], |r| self.roles[r].rules.as_slice())
    }
}

fn meta_key(meta: &crate::model::Meta) -> (&str, &str) {
    (&meta.namespace, &meta.name)
}

/// A ServiceAccount subject without a namespace matches no user.
fn matchable(subject: &Subject) -> bool {
    subject.kind != SubjectKind::ServiceAccount || !subject.namespace.is_empty()
}

fn grant(binding: &IndexedBinding, rule: &PolicyRule, subject: &Subject) -> Grant {
    Grant {
        binding_kind: binding.kind,
        binding_namespace: binding.namespace.clone(),
        binding_name: binding.name.clone(),
        role_kind: binding.role_kind,
        role_name: binding.role_name.clone(),
        rule: rule.clone(),
        subject: subject.clone(),
    }
}
