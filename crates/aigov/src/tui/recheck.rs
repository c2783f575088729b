//! `R` in the Images view: ask the registry about one image's tag again (past the cache),
//! record the answer in the tag history, and fold it into the live loop's registry facts, so
//! the view and the rules show it at the next evaluation.

use aigov_core::model::image::ImageRef;
use aigov_core::rules::images::{RegistryFacts, TagMove};
use aigov_registry::{Lookup, RegistryClient, TagHistory, tag_key};
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The live loop's side: the generation's registry client and the images asked for.
pub struct Rechecks {
    pub client: Arc<RegistryClient>,
    pub requests: mpsc::UnboundedReceiver<String>,
}

/// One image's fresh answer, with the tag's overwrites the history knows.
pub struct Answer {
    pub image: ImageRef,
    pub lookup: Lookup,
    pub moves: Vec<TagMove>,
}

/// Ask again about `image` (as written in a pod spec).
pub async fn recheck(client: Arc<RegistryClient>, image: String) -> Result<Answer, String> {
    let image = ImageRef::parse(&image).map_err(|e| format!("{image}: {e}"))?;
    if image.is_pinned() {
        return Err(format!("{image} is pinned to a digest: nothing to look up"));
    }
    client.forget(&image);
    let lookup = client.resolve(&image).await;
    let mut moves = Vec::new();
    if let Some(dir) = aigov_registry::history_dir() {
        let mut history = TagHistory::load(&dir).map_err(|e| e.to_string())?;
        history.record_lookups(std::slice::from_ref(&image), std::slice::from_ref(&lookup));
        history.save(&dir).map_err(|e| e.to_string())?;
        if let Some(key) = tag_key(&image) {
            moves = history
                .moves(&key)
                .into_iter()
                .map(|m| TagMove {
                    from_digest: m.previous_digest,
                    from_seen: m.previous_seen,
                    to_digest: m.new_digest,
                    to_seen: m.new_seen,
                })
                .collect();
        }
    }
    Ok(Answer {
        image,
        lookup,
        moves,
    })
}

/// A re-check in flight in the live loop.
pub type Checking = BoxFuture<'static, Result<Answer, String>>;

/// The next image `R` asked about, with the client to ask; never, when look-ups are off.
pub async fn next(rechecks: &mut Option<Rechecks>) -> Option<(Arc<RegistryClient>, String)> {
    match rechecks {
        Some(r) => r
            .requests
            .recv()
            .await
            .map(|image| (r.client.clone(), image)),
        None => std::future::pending().await,
    }
}

/// The answer of the re-check in flight; never, when there is none.
pub async fn finish(checking: &mut Option<Checking>) -> Result<Answer, String> {
    match checking {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

/// Replace what `facts` held about the answer's tag.
pub fn fold(facts: &mut RegistryFacts, answer: &Answer) {
    aigov_registry::to_facts(
        std::slice::from_ref(&answer.image),
        std::slice::from_ref(&answer.lookup),
        facts,
    );
    if let Some(key) = RegistryFacts::key(&answer.image) {
        facts.moves.remove(&key);
    }
    for moved in &answer.moves {
        facts.insert_move(&answer.image, moved.clone());
    }
}

/// One line for the status bar.
pub fn notice(answer: &Answer) -> String {
    let image = aigov_core::sanitize::sanitize(&answer.image.to_string()).into_owned();
    match &answer.lookup {
        Lookup::Resolved(r) => format!("{image}: the registry says {}", r.digest),
        Lookup::Unknown { reason } => format!(
            "{image}: unknown ({})",
            aigov_core::sanitize::sanitize(&reason.to_string())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_registry::{Resolution, UnknownReason};

    #[test]
    fn a_fresh_answer_replaces_the_old_one_and_its_moves() {
        let image = ImageRef::parse("vllm/vllm-openai:v0.6.3").unwrap();
        let mut facts = RegistryFacts::default();
        facts.insert_unknown(&image, "timeout");
        let answer = Answer {
            image: image.clone(),
            lookup: Lookup::Resolved(Resolution {
                digest: format!("sha256:{}", "d".repeat(64)),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                checked_at: jiff::Timestamp::UNIX_EPOCH,
                from_cache: false,
            }),
            moves: vec![TagMove {
                from_digest: "sha256:a".into(),
                from_seen: "t1".into(),
                to_digest: "sha256:d".into(),
                to_seen: "t2".into(),
            }],
        };
        fold(&mut facts, &answer);
        fold(&mut facts, &answer);
        assert!(facts.unknown_reason(&image).is_none());
        assert!(facts.tag(&image).unwrap().digest.starts_with("sha256:ddd"));
        assert_eq!(facts.moves(&image).len(), 1, "not counted twice");
        assert!(notice(&answer).contains("the registry says sha256:ddd"));

        let failed = Answer {
            image: image.clone(),
            lookup: Lookup::Unknown {
                reason: UnknownReason::NoTag,
            },
            moves: Vec::new(),
        };
        assert!(notice(&failed).contains("unknown"));
    }
}
