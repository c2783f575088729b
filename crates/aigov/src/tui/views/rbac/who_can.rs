//! The RBAC view's inline who-can query: `VERB RESOURCE[/SUB] [-n NS] [--name N] [-A]` read
//! as `aigov who-can` reads its arguments, answered from the loaded RBAC index with every
//! granting subject, binding, role and rule.

use crate::engine::access::{parse_target, unreadable};
use crate::report::access::{self, WhoCan};
use crate::tui::table::{Column, TableModel, TableRow, Tone, column};
use aigov_core::model::Snapshot;
use aigov_core::rules::RulesConfig;
use aigov_core::rules::rbac::{RbacIndex, Request};
use ratatui::layout::Constraint;

/// What the prompt's text says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub verb: String,
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `-A`: cluster-wide on purpose, so no note about RoleBindings being left out.
    pub all_namespaces: bool,
}

const USAGE: &str = "who-can: give VERB RESOURCE[/SUBRESOURCE] [-n NAMESPACE] [--name NAME], e.g. create pods/exec -n ml";

/// Read the prompt's text; the error is one line for the status bar.
pub fn parse_query(text: &str) -> Result<Query, String> {
    let mut query = Query::default();
    let mut positional: Vec<&str> = Vec::new();
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v)),
            _ => (word, None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            match inline
                .map(str::to_string)
                .or_else(|| words.next().map(str::to_string))
            {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(format!("who-can: {what} needs a value")),
            }
        };
        match flag {
            "-n" | "--namespace" => query.namespace = Some(value(flag)?),
            "--name" => query.name = Some(value(flag)?),
            "-A" | "--all-namespaces" => query.all_namespaces = true,
            f if f.starts_with("-n") && f.len() > 2 && inline.is_none() => {
                query.namespace = Some(f[2..].to_string())
            }
            f if f.starts_with('-') && f.len() > 1 => {
                return Err(format!(
                    "who-can: unknown option {f} (use -n NAMESPACE, --name NAME or -A)"
                ));
            }
            _ => positional.push(word),
        }
    }
    if query.all_namespaces && query.namespace.is_some() {
        return Err("who-can: -A and -n cannot be used together".into());
    }
    match positional.as_slice() {
        [verb, resource] => {
            query.verb = verb.to_string();
            query.resource = resource.to_string();
            Ok(query)
        }
        [] | [_] => Err(USAGE.into()),
        [_, _, extra, ..] => Err(format!(
            "who-can: unexpected {extra:?}; {}",
            USAGE.trim_start_matches("who-can: ")
        )),
    }
}

/// The answer on screen: what was asked, notes on how it was read, and one row per
/// subject, binding and granting rule.
#[derive(Debug)]
pub struct Answer {
    /// The text the user typed (for the next prompt).
    pub query: String,
    pub request: Request,
    /// `create pods/exec in namespace ml (API group "")`, sanitised.
    pub what: String,
    pub answer: WhoCan,
    /// (subject, grant) index into `answer.subjects`, per row.
    pub positions: Vec<(usize, usize)>,
    pub table: TableModel,
}

fn columns() -> Vec<Column> {
    vec![
        column("SUBJECT", Constraint::Percentage(28)),
        column("BINDING", Constraint::Percentage(28)),
        column("ROLE", Constraint::Percentage(18)),
        column("RULE", Constraint::Percentage(26)),
    ]
}

fn label(kind: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {namespace}/{name}")
    }
}

/// `verbs [get] on [secrets] in apiGroups [""]`, from the answer's sanitised rule.
pub fn rule_text(rule: &access::RuleOut) -> String {
    aigov_core::rules::permissions::describe_rule(&aigov_core::model::rbac::PolicyRule {
        verbs: rule.verbs.clone(),
        api_groups: rule.api_groups.clone(),
        resources: rule.resources.clone(),
        resource_names: rule.resource_names.clone(),
        non_resource_urls: rule.non_resource_urls.clone(),
    })
}

/// Answer `text` from the index; `Err` is a one-line message for the status bar.
pub fn answer(
    text: &str,
    snapshot: &Snapshot,
    index: &RbacIndex,
    settings: &RulesConfig,
) -> Result<Answer, String> {
    let query = parse_query(text)?;
    let target = parse_target(
        &query.verb,
        &query.resource,
        query.namespace.as_deref(),
        query.name.as_deref(),
    )
    .map_err(|e| format!("who-can: {e}"))?;
    let mut notes = target.notes.clone();
    if query.namespace.is_none()
        && !query.all_namespaces
        && target.namespaced != Some(false)
        && !matches!(target.request, Request::NonResource { .. })
    {
        notes.push(
            "no namespace given: only ClusterRoleBindings are considered; add -n NAMESPACE for RoleBindings too"
                .into(),
        );
    }
    if let Some(ns) = &query.namespace
        && !snapshot.namespaces.iter().any(|n| n.meta.name == *ns)
    {
        notes.push(format!("namespace {ns:?} does not exist in this cluster"));
    }
    let grants = index.who_can(&target.request);
    let incomplete = unreadable(snapshot, target.request.namespace());
    let answer = access::who_can(&target.request, &grants, settings, &notes, &incomplete);
    let mut positions = Vec::new();
    let mut rows = Vec::new();
    for (si, s) in answer.subjects.iter().enumerate() {
        let mut subject = label(s.kind, &s.namespace, &s.name);
        if !s.class.is_empty() {
            subject.push_str(&format!(" ({})", s.class));
        }
        let tone = match s.class {
            "broad" => Tone::Severity(aigov_core::rules::Severity::High),
            "system" => Tone::Muted,
            _ => Tone::Plain,
        };
        for (gi, g) in s.grants.iter().enumerate() {
            let binding = label(g.binding_kind, &g.binding_namespace, &g.binding_name);
            let key = format!("{subject}|{binding}|{gi}");
            rows.push(
                TableRow::new(
                    vec![
                        subject.clone(),
                        binding,
                        format!("{} {}", g.role_kind, g.role_name),
                        rule_text(&g.rule),
                    ],
                    key,
                    tone,
                )
                .source(positions.len()),
            );
            positions.push((si, gi));
        }
    }
    Ok(Answer {
        query: text.trim().to_string(),
        what: access::describe_request(&target.request),
        request: target.request,
        answer,
        positions,
        table: TableModel::new(columns(), rows),
    })
}

impl Answer {
    /// The results table's title.
    pub fn title(&self) -> String {
        let n = self.answer.subjects.len();
        if n == 0 {
            format!("who-can: nobody can {}", self.what)
        } else {
            format!("who-can: {n} subject(s) can {}", self.what)
        }
    }

    /// Notes on how the query was read, then kinds that could not be read.
    pub fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self.answer.notes.clone();
        out.extend(
            self.answer
                .incomplete
                .iter()
                .map(|i| format!("{i}: the list may miss subjects")),
        );
        out
    }

    /// Run the same query again on new data, keeping the selection and the filter.
    pub fn refresh(
        &mut self,
        snapshot: &Snapshot,
        index: &RbacIndex,
        settings: &RulesConfig,
    ) -> Result<(), String> {
        let mut fresh = answer(&self.query, snapshot, index, settings)?;
        let rows = std::mem::take(&mut fresh.table.rows);
        fresh.table = std::mem::take(&mut self.table);
        fresh.table.replace_rows(rows);
        *self = fresh;
        Ok(())
    }
}
