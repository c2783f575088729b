//! Where inside an object a finding points ([`Place`]), and the finding key that names a
//! finding across runs ([`FindingKey`]). Both print and parse the key text that reports, plans
//! and the audit log have always carried, so existing keys stay valid.

use super::catalog::{self, RuleInfo};
use super::finding::ObjectRef;
use crate::model::rbac::{Subject, SubjectKind};

/// A place inside an object. Its text form is the `#path` part of a finding key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Place {
    /// The whole object (an empty path).
    #[default]
    Whole,
    /// `container/NAME`: a container (or init container) of a pod spec.
    Container { container: String },
    /// `container/NAME/env/VAR`: one env var of a container.
    Env { container: String, var: String },
    /// `volume/NAME`: a volume of a pod spec.
    Volume { volume: String },
    /// `data/KEY`: one key of a ConfigMap's data.
    DataKey { key: String },
    /// `subject/KIND/...`: one subject of a binding.
    Subject(Subject),
    /// `bindings`: the bindings that name a service account.
    Bindings,
    /// `automount`: a service account's token automount setting.
    Automount,
}

impl Place {
    pub fn container(name: impl Into<String>) -> Self {
        Place::Container {
            container: name.into(),
        }
    }

    pub fn env(container: impl Into<String>, var: impl Into<String>) -> Self {
        Place::Env {
            container: container.into(),
            var: var.into(),
        }
    }

    pub fn volume(name: impl Into<String>) -> Self {
        Place::Volume {
            volume: name.into(),
        }
    }

    pub fn data_key(key: impl Into<String>) -> Self {
        Place::DataKey { key: key.into() }
    }

    /// The container this place is in, for a container or one of its env vars.
    pub fn container_name(&self) -> Option<&str> {
        match self {
            Place::Container { container } | Place::Env { container, .. } => Some(container),
            _ => None,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Whole => Ok(()),
            Place::Container { container } => write!(f, "container/{container}"),
            Place::Env { container, var } => write!(f, "container/{container}/env/{var}"),
            Place::Volume { volume } => write!(f, "volume/{volume}"),
            Place::DataKey { key } => write!(f, "data/{key}"),
            Place::Subject(subject) => match subject.kind {
                SubjectKind::ServiceAccount => write!(
                    f,
                    "subject/ServiceAccount/{}/{}",
                    subject.namespace, subject.name
                ),
                SubjectKind::Group => write!(f, "subject/Group/{}", subject.name),
                SubjectKind::User => write!(f, "subject/User/{}", subject.name),
            },
            Place::Bindings => f.write_str("bindings"),
            Place::Automount => f.write_str("automount"),
        }
    }
}

/// Why a key or path could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "not a finding key (expected RULE:Kind/namespace/name#path, as `aigov audit --format json` prints them)"
    )]
    Shape,
    #[error("no rule {0} in the catalog (`aigov rules` lists them)")]
    UnknownRule(String),
    #[error("unknown place {0:?} in a finding key")]
    Place(String),
}

impl std::str::FromStr for Place {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::Place(text.to_string());
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string()).ok_or_else(bad);
        match text {
            "" => return Ok(Place::Whole),
            "bindings" => return Ok(Place::Bindings),
            "automount" => return Ok(Place::Automount),
            _ => {}
        }
        if let Some(volume) = text.strip_prefix("volume/") {
            return Ok(Place::Volume {
                volume: nonempty(volume)?,
            });
        }
        if let Some(key) = text.strip_prefix("data/") {
            return Ok(Place::DataKey {
                key: nonempty(key)?,
            });
        }
        if let Some(rest) = text.strip_prefix("container/") {
            // Container names hold no '/'; env var names may.
            return match rest.split_once('/') {
                None => Ok(Place::Container {
                    container: nonempty(rest)?,
                }),
                Some((container, tail)) => {
                    let var = tail.strip_prefix("env/").ok_or_else(bad)?;
                    Ok(Place::Env {
                        container: nonempty(container)?,
                        var: nonempty(var)?,
                    })
                }
            };
        }
        if let Some(rest) = text.strip_prefix("subject/") {
            let (kind, rest) = rest.split_once('/').ok_or_else(bad)?;
            let subject = match kind {
                // User and group names may hold '/'.
                "User" => Subject::user(nonempty(rest)?),
                "Group" => Subject::group(nonempty(rest)?),
                "ServiceAccount" => {
                    let (namespace, name) = rest.split_once('/').ok_or_else(bad)?;
                    Subject::service_account(nonempty(namespace)?, nonempty(name)?)
                }
                _ => return Err(bad()),
            };
            return Ok(Place::Subject(subject));
        }
        Err(bad())
    }
}

/// A finding's identity: its rule and its object, place included. Its text is the finding
/// key, `RULE:Kind/namespace/name#path`.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingKey {
    pub rule: &'static RuleInfo,
    pub object: ObjectRef,
}

impl std::fmt::Display for FindingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        KeyText {
            rule: self.rule,
            object: &self.object,
        }
        .fmt(f)
    }
}

/// The key text of a rule at an object, without owning either.
pub(super) struct KeyText<'a> {
    pub rule: &'a RuleInfo,
    pub object: &'a ObjectRef,
}

impl std::fmt::Display for KeyText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = self.object;
        write!(
            f,
            "{}:{}/{}/{}#{}",
            self.rule.id, o.kind, o.namespace, o.name, o.place
        )
    }
}

impl std::str::FromStr for FindingKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, KeyError> {
        let (rule, rest) = text.split_once(':').ok_or(KeyError::Shape)?;
        let rule = catalog::find(rule).ok_or_else(|| KeyError::UnknownRule(rule.to_string()))?;
        // Kubernetes names hold neither '/' nor '#'; the path after '#' may hold both.
        let (object, path) = rest.split_once('#').ok_or(KeyError::Shape)?;
        let mut parts = object.splitn(3, '/');
        let (Some(kind), Some(namespace), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Shape);
        };
        if kind.is_empty() || name.is_empty() || name.contains('/') {
            return Err(KeyError::Shape);
        }
        Ok(FindingKey {
            rule,
            object: ObjectRef::new(kind, namespace, name).at(path.parse()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_place_prints_and_parses_back() {
        let places = [
            Place::Whole,
            Place::container("server"),
            Place::env("finetune", "HF_TOKEN"),
            Place::env("c", "odd/name"),
            Place::volume("weights"),
            Place::data_key("OPENAI_API_KEY"),
            Place::Subject(Subject::service_account("ml", "trainer")),
            Place::Subject(Subject::group("system:authenticated")),
            Place::Subject(Subject::user("oidc:https://idp/alice")),
            Place::Bindings,
            Place::Automount,
        ];
        for place in places {
            let text = place.to_string();
            assert_eq!(text.parse::<Place>(), Ok(place), "{text}");
        }
        assert_eq!(
            Place::env("finetune", "HF_TOKEN").to_string(),
            "container/finetune/env/HF_TOKEN"
        );
    }

    #[test]
    fn keys_of_every_shape_round_trip() {
        for key in [
            "AIGOV-IMG-001:Deployment/llm/vllm#container/server",
            "AIGOV-NS-003:Namespace//notebooks#",
            "AIGOV-RBAC-007:ClusterRoleBinding//x#subject/ServiceAccount/notebooks/default-editor",
            "AIGOV-CFG-002:Job/ml-training/ft#container/finetune/env/HF_TOKEN",
            "AIGOV-RBAC-009:ServiceAccount/ml/default#automount",
            "AIGOV-IMG-001:Namespace//*#",
        ] {
            let parsed: FindingKey = key.parse().unwrap();
            assert_eq!(parsed.to_string(), key);
        }
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        assert_eq!("web-shop".parse::<FindingKey>(), Err(KeyError::Shape));
        assert_eq!(
            "AIGOV-NS-999:Namespace//x#".parse::<FindingKey>(),
            Err(KeyError::UnknownRule("AIGOV-NS-999".into()))
        );
        assert_eq!(
            "AIGOV-NS-003:Namespace//x#shelf/3".parse::<FindingKey>(),
            Err(KeyError::Place("shelf/3".into()))
        );
        assert_eq!(
            "AIGOV-NS-003:Namespace/x#".parse::<FindingKey>(),
            Err(KeyError::Shape)
        );
        assert!("container/c/args/0".parse::<Place>().is_err());
        assert!("subject/Robot/x".parse::<Place>().is_err());
    }
}
