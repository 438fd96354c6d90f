//! The test of the mutation score (`.ci/mutants/run.sh`): `cargo mutants` mutates the
//! emulator's engine (the sample implementation) and runs this, which is the suite's main job
//! against the sample built from the mutated tree: `vectors run` and `check` with its default
//! cases, under the default profile and under `all-flipped` (every policy flag on its other
//! choice, from conformance/profiles.txt), so that code only another choice reaches is tested
//! too; `vectors run` under `flip-claims-size-measure` (most vectors have outcomes for one
//! flag changed, not for all of them); `check` under `mixed-no-duration`, the one profile
//! where claims are ignored without a duration while `null` and `0` durations count as
//! absent, and under the same with integral floats refused; and a short `check` of the
//! emulator over HTTP, with worlds set up through the
//! control route and through the public organization and member API, for the engine's parts
//! only the server calls.
//!
//! A mutant is caught when any step fails. The steps run one after the other, cheapest first,
//! and the first failure ends the test: most mutants are caught by the vectors in about two
//! seconds, so a whole run takes a fraction of what running every step would. Ignored in a
//! plain `cargo test` (the other tests here already run the suite on the sample); the script
//! asks for it with `--include-ignored`.

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

/// `check` of the in-process sample, 100 cases, under `profile`.
fn check_100(profile: &str) -> Vec<&str> {
    let mut words: Vec<&str> = "check --target sample --quiet --cases 100 --profile"
        .split(' ')
        .collect();
    words.push(profile);
    words
}

#[test]
#[ignore = "the mutation score's test: .ci/mutants/run.sh runs it under cargo mutants"]
fn the_suite_passes_on_the_sample() {
    let flipped = profile("all-flipped");
    let go_json = profile("flip-claims-size-measure");
    let steps: Vec<Vec<&str>> = vec![
        vec!["vectors", "run", "--target", "sample"],
        vec!["vectors", "run", "--target", "sample", "--profile", flipped],
        // Most vectors carry outcomes for one flag changed, not for all-flipped.
        vec!["vectors", "run", "--target", "sample", "--profile", go_json],
        check_100(flipped),
        check_100(profile("mixed-no-duration")),
        // Zero as absent while integral floats are refused: `0` means no duration, `0.0`
        // is an error (neither all-flipped nor mixed-no-duration has this pair).
        check_100("claims-without-duration=ignore,zero-duration=absent"),
        vec!["check", "--target", "sample", "--quiet"],
        vec!["check", "--target", "emulator", "--quiet", "--cases", "20"],
        vec![
            "check",
            "--target",
            "emulator",
            "--setup",
            "public-api",
            "--quiet",
            "--cases",
            "20",
        ],
    ];
    for step in &steps {
        suite(step);
    }
}
