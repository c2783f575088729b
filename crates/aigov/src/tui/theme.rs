//! Colour themes: three built in (default, light, high-contrast), user themes as TOML files in
//! the config directory's `themes/`, and `NO_COLOR`, which turns every colour off.

use aigov_core::rules::Severity;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::str::FromStr;

pub const BUILT_IN: [(&str, &str); 3] = [
    ("default", include_str!("../../../../themes/default.toml")),
    ("light", include_str!("../../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../../themes/high-contrast.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    colors: Colors,
    severity: SeverityColors,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    background: String,
    foreground: String,
    accent: String,
    muted: String,
    selection_bg: String,
    selection_fg: String,
    border: String,
    header_bg: String,
    header_fg: String,
    read_only_badge: String,
    stale: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeverityColors {
    critical: String,
    high: String,
    medium: String,
    low: String,
    info: String,
}

/// The styles every view draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub accent: Style,
    pub muted: Style,
    pub selection: Style,
    pub border: Style,
    pub header: Style,
    pub badge: Style,
    pub stale: Style,
    severity: [Style; 5],
}

fn color(text: &str) -> Result<Color, String> {
    Color::from_str(text).map_err(|_| format!("unknown colour {text:?}"))
}

impl Theme {
    /// Parse a theme file's text.
    pub fn parse(text: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let c = &file.colors;
        let fg = |name: &str| color(name).map(|c| Style::default().fg(c));
        let s = &file.severity;
        Ok(Theme {
            name: file.name.clone(),
            base: Style::default()
                .fg(color(&c.foreground)?)
                .bg(color(&c.background)?),
            accent: fg(&c.accent)?.add_modifier(Modifier::BOLD),
            muted: fg(&c.muted)?,
            selection: Style::default()
                .fg(color(&c.selection_fg)?)
                .bg(color(&c.selection_bg)?),
            border: fg(&c.border)?,
            header: Style::default()
                .fg(color(&c.header_fg)?)
                .bg(color(&c.header_bg)?),
            badge: fg(&c.read_only_badge)?.add_modifier(Modifier::BOLD | Modifier::REVERSED),
            stale: fg(&c.stale)?.add_modifier(Modifier::BOLD),
            severity: [
                fg(&s.info)?,
                fg(&s.low)?,
                fg(&s.medium)?,
                fg(&s.high)?,
                fg(&s.critical)?.add_modifier(Modifier::BOLD),
            ],
        })
    }

    /// No colours at all, for `NO_COLOR`: selection and emphasis use reverse video and bold.
    pub fn monochrome() -> Theme {
        let plain = Style::default();
        Theme {
            name: "no-color".into(),
            base: plain,
            accent: plain.add_modifier(Modifier::BOLD),
            muted: plain,
            selection: plain.add_modifier(Modifier::REVERSED),
            border: plain,
            header: plain.add_modifier(Modifier::REVERSED),
            badge: plain.add_modifier(Modifier::BOLD | Modifier::REVERSED),
            stale: plain.add_modifier(Modifier::BOLD),
            severity: [
                plain,
                plain,
                plain,
                plain.add_modifier(Modifier::BOLD),
                plain.add_modifier(Modifier::BOLD),
            ],
        }
    }

    pub fn severity(&self, severity: Severity) -> Style {
        self.severity[severity as usize]
    }

    /// The theme `name` from the built-ins or the user's `themes/` directory; with
    /// `NO_COLOR` set, always monochrome. A problem warns and falls back to the default.
    pub fn load(name: Option<&str>, no_color: bool) -> (Theme, Vec<String>) {
        Theme::load_in(name, no_color, aigov_state::dirs::config_dir().as_deref())
    }

    /// [`Theme::load`] with user themes in `config_dir/themes/`.
    pub fn load_in(
        name: Option<&str>,
        no_color: bool,
        config_dir: Option<&std::path::Path>,
    ) -> (Theme, Vec<String>) {
        let mut warnings = Vec::new();
        if no_color {
            return (Theme::monochrome(), warnings);
        }
        let wanted = name.unwrap_or("default");
        let text = match BUILT_IN.iter().find(|(n, _)| *n == wanted) {
            Some((_, text)) => Some(text.to_string()),
            None => {
                let path = config_dir.map(|d| d.join("themes").join(format!("{wanted}.toml")));
                match path.as_ref().map(std::fs::read_to_string) {
                    Some(Ok(text)) => Some(text),
                    _ => {
                        let known: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                        warnings.push(format!(
                            "theme {wanted:?} not found (built in: {}; user themes go in {}); using default",
                            known.join(", "),
                            path.map(|p| p.display().to_string()).unwrap_or_else(|| "the config directory".into())
                        ));
                        None
                    }
                }
            }
        };
        let parsed = text.map(|t| Theme::parse(&t));
        match parsed {
            Some(Ok(theme)) => (theme, warnings),
            Some(Err(e)) => {
                warnings.push(format!("theme {wanted:?} is invalid ({e}); using default"));
                (Theme::default(), warnings)
            }
            None => (Theme::default(), warnings),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        // The built-in default theme is tested to parse; monochrome is the safe fallback.
        Theme::parse(BUILT_IN[0].1).unwrap_or_else(|_| Theme::monochrome())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses() {
        for (name, text) in BUILT_IN {
            let theme = Theme::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, name);
            assert_ne!(
                theme.severity(Severity::Critical),
                theme.severity(Severity::Info)
            );
        }
    }

    #[test]
    fn unknown_keys_and_colours_are_errors() {
        let bad = BUILT_IN[0]
            .1
            .replace("accent = \"cyan\"", "accent = \"not-a-colour\"");
        assert!(Theme::parse(&bad).unwrap_err().contains("not-a-colour"));
        let extra = format!("{}\nsparkle = \"yes\"\n", BUILT_IN[0].1);
        assert!(Theme::parse(&extra).is_err());
    }

    #[test]
    fn no_color_drops_every_colour() {
        let (theme, _) = Theme::load(Some("high-contrast"), true);
        for style in [
            theme.base,
            theme.accent,
            theme.selection,
            theme.severity(Severity::Critical),
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
    }

    #[test]
    fn an_unknown_theme_warns_and_falls_back() {
        let (theme, warnings) = Theme::load(Some("no-such-theme"), false);
        assert_eq!(theme.name, "default");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("no-such-theme"));
    }

    #[test]
    fn a_user_theme_in_the_config_directory_is_found_and_a_broken_one_warns() {
        let dir = tempfile::tempdir().unwrap();
        let themes = dir.path().join("themes");
        std::fs::create_dir(&themes).unwrap();
        let mine = BUILT_IN[0]
            .1
            .replace("name = \"default\"", "name = \"mine\"")
            .replace("accent = \"cyan\"", "accent = \"#ff00ff\"");
        std::fs::write(themes.join("mine.toml"), mine).unwrap();
        let (theme, warnings) = Theme::load_in(Some("mine"), false, Some(dir.path()));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(theme.name, "mine");
        assert_eq!(theme.accent.fg, Some(Color::Rgb(0xff, 0x00, 0xff)));

        std::fs::write(
            themes.join("broken.toml"),
            "name = \"broken\"\n[colors]\naccent = \"nope\"\n",
        )
        .unwrap();
        let (theme, warnings) = Theme::load_in(Some("broken"), false, Some(dir.path()));
        assert_eq!(theme.name, "default");
        assert!(
            warnings[0].contains("broken") && warnings[0].contains("invalid"),
            "{warnings:?}"
        );

        let (theme, _) = Theme::load_in(Some("mine"), true, Some(dir.path()));
        assert_eq!(theme.accent.fg, None, "NO_COLOR wins over any theme");
    }
}
