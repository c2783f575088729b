//! The operator's consent to run local programs that a kubeconfig or a Docker config names
//! (kubeconfig `exec` credential plugins, Docker credential helpers): keyed by a hash of the
//! command, its arguments and the file that names it, kept in a 0600 file in the data
//! directory, so a changed command or argument is asked about again.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file in the data directory that holds the consents.
pub const FILE_NAME: &str = "consent.json";

/// A program aigov would run, and where it was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// What names it: `kubeconfig exec plugin`, `docker credential helper`.
    pub kind: String,
    pub command: String,
    pub args: Vec<String>,
    /// The file (or files) that name it: the kubeconfig, the Docker config.
    pub source: String,
}

impl Program {
    /// SHA-256 over the kind, command, arguments and source, each NUL-terminated so that
    /// moving text between them changes the key.
    pub fn key(&self) -> String {
        let mut bytes = Vec::new();
        for part in [&self.kind, &self.command]
            .into_iter()
            .chain(self.args.iter())
            .chain([&self.source])
        {
            bytes.extend_from_slice(part.as_bytes());
            bytes.push(0);
        }
        aigov_core::digest::sha256_hex(&bytes)
    }

    /// The command line as shown to the operator, sanitised (it comes from a file that may be
    /// hostile): arguments that need it are quoted, so that the boundaries are visible.
    pub fn display(&self) -> String {
        std::iter::once(&self.command)
            .chain(self.args.iter())
            .map(|part| {
                let clean = aigov_core::sanitize::sanitize(part);
                if clean.is_empty() || clean.contains(char::is_whitespace) || clean.contains('"') {
                    format!("{clean:?}")
                } else {
                    clean.into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How consent was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GivenBy {
    /// Answered yes at the prompt.
    Prompt,
    /// `--allow-exec` on the command line.
    Flag,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub key: String,
    pub kind: String,
    pub command: String,
    pub args: Vec<String>,
    pub source: String,
    pub agreed_at: String,
    pub given_by: GivenBy,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    agreed: Vec<Record>,
}

/// The consents on disk. Without a data directory, nothing is remembered.
#[derive(Debug, Clone)]
pub struct ConsentStore {
    path: Option<PathBuf>,
}

impl ConsentStore {
    /// The store in aigov's data directory.
    pub fn default_location() -> Self {
        Self {
            path: crate::dirs::data_dir().map(|d| d.join(FILE_NAME)),
        }
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            path: Some(path.into()),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn read(&self) -> Result<StoreFile, String> {
        let Some(path) = &self.path else {
            return Ok(StoreFile::default());
        };
        match crate::state_file::read_private(path)? {
            None => Ok(StoreFile::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{} is not a consent file ({e}); move it away to start again",
                    path.display()
                )
            }),
        }
    }

    /// Whether the operator agreed to run exactly this program.
    pub fn agreed(&self, program: &Program) -> Result<bool, String> {
        let key = program.key();
        Ok(self.read()?.agreed.iter().any(|r| r.key == key))
    }

    /// Remember that the operator agreed. Written atomically, 0600 in a 0700 directory.
    pub fn record(&self, program: &Program, given_by: GivenBy) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut file = self.read()?;
        let key = program.key();
        file.version = 1;
        file.agreed.retain(|r| r.key != key);
        file.agreed.push(Record {
            key,
            kind: program.kind.clone(),
            command: program.command.clone(),
            args: program.args.clone(),
            source: program.source.clone(),
            agreed_at: jiff::Timestamp::now().to_string(),
            given_by,
        });
        let text = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            crate::state_file::create_private_dir(dir)?;
        }
        crate::state_file::write_file_atomic(path, &text)
    }
}

/// How a program without a stored consent is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Approval {
    /// Only programs the store already holds run; anything else is refused with a message
    /// that says how to agree. For runs without a terminal and inside the console.
    #[default]
    StoredOnly,
    /// Ask on the terminal (stderr, then a line from stdin) before the console starts.
    Ask,
    /// `--allow-exec`: agreed for this run, and remembered.
    Allow,
}

/// Why a program may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No consent, and none could be asked for.
    NotAgreed,
    /// Asked, and the operator said no.
    Declined,
    /// The consent file could not be read or written.
    Store(String),
}

/// Decide whether `program` may run, asking through `ask` when `approval` is [`Approval::Ask`].
/// `ask` shows the program and returns the operator's answer.
pub fn decide(
    store: &ConsentStore,
    program: &Program,
    approval: Approval,
    ask: impl FnOnce(&Program) -> bool,
) -> Result<(), Refusal> {
    if store.agreed(program).map_err(Refusal::Store)? {
        return Ok(());
    }
    match approval {
        Approval::StoredOnly => Err(Refusal::NotAgreed),
        Approval::Allow => store.record(program, GivenBy::Flag).map_err(Refusal::Store),
        Approval::Ask => {
            if ask(program) {
                store
                    .record(program, GivenBy::Prompt)
                    .map_err(Refusal::Store)
            } else {
                Err(Refusal::Declined)
            }
        }
    }
}

/// Ask on the terminal: the program on stderr, the answer from stdin. Yes only for `y`/`yes`.
pub fn ask_on_terminal(program: &Program, context: &str) -> bool {
    use std::io::{BufRead, Write};
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "{}",
        prompt_text(program, &aigov_core::sanitize::sanitize(context))
    );
    let _ = stderr.flush();
    drop(stderr);
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    is_yes(&answer)
}

fn prompt_text(program: &Program, context: &str) -> String {
    format!(
        "The {kind} for {context} runs a program on this machine:\n  {line}\n  (named in {source})\n\
         aigov runs it directly, without a shell, and keeps its stderr off the screen.\n\
         Run it now and remember this answer? [y/N] ",
        kind = program.kind,
        line = program.display(),
        source = aigov_core::sanitize::sanitize(&program.source),
    )
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(args: &[&str]) -> Program {
        Program {
            kind: "kubeconfig exec plugin".into(),
            command: "aws".into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            source: "/home/op/.kube/config".into(),
        }
    }

    #[test]
    fn the_key_changes_with_command_arguments_and_source() {
        let base = plugin(&["eks", "get-token"]);
        assert_eq!(base.key(), plugin(&["eks", "get-token"]).key());
        assert_ne!(base.key(), plugin(&["eks", "get-token", "--x"]).key());
        assert_ne!(base.key(), plugin(&["eksget-token"]).key());
        let mut other_file = base.clone();
        other_file.source = "/tmp/evil".into();
        assert_ne!(base.key(), other_file.key());
        let mut other_command = base.clone();
        other_command.command = "/tmp/aws".into();
        assert_ne!(base.key(), other_command.key());
    }

    #[test]
    fn stored_only_refuses_until_agreed_and_the_store_is_0600() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConsentStore::at(dir.path().join("state").join(FILE_NAME));
        let program = plugin(&["eks", "get-token"]);
        assert_eq!(
            decide(&store, &program, Approval::StoredOnly, |_| true),
            Err(Refusal::NotAgreed)
        );
        assert_eq!(
            decide(&store, &program, Approval::Ask, |_| false),
            Err(Refusal::Declined)
        );
        assert!(!store.agreed(&program).unwrap());
        let mut asked = 0;
        decide(&store, &program, Approval::Ask, |_| {
            asked += 1;
            true
        })
        .unwrap();
        assert_eq!(asked, 1);
        decide(&store, &program, Approval::StoredOnly, |_| unreachable!()).unwrap();
        // A changed argument is a new program.
        assert_eq!(
            decide(&store, &plugin(&["eks"]), Approval::StoredOnly, |_| true),
            Err(Refusal::NotAgreed)
        );
        decide(
            &store,
            &plugin(&["eks"]),
            Approval::Allow,
            |_| unreachable!(),
        )
        .unwrap();
        let text = std::fs::read_to_string(store.path().unwrap()).unwrap();
        assert!(text.contains("\"given_by\": \"flag\"") && text.contains("\"prompt\""));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_corrupt_store_is_an_error_not_a_yes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        crate::state_file::write_file_atomic(&path, b"{not json").unwrap();
        let store = ConsentStore::at(&path);
        assert!(matches!(
            decide(&store, &plugin(&[]), Approval::StoredOnly, |_| true),
            Err(Refusal::Store(m)) if m.contains("not a consent file")
        ));
    }

    #[test]
    fn the_prompt_shows_the_program_sanitised_and_only_yes_agrees() {
        let program = Program {
            args: vec!["--name".into(), "a b\x1b]52;c;x\x07".into()],
            ..plugin(&[])
        };
        let text = prompt_text(&program, "prod");
        assert!(text.contains("aws --name \"a b"), "{text}");
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
        assert!(text.contains("/home/op/.kube/config"));
        assert!(is_yes("y\n") && is_yes(" YES ") && !is_yes("") && !is_yes("no") && !is_yes("yy"));
    }
}
