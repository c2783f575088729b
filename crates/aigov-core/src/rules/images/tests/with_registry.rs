//! Image rules with registry facts: a tag that moved under the pods (IMG-004), a tag seen
//! overwritten (IMG-005), and what the registry's immutability settings change (IMG-001/002).

use super::*;

fn fact(digest: &str) -> TagFact {
    TagFact {
        digest: digest.into(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        checked_at: "2026-11-27T10:00:00Z".into(),
    }
}

/// The tag was seen at D1 on 2026-11-20 and at D2 on 2026-11-27.
fn moved_d1_to_d2() -> TagMove {
    TagMove {
        from_digest: D1.into(),
        from_seen: "2026-11-20T08:00:00Z".into(),
        to_digest: D2.into(),
        to_seen: "2026-11-27T10:00:00Z".into(),
    }
}

#[test]
fn a_tag_whose_registry_digest_is_not_running_moved() {
    let image = "vllm/vllm-openai:v0.6.3";
    let snap = snapshot(&deployment("llm", "vllm", image, "", &[(image, D1)]));
    assert!(
        of(&run_with(&snap, &RegistryFacts::default()), "AIGOV-IMG-004").is_empty(),
        "no registry facts: nothing claimed"
    );
    let parsed = ImageRef::parse(image).unwrap();
    let mut same = RegistryFacts::default();
    same.insert(&parsed, fact(D1));
    assert!(of(&run_with(&snap, &same), "AIGOV-IMG-004").is_empty());

    let mut moved = RegistryFacts::default();
    moved.insert(&parsed, fact(D2));
    let found = run_with(&snap, &moved);
    let f = of(&found, "AIGOV-IMG-004");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High, "an AI workload");
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.starts_with("registry digest: ") && e.contains(D2))
    );
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.starts_with("running digest: ") && e.contains(D1))
    );

    // A failed look-up is not a claim either way.
    let mut unknown = RegistryFacts::default();
    unknown.insert_unknown(&parsed, "connection refused");
    assert!(of(&run_with(&snap, &unknown), "AIGOV-IMG-004").is_empty());
}

#[test]
fn a_tag_seen_at_two_digests_is_reported_as_mutable_with_both() {
    let image = "pytorch/pytorch:2.3.1";
    let snap = snapshot(&deployment("ml", "train", image, "", &[(image, D2)]));
    let parsed = ImageRef::parse(image).unwrap();
    let mut facts = RegistryFacts::default();
    facts.insert(&parsed, fact(D2));
    assert!(of(&run_with(&snap, &facts), "AIGOV-IMG-005").is_empty());
    facts.insert_move(&parsed, moved_d1_to_d2());
    let found = run_with(&snap, &facts);
    let f = of(&found, "AIGOV-IMG-005");
    assert_eq!(f.len(), 1);
    let line = &f[0].evidence[0];
    assert!(
        line.contains(D1) && line.contains(D2) && line.contains("2026-11-20T08:00:00Z"),
        "{line}"
    );
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.contains("immutability settings: unknown"))
    );
    assert!(
        of(&found, "AIGOV-IMG-004").is_empty(),
        "the pods run the current digest"
    );
}

#[test]
fn a_tag_the_registry_enforces_as_immutable_is_low_with_the_rule_as_evidence() {
    let image = "harbor.example/ml/vllm:v0.6.3";
    let snap = snapshot(&deployment("llm", "vllm", image, "Always", &[(image, D1)]));
    let parsed = ImageRef::parse(image).unwrap();
    let mut facts = RegistryFacts::default();
    facts.insert(&parsed, fact(D1));
    facts.insert_setting(
        &parsed,
        ImmutabilitySetting::immutable(
            "harbor rule 7 (repositories repoMatches **, tags matches v*)",
        ),
    );
    let found = run_with(&snap, &facts);
    let img1 = of(&found, "AIGOV-IMG-001");
    assert_eq!(img1.len(), 1, "still not pinned: the finding stays");
    assert_eq!(img1[0].severity, Severity::Low);
    assert!(img1[0].remediable, "pinning is still offered");
    assert!(
        img1[0]
            .evidence
            .iter()
            .any(|e| e.starts_with("registry enforces immutability (harbor rule 7")),
        "{:?}",
        img1[0].evidence
    );
    let img2 = of(&found, "AIGOV-IMG-002");
    assert_eq!(img2.len(), 1);
    assert_eq!(img2[0].severity, Severity::Info);
    assert!(!img2[0].title.contains("mutable"), "{}", img2[0].title);

    // A registry that says the tag can move leaves the severities alone and says why.
    let mut open = RegistryFacts::default();
    open.insert(&parsed, fact(D1));
    open.insert_setting(
        &parsed,
        ImmutabilitySetting::mutable("harbor: no enabled immutable-tag rule of project ml matches"),
    );
    let found = run_with(&snap, &open);
    let img1 = of(&found, "AIGOV-IMG-001");
    assert_eq!(img1[0].severity, Severity::Medium);
    assert!(
        img1[0]
            .evidence
            .iter()
            .any(|e| e.starts_with("tag immutability: mutable (harbor: no enabled"))
    );
    assert_eq!(of(&found, "AIGOV-IMG-002")[0].severity, Severity::Medium);
}

#[test]
fn an_overwrite_seen_before_an_immutability_rule_keeps_the_tag_mutable() {
    let image = "harbor.example/ml/vllm:2.3.1";
    let snap = snapshot(&deployment("llm", "vllm", image, "", &[(image, D2)]));
    let parsed = ImageRef::parse(image).unwrap();
    let mut facts = RegistryFacts::default();
    facts.insert(&parsed, fact(D2));
    facts.insert_setting(&parsed, ImmutabilitySetting::immutable("harbor rule 2"));
    facts.insert_move(&parsed, moved_d1_to_d2());
    assert_eq!(facts.immutability(&parsed).state, Mutability::Mutable);
    let found = run_with(&snap, &facts);
    let img1 = of(&found, "AIGOV-IMG-001");
    assert_eq!(
        img1[0].severity,
        Severity::Medium,
        "observed overwrite wins"
    );
    assert!(
        img1[0].evidence.iter().any(|e| e
            .contains("tag immutability: mutable (history: overwritten at")
            && e.contains("rule was added after the overwrite")),
        "{:?}",
        img1[0].evidence
    );
    let img5 = of(&found, "AIGOV-IMG-005");
    assert_eq!(img5.len(), 1);
    assert!(
        img5[0]
            .evidence
            .iter()
            .any(|e| e.starts_with("the registry now claims immutable (harbor rule 2)"))
    );
}
