//! Recognising secret-like literals: credential variable names, high-entropy values under
//! `*_TOKEN`/`*_KEY`/`*_PASSWORD`/`*_SECRET` names, well-known token prefixes anywhere in a
//! value, and `.env`-style `KEY=value` lines inside multi-line values.
//!
//! Nothing here keeps or returns a value: a [`Hit`] carries only the masked form.

use crate::model::ConfigValue;

/// One secret-like literal found in a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The variable it sits under: the data key or env name, or the `KEY` of a `KEY=value`
    /// line inside a multi-line value.
    pub name: String,
    /// 1-based line inside a multi-line value; `None` when the whole value is the literal.
    pub line: Option<usize>,
    /// Why it looks like a credential.
    pub why: &'static str,
    /// At most the first four characters of the literal, then a mask.
    pub masked: String,
}

/// Variables that hold a credential whatever their value looks like (placeholders aside).
const KNOWN_NAMES: [(&str, &str); 8] = [
    ("HF_TOKEN", "Hugging Face token variable"),
    ("HUGGING_FACE_HUB_TOKEN", "Hugging Face token variable"),
    ("HUGGINGFACEHUB_API_TOKEN", "Hugging Face token variable"),
    ("OPENAI_API_KEY", "OpenAI API key variable"),
    ("WANDB_API_KEY", "Weights & Biases API key variable"),
    ("AWS_SECRET_ACCESS_KEY", "AWS secret access key variable"),
    ("ANTHROPIC_API_KEY", "Anthropic API key variable"),
    ("AWS_SESSION_TOKEN", "AWS session token variable"),
];

const GENERIC_SUFFIXES: [&str; 4] = ["TOKEN", "KEY", "PASSWORD", "SECRET"];

/// `MY-api.key` -> `MY_API_KEY`, so ConfigMap keys written in other styles match too.
fn normalise(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Values that stand for a credential without being one: references, placeholders, paths.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    const WORDS: [&str; 13] = [
        "changeme",
        "change-me",
        "change_me",
        "placeholder",
        "replace",
        "your_",
        "your-",
        "dummy",
        "example",
        "redacted",
        "xxxx",
        "****",
        "todo",
    ];
    v.len() < 8
        || v.contains("${")
        || v.contains("$(")
        || v.starts_with('<')
        || v.starts_with('/')
        || v.starts_with("file:")
        || v.starts_with("secret://")
        || WORDS.iter().any(|w| lower.contains(w))
}

/// Shannon entropy of the value, in bits per character.
pub fn entropy_bits(value: &str) -> f64 {
    let mut counts: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in value.chars() {
        *counts.entry(c).or_insert(0) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Model ids, paths and names (`meta-llama/Meta-Llama-3-8B-Instruct`, `my-service-key`) are
/// made of words; generated credentials are not.
fn is_word_like(value: &str) -> bool {
    let parts: Vec<&str> = value
        .split(['-', '/', '_', '.', ':', ' ', '='])
        .filter(|p| !p.is_empty())
        .collect();
    let wordish = |p: &&str| {
        let letters = p.chars().all(|c| c.is_ascii_alphabetic());
        let digits = p.chars().all(|c| c.is_ascii_digit());
        let lower = p.chars().all(|c| c.is_ascii_lowercase());
        let upper = p.chars().all(|c| c.is_ascii_uppercase());
        let title = p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && p.chars().skip(1).all(|c| c.is_ascii_lowercase());
        p.len() <= 3 || digits || (letters && (lower || upper || title))
    };
    parts.len() >= 2 && parts.iter().all(wordish)
}

/// Whether a value under a `*_TOKEN`/`*_KEY`/... name looks generated rather than written.
fn looks_generated(value: &str, entropy_threshold: f64) -> bool {
    let v = value.trim();
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        v.chars().any(|c| c.is_ascii_digit()),
        v.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let url_without_credentials = v.contains("://") && !v.contains('@');
    v.len() >= 12
        && !v.contains(char::is_whitespace)
        && classes >= 2
        && !url_without_credentials
        && !is_placeholder(v)
        && !is_word_like(v)
        && entropy_bits(v) >= entropy_threshold
}

fn is_aws_key_id(token: &str) -> bool {
    token.len() == 20
        && (token.starts_with("AKIA") || token.starts_with("ASIA"))
        && token
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Token prefixes that identify a credential on their own, with the minimum length of what
/// follows the prefix.
const PREFIXES: [(&str, usize, &str); 11] = [
    ("sk-proj-", 20, "OpenAI project key (sk-proj-)"),
    ("sk-ant-", 20, "Anthropic key (sk-ant-)"),
    ("sk-", 20, "API secret key (sk-)"),
    ("hf_", 30, "Hugging Face token (hf_)"),
    ("ghp_", 30, "GitHub token (ghp_)"),
    ("gho_", 30, "GitHub token (gho_)"),
    ("ghs_", 30, "GitHub token (ghs_)"),
    ("github_pat_", 30, "GitHub token (github_pat_)"),
    ("glpat-", 20, "GitLab token (glpat-)"),
    ("xoxb-", 10, "Slack token (xoxb-)"),
    ("xoxp-", 10, "Slack token (xoxp-)"),
];

const PEM: &str = "private key (PEM)";

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The first well-known credential token in `text`: (why, the token).
fn prefixed_token(text: &str) -> Option<(&'static str, &str)> {
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        let at = text.find("-----BEGIN").unwrap_or(0);
        return Some((PEM, &text[at..]));
    }
    let mut start = 0;
    while start < text.len() {
        let rest = &text[start..];
        let Some(offset) = rest.find(token_char) else {
            break;
        };
        let token_start = start + offset;
        let len = text[token_start..]
            .find(|c: char| !token_char(c))
            .unwrap_or(text.len() - token_start);
        let token = &text[token_start..token_start + len];
        if is_aws_key_id(token) {
            return Some(("AWS access key id (AKIA/ASIA)", token));
        }
        for (prefix, min, why) in PREFIXES {
            if let Some(body) = token.strip_prefix(prefix)
                && body.len() >= min
                && body
                    .chars()
                    .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            {
                return Some((why, token));
            }
        }
        start = token_start + len.max(1);
    }
    None
}

/// Whether `name = value` is a secret-like literal, and why.
pub fn classify(name: &str, value: &str, entropy_threshold: f64) -> Option<(&'static str, String)> {
    let mask = |v: &str| ConfigValue::new(v.trim()).masked();
    let normalised = normalise(name);
    if normalised == "AWS_ACCESS_KEY_ID" {
        return is_aws_key_id(value.trim()).then(|| ("AWS access key id (AKIA/ASIA)", mask(value)));
    }
    if let Some((_, why)) = KNOWN_NAMES.iter().find(|(n, _)| *n == normalised) {
        return (!is_placeholder(value)).then(|| (*why, mask(value)));
    }
    if let Some((why, token)) = prefixed_token(value) {
        return Some((why, mask(token)));
    }
    let generic = !normalised.ends_with("PUBLIC_KEY")
        && GENERIC_SUFFIXES
            .iter()
            .any(|s| normalised == *s || normalised.ends_with(&format!("_{s}")));
    (generic && looks_generated(value, entropy_threshold)).then(|| {
        (
            "high-entropy value under a credential-like name",
            mask(value),
        )
    })
}

/// A `.env`-style line: `KEY=value` or `export KEY=value`, with optional quotes.
fn env_line(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    if line.starts_with('#') {
        return None;
    }
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    let valid_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    valid_key.then_some((key, value))
}

/// Every secret-like literal in the value of `name`. A single-line value is judged as a
/// whole; a multi-line value under a credential name is one hit, otherwise each line is read
/// as a `.env` line or scanned for token prefixes.
pub fn scan(name: &str, value: &ConfigValue, entropy_threshold: f64) -> Vec<Hit> {
    let text = value.expose();
    let hit = |name: &str, line, (why, masked): (&'static str, String)| Hit {
        name: name.to_string(),
        line,
        why,
        masked,
    };
    if !text.trim_end().contains('\n') {
        return classify(name, text, entropy_threshold)
            .map(|found| vec![hit(name, None, found)])
            .unwrap_or_default();
    }
    let normalised = normalise(name);
    let credential_name = KNOWN_NAMES.iter().any(|(n, _)| *n == normalised)
        || GENERIC_SUFFIXES.iter().any(|s| normalised.ends_with(s));
    if credential_name && let Some((why, token)) = prefixed_token(text) {
        return vec![hit(name, None, (why, ConfigValue::new(token).masked()))];
    }
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let found = match env_line(line) {
            Some((key, value)) => classify(key, value, entropy_threshold).map(|f| (key, f)),
            None => prefixed_token(line)
                .map(|(why, token)| (name, (why, ConfigValue::new(token).masked()))),
        };
        if let Some((key, f)) = found {
            let pem = f.0 == PEM;
            hits.push(hit(key, Some(i + 1), f));
            if pem {
                // The rest of the block is the key itself.
                break;
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    const BITS: f64 = 3.0;

    fn why(name: &str, value: &str) -> Option<&'static str> {
        classify(name, value, BITS).map(|(w, _)| w)
    }

    #[test]
    fn known_credential_names_are_secret_unless_placeholders() {
        assert!(why("HF_TOKEN", "hf_WbHEeV3oEVFVfFodyLmmXJJt4JbLuOBOBz").is_some());
        assert!(why("WANDB_API_KEY", "77067d21ad72fa0f50351638f1271a4e9c0d2b11").is_some());
        assert!(why("ANTHROPIC_API_KEY", "something-long-enough").is_some());
        assert!(why("hugging-face-hub-token", "abcdefgh12345").is_some());
        for placeholder in [
            "",
            "changeme",
            "${HF_TOKEN}",
            "$(HF_TOKEN)",
            "<your token>",
            "/var/run/secrets/hf/token",
            "short",
        ] {
            assert_eq!(why("HF_TOKEN", placeholder), None, "{placeholder:?}");
        }
    }

    #[test]
    fn aws_access_key_ids_need_the_akia_or_asia_shape() {
        assert!(why("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPL3").is_some());
        assert!(why("AWS_ACCESS_KEY_ID", "ASIAIOSFODNN7EXAMPL3").is_some());
        assert_eq!(why("AWS_ACCESS_KEY_ID", "not-a-key-id-value"), None);
        assert_eq!(why("AWS_ACCESS_KEY_ID", "AKIA123"), None);
        // The shape alone is enough under any name.
        assert!(why("S3_USER", "AKIAIOSFODNN7EXAMPL3").is_some());
    }

    #[test]
    fn generic_names_need_a_generated_looking_value() {
        assert!(why("DB_PASSWORD", "Tr0ub4dor&3xQ9").is_some());
        assert!(why("REDIS_SECRET", "9f8e7d6c5b4a39281726354a").is_some());
        assert!(why("custom.api-key", "Zm9vYmFyYmF6cXV4MTIzNDU2").is_some());
        for (name, value) in [
            ("MODEL_KEY", "meta-llama/Meta-Llama-3-8B-Instruct"),
            ("CACHE_KEY", "datasets/imagenet/train"),
            ("MAX_INPUT_TOKENS", "6144"),
            ("MAX_TOKEN", "409612345678"),
            ("SERVICE_KEY", "my-service-key-name"),
            ("SSH_PUBLIC_KEY", "AAAAB3NzaC1yc2EAAAADAQABAAABAQ"),
            ("ENDPOINT_TOKEN", "https://auth.example.com/token"),
            ("PASSWORD", "aaaaaaaaaaaaaaaaaaa1"),
            ("SORT_KEY", "true"),
        ] {
            assert_eq!(why(name, value), None, "{name}={value}");
        }
        // A stricter threshold can be configured.
        assert!(classify("DB_PASSWORD", "Tr0ub4dor&3xQ9", 4.5).is_none());
    }

    #[test]
    fn well_known_prefixes_are_found_under_any_name_on_token_boundaries() {
        assert_eq!(
            why("X", "sk-proj-_WB014Ooipk0vfFgPLVKPiN1YikEIm3GQQse2WMT"),
            Some("OpenAI project key (sk-proj-)")
        );
        assert_eq!(
            why("X", "sk-abcdefghij0123456789KLMN"),
            Some("API secret key (sk-)")
        );
        assert_eq!(
            why("X", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            Some("GitHub token (ghp_)")
        );
        assert_eq!(
            why("X", "xoxb-1234567890-abcdef"),
            Some("Slack token (xoxb-)")
        );
        assert_eq!(
            why("X", "token is hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567 ok"),
            Some("Hugging Face token (hf_)")
        );
        // Inside a word, or too short, or only lowercase letters: not a token.
        assert_eq!(why("X", "task-abcdefghijklmnopqrstuvwxyz"), None);
        assert_eq!(why("X", "sk-short"), None);
        assert_eq!(why("X", "hf_hub_enable_hf_transfer_and_more_words"), None);
    }

    #[test]
    fn multi_line_values_are_read_as_env_lines() {
        let value = ConfigValue::new(
            "# settings\nMODEL_ID=/models/llama\nexport HF_TOKEN=\"hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567\"\nDB_PASSWORD='Tr0ub4dor&3xQ9'\nnote: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
        );
        let hits = scan("app.env", &value, BITS);
        let found: Vec<(String, Option<usize>)> =
            hits.iter().map(|h| (h.name.clone(), h.line)).collect();
        assert_eq!(
            found,
            [
                ("HF_TOKEN".to_string(), Some(3)),
                ("DB_PASSWORD".to_string(), Some(4)),
                ("app.env".to_string(), Some(5))
            ]
        );
        assert_eq!(hits[0].masked, "hf_A****");
        assert_eq!(hits[1].masked, "Tr0u****");
        let clean = ConfigValue::new("model: resnet50\nepochs: 90\nlr: 0.1\n");
        assert!(scan("train.yaml", &clean, BITS).is_empty());
    }

    #[test]
    fn a_private_key_is_one_hit() {
        let pem = ConfigValue::new(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n",
        );
        let hits = scan("id_ed25519", &pem, BITS);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].why, "private key (PEM)");
        assert_eq!(hits[0].masked, "----****");
    }

    #[test]
    fn entropy_is_bits_per_character() {
        assert_eq!(entropy_bits(""), 0.0);
        assert_eq!(entropy_bits("aaaa"), 0.0);
        assert!((entropy_bits("abcd") - 2.0).abs() < 1e-9);
    }
}
