//! The registry's digest for a tag against the digests the pods run (their `imageID`): does a
//! restart run the same bits?

use aigov_core::model::image::digest_of_image_id;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Every running digest is the registry's.
    Matches,
    /// Some pods run other bits than the tag now names: a restart would run different bits.
    /// `running` holds the differing digests, each once, in first-seen order.
    Moved {
        registry: String,
        running: Vec<String>,
    },
    /// No pod reports a digest (not started yet, or an `imageID` without one).
    NoRunningDigest,
}

/// Compare `registry_digest` with the pods' `imageID`s (`docker-pullable://repo@sha256:...`,
/// `repo@sha256:...`; those without a digest are skipped).
pub fn compare_running<'a>(
    registry_digest: &str,
    image_ids: impl IntoIterator<Item = &'a str>,
) -> Comparison {
    let mut seen_any = false;
    let mut differing: Vec<String> = Vec::new();
    for digest in image_ids.into_iter().filter_map(digest_of_image_id) {
        seen_any = true;
        if digest != registry_digest && !differing.iter().any(|d| d == digest) {
            differing.push(digest.to_string());
        }
    }
    match (seen_any, differing.is_empty()) {
        (false, _) => Comparison::NoRunningDigest,
        (true, true) => Comparison::Matches,
        (true, false) => Comparison::Moved {
            registry: registry_digest.to_string(),
            running: differing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn matches_moved_and_no_running_digest() {
        let a = d('a');
        let b = d('b');
        let id_a = format!("docker-pullable://reg.example/app@{a}");
        let id_b = format!("reg.example/app@{b}");
        assert_eq!(compare_running(&a, [id_a.as_str()]), Comparison::Matches);
        assert_eq!(
            compare_running(&a, [id_a.as_str(), id_b.as_str(), id_b.as_str()]),
            Comparison::Moved {
                registry: a.clone(),
                running: vec![b.clone()]
            }
        );
        assert_eq!(
            compare_running(&a, ["", "reg.example/app:1"]),
            Comparison::NoRunningDigest
        );
        assert_eq!(compare_running(&a, []), Comparison::NoRunningDigest);
    }
}
