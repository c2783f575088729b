//! Image references parsed by the OCI/Docker reference grammar, normalised as Docker does.

use serde::{Deserialize, Serialize};

pub const DOCKER_HUB: &str = "docker.io";

/// `registry/repository[:tag][@digest]`, with Docker Hub's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error("empty image reference")]
    Empty,
    #[error("invalid image reference {0:?}: {1}")]
    Invalid(String, &'static str),
}

fn alnum_lower(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn valid_component(c: &str) -> bool {
    // path-component := alpha-numeric (separator alpha-numeric)*
    // alpha-numeric  := [a-z0-9]+;  separator := [_.] | __ | [-]+
    let bytes = c.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum_lower(*first) || !alnum_lower(*last) {
        return false;
    }
    c.split(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        .all(|separator| {
            matches!(separator, "" | "." | "_" | "__") || separator.bytes().all(|b| b == b'-')
        })
}

fn valid_domain(d: &str) -> bool {
    // domain := host [":" port];  host := domain-name | "[" IPv6 "]"
    // domain-name := domain-component ("." domain-component)*
    // domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
    let port_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = d.strip_prefix('[') {
        let Some((ipv6, after)) = rest.split_once(']') else {
            return false;
        };
        return !ipv6.is_empty()
            && ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
            && (after.is_empty() || after.strip_prefix(':').is_some_and(port_ok));
    }
    let (host, port) = match d.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    port.is_none_or(port_ok)
        && host.split('.').all(|label| {
            let ends_ok = |b: Option<char>| b.is_some_and(|c| c.is_ascii_alphanumeric());
            ends_ok(label.chars().next())
                && ends_ok(label.chars().last())
                && label
                    .bytes()
                    .all(|x| x.is_ascii_alphanumeric() || x == b'-')
        })
}

/// Docker's rule for whether the first of several name components is a registry host: it
/// contains `.` or `:`, is `localhost`, or has an uppercase letter (repositories are lowercase).
fn looks_like_domain(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && (t.as_bytes()[0].is_ascii_alphanumeric() || t.as_bytes()[0] == b'_')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn valid_digest(d: &str) -> bool {
    let Some((algorithm, hex)) = d.split_once(':') else {
        return false;
    };
    // algorithm := component (separator component)*; component := [a-z0-9]+; separator := [+._-]
    let algorithm_ok = algorithm
        .split(['+', '.', '_', '-'])
        .all(|c| !c.is_empty() && c.bytes().all(alnum_lower));
    let hex_ok = match algorithm {
        "sha256" => is_lower_hex(hex, 64),
        "sha512" => is_lower_hex(hex, 128),
        _ => {
            hex.len() >= 32
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'=' || b == b'_' || b == b'-')
        }
    };
    algorithm_ok && hex_ok
}

fn is_lower_hex(hex: &str, len: usize) -> bool {
    hex.len() == len
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `text` is a well-formed `sha256:` digest (64 lowercase hex digits): what a
/// registry's `Docker-Content-Digest` must be before it is shown or written into a pin.
pub fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:")
        .is_some_and(|hex| is_lower_hex(hex, 64))
}

impl ImageRef {
    pub fn parse(text: &str) -> Result<Self, ImageRefError> {
        let invalid = |why| ImageRefError::Invalid(text.to_string(), why);
        if text.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if text.len() > 4096 {
            return Err(invalid("too long"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => {
                if !valid_digest(d) {
                    return Err(invalid("bad digest"));
                }
                (r, Some(d.to_string()))
            }
            None => (text, None),
        };
        // A tag follows the last ':' only if no '/' comes after it (else it is a port).
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i + 1..].contains('/') => {
                (&rest[..i], Some(rest[i + 1..].to_string()))
            }
            _ => (rest, None),
        };
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(invalid("bad tag"));
        }
        if name.is_empty() {
            return Err(invalid("missing repository"));
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path)) if looks_like_domain(first) => {
                if !valid_domain(first) {
                    return Err(invalid("bad registry host"));
                }
                (first.to_string(), path.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        if !path.split('/').all(valid_component) {
            return Err(invalid(
                "bad repository path (lowercase letters, digits and separators only)",
            ));
        }
        let registry = if registry == "index.docker.io" || registry == "registry-1.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if registry.len() + repository.len() + 1 > 255 {
            return Err(invalid("repository name too long"));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `docker.io/library/nginx`
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The tag a pull resolves: the given one, or `latest` when there is neither tag nor digest.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// The digest part of a container status `imageID` (`docker-pullable://repo@sha256:...`).
pub fn digest_of_image_id(image_id: &str) -> Option<&str> {
    let (_, digest) = image_id.rsplit_once('@')?;
    valid_digest(digest).then_some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_sha256_digests_are_believed() {
        let good = format!("sha256:{}", "0123456789abcdef".repeat(4));
        assert!(is_sha256_digest(&good));
        assert!(!is_sha256_digest(&good.to_uppercase()));
        assert!(!is_sha256_digest(&good[..good.len() - 1]));
        assert!(!is_sha256_digest(&format!("{good}\x1b]52;c;x\x07")));
        assert!(!is_sha256_digest(&format!("sha512:{}", "a".repeat(64))));
    }

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn docker_hub_names_are_normalised() {
        let r = ImageRef::parse("nginx").unwrap();
        assert_eq!(r.name(), "docker.io/library/nginx");
        assert_eq!(r.tag, None);
        assert_eq!(r.effective_tag(), Some("latest"));
        let r = ImageRef::parse("vllm/vllm-openai:v0.6.3").unwrap();
        assert_eq!(r.name(), "docker.io/vllm/vllm-openai");
        assert_eq!(r.tag.as_deref(), Some("v0.6.3"));
    }

    #[test]
    fn registries_ports_tags_and_digests() {
        let r = ImageRef::parse(&format!("localhost:5000/ml/train:2.1@{D}")).unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "ml/train");
        assert_eq!(r.tag.as_deref(), Some("2.1"));
        assert_eq!(r.digest.as_deref(), Some(D));
        assert!(r.is_pinned());
        assert_eq!(r.effective_tag(), Some("2.1"));
        let r = ImageRef::parse("nvcr.io/nvidia/pytorch:24.05-py3").unwrap();
        assert_eq!(r.registry, "nvcr.io");
        let r = ImageRef::parse("registry.example.com:443/a/b").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.tag),
            ("registry.example.com:443", None)
        );
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in [
            "",
            "upper/Case",
            "UPPER",
            "a@sha256:short",
            "a:bad tag",
            "a:-x",
            "a//b",
            "a/",
            ":tag",
            "x.io:/a",
            "a@",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn grammar_edge_cases_follow_docker() {
        // An uppercase first component is a registry host for Docker (repositories are
        // lowercase); an IPv6 host needs brackets and may omit the port.
        let r = ImageRef::parse("MyRegistry/ml/train:1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("MyRegistry", "ml/train")
        );
        let r = ImageRef::parse("[::1]/a").unwrap();
        assert_eq!(r.registry, "[::1]");
        assert_eq!(
            ImageRef::parse("[::1]:5000/a:t").unwrap().registry,
            "[::1]:5000"
        );
        for bad in [
            "a.-b/c", // separators must sit between alphanumerics
            "a/b.-c",
            "a/b_-c",
            "a/b._c",
            "a:b.com:5000/x", // ':' only before the port
            "[zz]/x",
            "-a.io/x",
            &format!("a@sha256+:{}", "0".repeat(64)),
            &format!("a@x__y:{}", "0".repeat(32)),
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(ImageRef::parse(&format!("a@multihash+base58:{}", "A".repeat(32))).is_ok());
        assert!(ImageRef::parse("a/b__c--d").is_ok());
    }

    #[test]
    fn display_round_trips_normalised_references() {
        for text in [
            "docker.io/library/nginx:1.27",
            "ghcr.io/huggingface/text-generation-inference:2.4.0",
        ] {
            assert_eq!(ImageRef::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            digest_of_image_id(&format!("docker-pullable://docker.io/vllm/vllm-openai@{D}")),
            Some(D)
        );
        assert_eq!(digest_of_image_id("sha256:abc"), None);
    }
}
