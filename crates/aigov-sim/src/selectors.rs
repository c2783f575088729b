//! Label and field selectors in their query-string form (`app=web,tier in (a,b),!canary`).

use aigov_core::model::meta::{LabelSelector, Labels, SelectorOperator, SelectorRequirement};
use serde_json::Value;

/// A parsed `labelSelector`: every requirement must hold. `a=b` is `a in (b)` and `a!=b` is
/// `a notin (b)`, as the API server reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelQuery {
    selector: LabelSelector,
}

impl LabelQuery {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut match_expressions = Vec::new();
        for term in split_terms(text) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            match_expressions.push(parse_term(term)?);
        }
        Ok(LabelQuery {
            selector: LabelSelector {
                match_labels: Labels::new(),
                match_expressions,
            },
        })
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.selector.matches(labels)
    }

    pub fn is_empty(&self) -> bool {
        self.selector.is_empty()
    }
}

/// Split on commas that are not inside a `( ... )` value set.
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
}

fn valid_key(key: &str) -> Result<String, String> {
    let ok = !key.is_empty()
        && key.len() <= 317
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if ok {
        Ok(key.to_string())
    } else {
        Err(format!("invalid label key {key:?}"))
    }
}

fn parse_term(term: &str) -> Result<SelectorRequirement, String> {
    if let Some(key) = term.strip_prefix('!') {
        return Ok(SelectorRequirement {
            key: valid_key(key.trim())?,
            operator: SelectorOperator::DoesNotExist,
            values: vec![],
        });
    }
    if let Some((key, value)) = term.split_once("!=") {
        return Ok(SelectorRequirement {
            key: valid_key(key.trim())?,
            operator: SelectorOperator::NotIn,
            values: vec![value.trim().to_string()],
        });
    }
    if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Ok(SelectorRequirement {
            key: valid_key(key.trim())?,
            operator: SelectorOperator::In,
            values: vec![value.trim().to_string()],
        });
    }
    for (word, operator) in [
        (" notin ", SelectorOperator::NotIn),
        (" in ", SelectorOperator::In),
    ] {
        if let Some((key, set)) = term.split_once(word) {
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| format!("expected a ( value, ... ) set in {term:?}"))?;
            let values = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            return Ok(SelectorRequirement {
                key: valid_key(key.trim())?,
                operator,
                values: values.collect(),
            });
        }
    }
    Ok(SelectorRequirement {
        key: valid_key(term)?,
        operator: SelectorOperator::Exists,
        values: vec![],
    })
}

/// A parsed `fieldSelector`: `path=value` / `path!=value` terms over the object's fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldQuery {
    terms: Vec<(Vec<String>, bool, String)>,
}

impl FieldQuery {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (path, equal, value) = if let Some((p, v)) = term.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (p, true, v)
            } else {
                return Err(format!("invalid field selector term {term:?}"));
            };
            let path: Vec<String> = path.trim().split('.').map(str::to_string).collect();
            if path.iter().any(String::is_empty) {
                return Err(format!("field label not supported: {}", path.join(".")));
            }
            terms.push((path, equal, value.trim().to_string()));
        }
        Ok(FieldQuery { terms })
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.terms.iter().all(|(path, equal, wanted)| {
            let mut cursor = object;
            for segment in path {
                cursor = cursor.get(segment).unwrap_or(&Value::Null);
            }
            let actual = match cursor {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (actual == *wanted) == *equal
        })
    }
}

/// The labels of a stored object.
pub fn labels_of(object: &Value) -> Labels {
    object
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_every_operator() {
        let q = LabelQuery::parse("app=vllm,tier in (gpu, tpu),env!=dev,!canary,team").unwrap();
        assert!(q.matches(&labels(&[("app", "vllm"), ("tier", "gpu"), ("team", "ml")])));
        assert!(!q.matches(&labels(&[("app", "vllm"), ("tier", "cpu"), ("team", "ml")])));
        assert!(!q.matches(&labels(&[
            ("app", "vllm"),
            ("tier", "gpu"),
            ("team", "ml"),
            ("canary", "y")
        ])));
        assert!(!q.matches(&labels(&[
            ("app", "vllm"),
            ("tier", "gpu"),
            ("env", "dev"),
            ("team", "a")
        ])));
        assert!(!q.matches(&labels(&[("app", "vllm"), ("tier", "gpu")])));
        let notin = LabelQuery::parse("env notin (prod)").unwrap();
        assert!(notin.matches(&labels(&[])));
        assert!(!notin.matches(&labels(&[("env", "prod")])));
    }

    #[test]
    fn rejects_malformed_selectors() {
        assert!(LabelQuery::parse("tier in gpu").is_err());
        assert!(LabelQuery::parse("bad key=1").is_err());
        assert!(FieldQuery::parse("metadata.name").is_err());
    }

    #[test]
    fn field_selectors_compare_nested_fields() {
        let pod =
            json!({"metadata": {"name": "a", "namespace": "ml"}, "status": {"phase": "Running"}});
        assert!(
            FieldQuery::parse("metadata.name=a,metadata.namespace=ml")
                .unwrap()
                .matches(&pod)
        );
        assert!(!FieldQuery::parse("metadata.name!=a").unwrap().matches(&pod));
        assert!(
            FieldQuery::parse("status.phase==Running")
                .unwrap()
                .matches(&pod)
        );
        assert!(FieldQuery::parse("spec.nodeName=").unwrap().matches(&pod));
    }
}
