//! Redaction of what goes into an entry: Secret `data`/`stringData` values, kubectl's
//! `last-applied-configuration` annotation (a full copy of the object), and any value the
//! secret-like literal detector of the config rules (`rules::config::scan`) recognises.
//! Redaction replaces values, never keys, and is idempotent.

use aigov_core::model::ConfigValue;
use aigov_core::rules::config::{classify, scan};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What a Secret's data value becomes.
pub const REDACTED: &str = "[REDACTED]";

/// kubectl keeps the whole applied object, Secret data included, in this annotation.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The fields of a Secret that hold its values.
const SECRET_FIELDS: [&str; 2] = ["data", "stringData"];

/// The entropy threshold of the config rules' default settings: the log redacts at least
/// what `aigov audit` reports.
fn entropy_bits() -> f64 {
    aigov_core::rules::RulesConfig::default().secret_entropy_bits
}

/// Redact a request body: a merge/strategic/apply body (an object) or a JSON patch (an array
/// of operations). `secret` says the target is a Secret; a body with `kind: Secret` is
/// recognised on its own.
pub fn redact_patch(body: &mut Value, secret: bool) {
    match body {
        Value::Object(map) if secret || is_secret_object(map) => redact_secret_fields(map),
        Value::Array(ops) => {
            for op in ops.iter_mut() {
                if let Value::Object(op) = op {
                    redact_json_patch_op(op, secret);
                }
            }
        }
        _ => {}
    }
    redact_value(body);
}

fn is_secret_object(map: &Map<String, Value>) -> bool {
    map.get("kind").and_then(Value::as_str) == Some("Secret")
        && map
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_none_or(|v| v == "v1")
}

fn redact_secret_fields(map: &mut Map<String, Value>) {
    for field in SECRET_FIELDS {
        if let Some(values) = map.get_mut(field) {
            redact_all(values);
        }
    }
}

/// Every value under a Secret field: each key's value of an object, or the whole thing.
fn redact_all(value: &mut Value) {
    match value {
        Value::Null => {}
        Value::Object(values) => {
            for v in values.values_mut() {
                if !v.is_null() {
                    *v = Value::String(REDACTED.into());
                }
            }
        }
        other => *other = Value::String(REDACTED.into()),
    }
}

/// One RFC 6902 operation: `{"op": "add", "path": "/data/password", "value": ...}`.
fn redact_json_patch_op(op: &mut Map<String, Value>, secret: bool) {
    let Some(path) = op.get("path").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let Some(value) = op.get_mut("value") else {
        return;
    };
    let segments: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    if segments.last().is_some_and(|s| s == LAST_APPLIED) {
        *value = Value::String(REDACTED.into());
        return;
    }
    if secret {
        match segments.first().map(String::as_str) {
            // The whole object is replaced.
            None | Some("") => redact_patch(value, true),
            Some(field) if SECRET_FIELDS.contains(&field) => {
                if segments.len() == 1 {
                    redact_all(value);
                } else {
                    *value = Value::String(REDACTED.into());
                }
            }
            _ => {}
        }
    }
    // The key the value is written under decides whether it looks like a credential.
    if let (Some(name), Value::String(text)) = (segments.last(), &*value)
        && let Some(why) = secret_like(name, text)
    {
        *value = Value::String(masked(why));
    }
}

/// Walk any JSON and redact secret-like strings, judging each by the key it sits under
/// (for `{"name": N, "value": V}` pairs such as env vars, by `N`).
pub fn redact_value(value: &mut Value) {
    walk(value, "");
}

fn walk(value: &mut Value, name: &str) {
    match value {
        Value::String(text) => {
            if let Some(why) = secret_like(name, text) {
                *value = Value::String(masked(why));
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, name);
            }
        }
        Value::Object(map) => {
            // A Secret nested anywhere (a List, a before/after pair in details).
            if is_secret_object(map) {
                redact_secret_fields(map);
            }
            // env vars and similar: the name is a sibling of the value.
            let pair_name = map.get("name").and_then(Value::as_str).map(str::to_string);
            if let (Some(pair_name), Some(Value::String(text))) = (&pair_name, map.get("value"))
                && let Some(why) = secret_like(pair_name, text)
            {
                map.insert("value".into(), Value::String(masked(why)));
            }
            for (key, v) in map.iter_mut() {
                if key == LAST_APPLIED {
                    if !v.is_null() {
                        *v = Value::String(REDACTED.into());
                    }
                    continue;
                }
                walk(v, key);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn masked(why: &str) -> String {
    format!("[REDACTED: {why}]")
}

/// Why `name = text` looks like a credential, if it does.
fn secret_like(name: &str, text: &str) -> Option<&'static str> {
    if text.starts_with("[REDACTED") {
        return None;
    }
    scan(name, &ConfigValue::new(text), entropy_bits())
        .first()
        .map(|hit| hit.why)
}

/// Free text (a justification): every whitespace-separated word that is or holds a
/// credential token, or is a `KEY=value` pair with a secret-like value, is replaced.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let bits = entropy_bits();
    let is_secret = |word: &str| {
        if classify("", word, bits).is_some() {
            return true;
        }
        word.split_once(['=', ':'])
            .is_some_and(|(k, v)| !v.is_empty() && classify(k, v, bits).is_some())
    };
    if !text.split_whitespace().any(is_secret) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_start = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..word_start]);
        rest = &rest[word_start..];
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..word_end];
        if is_secret(word) {
            out.push_str(REDACTED);
        } else {
            out.push_str(word);
        }
        rest = &rest[word_end..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CANARY: &str = "AIGOV-CANARY-SECRET-7f3a9c";
    const HF: &str = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567";

    fn contains(value: &Value, needle: &str) -> bool {
        serde_json::to_string(value).unwrap().contains(needle)
    }

    #[test]
    fn secret_data_and_string_data_values_are_replaced_keys_kept() {
        let mut body = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "labels": {"app": "llm"}},
            "data": {"password": "QUlHT1YtQ0FOQVJZLVNFQ1JFVC03ZjNhOWM="},
            "stringData": {"token": CANARY, "gone": null},
        });
        redact_patch(&mut body, false);
        assert!(!contains(&body, CANARY));
        assert!(!contains(&body, "QUlHT1Yt"));
        assert_eq!(body["data"]["password"], REDACTED);
        assert_eq!(body["stringData"]["token"], REDACTED);
        assert_eq!(body["stringData"]["gone"], Value::Null, "a deletion stays");
        assert_eq!(body["metadata"]["labels"]["app"], "llm");
    }

    #[test]
    fn a_patch_to_a_secret_is_redacted_without_a_kind() {
        let mut merge = json!({"stringData": {"password": CANARY}});
        redact_patch(&mut merge, true);
        assert!(!contains(&merge, CANARY));
        // Without knowing the target, a plain ConfigMap-like value stays.
        let mut config = json!({"data": {"MODEL": "llama-3-8b"}});
        redact_patch(&mut config, false);
        assert_eq!(config["data"]["MODEL"], "llama-3-8b");
    }

    #[test]
    fn json_patch_operations_on_secret_data_are_redacted() {
        let mut ops = json!([
            {"op": "add", "path": "/data/password", "value": "c2VjcmV0"},
            {"op": "replace", "path": "/stringData", "value": {"token": CANARY}},
            {"op": "replace", "path": "", "value": {"kind": "Secret", "data": {"a": "Yg=="}}},
            {"op": "replace", "path": "/metadata/labels/tier", "value": "gold"},
            {"op": "remove", "path": "/data/old"},
        ]);
        redact_patch(&mut ops, true);
        assert_eq!(ops[0]["value"], REDACTED);
        assert_eq!(ops[1]["value"]["token"], REDACTED);
        assert_eq!(ops[2]["value"]["data"]["a"], REDACTED);
        assert_eq!(ops[3]["value"], "gold");
        assert_eq!(ops[4], json!({"op": "remove", "path": "/data/old"}));
    }

    #[test]
    fn secret_like_values_anywhere_are_redacted() {
        let mut body = json!({
            "kind": "ConfigMap",
            "data": {
                "HF_TOKEN": HF,
                "hub.env": format!("MODEL=llama\nHF_TOKEN={HF}\n"),
                "note": format!("token is {HF}"),
                "MODEL_ID": "meta-llama/Meta-Llama-3-8B-Instruct",
            },
            "spec": {"containers": [{"env": [
                {"name": "DB_PASSWORD", "value": "Tr0ub4dor&3xQ9"},
                {"name": "LOG_LEVEL", "value": "debug"},
            ]}]},
        });
        redact_patch(&mut body, false);
        assert!(!contains(&body, HF), "{body}");
        assert!(!contains(&body, "Tr0ub4dor"), "{body}");
        assert_eq!(
            body["data"]["MODEL_ID"],
            "meta-llama/Meta-Llama-3-8B-Instruct"
        );
        assert_eq!(body["spec"]["containers"][0]["env"][1]["value"], "debug");
        assert!(
            body["data"]["HF_TOKEN"]
                .as_str()
                .unwrap()
                .starts_with("[REDACTED: ")
        );
        let mut ops = json!([{"op": "add", "path": "/data/HF_TOKEN", "value": HF}]);
        redact_patch(&mut ops, false);
        assert!(!contains(&ops, HF));
    }

    #[test]
    fn secrets_nested_anywhere_are_redacted() {
        let mut details = json!({
            "before": {"apiVersion": "v1", "kind": "Secret", "data": {"pw": "c2VjcmV0"}},
            "items": [{"kind": "Secret", "stringData": {"pw": CANARY}}],
        });
        redact_value(&mut details);
        assert!(!contains(&details, CANARY) && !contains(&details, "c2VjcmV0"));
        assert_eq!(details["before"]["data"]["pw"], REDACTED);
    }

    #[test]
    fn the_last_applied_annotation_is_always_redacted() {
        let annotation = format!("{{\"kind\":\"Secret\",\"stringData\":{{\"pw\":\"{CANARY}\"}}}}");
        let mut body =
            json!({"metadata": {"annotations": {LAST_APPLIED: annotation, "team": "ml"}}});
        redact_patch(&mut body, false);
        assert_eq!(body["metadata"]["annotations"][LAST_APPLIED], REDACTED);
        assert_eq!(body["metadata"]["annotations"]["team"], "ml");
        let mut ops = json!([{
            "op": "add",
            "path": "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
            "value": annotation,
        }]);
        redact_patch(&mut ops, false);
        assert!(!contains(&ops, CANARY));
    }

    #[test]
    fn redaction_is_idempotent() {
        let mut body = json!({"kind": "Secret", "data": {"a": "Yg=="}, "x": {"HF_TOKEN": HF}});
        redact_patch(&mut body, false);
        let once = body.clone();
        redact_patch(&mut body, true);
        assert_eq!(body, once);
    }

    #[test]
    fn free_text_loses_tokens_and_keeps_the_rest() {
        let text = format!("rotate  leaked {HF} and DB_PASSWORD=Tr0ub4dor&3xQ9 now");
        let clean = redact_text(&text);
        assert_eq!(clean, "rotate  leaked [REDACTED] and [REDACTED] now");
        assert!(matches!(
            redact_text("scale vllm down to 2 replicas for the weekend"),
            Cow::Borrowed(_)
        ));
    }
}
