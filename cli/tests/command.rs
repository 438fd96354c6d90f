//! The `migrate-conformance` command itself: selecting vectors by id, replay files, and the
//! errors a person gets for bad arguments.

use std::process::{Command, Output};

fn command(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate-conformance"))
        .args(args)
        .output()
        .expect("the command runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn single_vectors_run_by_id() {
    let output = command(&[
        "vectors",
        "run",
        "--target",
        "sample",
        "--id",
        "duration/value-4",
        "--id",
        "duration/absent",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("PASSED: 2 passed, 0 failed"),
        "{}",
        stdout(&output)
    );

    let output = command(&[
        "vectors",
        "run",
        "--target",
        "sample",
        "--id",
        "duration/nope",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no vector has the id duration/nope"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_replay_file_takes_the_request_as_text_or_as_json() {
    let world = migrate_conformance::gen::world(migrate_model::MemberStatus::Active, 527_040, "{}");
    let dir = std::env::temp_dir();
    for (name, request) in [
        (
            "object",
            serde_json::json!({"session_token": "tok-ada", "organization_id": "acme"}),
        ),
        (
            "text",
            serde_json::json!(r#"{"session_token":"tok-ada","organization_id":"acme"}"#),
        ),
    ] {
        let path = dir.join(format!("replay-{name}-{}.json", std::process::id()));
        let case = serde_json::json!({"world": world, "now": 1_700_000_000, "request": request});
        std::fs::write(&path, case.to_string()).expect("writes");
        let output = command(&[
            "replay",
            path.to_str().expect("a path"),
            "--target",
            "sample",
        ]);
        let _ = std::fs::remove_file(&path);
        assert!(
            output.status.success(),
            "{name}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        assert!(stdout(&output).contains("PASSED: no differences"), "{name}");
    }
}

#[test]
fn bad_arguments_are_clear_errors() {
    for (args, expected) in [
        (vec!["check", "--target", "nope"], "unknown target"),
        (vec!["check", "--timeout", "0"], "--timeout"),
        (vec!["check", "--shard", "4/3"], "1 <= K <= N"),
        (vec!["check", "--target", "bugzoo:nope"], "no mutant named"),
    ] {
        let output = command(&args);
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}
