//! Harbor's immutable-tag rules: tell a Harbor from another registry (`GET /api/v2.0/ping`
//! answers `Pong`), read a project's rules (`GET /api/v2.0/projects/{name}/immutabletagrules`
//! with `X-Is-Resource-Name: true`), and decide whether they cover a tag the way Harbor's own
//! matcher does.
//!
//! Harbor's matcher (`pkg/immutable/match/rule`) skips disabled rules, takes the *first*
//! repository scope selector and the *first* tag selector of each rule, matches the repository
//! name *without* the project (`ml/vllm` in project `ml` is `vllm`) and the tag with
//! `doublestar` patterns (an empty pattern matches everything), and the tag is immutable when
//! any rule matches both. `repoExcludes`/`excludes` invert the match.

use crate::secret::Password;
use aigov_core::rules::images::ImmutabilitySetting;
use aigov_core::sanitize::{sanitize, truncate_display};
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Harbor caps `page_size` at 100; a project with more rules than this is read in pages.
const PAGE_SIZE: usize = 100;
/// A bound on the pages read, so a misbehaving server cannot keep aigov paging forever.
const MAX_PAGES: usize = 20;

/// One immutable-tag rule as Harbor's API returns it (fields aigov does not use are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rule {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub tag_selectors: Vec<Selector>,
    #[serde(default)]
    pub scope_selectors: BTreeMap<String, Vec<Selector>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Selector {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub decoration: String,
    #[serde(default)]
    pub pattern: String,
}

/// Whether `tag` of `repository` (its name inside `project`, without the project) is immutable
/// under `rules`. A rule that cannot be evaluated (an unknown selector kind or decoration, a
/// pattern that is not a valid glob) makes the answer unknown, as it makes Harbor's matcher
/// fail, rather than being skipped.
pub fn evaluate(rules: &[Rule], project: &str, repository: &str, tag: &str) -> ImmutabilitySetting {
    for rule in rules.iter().filter(|r| !r.disabled) {
        let Some(scope) = rule
            .scope_selectors
            .get("repository")
            .and_then(|s| s.first())
        else {
            continue;
        };
        let Some(tags) = rule.tag_selectors.first() else {
            continue;
        };
        // As in Harbor, the tag selector is only looked at for a repository in scope.
        let covered = match selects(scope, repository, "repoMatches", "repoExcludes") {
            Ok(true) => selects(tags, tag, "matches", "excludes"),
            other => other,
        };
        match covered {
            Ok(true) => {
                return ImmutabilitySetting::immutable(format!(
                    "harbor rule {} of project {} (repositories {} {}, tags {} {})",
                    rule.id,
                    sanitize(project),
                    sanitize(&scope.decoration),
                    shown_pattern(&scope.pattern),
                    sanitize(&tags.decoration),
                    shown_pattern(&tags.pattern),
                ));
            }
            Ok(false) => {}
            Err(problem) => {
                return ImmutabilitySetting::unknown(format!(
                    "harbor rule {} of project {} cannot be evaluated: {problem}",
                    rule.id,
                    sanitize(project)
                ));
            }
        }
    }
    ImmutabilitySetting::mutable(format!(
        "harbor: no enabled immutable-tag rule of project {} covers this tag",
        sanitize(project)
    ))
}

fn shown_pattern(pattern: &str) -> String {
    let shown = truncate_display(&sanitize(pattern), 80).into_owned();
    if shown.is_empty() {
        "(any)".into()
    } else {
        shown
    }
}

/// One selector applied to one name: `matches` selects what the pattern matches, `excludes`
/// what it does not.
fn selects(selector: &Selector, name: &str, matches: &str, excludes: &str) -> Result<bool, String> {
    if selector.kind != "doublestar" {
        return Err(format!(
            "selector kind {:?} is not doublestar",
            truncate_display(&sanitize(&selector.kind), 40)
        ));
    }
    let invert = if selector.decoration == matches {
        false
    } else if selector.decoration == excludes {
        true
    } else {
        return Err(format!(
            "decoration {:?} (expected {matches} or {excludes})",
            truncate_display(&sanitize(&selector.decoration), 40)
        ));
    };
    Ok(doublestar_match(&selector.pattern)?(name) != invert)
}

/// A matcher for one Harbor pattern: `doublestar` (github.com/bmatcuk/doublestar) semantics,
/// as globset gives them with `/` as a literal separator: `*` and `?` stay inside one path
/// segment, `**` spans segments (including none), `[...]` classes, `{a,b}` alternatives and
/// `\` escapes. An empty pattern matches everything, as in Harbor.
pub fn doublestar_match(pattern: &str) -> Result<impl Fn(&str) -> bool + use<>, String> {
    let matcher: Option<GlobMatcher> = if pattern.is_empty() {
        None
    } else {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .empty_alternates(true)
            .build()
            .map_err(|e| {
                format!(
                    "pattern {:?} is not a valid glob ({})",
                    truncate_display(&sanitize(pattern), 80),
                    e.kind()
                )
            })?;
        Some(glob.compile_matcher())
    };
    Ok(move |name: &str| matcher.as_ref().is_none_or(|m| m.is_match(name)))
}

/// Whether `base` (`https://host`) is a Harbor: its ping answers 200 `Pong` (Harbor sends it as
/// a JSON string or as plain text, by version). Other answers mean another registry.
pub async fn is_harbor(http: &reqwest::Client, base: &str) -> Result<bool, reqwest::Error> {
    let response = http.get(format!("{base}/api/v2.0/ping")).send().await?;
    if response.status().as_u16() != 200 {
        return Ok(false);
    }
    let body = response.text().await?;
    Ok(body.trim().trim_matches('"') == "Pong")
}

/// Why the rules of a project could not be read, as the operator sees it.
#[derive(Debug)]
pub enum RulesError {
    Transport(reqwest::Error),
    Status(u16),
    Body(String),
}

/// Every immutable-tag rule of `project`, page by page.
pub async fn project_rules(
    http: &reqwest::Client,
    base: &str,
    project: &str,
    authorization: Option<&Password>,
) -> Result<Vec<Rule>, RulesError> {
    let mut rules = Vec::new();
    for page in 1..=MAX_PAGES {
        let mut request = http
            .get(format!(
                "{base}/api/v2.0/projects/{project}/immutabletagrules?page={page}&page_size={PAGE_SIZE}"
            ))
            .header("X-Is-Resource-Name", "true")
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(value) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value.expose());
        }
        let response = request.send().await.map_err(RulesError::Transport)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(RulesError::Status(status));
        }
        let bytes = response.bytes().await.map_err(RulesError::Transport)?;
        let batch: Vec<Rule> = serde_json::from_slice(&bytes).map_err(|e| {
            // serde's text names the place and kind of the problem; the rules hold no secrets.
            RulesError::Body(truncate_display(&sanitize(&e.to_string()), 160).into_owned())
        })?;
        let last = batch.len() < PAGE_SIZE;
        rules.extend(batch);
        if last {
            break;
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::rules::images::Mutability;

    fn selector(decoration: &str, pattern: &str) -> Selector {
        Selector {
            kind: "doublestar".into(),
            decoration: decoration.into(),
            pattern: pattern.into(),
        }
    }

    fn rule(id: i64, repo: (&str, &str), tag: (&str, &str)) -> Rule {
        Rule {
            id,
            disabled: false,
            tag_selectors: vec![selector(tag.0, tag.1)],
            scope_selectors: BTreeMap::from([(
                "repository".to_string(),
                vec![selector(repo.0, repo.1)],
            )]),
        }
    }

    fn matches(pattern: &str, name: &str) -> bool {
        doublestar_match(pattern).unwrap()(name)
    }

    #[test]
    fn patterns_follow_doublestar() {
        assert!(matches("**", "vllm"));
        assert!(matches("**", "team/vllm/server"));
        assert!(matches("*", "vllm"));
        assert!(!matches("*", "team/vllm"), "* stays in one segment");
        assert!(matches("team/**", "team/a/b"));
        assert!(matches("**/server", "server"), "** spans zero segments");
        assert!(matches("**/server", "a/b/server"));
        assert!(matches("a/**/b", "a/b"));
        assert!(matches("v*", "v1.2.3"));
        assert!(!matches("v*", "latest"));
        assert!(matches("v?.*", "v1.0"));
        assert!(matches("{release-*,v*}", "release-2026"));
        assert!(matches("{release-*,v*}", "v2"));
        assert!(!matches("{release-*,v*}", "nightly"));
        assert!(matches("[0-9]*", "1.27"));
        assert!(!matches("[0-9]*", "latest"));
        assert!(
            matches("", "anything/at/all"),
            "empty matches all, as in Harbor"
        );
        assert!(matches("1\\.0", "1.0"));
        assert!(doublestar_match("[").is_err());
    }

    #[test]
    fn an_enabled_rule_covering_repository_and_tag_makes_it_immutable() {
        let rules = [rule(3, ("repoMatches", "**"), ("matches", "v*"))];
        let verdict = evaluate(&rules, "ml", "vllm", "v0.6.3");
        assert_eq!(verdict.state, Mutability::Immutable);
        assert_eq!(
            verdict.source,
            "harbor rule 3 of project ml (repositories repoMatches **, tags matches v*)"
        );
        assert_eq!(
            evaluate(&rules, "ml", "vllm", "latest").state,
            Mutability::Mutable
        );
    }

    #[test]
    fn disabled_rules_exclusions_and_missing_selectors_do_not_cover_a_tag() {
        let mut disabled = rule(1, ("repoMatches", "**"), ("matches", "**"));
        disabled.disabled = true;
        assert_eq!(
            evaluate(&[disabled], "p", "r", "v1").state,
            Mutability::Mutable
        );

        let excluded_tag = rule(2, ("repoMatches", "**"), ("excludes", "dev-*"));
        assert_eq!(
            evaluate(std::slice::from_ref(&excluded_tag), "p", "r", "dev-1").state,
            Mutability::Mutable
        );
        assert_eq!(
            evaluate(&[excluded_tag], "p", "r", "v1").state,
            Mutability::Immutable
        );

        let excluded_repo = rule(3, ("repoExcludes", "scratch/**"), ("matches", "**"));
        assert_eq!(
            evaluate(std::slice::from_ref(&excluded_repo), "p", "scratch/x", "v1").state,
            Mutability::Mutable
        );
        assert_eq!(
            evaluate(&[excluded_repo], "p", "serving/x", "v1").state,
            Mutability::Immutable
        );

        let mut no_scope = rule(4, ("repoMatches", "**"), ("matches", "**"));
        no_scope.scope_selectors.clear();
        let mut no_tags = rule(5, ("repoMatches", "**"), ("matches", "**"));
        no_tags.tag_selectors.clear();
        assert_eq!(
            evaluate(&[no_scope, no_tags], "p", "r", "v1").state,
            Mutability::Mutable
        );
        assert_eq!(evaluate(&[], "p", "r", "v1").state, Mutability::Mutable);
    }

    #[test]
    fn only_the_first_selector_counts_and_the_repository_is_matched_without_the_project() {
        let mut two = rule(6, ("repoMatches", "vllm"), ("matches", "v*"));
        two.tag_selectors.push(selector("matches", "latest"));
        assert_eq!(
            evaluate(std::slice::from_ref(&two), "ml", "vllm", "v1").state,
            Mutability::Immutable
        );
        assert_eq!(
            evaluate(&[two], "ml", "vllm", "latest").state,
            Mutability::Mutable
        );
        let with_project = rule(7, ("repoMatches", "ml/vllm"), ("matches", "**"));
        assert_eq!(
            evaluate(&[with_project], "ml", "vllm", "v1").state,
            Mutability::Mutable
        );
    }

    #[test]
    fn a_rule_that_cannot_be_evaluated_makes_the_answer_unknown() {
        let mut odd = rule(8, ("repoMatches", "**"), ("matches", "**"));
        odd.tag_selectors[0].kind = "regularExpression".into();
        let verdict = evaluate(&[odd], "p", "r", "v1");
        assert_eq!(verdict.state, Mutability::Unknown);
        assert!(verdict.source.contains("rule 8"), "{}", verdict.source);
        let bad = rule(9, ("repoMatches", "[oops"), ("matches", "**"));
        assert_eq!(evaluate(&[bad], "p", "r", "v1").state, Mutability::Unknown);
    }

    #[test]
    fn the_api_shape_deserialises() {
        let body = r#"[{"id":1,"project_id":2,"disabled":false,"priority":0,"action":"immutable",
            "template":"immutable_template","params":{},
            "tag_selectors":[{"kind":"doublestar","decoration":"matches","pattern":"v*"}],
            "scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}}]"#;
        let rules: Vec<Rule> = serde_json::from_str(body).unwrap();
        assert_eq!(rules, [rule(1, ("repoMatches", "**"), ("matches", "v*"))]);
    }
}
