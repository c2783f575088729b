//! Property tests of `model::image::ImageRef` against the OCI/Docker reference grammar
//! (distribution/reference, with Docker's normalisation and the OCI digest grammar).
//!
//! - References generated from the grammar parse to their parts, normalised as Docker does,
//!   and parse -> Display -> parse round trips.
//! - Arbitrary strings never panic, and a string is accepted exactly when an independent
//!   checker written from the grammar says it is valid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aigov_core::model::image::{DOCKER_HUB, ImageRef};
use proptest::prelude::*;

// ---- an independent checker, written from the grammar ------------------------------------
//
// reference      := name [ ":" tag ] [ "@" digest ]
// name           := [ domain "/" ] path-component ( "/" path-component )*
// domain         := host [ ":" port ]         host := domain-name | "[" ipv6 "]"
// domain-name    := domain-component ( "." domain-component )*
// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
// path-component := alpha-numeric ( separator alpha-numeric )*
// alpha-numeric  := [a-z0-9]+                separator := [_.] | "__" | [-]+
// tag            := [\w][\w.-]{0,127}
// digest         := algorithm ":" encoded    (OCI image-spec)
// algorithm      := [a-z0-9]+ ( [+._-] [a-z0-9]+ )*
// encoded        := sha256: [a-f0-9]{64} | sha512: [a-f0-9]{128} | other: [a-zA-Z0-9=_-]{32,}
//
// Docker's normalisation decides whether the first component is a domain: it is when it
// contains '.' or ':', is `localhost`, or has an uppercase letter. The normalised name
// (`docker.io/library/x` for `x`) is at most 255 characters.

fn is_alnum_lower(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn path_component_ok(c: &str) -> bool {
    let bytes = c.as_bytes();
    if bytes.is_empty() || !is_alnum_lower(bytes[0]) || !is_alnum_lower(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum_lower(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum_lower(bytes[i]) {
            i += 1;
        }
        let separator = &c[start..i];
        let ok = matches!(separator, "." | "_" | "__")
            || (!separator.is_empty() && separator.bytes().all(|b| b == b'-'));
        if !ok {
            return false;
        }
    }
    true
}

fn domain_component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
}

fn port_ok(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
}

fn domain_ok(d: &str) -> bool {
    if let Some(rest) = d.strip_prefix('[') {
        let Some((ipv6, after)) = rest.split_once(']') else {
            return false;
        };
        let ipv6_ok = !ipv6.is_empty() && ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        return ipv6_ok && (after.is_empty() || after.strip_prefix(':').is_some_and(port_ok));
    }
    let (host, port) = match d.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    host.split('.').all(domain_component_ok) && port.is_none_or(port_ok)
}

fn tag_ok(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    !t.is_empty()
        && t.len() <= 128
        && word(t.as_bytes()[0])
        && t.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

fn digest_ok(d: &str) -> bool {
    let Some((algorithm, encoded)) = d.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm
        .split(['+', '.', '_', '-'])
        .all(|c| !c.is_empty() && c.bytes().all(is_alnum_lower));
    let lower_hex = |n: usize| {
        encoded.len() == n
            && encoded
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let encoded_ok = match algorithm {
        "sha256" => lower_hex(64),
        "sha512" => lower_hex(128),
        _ => {
            encoded.len() >= 32
                && encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b))
        }
    };
    algorithm_ok && encoded_ok
}

fn is_domain_by_docker(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

/// Whether `s` is a valid reference by the grammar above (and within the parser's 4 KiB limit).
fn grammar_ok(s: &str) -> bool {
    if s.is_empty() || s.len() > 4096 {
        return false;
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !digest_ok(d)) {
        return false;
    }
    // Neither a tag nor a path can hold ':' or '/', so a tag is what follows the last ':'
    // when no '/' comes after it.
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i + 1..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if tag.is_some_and(|t| !tag_ok(t)) {
        return false;
    }
    let components: Vec<&str> = name.split('/').collect();
    let (domain, path) = if components.len() > 1 && is_domain_by_docker(components[0]) {
        (Some(components[0]), &components[1..])
    } else {
        (None, &components[..])
    };
    if domain.is_some_and(|d| !domain_ok(d)) || !path.iter().all(|c| path_component_ok(c)) {
        return false;
    }
    let registry = match domain {
        None | Some("index.docker.io" | "registry-1.docker.io") => DOCKER_HUB,
        Some(d) => d,
    };
    let path_len = path.join("/").len();
    let library = if registry == DOCKER_HUB && path.len() == 1 {
        "library/".len()
    } else {
        0
    };
    registry.len() + 1 + library + path_len <= 255
}

// ---- generators ----------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Parts {
    domain: Option<String>,
    path: Vec<String>,
    tag: Option<String>,
    digest: Option<String>,
}

impl Parts {
    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(d) = &self.domain {
            s.push_str(d);
            s.push('/');
        }
        s.push_str(&self.path.join("/"));
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// What Docker makes of it, or `None` when it is invalid after normalisation (the first
    /// component taken for a host is not one, or the normalised name is too long).
    fn expected(&self) -> Option<ImageRef> {
        let mut components: Vec<&str> = self.domain.iter().map(String::as_str).collect();
        components.extend(self.path.iter().map(String::as_str));
        let (registry, path) = if components.len() > 1 && is_domain_by_docker(components[0]) {
            if !domain_ok(components[0]) {
                return None;
            }
            (components[0].to_string(), components[1..].join("/"))
        } else {
            if !components.iter().all(|c| path_component_ok(c)) {
                return None;
            }
            (DOCKER_HUB.to_string(), components.join("/"))
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        (registry.len() + 1 + repository.len() <= 255).then(|| ImageRef {
            registry,
            repository,
            tag: self.tag.clone(),
            digest: self.digest.clone(),
        })
    }
}

fn path_component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,4}(([_.]|__|-{1,3})[a-z0-9]{1,4}){0,2}"
}

/// A path component that Docker cannot mistake for a domain (no '.').
fn plain_component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,4}((_|__|-{1,3})[a-z0-9]{1,4}){0,2}"
}

fn domain() -> impl Strategy<Value = String> {
    let component = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,5}[a-zA-Z0-9])?";
    let host = prop_oneof![
        4 => proptest::collection::vec(component, 1..4).prop_map(|v| v.join(".")),
        1 => Just("localhost".to_string()),
        1 => Just("index.docker.io".to_string()),
        1 => "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        1 => "\\[[0-9a-fA-F]{0,4}:[0-9a-fA-F:]{0,10}\\]",
    ];
    (host, proptest::option::of("[0-9]{1,5}")).prop_map(|(h, port)| match port {
        Some(p) => format!("{h}:{p}"),
        None => h,
    })
}

fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}",
        1 => "[A-Za-z0-9_][A-Za-z0-9_.-]{127}",
    ]
}

fn digest() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "sha256:[a-f0-9]{64}",
        1 => "sha512:[a-f0-9]{128}",
        1 => "[a-z0-9]{1,6}([+._-][a-z0-9]{1,4}){0,2}:[a-zA-Z0-9=_-]{32,48}"
            .prop_filter("registered algorithms have fixed lengths", |d| {
                !d.starts_with("sha256:") && !d.starts_with("sha512:")
            }),
    ]
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        proptest::option::of(domain()),
        proptest::collection::vec(path_component(), 1..4),
        proptest::option::of(tag()),
        proptest::option::of(digest()),
    )
        .prop_map(|(domain, path, tag, digest)| Parts {
            domain,
            path,
            tag,
            digest,
        })
}

/// A valid reference with one character inserted, replaced or removed.
fn near_miss() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        Just('a'),
        Just('Z'),
        Just('0'),
        Just(':'),
        Just('/'),
        Just('@'),
        Just('.'),
        Just('_'),
        Just('-'),
        Just('['),
        Just(']'),
        Just('+'),
        Just('='),
        Just(' '),
        Just('é'),
    ];
    (parts(), any::<prop::sample::Index>(), 0..3u8, chars).prop_map(|(p, at, op, c)| {
        let mut chars: Vec<char> = p.text().chars().collect();
        let i = at.index(chars.len() + 1);
        match op {
            0 => chars.insert(i, c),
            1 if i < chars.len() => chars[i] = c,
            _ if i < chars.len() => {
                chars.remove(i);
            }
            _ => chars.push(c),
        }
        chars.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        // Failures are reported with their minimal input; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn grammatical_references_parse_to_their_normalised_parts(p in parts()) {
        let text = p.text();
        prop_assert!(grammar_ok(&text) == p.expected().is_some(), "checker disagrees on {text:?}");
        match p.expected() {
            Some(want) => prop_assert_eq!(ImageRef::parse(&text), Ok(want), "{}", text),
            None => prop_assert!(ImageRef::parse(&text).is_err(), "{text:?} is too long"),
        }
    }

    #[test]
    fn parse_display_parse_round_trips(p in parts()) {
        if let Ok(r) = ImageRef::parse(&p.text()) {
            let shown = r.to_string();
            let again = ImageRef::parse(&shown);
            prop_assert_eq!(again.as_ref(), Ok(&r), "{}", shown);
            prop_assert_eq!(again.map(|a| a.to_string()), Ok(shown.clone()));
            let registry_prefix = format!("{}/", r.registry);
            prop_assert!(shown.starts_with(&registry_prefix));
        }
    }

    #[test]
    fn docker_hub_defaults(component in plain_component(), second in path_component(), t in proptest::option::of(tag())) {
        let suffix = t.map(|t| format!(":{t}")).unwrap_or_default();
        let short = ImageRef::parse(&format!("{component}{suffix}")).unwrap();
        prop_assert_eq!(&short.registry, DOCKER_HUB);
        prop_assert_eq!(&short.repository, &format!("library/{component}"));
        for long in [
            format!("docker.io/{component}{suffix}"),
            format!("docker.io/library/{component}{suffix}"),
            format!("index.docker.io/library/{component}{suffix}"),
        ] {
            let parsed = ImageRef::parse(&long);
            prop_assert_eq!(parsed.as_ref(), Ok(&short), "{}", long);
        }
        // Two components on Docker Hub get no `library/`.
        let user = ImageRef::parse(&format!("{component}/{second}{suffix}")).unwrap();
        prop_assert_eq!(&user.registry, DOCKER_HUB);
        prop_assert_eq!(user.repository, format!("{component}/{second}"));
    }

    #[test]
    fn arbitrary_strings_never_panic_and_only_grammatical_ones_are_accepted(
        s in prop_oneof![".{0,80}", "[a-zA-Z0-9:/@._\\-\\[\\]+=]{0,60}"]
    ) {
        let accepted = ImageRef::parse(&s).is_ok();
        prop_assert!(!accepted || grammar_ok(&s), "accepted an invalid reference {s:?}");
    }

    #[test]
    fn near_misses_are_accepted_exactly_when_grammatical(s in near_miss()) {
        let parsed = ImageRef::parse(&s);
        prop_assert_eq!(parsed.is_ok(), grammar_ok(&s), "{:?}: {:?}", s, parsed);
    }
}

#[test]
fn checker_agrees_with_known_cases() {
    let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    for good in [
        "nginx".to_string(),
        "localhost:5000/ml/train:2.1".into(),
        format!("nvcr.io/nvidia/pytorch:24.05-py3@{d}"),
        "[::1]:5000/a/b".into(),
        "a__b/c---d".into(),
        "MyRegistry/ml/train:1".into(),
        "[::1]/a".into(),
    ] {
        assert!(grammar_ok(&good), "{good}");
        assert!(ImageRef::parse(&good).is_ok(), "{good}");
    }
    for bad in ["", "a___b", "a..b", "-a", "a:", "a@sha256:abc", "a:b:c"] {
        assert!(!grammar_ok(bad), "{bad}");
        assert!(ImageRef::parse(bad).is_err(), "{bad}");
    }
    // A 255-character normalised name is the limit.
    let long = "a".repeat(255 - "docker.io/library/".len());
    assert!(ImageRef::parse(&long).is_ok());
    assert!(ImageRef::parse(&format!("{long}b")).is_err());
}
