//! The user's config file (`config.toml` in the config directory) merged over built-in
//! defaults. A bad entry warns and falls back to its default; it never aborts.

use aigov_core::rules::RulesConfig;

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub rules: RulesConfig,
    pub theme: Option<String>,
    /// Key overrides for the console: action name to a key or a list of keys.
    pub keys: toml::Table,
    /// Problems found in the file, one line each.
    pub warnings: Vec<String>,
}

/// Read the config file if there is one.
pub fn load() -> Config {
    let Some(path) = aigov_state::dirs::config_dir().map(|d| d.join("config.toml")) else {
        return Config::default();
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
        Err(e) => Config {
            warnings: vec![format!(
                "cannot read {}: {e}; using defaults",
                path.display()
            )],
            ..Default::default()
        },
    }
}

/// Parse config text; `origin` names it in warnings.
pub fn parse(text: &str, origin: &str) -> Config {
    let mut config = Config::default();
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let first = e.to_string().lines().next().unwrap_or_default().to_string();
            config.warnings.push(format!(
                "{origin} is not valid TOML ({first}); using defaults"
            ));
            return config;
        }
    };
    for (key, value) in table {
        match key.as_str() {
            "rules" => match value.try_into::<RulesConfig>() {
                Ok(rules) => config.rules = rules,
                Err(e) => config.warnings.push(format!(
                    "{origin} [rules]: {}; using the default rules settings",
                    e.message()
                )),
            },
            "theme" => match value.as_str() {
                Some(name) => config.theme = Some(name.to_string()),
                None => config
                    .warnings
                    .push(format!("{origin}: theme must be a string")),
            },
            "keys" => match value {
                toml::Value::Table(keys) => config.keys = keys,
                _ => config
                    .warnings
                    .push(format!("{origin}: [keys] must be a table")),
            },
            other => config
                .warnings
                .push(format!("{origin}: unknown setting {other:?} ignored")),
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_override_defaults_and_keep_the_rest() {
        let c = parse(
            "theme = \"light\"\n[rules.ai]\nthreshold = 70\nimages = [\"mycorp-llm\"]\n",
            "test",
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.rules.ai.threshold, 70);
        assert_eq!(c.rules.ai.images, vec!["mycorp-llm"]);
        assert_eq!(
            c.rules.ai.label, "aigov.dev/ai",
            "unset fields keep their defaults"
        );
    }

    #[test]
    fn bad_entries_warn_and_fall_back() {
        let c = parse("[rules.ai]\nthreshold = \"high\"\n[colours]\n", "test");
        assert_eq!(c.rules.ai.threshold, RulesConfig::default().ai.threshold);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings.iter().any(|w| w.contains("[rules]")));
        assert!(c.warnings.iter().any(|w| w.contains("\"colours\"")));
        let broken = parse("this is not toml", "test");
        assert_eq!(broken.warnings.len(), 1);
    }
}
