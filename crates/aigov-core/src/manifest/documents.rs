//! Reading manifest files into JSON documents with the line each starts on. A malformed
//! document is reported with its file and line, and the documents around it are still read.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// One object from a file, with where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub file: PathBuf,
    /// 1-based line of the document's first line.
    pub line: usize,
    pub value: Value,
}

/// A document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.file.display(),
            self.line,
            crate::sanitize::sanitize(&self.message)
        )
    }
}

/// The position and message of a YAML error, from the first line of serde-saphyr's text
/// (`error: line 3 column 2: ...`). The later lines quote the source, which may hold
/// secret data, so they are never used.
fn yaml_error(error: &serde_saphyr::Error) -> (Option<usize>, String) {
    let text = error.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let line = first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok());
    let message = match first.split_once(": ") {
        Some((position, message)) if position.starts_with("line ") => message.to_string(),
        _ => first,
    };
    (line, message)
}

/// How deep serde-saphyr's default budget lets YAML nest, and serde_json's recursion limit.
const YAML_MAX_DEPTH: usize = 64;
const JSON_MAX_DEPTH: usize = 128;

/// A parser's message for nesting past its limit says so in words (serde-saphyr's is the
/// Debug form of its budget, `budget breached: Depth { depth: 65 }`); other messages pass.
fn plain_message(message: String) -> String {
    if message.starts_with("budget breached: Depth") {
        format!(
            "the document is nested more than {YAML_MAX_DEPTH} levels deep, which aigov does not read"
        )
    } else if message.starts_with("recursion limit exceeded") {
        format!(
            "the document is nested more than {JSON_MAX_DEPTH} levels deep, which aigov does not read"
        )
    } else {
        message
    }
}

/// Split YAML text into documents at `---` lines, keeping each one's first line number.
fn split_yaml(text: &str) -> Vec<(usize, String)> {
    let mut documents = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (index, line) in text.lines().enumerate() {
        let marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if marker || line == "..." {
            documents.push((start, std::mem::take(&mut current)));
            start = index + 2;
            if marker && !line[3..].trim().is_empty() && !line[3..].trim_start().starts_with('#') {
                // Content on the marker line (`--- {a: 1}`) belongs to the new document.
                current.push_str(&line[3..]);
                current.push('\n');
                start = index + 1;
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    documents.push((start, current));
    documents
}

/// Expand `kind: List` (and `*List`) documents into their items, which share the list's line.
fn push_expanded(out: &mut Vec<Document>, file: &Path, line: usize, value: Value) {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List"));
    match (is_list, value.get("items").and_then(Value::as_array)) {
        (true, Some(items)) => {
            for item in items {
                out.push(Document {
                    file: file.to_path_buf(),
                    line,
                    value: item.clone(),
                });
            }
        }
        _ => out.push(Document {
            file: file.to_path_buf(),
            line,
            value,
        }),
    }
}

/// Read one file: JSON when it ends in `.json`, otherwise multi-document YAML.
pub fn read_text(
    file: &Path,
    text: &str,
    documents: &mut Vec<Document>,
    problems: &mut Vec<Problem>,
) {
    if file.extension().is_some_and(|e| e == "json") {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => push_expanded(documents, file, 1, value),
            Err(e) => problems.push(Problem {
                file: file.to_path_buf(),
                line: e.line().max(1),
                message: plain_message(e.to_string()),
            }),
        }
        return;
    }
    for (start, chunk) in split_yaml(text) {
        if chunk.trim().is_empty()
            || chunk
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        match serde_saphyr::from_str::<Value>(&chunk) {
            Ok(Value::Null) => {}
            Ok(value @ Value::Object(_)) => push_expanded(documents, file, start, value),
            Ok(_) => problems.push(Problem {
                file: file.to_path_buf(),
                line: start,
                message:
                    "the document is not a Kubernetes object (a mapping with apiVersion and kind)"
                        .into(),
            }),
            Err(e) => {
                let (line, message) = yaml_error(&e);
                problems.push(Problem {
                    file: file.to_path_buf(),
                    line: start + line.unwrap_or(1) - 1,
                    message: plain_message(message),
                });
            }
        }
    }
}

/// Every `.yaml`, `.yml` and `.json` file under `path` (or `path` itself), sorted.
pub fn manifest_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> (Vec<Document>, Vec<Problem>) {
        let (mut docs, mut problems) = (Vec::new(), Vec::new());
        read_text(Path::new(name), text, &mut docs, &mut problems);
        (docs, problems)
    }

    #[test]
    fn multi_document_yaml_keeps_start_lines() {
        let (docs, problems) = read(
            "a.yaml",
            "# header\n---\nkind: A\n---\n\nkind: B\n--- {kind: C}\n...\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let found: Vec<(usize, &str)> = docs
            .iter()
            .map(|d| (d.line, d.value["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(found, vec![(3, "A"), (5, "B"), (7, "C")]);
    }

    #[test]
    fn a_malformed_document_is_reported_at_its_line_and_the_rest_is_read() {
        let text = "kind: A\n---\nkind: B\nspec: [unterminated\n  x: 1\n---\nkind: C\n";
        let (docs, problems) = read("m.yaml", text);
        assert_eq!(
            docs.iter()
                .map(|d| d.value["kind"].as_str().unwrap())
                .collect::<Vec<_>>(),
            vec!["A", "C"]
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, Path::new("m.yaml"));
        assert!((3..=5).contains(&problems[0].line), "{:?}", problems[0]);
        assert!(!problems[0].message.contains('\n'));
    }

    #[test]
    fn yaml_errors_never_quote_the_source() {
        let (_, problems) = read(
            "s.yaml",
            "kind: Secret\ndata:\n  password: c2VjcmV0LXZhbHVl\n   broken: [\n",
        );
        assert_eq!(problems.len(), 1);
        assert!(
            !problems[0].to_string().contains("c2VjcmV0LXZhbHVl"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn nesting_past_the_parsers_limits_is_one_plain_line() {
        let depth = 10_000;
        let yaml = format!(
            "kind: A\nx: {}1{}\n",
            "{a: ".repeat(depth),
            "}".repeat(depth)
        );
        let json = format!(
            "{{\"kind\": \"A\", \"x\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        for (name, text, limit) in [("deep.yaml", yaml, "64"), ("deep.json", json, "128")] {
            let (docs, problems) = read(name, &text);
            assert!(docs.is_empty(), "{name}");
            assert_eq!(problems.len(), 1, "{name}: {problems:?}");
            let shown = problems[0].to_string();
            assert!(
                shown.contains(&format!("nested more than {limit} levels deep")),
                "{shown}"
            );
            assert!(
                !shown.contains('\n') && !shown.contains("Depth {"),
                "{shown}"
            );
        }
    }

    #[test]
    fn lists_expand_and_json_files_parse() {
        let (docs, problems) = read(
            "l.json",
            r#"{"kind": "List", "items": [{"kind": "A"}, {"kind": "B"}]}"#,
        );
        assert!(problems.is_empty());
        assert_eq!(docs.len(), 2);
        let (docs, problems) = read("bad.json", "{\"kind\": \n\n oops}");
        assert!(docs.is_empty());
        assert_eq!(problems[0].line, 3);
        let (_, problems) = read("scalar.yaml", "just a string\n");
        assert_eq!(problems.len(), 1);
    }
}
