//! Findings: what a rule reports, with a key that is stable across runs.

use serde::{Deserialize, Serialize};

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

/// The object a finding concerns, and where inside it (`container/server`, `volume/weights`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    /// Empty when the finding is about the whole object.
    pub path: String,
}

impl ObjectRef {
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
            path: String::new(),
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/", self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        write!(f, "{}", self.name)?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `AIGOV-<AREA>-NNN`.
    pub rule: String,
    pub severity: Severity,
    pub area: Area,
    pub object: ObjectRef,
    /// One line.
    pub title: String,
    /// Why it matters for AI data.
    pub explanation: String,
    /// The binding, role and rule, or the mount, that cause it.
    pub evidence: Vec<String>,
    /// Whether aigov can propose a change that fixes it.
    pub remediable: bool,
    /// The rule could not be evaluated here because a kind was unknown: not a clean result.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
}

impl Finding {
    /// Rule id plus object plus path: the same problem has the same key in every run.
    pub fn key(&self) -> String {
        let o = &self.object;
        format!(
            "{}:{}/{}/{}#{}",
            self.rule, o.kind, o.namespace, o.name, o.path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_combine_rule_object_and_path() {
        let f = Finding {
            rule: "AIGOV-IMG-001".into(),
            severity: Severity::High,
            area: Area::Images,
            object: ObjectRef::new("Deployment", "llm", "vllm").at("container/server"),
            title: "t".into(),
            explanation: "e".into(),
            evidence: vec![],
            remediable: true,
            incomplete: false,
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
