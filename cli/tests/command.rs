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
        (
            vec!["vectors", "run", "--setup", "public-api"],
            "needs a target that holds each vector's world",
        ),
        (
            vec![
                "check",
                "--target",
                "http://127.0.0.1:9",
                "--setup",
                "public-api",
            ],
            "--project-id",
        ),
        (
            vec!["report", "merge", "/nonexistent/shard.json"],
            "cannot read /nonexistent/shard.json",
        ),
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

#[test]
fn keep_going_writes_each_minimal_case_as_a_replayable_vector_file() {
    let dir = std::env::temp_dir().join(format!("failures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_str().expect("a path");
    let output = command(&[
        "check",
        "--target",
        "bugzoo:shallow-merge",
        "--property",
        "claims-merge",
        "--keep-going",
        "--failures-dir",
        dir_arg,
        "--quiet",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    assert!(out.contains("breaks: claims.merge.deep"), "{out}");
    assert!(out.contains("[rule claims.merge.deep]"), "{out}");
    let file = dir.join("seed0-claims-merge-1.json");
    assert!(
        out.contains(&format!("saved as a vector file: {}", file.display())),
        "{out}"
    );
    // The file replays: the mutant still fails it, the correct sample passes it.
    let file_arg = file.to_str().expect("a path");
    let mutant = command(&[
        "vectors",
        "run",
        file_arg,
        "--target",
        "bugzoo:shallow-merge",
    ]);
    assert_eq!(mutant.status.code(), Some(1), "{}", stdout(&mutant));
    assert!(stdout(&mutant).contains("FAILED failures/seed0-claims-merge-1"));
    let correct = command(&["vectors", "run", file_arg, "--target", "sample"]);
    assert!(correct.status.success(), "{}", stdout(&correct));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_curl_commands_of_an_http_failure_reproduce_it() {
    use migrate_emulator::config::Settings;
    use migrate_emulator::engine::{Bug, Engine};
    let bug = Bug::from_name("shallow-merge").expect("a mutant");
    let settings = Settings {
        control: true,
        ..Settings::default()
    };
    let server =
        migrate_emulator::Emulator::start_with(Engine::with_bug(bug), settings, "127.0.0.1:0")
            .expect("an emulator");
    let url = server.url();
    let output = Command::new(env!("CARGO_BIN_EXE_migrate-conformance"))
        .args([
            "check",
            "--target",
            &url,
            "--property",
            "claims-merge",
            "--quiet",
        ])
        .env("MIGRATE_CONFORMANCE_SECRET", server.secret())
        .output()
        .expect("runs");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let curls: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("curl "))
        .collect();
    assert_eq!(curls.len(), 2, "{out}");
    let script = curls.join("\necho\n");
    let replay = Command::new("sh")
        .args(["-c", &script])
        .env("MIGRATE_CONFORMANCE_SECRET", server.secret())
        .output()
        .expect("sh runs");
    let text = stdout(&replay);
    let reply: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {text}{}", stderr(&replay)));
    // The same run as JSON gives the minimal case's two answers: curl got the mutant's.
    let json = Command::new(env!("CARGO_BIN_EXE_migrate-conformance"))
        .args([
            "check",
            "--target",
            &url,
            "--property",
            "claims-merge",
            "--json",
        ])
        .env("MIGRATE_CONFORMANCE_SECRET", server.secret())
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("a JSON report");
    let failure = &report["properties"][0]["failure"];
    let claims = "/member_session/custom_claims";
    assert_eq!(
        reply.pointer(claims),
        failure["actual"]["body"].pointer(claims),
        "{reply}"
    );
    assert_ne!(
        reply.pointer(claims),
        failure["expected"]["body"].pointer(claims),
        "the bug shows"
    );
}
