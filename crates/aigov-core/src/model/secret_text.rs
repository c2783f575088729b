//! A wrapper for values that may be secret-like, so that they cannot be printed by accident.

use serde::{Deserialize, Serialize};

/// Text from a ConfigMap or a literal env var. It may hold a credential someone
/// pasted there, so `Debug` and `Serialize` never show it: code that needs the
/// value calls [`ConfigValue::expose`] and is responsible for masking it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ConfigValue(String);

impl ConfigValue {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// At most the first four characters, then a mask: what output may show.
    pub fn masked(&self) -> String {
        let prefix: String = self.0.chars().take(4).collect();
        if self.0.chars().count() <= 4 {
            "****".to_string()
        } else {
            format!("{prefix}****")
        }
    }
}

impl std::fmt::Debug for ConfigValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConfigValue({} bytes)", self.0.len())
    }
}

impl Serialize for ConfigValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_serialize_never_show_the_value() {
        let v = ConfigValue::new("hf_abcdefghijklmnop");
        assert!(!format!("{v:?}").contains("hf_abc"));
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "\"hf_a****\"");
        assert_eq!(ConfigValue::new("abc").masked(), "****");
    }
}
