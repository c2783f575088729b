//! The review diff: the live object against the server's dry-run result, as YAML in a unified
//! diff, the way `kubectl diff` shows it (defaulting and admission changes included, because
//! the right side is what the server would store). `managedFields` is left out on both sides,
//! as kubectl does, and every line is sanitised: the objects hold text from the cluster.

use aigov_core::sanitize::sanitize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// One line of a diff, for colouring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// `--- live` / `+++ dry-run` and `@@ ... @@` lines.
    Header(String),
    Context(String),
    Removed(String),
    Added(String),
}

impl DiffLine {
    /// The line as printed in a unified diff.
    pub fn text(&self) -> String {
        match self {
            DiffLine::Header(t) => t.clone(),
            DiffLine::Context(t) => format!(" {t}"),
            DiffLine::Removed(t) => format!("-{t}"),
            DiffLine::Added(t) => format!("+{t}"),
        }
    }
}

/// `value` as YAML without `metadata.managedFields`; `None` (an object that does not exist,
/// before a create or after a delete) is empty.
pub fn yaml(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return String::new();
    };
    let mut value = value.clone();
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    serde_saphyr::to_string(&value).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
}

/// The unified diff (3 lines of context) from `live` to `dry_run`; empty when they are equal.
pub fn unified(live: Option<&Value>, dry_run: Option<&Value>) -> Vec<DiffLine> {
    let (old, new) = (yaml(live), yaml(dry_run));
    let diff = TextDiff::from_lines(&old, &new);
    let mut lines = Vec::new();
    for group in diff.grouped_ops(3) {
        if lines.is_empty() {
            lines.push(DiffLine::Header("--- live".into()));
            lines.push(DiffLine::Header("+++ dry-run".into()));
        }
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        lines.push(DiffLine::Header(format!(
            "@@ -{},{} +{},{} @@",
            old_range.start + 1,
            old_range.len(),
            new_range.start + 1,
            new_range.len()
        )));
        for op in &group {
            for change in diff.iter_changes(op) {
                let text = sanitize(change.value().trim_end_matches('\n')).into_owned();
                lines.push(match change.tag() {
                    ChangeTag::Equal => DiffLine::Context(text),
                    ChangeTag::Delete => DiffLine::Removed(text),
                    ChangeTag::Insert => DiffLine::Added(text),
                });
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_diff_shows_what_the_server_would_change_without_managed_fields() {
        let live = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "ml", "labels": {"team": "ml"},
                         "managedFields": [{"manager": "kubectl"}]}
        });
        let mut dry = live.clone();
        dry["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = json!("baseline");
        dry["metadata"]["managedFields"] = json!([{"manager": "aigov"}]);
        let lines = unified(Some(&live), Some(&dry));
        let text: Vec<String> = lines.iter().map(DiffLine::text).collect();
        assert_eq!(text[0], "--- live");
        assert_eq!(text[1], "+++ dry-run");
        assert!(text[2].starts_with("@@ "), "{text:?}");
        let added: Vec<&DiffLine> = lines
            .iter()
            .filter(|l| matches!(l, DiffLine::Added(_)))
            .collect();
        assert_eq!(added.len(), 1, "{text:?}");
        assert!(
            added[0]
                .text()
                .contains("pod-security.kubernetes.io/enforce: baseline")
        );
        assert!(
            !text.iter().any(|l| l.contains("managedFields")),
            "{text:?}"
        );
        assert!(unified(Some(&live), Some(&live)).is_empty());
    }

    #[test]
    fn a_create_is_all_additions_and_hostile_text_is_made_visible() {
        let created =
            json!({"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "a\u{1b}[2Jb"}});
        let lines = unified(None, Some(&created));
        assert!(
            lines
                .iter()
                .skip(3)
                .all(|l| matches!(l, DiffLine::Added(_)))
        );
        let all: String = lines.iter().map(DiffLine::text).collect();
        assert!(!all.contains('\u{1b}'), "{all}");
    }
}
