//! Replays the checked-in fuzz inputs (`tests/fixtures/fuzz/<target>/`) through the same
//! harnesses the cargo-fuzz targets run (`fuzz/harness/<target>.rs`), so CI, which runs only
//! stable `cargo test`, keeps every crash fixed and exercises the harness logic. Inputs that
//! once crashed also get a test of their own below that names the behaviour now expected.
//! How to run the fuzzers is in `docs/fuzzing.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Each harness is also a fuzz target's whole program, so each includes the shared
// `fuzz/harness/forbidden.rs` itself; here, with all of them together, it is loaded once per
// harness.
#![allow(clippy::duplicate_mod)]

#[path = "../../../../fuzz/harness/audit_log.rs"]
mod audit_log;
#[path = "../../../../fuzz/harness/image_ref.rs"]
mod image_ref;
#[path = "../../../../fuzz/harness/kubeconfig.rs"]
mod kubeconfig;
#[path = "../../../../fuzz/harness/manifest.rs"]
mod manifest;
#[path = "../../../../fuzz/harness/sanitize.rs"]
mod sanitize;

use std::path::{Path, PathBuf};

/// Every file in `tests/fixtures/fuzz/<target>/`, sorted, with its bytes.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "too few inputs in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

fn replay(target: &str, check: fn(&[u8])) {
    for (path, bytes) in inputs(target) {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(outcome.is_ok(), "{} fails its harness", path.display());
    }
}

#[test]
fn image_ref_inputs_replay() {
    replay("image_ref", image_ref::check);
}

#[test]
fn manifest_inputs_replay() {
    replay("manifest", manifest::check);
}

#[test]
fn audit_log_inputs_replay() {
    replay("audit_log", audit_log::check);
}

#[test]
fn kubeconfig_inputs_replay() {
    replay("kubeconfig", kubeconfig::check);
}

#[test]
fn sanitize_inputs_replay() {
    replay("sanitize", sanitize::check);
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz")
            .join(name),
    )
    .unwrap()
}

/// kube's own file reader (`Kubeconfig::read_from`) indexes past the end of a UTF-16 file
/// with an odd number of bytes and panics; aigov decodes the bytes itself.
#[test]
fn kubeconfig_in_utf16_with_an_odd_byte_count_is_a_clear_error() {
    for (name, encoding) in [
        ("kubeconfig/utf16-odd-length", "UTF-16 LE"),
        ("kubeconfig/utf16be-odd-length", "UTF-16 BE"),
    ] {
        let bytes = fixture(name);
        let reason = aigov_kube::kubeconfig::parse(&bytes, None).unwrap_err();
        assert_eq!(reason, format!("invalid {encoding}: odd number of bytes"));

        // The same through `--kubeconfig`, as a user meets it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, &bytes).unwrap();
        let message = aigov_kube::kubeconfig::load(Some(&path))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "cannot read kubeconfig {}: invalid {encoding}: odd number of bytes",
                path.display()
            )
        );
    }
}

/// `parse` must read a file as kube's `read_from` does when that does not panic: same
/// encodings, documents merged, relative paths made absolute against the file's directory.
#[test]
fn kubeconfig_parse_matches_kubes_file_reader() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["minimal", "utf8-bom", "utf16le-valid", "utf16-empty"] {
        let bytes = fixture(&format!("kubeconfig/{name}"));
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let ours = aigov_kube::kubeconfig::parse(&bytes, Some(dir.path())).unwrap();
        let kubes = kube::config::Kubeconfig::read_from(&path).unwrap();
        assert_eq!(
            serde_json::to_value(&ours).unwrap(),
            serde_json::to_value(&kubes).unwrap(),
            "{name}"
        );
    }
    let bytes = fixture("kubeconfig/utf16le-valid");
    let config = aigov_kube::kubeconfig::parse(&bytes, Some(Path::new("/etc/kube"))).unwrap();
    let user = config.auth_infos[0].auth_info.as_ref().unwrap();
    assert_eq!(user.client_key.as_deref(), Some("/etc/kube/key.pem"));
    assert_eq!(user.token_file.as_deref(), Some("/etc/kube/../t"));
    let command = user.exec.as_ref().and_then(|e| e.command.as_deref());
    assert_eq!(command, Some("/etc/kube/./bin/auth"));
    let cluster = config.clusters[0].cluster.as_ref().unwrap();
    assert_eq!(
        cluster.certificate_authority.as_deref(),
        Some("/etc/kube/ca.pem")
    );
}

/// The `float-roundtrip` input (a log whose float does not survive serde_json's default parser,
/// so its hash chain never verifies) cannot fail its replay under `cargo test`: the
/// dev-dependency jsonschema turns serde_json's `float_roundtrip` on in test builds whatever
/// aigov asks for. What keeps the fix is aigov's own dependency asking for it, so that the
/// shipped binary, built without dev-dependencies, has it; this checks that request.
#[test]
fn the_shipped_build_asks_serde_json_for_exact_float_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |path: &Path| -> toml::Table {
        toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let workspace = read(&root.join("Cargo.toml"));
    let features = workspace["workspace"]["dependencies"]["serde_json"]
        .get("features")
        .and_then(|features| features.as_array())
        .map(|features| {
            features
                .iter()
                .filter_map(|f| f.as_str())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(
        features.contains(&"float_roundtrip"),
        "[workspace.dependencies] serde_json must enable float_roundtrip (features: {features:?}); \
         without it `aigov log verify` reports a false tamper on logs holding such floats"
    );
    // The audit trail's crate reads and writes the log; it must take the workspace's serde_json.
    let audit = read(&root.join("crates/aigov-audit/Cargo.toml"));
    assert_eq!(
        audit["dependencies"]["serde_json"].get("workspace"),
        Some(&toml::Value::Boolean(true)),
        "aigov-audit must use the workspace's serde_json (with float_roundtrip)"
    );
}

/// The log the `audit_log` harness verifies in its re-chained mode (odd first byte): each
/// JSON object line of `bytes` given `seq`, `prev`, a default `schema_version` and its hash,
/// as the writer would (the same steps as `read_rechained` in `fuzz/harness/audit_log.rs`).
fn rechained(bytes: &[u8]) -> Vec<u8> {
    use aigov_audit::{GENESIS, canonical, record_hash};
    use serde_json::{Value, json};
    let mut out = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut seq = 0u64;
    for line in bytes.split(|&b| b == b'\n') {
        let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        seq += 1;
        map.insert("seq".into(), json!(seq));
        map.insert("prev".into(), json!(prev));
        map.entry("schema_version").or_insert(json!(1));
        map.remove("hash");
        let mut value = Value::Object(map);
        let hash = record_hash(&prev, &value);
        value["hash"] = json!(hash);
        out.extend_from_slice(canonical(&value).as_bytes());
        out.push(b'\n');
        prev = hash;
    }
    out
}

/// `escaped-newline-in-kind` (re-chained mode): a record whose `kind` is `"session_\nd"` is
/// not an audit record, and serde's message quotes the decoded kind, newline included.
/// `verify`'s failure must stay one line, the newline shown as `^J`, through `verify_bytes`
/// and `scan` (what `aigov log verify`, `log show` and the console's Audit log view report).
#[test]
fn audit_log_failure_on_an_escaped_newline_in_kind_is_one_line() {
    use aigov_audit::Head;
    use aigov_audit::verify::{Problem, scan, verify_bytes};
    let input = fixture("audit_log/escaped-newline-in-kind");
    let (&mode, rest) = input.split_first().unwrap();
    assert_eq!(
        mode % 2,
        1,
        "the fixture is a re-chained (odd mode byte) input"
    );
    let log = rechained(rest);
    assert!(
        log.windows(br#""session_\nd""#.len())
            .any(|w| w == br#""session_\nd""#),
        "the re-chained log keeps the escaped newline in kind: {}",
        String::from_utf8_lossy(&log)
    );
    let failure = verify_bytes(&log).expect_err("a kind with a newline is not a record");
    let scanned = scan(&log, &Head::genesis(), 1, |_| {}).expect_err("scan fails the same way");
    assert_eq!(failure, scanned);
    let Problem::NotARecord(why) = &failure.problem else {
        panic!("not a record, got {failure}");
    };
    assert!(
        why.contains("session_^Jd"),
        "the newline is shown as ^J: {why:?}"
    );
    for shown in [failure.to_string(), failure.problem.to_string()] {
        assert_eq!(shown.lines().count(), 1, "one line: {shown:?}");
        assert!(
            !shown.chars().any(char::is_control),
            "no control: {shown:?}"
        );
    }
}
