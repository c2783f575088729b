//! Finding and reading the kubeconfig (`--kubeconfig`, `KUBECONFIG` lists, `~/.kube/config`)
//! and choosing the context, with errors that say which file and which contexts exist.

use super::error::Error;
use kube::config::Kubeconfig;
use std::path::{Path, PathBuf};

/// The merged kubeconfig and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedKubeconfig {
    pub config: Kubeconfig,
    pub paths: Vec<PathBuf>,
}

impl LoadedKubeconfig {
    pub fn describe(&self) -> String {
        self.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":")
    }

    pub fn context_names(&self) -> Vec<String> {
        self.config
            .contexts
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    /// The context names for an error message, sanitised: they come from the file.
    fn known(&self) -> String {
        let names = self.context_names();
        if names.is_empty() {
            "none".to_string()
        } else {
            aigov_core::sanitize::sanitize(&names.join(", ")).into_owned()
        }
    }

    /// The context to use: the one asked for, else the current one.
    pub fn choose_context(&self, wanted: Option<&str>) -> Result<String, Error> {
        let name = match wanted {
            Some(name) => name.to_string(),
            None => match self
                .config
                .current_context
                .as_deref()
                .filter(|c| !c.is_empty())
            {
                Some(current) => current.to_string(),
                None => {
                    return Err(Error::NoCurrentContext {
                        source_desc: self.describe(),
                        known: self.known(),
                    });
                }
            },
        };
        if !self.config.contexts.iter().any(|c| c.name == name) {
            return Err(Error::UnknownContext {
                name,
                source_desc: self.describe(),
                known: self.known(),
            });
        }
        Ok(name)
    }

    /// The server URL of a context, for messages and the header.
    pub fn server_of(&self, context: &str) -> Option<String> {
        let cluster = self
            .config
            .contexts
            .iter()
            .find(|c| c.name == context)?
            .context
            .as_ref()?
            .cluster
            .clone();
        self.config
            .clusters
            .iter()
            .find(|c| c.name == cluster)?
            .cluster
            .as_ref()?
            .server
            .clone()
    }
}

/// Where kubeconfig files are looked for, in order, as kubectl does.
pub fn candidate_paths(
    explicit: Option<&Path>,
    env_value: Option<&std::ffi::OsStr>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_path_buf()];
    }
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    home.map(|h| vec![h.join(".kube").join("config")])
        .unwrap_or_default()
}

/// Read and merge the kubeconfig. With `--kubeconfig` the file must exist; files in a
/// `KUBECONFIG` list that do not exist are skipped, as kubectl skips them.
pub fn load(explicit: Option<&Path>) -> Result<LoadedKubeconfig, Error> {
    let env_value = std::env::var_os("KUBECONFIG");
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let candidates = candidate_paths(explicit, env_value.as_deref(), home.as_deref());
    let tried = candidates
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut merged: Option<Kubeconfig> = None;
    let mut used = Vec::new();
    for path in &candidates {
        if !path.exists() {
            if explicit.is_some() {
                return Err(Error::KubeconfigUnreadable {
                    path: path.clone(),
                    reason: "no such file".into(),
                });
            }
            continue;
        }
        let config = read_one(path)?;
        merged = Some(match merged {
            None => config,
            Some(m) => m.merge(config).map_err(|e| Error::KubeconfigUnreadable {
                path: path.clone(),
                reason: aigov_core::sanitize::sanitize(&e.to_string()).into_owned(),
            })?,
        });
        used.push(path.clone());
    }
    match merged {
        Some(config) => Ok(LoadedKubeconfig {
            config,
            paths: used,
        }),
        None => Err(Error::NoKubeconfig {
            tried: if tried.is_empty() {
                "no home directory".into()
            } else {
                tried
            },
        }),
    }
}

fn read_one(path: &Path) -> Result<Kubeconfig, Error> {
    let unreadable = |reason: String| Error::KubeconfigUnreadable {
        path: path.to_path_buf(),
        reason: aigov_core::sanitize::sanitize(&reason).into_owned(),
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    parse(&bytes, path.parent()).map_err(unreadable)
}

/// Parse a kubeconfig file's bytes as `kube::config::Kubeconfig::read_from` reads a file:
/// UTF-8 (with or without a BOM) or UTF-16 with a BOM, every YAML document merged, and
/// relative certificate, key, token-file and exec-command paths resolved against `dir`, the
/// file's directory. Decoding is done here because kube's reader panics on a UTF-16 file
/// with an odd number of bytes. The error is one line, ready for
/// [`Error::KubeconfigUnreadable`].
pub fn parse(bytes: &[u8], dir: Option<&Path>) -> Result<Kubeconfig, String> {
    let text = decode(bytes)?;
    let mut config =
        Kubeconfig::from_yaml(&text).map_err(|e| first_line(&super::error::error_chain(&e)))?;
    if let Some(dir) = dir {
        resolve_relative_paths(&mut config, dir);
    }
    Ok(config)
}

fn decode(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |body: &[u8], from: fn([u8; 2]) -> u16, name: &str| {
        if !body.len().is_multiple_of(2) {
            return Err(format!("invalid {name}: odd number of bytes"));
        }
        let units: Vec<u16> = body.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|_| format!("invalid {name}"))
    };
    match bytes {
        [0xFF, 0xFE, body @ ..] => utf16(body, u16::from_le_bytes, "UTF-16 LE"),
        [0xFE, 0xFF, body @ ..] => utf16(body, u16::from_be_bytes, "UTF-16 BE"),
        [0xEF, 0xBB, 0xBF, body @ ..] => {
            String::from_utf8(body.to_vec()).map_err(|_| "invalid UTF-8 after a BOM".to_string())
        }
        _ => String::from_utf8(bytes.to_vec()).map_err(|_| "invalid UTF-8".to_string()),
    }
}

/// What kube's `read_from` does for each document: a relative path in the file means
/// relative to the file, and an exec command only when it has a path separator (a bare
/// name is looked up on `PATH`, as client-go does).
fn resolve_relative_paths(config: &mut Kubeconfig, dir: &Path) {
    let absolute = |file: &mut String| {
        if Path::new(file.as_str()).is_relative()
            && let Some(joined) = dir.join(file.as_str()).to_str()
        {
            *file = joined.to_owned();
        }
    };
    for cluster in config
        .clusters
        .iter_mut()
        .filter_map(|c| c.cluster.as_mut())
    {
        cluster.certificate_authority.iter_mut().for_each(absolute);
    }
    for user in config
        .auth_infos
        .iter_mut()
        .filter_map(|a| a.auth_info.as_mut())
    {
        let files = [
            &mut user.client_certificate,
            &mut user.client_key,
            &mut user.token_file,
        ];
        files.into_iter().flatten().for_each(absolute);
        if let Some(command) = user.exec.as_mut().and_then(|e| e.command.as_mut())
            && command.contains(std::path::MAIN_SEPARATOR)
        {
            absolute(command);
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CONTEXTS: &str = "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: 'https://example.invalid:6443'}
users:
- name: u
  user: {token: t}
contexts:
- name: dev
  context: {cluster: c, user: u}
- name: prod
  context: {cluster: c, user: u}
current-context: dev
";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn explicit_path_wins_then_env_list_then_home() {
        let home = Path::new("/home/x");
        assert_eq!(
            candidate_paths(Some(Path::new("/a")), Some("/b:/c".as_ref()), Some(home)),
            vec![PathBuf::from("/a")]
        );
        assert_eq!(
            candidate_paths(None, Some("/b::/c".as_ref()), Some(home)),
            vec![PathBuf::from("/b"), PathBuf::from("/c")]
        );
        assert_eq!(
            candidate_paths(None, Some("".as_ref()), Some(home)),
            vec![home.join(".kube/config")]
        );
    }

    #[test]
    fn unknown_context_lists_the_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "config", TWO_CONTEXTS);
        let loaded = load(Some(&path)).unwrap();
        assert_eq!(loaded.choose_context(None).unwrap(), "dev");
        assert_eq!(loaded.choose_context(Some("prod")).unwrap(), "prod");
        let err = loaded
            .choose_context(Some("staging"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"staging\" not found"), "{err}");
        assert!(err.contains("contexts: dev, prod"), "{err}");
        assert_eq!(
            loaded.server_of("dev").as_deref(),
            Some("https://example.invalid:6443")
        );
    }

    #[test]
    fn malformed_and_missing_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(dir.path(), "bad", "clusters: [unterminated");
        let err = load(Some(&bad)).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("cannot read kubeconfig {}", bad.display())),
            "{err}"
        );
        assert!(!err.contains('\n'));
        let missing = dir.path().join("nope");
        assert!(
            load(Some(&missing))
                .unwrap_err()
                .to_string()
                .contains("no such file")
        );
        let empty = write(dir.path(), "empty", "");
        let err = load(Some(&empty))
            .unwrap()
            .choose_context(None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("has no current-context") && err.contains("contexts: none"),
            "{err}"
        );
    }
}
