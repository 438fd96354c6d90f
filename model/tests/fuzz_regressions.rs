//! Replays the fuzzers' committed regression inputs on stable Rust, with the very invariant
//! checks the fuzz targets run (`fuzz/src/invariants.rs`, included below), so `cargo test`
//! covers every crash ever found without nightly or cargo-fuzz.
//!
//! `fuzz/regressions/` holds one folder per kind of input:
//! - `model_raw/`: raw request bodies (the `model_raw` target's input, as it is);
//! - `claims/`: `claims` target inputs, as they are;
//! - `cases/`: `*.json` regression cases (world, policy, clock, body) from the
//!   structure-aware and differential targets, whose raw inputs only decode with `arbitrary`.
//!
//! A folder may be empty: the fuzzers may have found nothing of that kind (see
//! `fuzz/regressions/README.md`).

#[path = "../../fuzz/src/invariants.rs"]
mod invariants;

use std::fs;
use std::path::{Path, PathBuf};

use invariants::{check_claims, check_raw, claims_input, raw_world, replay_case, RegressionCase};
use migrate_model::Model;

fn regressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

/// The files of one folder (sorted; README files excluded). The folder must exist.
fn inputs(kind: &str) -> Vec<PathBuf> {
    let dir = regressions().join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} must exist: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with("README") && !name.starts_with('.')
        })
        .collect();
    files.sort();
    files
}

/// Runs `check` on every input of `kind`, failing with every broken one named.
fn replay(kind: &str, check: impl Fn(&[u8]) -> Result<(), String>) -> usize {
    let files = inputs(kind);
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let bytes = fs::read(path).expect("readable");
            check(&bytes)
                .err()
                .map(|why| format!("{}: {why}", path.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {kind} regression inputs fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    files.len()
}

#[test]
fn the_regressions_directory_is_there_with_its_readme() {
    let dir = regressions();
    assert!(dir.is_dir(), "{} is missing", dir.display());
    assert!(dir.join("README.md").is_file());
    for kind in ["model_raw", "claims", "cases"] {
        assert!(dir.join(kind).is_dir(), "{kind}/ is missing");
    }
}

#[test]
fn model_raw_regressions_keep_the_invariants() {
    let model = Model::new(raw_world()).expect("the raw world is valid");
    let n = replay("model_raw", |body| check_raw(&model, body));
    eprintln!("{n} model_raw regression inputs replayed");
}

#[test]
fn claims_regressions_keep_the_merge_laws() {
    let n = replay("claims", |data| match claims_input(data) {
        Some(input) => check_claims(input),
        None => Err("no longer decodes as a claims input".into()),
    });
    eprintln!("{n} claims regression inputs replayed");
}

#[test]
fn case_regressions_keep_the_invariants() {
    let n = replay("cases", |bytes| {
        let case: RegressionCase =
            serde_json::from_slice(bytes).map_err(|e| format!("not a regression case: {e}"))?;
        replay_case(&case)
    });
    eprintln!("{n} regression cases replayed");
}

/// The checker itself works: a body that succeeds is checked as a success.
#[test]
fn the_raw_checker_accepts_a_success_and_every_kind_of_error() {
    let model = Model::new(raw_world()).expect("the raw world is valid");
    let ok = br#"{"session_token":"tok-ada","organization_id":"acme","session_duration_minutes":5,"session_custom_claims":{"k":1,"iss":2}}"#;
    let eval = model
        .migrate(invariants::NOW, &Default::default(), ok)
        .expect("evaluates");
    assert!(eval.outcome.success().is_some());
    for body in [&ok[..], b"", b"[", b"{}", b"{\"session_token\":1}"] {
        check_raw(&model, body).expect("keeps the invariants");
    }
}
