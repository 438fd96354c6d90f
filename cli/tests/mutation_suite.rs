//! The test of the mutation score (`.ci/mutants/run.sh`): `cargo mutants` mutates the
//! emulator's engine (the sample implementation) and runs this, which is the suite's main job
//! against the sample built from the mutated tree: `check` with its default cases, then
//! `vectors run`. A mutant is caught when either fails. Ignored in a plain `cargo test` (the
//! other tests here already run both); the script asks for it with `--include-ignored`.

use std::process::Command;

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
