//! Manifests as a snapshot, for `aigov check -f`: every YAML/JSON object under the given
//! paths, converted like objects read from a cluster, with the file and line of each.

mod documents;

pub use documents::{Document, Problem, manifest_files, read_text};

use crate::model::{Coverage, Kind, Snapshot, convert};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where an object was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
}

/// `(kind, namespace, name)` of an object.
pub type ObjectId = (String, String, String);

#[derive(Debug, Default)]
pub struct Loaded {
    pub snapshot: Snapshot,
    pub locations: HashMap<ObjectId, Location>,
    /// Documents that could not be read or converted.
    pub problems: Vec<Problem>,
    /// Objects of kinds the rules do not read, by kind.
    pub skipped: HashMap<String, usize>,
    pub files: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("no YAML or JSON manifests found under {0}")]
    Empty(PathBuf),
}

/// Read every manifest under `paths`. Missing paths are errors; malformed documents are
/// collected in `problems` and the rest is still loaded.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, ManifestError> {
    let mut loaded = Loaded::default();
    let mut documents = Vec::new();
    for path in paths {
        let unreadable = |e: std::io::Error| ManifestError::Unreadable {
            path: path.clone(),
            reason: e.to_string(),
        };
        if !path.exists() {
            return Err(ManifestError::Unreadable {
                path: path.clone(),
                reason: "no such file or directory".into(),
            });
        }
        let files = manifest_files(path).map_err(unreadable)?;
        if files.is_empty() {
            return Err(ManifestError::Empty(path.clone()));
        }
        for file in files {
            let text = read_file(&file)?;
            loaded.files += 1;
            read_text(&file, &text, &mut documents, &mut loaded.problems);
        }
    }
    finish(&mut loaded, documents, paths);
    Ok(loaded)
}

/// Load the text of one manifest file named `file` (which is not read: its extension picks
/// JSON or YAML), exactly as [`load`] loads each file, without touching the file system.
pub fn load_text(file: &Path, text: &str) -> Loaded {
    let mut loaded = Loaded {
        files: 1,
        ..Loaded::default()
    };
    let mut documents = Vec::new();
    read_text(file, text, &mut documents, &mut loaded.problems);
    finish(&mut loaded, documents, &[file.to_path_buf()]);
    loaded
}

fn finish(loaded: &mut Loaded, documents: Vec<Document>, paths: &[PathBuf]) {
    for document in documents {
        absorb(loaded, document);
    }
    // The files are the whole world: nothing outside them is unknown.
    for kind in Kind::ALL {
        loaded.snapshot.coverage.insert(kind, Coverage::Complete);
    }
    loaded.snapshot.origin.context = "manifests".into();
    loaded.snapshot.origin.server = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
}

fn read_file(file: &Path) -> Result<String, ManifestError> {
    let bytes = std::fs::read(file).map_err(|e| ManifestError::Unreadable {
        path: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|_| ManifestError::Unreadable {
        path: file.to_path_buf(),
        reason: "not UTF-8 text".into(),
    })
}

fn absorb(loaded: &mut Loaded, document: Document) {
    let text = |field: &str| {
        document
            .value
            .get(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (api_version, kind_name) = (text("apiVersion"), text("kind"));
    let problem = |message: String| Problem {
        file: document.file.clone(),
        line: document.line,
        message,
    };
    if api_version.is_empty() || kind_name.is_empty() {
        loaded
            .problems
            .push(problem("the object has no apiVersion or kind".into()));
        return;
    }
    let Some(kind) = Kind::from_api(&api_version, &kind_name) else {
        *loaded.skipped.entry(kind_name).or_insert(0) += 1;
        return;
    };
    let meta = |field: &str| {
        document
            .value
            .pointer(&format!("/metadata/{field}"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let id: ObjectId = (kind.name().to_string(), meta("namespace"), meta("name"));
    match convert::from_json(kind, document.value.clone()) {
        Ok(object) => {
            loaded.snapshot.insert(object);
            loaded.locations.insert(
                id,
                Location {
                    file: document.file,
                    line: document.line,
                },
            );
        }
        Err(e) => loaded.problems.push(problem(format!(
            "{kind_name} {:?} does not match its schema: {}",
            id.2, e.source
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_directories_with_locations_problems_and_skipped_kinds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("apps")).unwrap();
        std::fs::write(
            dir.path().join("apps/train.yaml"),
            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: train, namespace: ml}\nspec:\n  template:\n    spec:\n      containers: [{name: t, image: 'pytorch/pytorch:2.3.1'}]\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: ml}\ndata: [not, a, map]\n---\nspec: {}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("README.md"), "not a manifest").unwrap();
        let loaded = load(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(loaded.files, 1);
        assert_eq!(loaded.snapshot.workloads.len(), 1);
        let location =
            &loaded.locations[&("Job".to_string(), "ml".to_string(), "train".to_string())];
        assert_eq!(location.line, 1);
        assert!(location.file.ends_with("apps/train.yaml"));
        assert_eq!(loaded.skipped.get("Widget"), Some(&1));
        assert_eq!(loaded.problems.len(), 2, "{:?}", loaded.problems);
        assert_eq!(loaded.problems[0].line, 13);
        assert!(loaded.problems[0].message.contains("schema"));
        assert_eq!(loaded.problems[1].line, 18);
        assert!(
            loaded
                .snapshot
                .coverage
                .values()
                .all(|c| *c == Coverage::Complete)
        );
    }

    #[test]
    fn missing_paths_and_empty_directories_are_errors() {
        assert!(matches!(
            load(&[PathBuf::from("/no/such/place")]),
            Err(ManifestError::Unreadable { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(&[dir.path().to_path_buf()]),
            Err(ManifestError::Empty(_))
        ));
    }
}
