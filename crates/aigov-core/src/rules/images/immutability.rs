//! Whether a tag can be overwritten: what the registry's own settings say (Harbor's
//! immutable-tag rules, ECR's `imageTagMutability`), weighed against what aigov's tag history
//! saw. An observed overwrite always wins: a registry that claims immutability now cannot undo
//! a move it already allowed (the rule was added later).

use serde::{Deserialize, Serialize};

/// `immutable`, `mutable` or `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mutability {
    /// The registry refuses to overwrite the tag.
    Immutable,
    /// The tag can be overwritten (the registry says so, or it was seen overwritten).
    Mutable,
    /// Neither the registry nor the history could tell.
    Unknown,
}

impl Mutability {
    pub fn name(self) -> &'static str {
        match self {
            Mutability::Immutable => "immutable",
            Mutability::Mutable => "mutable",
            Mutability::Unknown => "unknown",
        }
    }
}

/// What the registry's settings say about one tag, and where that came from:
/// `harbor rule 3 (repositories repoMatches **, tags matches v*)`, `ecr IMMUTABLE`, or why it
/// is unknown (`registry does not expose immutability settings (not Harbor)`, a 401, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmutabilitySetting {
    pub state: Mutability,
    pub source: String,
}

impl ImmutabilitySetting {
    pub fn immutable(source: impl Into<String>) -> Self {
        ImmutabilitySetting {
            state: Mutability::Immutable,
            source: source.into(),
        }
    }

    pub fn mutable(source: impl Into<String>) -> Self {
        ImmutabilitySetting {
            state: Mutability::Mutable,
            source: source.into(),
        }
    }

    pub fn unknown(reason: impl Into<String>) -> Self {
        ImmutabilitySetting {
            state: Mutability::Unknown,
            source: reason.into(),
        }
    }
}

/// The verdict for one tag: the registry's setting, unless the history saw the tag overwritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Immutability {
    pub state: Mutability,
    /// Where the state came from, one line.
    pub source: String,
    /// The registry's own setting, when the verdict overrode it (the contradiction case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contradicted: Option<ImmutabilitySetting>,
}

impl Immutability {
    /// `history_overwrites`: when the tag history saw the tag move (`to_seen` times).
    pub fn decide(setting: Option<&ImmutabilitySetting>, history_overwrites: &[&str]) -> Self {
        if let Some(last) = history_overwrites.last() {
            let mut source = format!("history: overwritten at {last}");
            let contradicted = setting
                .filter(|s| s.state == Mutability::Immutable)
                .cloned();
            if let Some(claim) = &contradicted {
                source.push_str("; ");
                source.push_str(&claimed_after_overwrite(&claim.source));
            }
            return Immutability {
                state: Mutability::Mutable,
                source,
                contradicted,
            };
        }
        match setting {
            Some(s) => Immutability {
                state: s.state,
                source: s.source.clone(),
                contradicted: None,
            },
            None => Immutability {
                state: Mutability::Unknown,
                source: "registry settings not read; no overwrite seen in the tag history".into(),
                contradicted: None,
            },
        }
    }

    /// `immutable (harbor rule 3 ...)`: the state and its source, one line.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.state.name(), self.source)
    }
}

/// What an immutability claim means for a tag the history saw overwritten.
pub fn claimed_after_overwrite(claim_source: &str) -> String {
    format!(
        "the registry now claims immutable ({claim_source}): the rule was added after the overwrite"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observed_overwrite_beats_a_later_immutability_rule() {
        let rule = ImmutabilitySetting::immutable("harbor rule 1 (repositories repoMatches **)");
        let verdict = Immutability::decide(Some(&rule), &["2026-11-27T10:00:00Z"]);
        assert_eq!(verdict.state, Mutability::Mutable);
        assert!(
            verdict
                .source
                .contains("overwritten at 2026-11-27T10:00:00Z")
        );
        assert!(
            verdict
                .source
                .contains("rule was added after the overwrite")
        );
        assert_eq!(verdict.contradicted, Some(rule.clone()));

        let enforced = Immutability::decide(Some(&rule), &[]);
        assert_eq!(enforced.state, Mutability::Immutable);
        assert_eq!(enforced.source, rule.source);

        let nothing = Immutability::decide(None, &[]);
        assert_eq!(nothing.state, Mutability::Unknown);
        let unknown = ImmutabilitySetting::unknown("not Harbor");
        let overwritten = Immutability::decide(Some(&unknown), &["t"]);
        assert_eq!(overwritten.state, Mutability::Mutable);
        assert_eq!(overwritten.contradicted, None);
    }
}
