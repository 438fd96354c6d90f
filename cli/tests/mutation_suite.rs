//! The test of the mutation score (`.ci/mutants/run.sh`): `cargo mutants` mutates the
//! emulator's engine (the sample implementation) and runs this, which is the suite's main job
//! against the sample built from the mutated tree: `check` with its default cases and
//! `vectors run`, under the default profile and under `all-flipped` (every policy flag on its
//! other choice, from conformance/profiles.txt), so that code only another choice reaches is
//! tested too; `check` under `mixed-no-duration`, the one profile where claims are ignored
//! without a duration while `null` and `0` durations count as absent; and a short `check`
//! of the emulator over HTTP, for the engine's parts only the server calls. A mutant is
//! caught when any of them fails. Ignored in a plain `cargo test` (the
//! other tests here already run both); the script asks for it with `--include-ignored`.

use std::process::Command;

/// The settings of the profile `name` of conformance/profiles.txt.
fn profile(name: &str) -> &'static str {
    include_str!("../../conformance/profiles.txt")
        .lines()
        .find_map(|line| {
            let (first, rest) = line.split_once(char::is_whitespace)?;
            (first == name).then(|| rest.trim())
        })
        .unwrap_or_else(|| panic!("conformance/profiles.txt has no profile {name}"))
}

fn all_flipped() -> &'static str {
    profile("all-flipped")
}

fn suite(args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_migrate-conformance"))
        .args(args)
        .output()
        .expect("the command runs");
    assert!(
        output.status.success(),
        "`migrate-conformance {}` failed ({}):\n{}\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| !l.starts_with("ok "))
            .take(40)
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
#[ignore = "the mutation score's test: .ci/mutants/run.sh runs it under cargo mutants"]
fn check_passes_on_the_sample() {
    suite(&["check", "--target", "sample", "--quiet"]);
}

#[test]
#[ignore = "the mutation score's test: .ci/mutants/run.sh runs it under cargo mutants"]
fn every_vector_passes_on_the_sample() {
    suite(&["vectors", "run", "--target", "sample"]);
}

#[test]
#[ignore = "the mutation score's test: .ci/mutants/run.sh runs it under cargo mutants"]
fn check_passes_on_the_sample_with_every_flag_flipped() {
    let profile = all_flipped();
    suite(&[
        "check",
        "--target",
        "sample",
        "--quiet",
        "--cases",
        "100",
        "--profile",
        profile,
    ]);
}

#[test]
#[ignore = "the mutation score's test: .ci/mutants/run.sh runs it under cargo mutants"]
fn every_vector_passes_on_the_sample_with_every_flag_flipped() {
    suite(&[
        "vectors",
        "run",
        "--target",
        "sample",
        "--profile",
        all_flipped(),
    ]);
}

#[test]
#[ignore = "the mutation score's test: .ci/mutants/run.sh runs it under cargo mutants"]
fn check_passes_on_the_sample_with_claims_ignored_without_duration() {
    suite(&[
        "check",
        "--target",
        "sample",
        "--quiet",
        "--cases",
        "100",
        "--profile",
        profile("mixed-no-duration"),
    ]);
}

#[test]
#[ignore = "the mutation score's test: .ci/mutants/run.sh runs it under cargo mutants"]
fn check_passes_on_the_emulator_over_http() {
    suite(&["check", "--target", "emulator", "--quiet", "--cases", "20"]);
}
