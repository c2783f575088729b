//! Findings: what a rule reports, with a key that is stable across runs.

use super::catalog::RuleInfo;
use super::config::Hit;
use serde::{Deserialize, Serialize};

pub use super::place::{FindingKey, KeyError, Place};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step more severe, capped at critical.
    pub fn raised(self) -> Self {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The area a rule belongs to; it is the middle part of the rule id (`AIGOV-RBAC-001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Area {
    #[serde(rename = "NS")]
    Namespaces,
    #[serde(rename = "RBAC")]
    Rbac,
    #[serde(rename = "REACH")]
    Reach,
    #[serde(rename = "IMG")]
    Images,
    #[serde(rename = "REG")]
    Registry,
    #[serde(rename = "CFG")]
    Config,
    #[serde(rename = "ADM")]
    Admission,
}

impl Area {
    pub const ALL: [Area; 7] = [
        Area::Namespaces,
        Area::Rbac,
        Area::Reach,
        Area::Images,
        Area::Registry,
        Area::Config,
        Area::Admission,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Area::Namespaces => "NS",
            Area::Rbac => "RBAC",
            Area::Reach => "REACH",
            Area::Images => "IMG",
            Area::Registry => "REG",
            Area::Config => "CFG",
            Area::Admission => "ADM",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Area::Namespaces => "Namespaces and isolation",
            Area::Rbac => "RBAC",
            Area::Reach => "Data reach and volumes",
            Area::Images => "Image references",
            Area::Registry => "Registry facts",
            Area::Config => "Config literals and drift",
            Area::Admission => "Admission guardrails",
        }
    }
}

/// The object a finding concerns, and where inside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    /// Where inside the object; [`Place::Whole`] when the finding is about the whole object.
    pub place: Place,
}

impl ObjectRef {
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
            place: Place::Whole,
        }
    }

    pub fn at(mut self, place: Place) -> Self {
        self.place = place;
        self
    }

    /// The same object, without the place inside it.
    pub fn whole(&self) -> Self {
        Self {
            place: Place::Whole,
            ..self.clone()
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/", self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        write!(f, "{}", self.name)?;
        if self.place != Place::Whole {
            write!(f, " {}", self.place)?;
        }
        Ok(())
    }
}

impl Serialize for ObjectRef {
    /// `{kind, namespace, name, path}`: the report schema's shape, `path` as its key text.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("ObjectRef", 4)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("namespace", &self.namespace)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("path", &self.place.to_string())?;
        out.end()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule that reported it, from the catalog.
    pub rule: &'static RuleInfo,
    pub severity: Severity,
    pub object: ObjectRef,
    /// One line.
    pub title: String,
    /// Why it matters for AI data.
    pub explanation: String,
    /// The binding, role and rule, or the mount, that cause it.
    pub evidence: Vec<String>,
    /// Whether aigov can propose a change that fixes it: the rule has a planner, and this
    /// finding's object is one the planner can change.
    pub remediable: bool,
    /// The rule could not be evaluated here because a kind was unknown: not a clean result.
    pub incomplete: bool,
    /// Typed facts for the views, beyond the text (not part of the report schema).
    pub detail: Detail,
}

/// What a finding carries for the views to show without looking again.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Detail {
    #[default]
    None,
    /// The secret-like literals found (masked), for CFG-001/002.
    SecretLiterals(Vec<Hit>),
}

impl Finding {
    pub fn area(&self) -> Area {
        self.rule.area
    }

    /// The finding's stable identity: rule plus object plus place.
    pub fn finding_key(&self) -> FindingKey {
        FindingKey {
            rule: self.rule,
            object: self.object.clone(),
        }
    }

    /// Rule id plus object plus path as text (`RULE:Kind/namespace/name#path`): the same
    /// problem has the same key in every run.
    pub fn key(&self) -> String {
        super::place::KeyText {
            rule: self.rule,
            object: &self.object,
        }
        .to_string()
    }
}

impl Serialize for Finding {
    /// The report schema's finding: `rule` is the id and `area` its code; `incomplete` only
    /// when true.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Finding", 9)?;
        out.serialize_field("rule", self.rule.id)?;
        out.serialize_field("severity", &self.severity)?;
        out.serialize_field("area", &self.area())?;
        out.serialize_field("object", &self.object)?;
        out.serialize_field("title", &self.title)?;
        out.serialize_field("explanation", &self.explanation)?;
        out.serialize_field("evidence", &self.evidence)?;
        out.serialize_field("remediable", &self.remediable)?;
        if self.incomplete {
            out.serialize_field("incomplete", &true)?;
        } else {
            out.skip_field("incomplete")?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_combine_rule_object_and_path() {
        let f = Finding {
            rule: &crate::rules::images::IMG_001,
            severity: Severity::High,
            object: ObjectRef::new("Deployment", "llm", "vllm").at(Place::container("server")),
            title: "t".into(),
            explanation: "e".into(),
            evidence: vec![],
            remediable: true,
            incomplete: false,
            detail: Detail::None,
        };
        assert_eq!(
            f.key(),
            "AIGOV-IMG-001:Deployment/llm/vllm#container/server"
        );
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["area"], "IMG");
        assert_eq!(json["severity"], "high");
        assert!(json.get("incomplete").is_none());
    }

    #[test]
    fn severities_order_and_raise() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!(Severity::Medium.raised(), Severity::High);
        assert_eq!(Severity::Critical.raised(), Severity::Critical);
    }
}
