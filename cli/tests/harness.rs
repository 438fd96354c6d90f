//! The harness itself: the sample passes, every mutant is caught, failures shrink and
//! reproduce, adapters that panic or lie are reported, and the subprocess adapter works.

use migrate_conformance::adapter::{AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_conformance::compare::{compare, CompareContext};
use migrate_conformance::gen::Property;
use migrate_conformance::runner::{run, RunConfig};
use migrate_conformance::subprocess::Subprocess;
use migrate_conformance_cli::bugzoo::kill_matrix;
use migrate_conformance_cli::sample::{Bug, Sample};
use migrate_model::{Model, Policy, World};
use serde_json::{json, Value};

fn config(cases: u32) -> RunConfig {
    RunConfig {
        cases,
        ..RunConfig::default()
    }
}

#[test]
fn the_sample_passes_every_property() {
    let report = run(&mut Sample::new(), "sample", &config(100));
    for p in &report.properties {
        assert!(
            p.failure.is_none(),
            "{} failed: {:#?}",
            p.property,
            p.failure.as_ref().map(|f| &f.differences)
        );
        assert_eq!(p.cases, 100, "{}", p.property);
    }
    // Coverage is counted: every error type and most rules show up.
    assert!(
        report
            .coverage
            .outcomes
            .get("success")
            .copied()
            .unwrap_or(0)
            > 50
    );
    let exercised = report.coverage.rules.values().filter(|n| **n > 0).count();
    assert!(exercised >= 60, "only {exercised} rules exercised");
}

#[test]
fn every_mutant_is_caught() {
    let rows = kill_matrix(&config(100), false);
    assert!(rows.len() >= 15, "only {} mutants", rows.len());
    let survivors: Vec<&str> = rows
        .iter()
        .filter(|r| !r.caught())
        .map(|r| r.mutant)
        .collect();
    assert!(survivors.is_empty(), "mutants survived: {survivors:?}");
    assert_every_difference_names_a_rule(&rows);
}

#[test]
fn failures_shrink_to_a_minimal_reproducible_case() {
    let cfg = RunConfig {
        cases: 200,
        properties: vec![Property::Duration],
        ..RunConfig::default()
    };
    let first = run(
        &mut Sample::with_bug(Bug::DurationMinOffByOne),
        "mutant",
        &cfg,
    );
    let failure = first.properties[0]
        .failure
        .as_ref()
        .expect("the mutant is caught");
    let request = failure.case.request.as_deref().expect("a text request");
    let body: Value = serde_json::from_str(request).expect("the minimal request is JSON");
    assert_eq!(body["session_duration_minutes"], json!(4), "{request}");
    // Shrinking removed the optional claims.
    assert!(body.get("session_custom_claims").is_none(), "{request}");
    assert!(failure
        .differences
        .iter()
        .any(|d| d.path == "/error_type" || d.path.is_empty()));
    // Same seed, same counterexample.
    let second = run(
        &mut Sample::with_bug(Bug::DurationMinOffByOne),
        "mutant",
        &cfg,
    );
    let again = second.properties[0].failure.as_ref().expect("caught again");
    assert_eq!(again.case, failure.case);
}

/// An adapter that panics on every call.
struct Panicking;

impl Implementation for Panicking {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            controllable_clock: true,
            ..Capabilities::default()
        }
    }
    fn load_world(&mut self, _: &World) -> Result<(), AdapterError> {
        Ok(())
    }
    fn call(&mut self, _: &[u8], _: Option<i64>) -> Result<HttpResponse, AdapterError> {
        panic!("the implementation under test crashed")
    }
}

#[test]
fn a_panicking_implementation_fails_its_cases_without_crashing_the_run() {
    let report = run(&mut Panicking, "panicking", &config(5));
    assert!(!report.passed());
    for p in &report.properties {
        let f = p.failure.as_ref().expect("every property fails");
        assert!(
            f.differences[0].note.contains("panicked"),
            "{:?}",
            f.differences
        );
    }
}

#[test]
fn an_implementation_with_a_real_clock_is_judged_against_the_call_window() {
    let cfg = RunConfig {
        cases: 30,
        properties: vec![Property::Session, Property::Duration],
        ..RunConfig::default()
    };
    let report = run(&mut Sample::new().with_real_clock(), "real-clock", &cfg);
    assert!(report.passed(), "{:#?}", report.properties);
}

#[test]
fn the_subprocess_adapter_runs_an_implementation_over_stdio() {
    let exe = env!("CARGO_BIN_EXE_migrate-conformance");
    let cfg = RunConfig {
        cases: 20,
        properties: vec![Property::Session, Property::RequestShape],
        ..RunConfig::default()
    };
    let mut good = Subprocess::spawn(exe, &["serve-stdio".into()]).expect("spawns");
    assert!(good.capabilities().jwks.is_some());
    let report = run(&mut good, "cmd", &cfg);
    assert!(report.passed(), "{:#?}", report.properties);

    let mut bad = Subprocess::spawn(
        exe,
        &[
            "serve-stdio".into(),
            "--target".into(),
            "bugzoo:jwt-exp-session-expiry".into(),
        ],
    )
    .expect("spawns");
    let report = run(&mut bad, "cmd", &cfg);
    assert!(!report.passed());
}

#[test]
fn a_missing_program_is_a_clear_error() {
    let e = Subprocess::spawn("/nonexistent/implementation", &[]).expect_err("cannot start");
    assert!(e.to_string().contains("cannot start"), "{e}");
}

// ---- The comparator on hand-made answers ------------------------------------------------

fn world() -> World {
    migrate_conformance::gen::world(migrate_model::MemberStatus::Active, 527_040, "{}")
}

const NOW: i64 = 1_700_000_000;

/// The sample's answer for `body`, edited by `edit`, compared with the model.
fn differences(body: &str, edit: impl Fn(&mut Value)) -> Vec<String> {
    let mut sample = Sample::new();
    sample.load_world(&world()).expect("loads");
    let response = sample.call(body.as_bytes(), Some(NOW)).expect("answers");
    let mut value: Value = serde_json::from_slice(&response.body).expect("JSON");
    edit(&mut value);
    let edited = HttpResponse {
        status: response.status,
        body: serde_json::to_vec(&value).expect("serializes"),
    };
    let eval = Model::new(world())
        .expect("valid")
        .migrate(NOW, &Policy::default(), body.as_bytes())
        .expect("evaluates");
    let caps = sample.capabilities();
    let ctx = CompareContext {
        policy: &caps.profile,
        jwks: caps.jwks.as_ref(),
        request: Some(body.as_bytes()),
    };
    compare(&eval, &edited, ctx)
        .1
        .iter()
        .map(|d| d.path.clone())
        .collect()
}

const ADA: &str = r#"{"session_token":"tok-ada","organization_id":"acme","session_custom_claims":{"k":[1,{"n":2}]}}"#;

#[test]
fn an_untouched_answer_has_no_differences() {
    assert_eq!(differences(ADA, |_| {}), Vec::<String>::new());
}

#[test]
fn each_edit_is_reported_at_its_path() {
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit)> = vec![
        ("/member_session/expires_at", |v| {
            v["member_session"]["expires_at"] = json!("2023-11-14T23:13:21Z")
        }),
        ("/member_session/custom_claims/k/1/n", |v| {
            v["member_session"]["custom_claims"]["k"][1]["n"] = json!(3)
        }),
        ("/member_session/custom_claims/extra", |v| {
            v["member_session"]["custom_claims"]["extra"] = json!(1)
        }),
        ("/member/status", |v| {
            v["member"]["status"] = json!("pending")
        }),
        ("/session_token", |v| v["session_token"] = json!("tok-ada")),
        ("/request_id", |v| v["request_id"] = json!("")),
        // The session id must be the same in the body and the JWT.
        ("jwt.payload/https:~1~1stytch.com~1session/id", |v| {
            v["member_session"]["member_session_id"] = json!("another-id")
        }),
        ("/member_session/authentication_factors/0/type", |v| {
            v["member_session"]["authentication_factors"][0]["type"] = json!("telepathy")
        }),
        ("/status_code", |v| v["status_code"] = json!("200")),
        ("jwt.signature", |v| {
            let jwt = v["session_jwt"].as_str().unwrap_or_default().to_owned();
            let (head, last) = jwt.split_at(jwt.len() - 1);
            let other = if last == "A" { "B" } else { "A" };
            v["session_jwt"] = json!(format!("{head}{other}"));
        }),
    ];
    for (path, edit) in cases {
        let found = differences(ADA, edit);
        assert!(
            found.iter().any(|p| p == path),
            "editing {path} was reported as {found:?}"
        );
    }
}

#[test]
fn numbers_compare_as_doubles_under_the_default_profile() {
    // 9007199254740993 is 2^53 as a double: an implementation may write either.
    let body = r#"{"session_token":"tok-ada","organization_id":"acme","session_custom_claims":{"n":9007199254740993}}"#;
    assert_eq!(differences(body, |_| {}), Vec::<String>::new());
    assert_eq!(
        differences(body, |v| v["member_session"]["custom_claims"]["n"] =
            json!(9007199254740994_u64)),
        vec!["/member_session/custom_claims/n".to_owned()]
    );
}

/// The emulator with its control routes, on an ephemeral loopback port.
fn emulator(engine: migrate_emulator::engine::Engine) -> migrate_emulator::Emulator {
    let settings = migrate_emulator::config::Settings {
        control: true,
        ..Default::default()
    };
    migrate_emulator::Emulator::start_with(engine, settings, "127.0.0.1:0").expect("starts")
}

#[test]
fn every_property_passes_over_http_against_the_emulator() {
    let server = emulator(migrate_emulator::engine::Engine::new());
    let mut http = migrate_conformance::http::Http::connect(&server.url(), Some(server.secret()))
        .expect("connects");
    assert!(http.capabilities().controllable_clock);
    assert!(http.capabilities().jwks.is_some());
    let report = run(&mut http, "http", &config(25));
    assert!(report.passed(), "{:#?}", report.properties);
}

#[test]
fn a_mutant_behind_the_emulator_is_caught_over_http() {
    let server = emulator(migrate_emulator::engine::Engine::with_bug(
        Bug::DurationMinOffByOne,
    ));
    let mut http = migrate_conformance::http::Http::connect(&server.url(), Some(server.secret()))
        .expect("connects");
    let cfg = RunConfig {
        properties: vec![Property::Duration],
        ..config(200)
    };
    let report = run(&mut http, "http", &cfg);
    assert!(!report.passed());
}

#[test]
fn a_wrong_secret_fails_every_call_with_401() {
    let server = emulator(migrate_emulator::engine::Engine::new());
    let mut http = migrate_conformance::http::Http::connect(&server.url(), Some("not-the-secret"))
        .expect("connects");
    let cfg = RunConfig {
        properties: vec![Property::Session],
        ..config(5)
    };
    let report = run(&mut http, "http", &cfg);
    let failure = report.properties[0].failure.as_ref().expect("fails");
    assert_eq!(failure.actual["status"], json!(401), "{:?}", failure.actual);
}

#[test]
fn an_unreachable_http_target_is_a_clear_error() {
    // Port 9 (discard) on loopback: nothing listens there.
    let e = migrate_conformance::http::Http::connect("http://127.0.0.1:9", None)
        .expect_err("nothing listens");
    assert!(e.to_string().contains("127.0.0.1:9"), "{e}");
    let e =
        migrate_conformance::http::Http::connect("https://example.test", None).expect_err("https");
    assert!(e.to_string().contains("only http://"), "{e}");
}

#[test]
fn shards_together_run_exactly_the_unsharded_cases() {
    let base = RunConfig {
        cases: 30,
        properties: vec![Property::Duration, Property::ClaimsMerge],
        ..RunConfig::default()
    };
    let whole = run(&mut Sample::new(), "sample", &base);
    let mut parts = Vec::new();
    for k in [2, 3, 1] {
        let shard = RunConfig {
            shard: Some((k, 3)),
            ..base.clone()
        };
        let part = run(&mut Sample::new(), "sample", &shard);
        assert!(part.passed());
        // Each shard's JSON report has the published schema and reads back.
        let json = serde_json::to_value(&part).expect("serializes");
        let violations = migrate_conformance::report::schema_violations(&json);
        assert!(violations.is_empty(), "{violations:?}");
        parts.push(migrate_conformance::report::from_json(&json.to_string()).expect("reads back"));
    }
    // Merging the JSON reports gives the unsharded run's cases and coverage.
    let merged = migrate_conformance::report::merge(parts.clone()).expect("merges");
    assert!(merged.passed() && merged.shard.is_none());
    assert_eq!(merged.cases(), whole.cases());
    assert_eq!(merged.coverage.rules, whole.coverage.rules);
    assert_eq!(merged.coverage.outcomes, whole.coverage.outcomes);
    assert_eq!(merged.coverage.boundaries, whole.coverage.boundaries);
    // A missing or repeated shard, or shards of different runs, are refused.
    let two = migrate_conformance::report::merge(parts[..2].to_vec()).expect_err("refused");
    assert!(two.contains("shards missing: 1/3"), "{two}");
    let mut twice = parts.clone();
    twice.push(parts[0].clone());
    let twice = migrate_conformance::report::merge(twice).expect_err("refused");
    assert!(twice.contains("given twice"), "{twice}");
    let mut beyond = parts.clone();
    beyond[0].shard = Some((4, 3));
    let beyond = migrate_conformance::report::merge(beyond).expect_err("refused");
    assert!(beyond.contains("does not exist"), "{beyond}");
    // A file nested far deeper than any report is refused, not a stack overflow.
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let refused = migrate_conformance::report::from_json(&deep).expect_err("refused");
    assert!(refused.contains("nests"), "{refused}");
    let mut other_seed = parts.clone();
    other_seed[0].seed = 9;
    let other = migrate_conformance::report::merge(other_seed).expect_err("refused");
    assert!(other.contains("different runs"), "{other}");
}

#[test]
fn a_failing_report_with_every_kind_of_entry_has_the_published_schema() {
    // Failures of several kinds, rule ids and the case: the richest report there is.
    let mut two = TwoBugs {
        claims: Sample::with_bug(Bug::ShallowMerge),
        other: Sample::with_bug(Bug::Default60Seconds),
    };
    let cfg = RunConfig {
        keep_going: true,
        properties: vec![Property::Session, Property::RequestShape],
        ..config(50)
    };
    let report = run(&mut two, "two-bugs", &cfg);
    assert!(!report.properties[0].more_failures.is_empty());
    let json = serde_json::to_value(&report).expect("serializes");
    let violations = migrate_conformance::report::schema_violations(&json);
    assert!(violations.is_empty(), "{violations:?}");
    let back = migrate_conformance::report::from_json(&json.to_string()).expect("reads back");
    assert_eq!(
        serde_json::to_value(&back).expect("serializes"),
        json,
        "reading a report back loses nothing"
    );
    // And the schema is not a rubber stamp.
    let mut broken = json.clone();
    broken["properties"][0]["failure"]["differences"][0]
        .as_object_mut()
        .expect("an object")
        .remove("rule");
    assert!(!migrate_conformance::report::schema_violations(&broken).is_empty());
}

/// Two mutants behind one adapter: calls with custom claims go to one, the rest to the
/// other, so one property meets two independent bugs.
struct TwoBugs {
    claims: Sample,
    other: Sample,
}

impl Implementation for TwoBugs {
    fn capabilities(&self) -> Capabilities {
        self.other.capabilities()
    }
    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.claims.load_world(world)?;
        self.other.load_world(world)
    }
    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        if body.windows(13).any(|w| w == b"custom_claims") {
            self.claims.call(body, now)
        } else {
            self.other.call(body, now)
        }
    }
}

#[test]
fn keep_going_shrinks_and_reports_each_kind_of_failure() {
    let mut two = TwoBugs {
        claims: Sample::with_bug(Bug::ShallowMerge),
        other: Sample::with_bug(Bug::Default60Seconds),
    };
    let only_session = RunConfig {
        properties: vec![Property::Session],
        ..config(200)
    };
    // Without it, the first failure ends the property.
    let first = run(&mut two, "two-bugs", &only_session);
    let p = &first.properties[0];
    assert!(p.failure.is_some() && p.more_failures.is_empty(), "{p:#?}");
    assert!(p.cases < 200, "the property stopped at its first failure");

    let keep_going = RunConfig {
        keep_going: true,
        ..only_session
    };
    let all = run(&mut two, "two-bugs", &keep_going);
    let p = &all.properties[0];
    assert_eq!(p.cases, 200, "every case ran");
    let kinds: Vec<&str> = p
        .failures()
        .map(|f| f.differences[0].rule.expect("a rule"))
        .collect();
    assert!(
        kinds.contains(&"claims.merge.deep") && kinds.contains(&"session.expiry"),
        "both bugs, each once: {kinds:?}"
    );
    let mut unique = kinds.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), kinds.len(), "one report per kind: {kinds:?}");
    let failing: u32 = p.failures().map(|f| f.count).sum();
    assert!(failing >= 2 && failing <= p.cases, "{failing}");
    // Each kind's case is minimal for that kind, and still shows it when replayed.
    for f in p.failures() {
        let case = f.case.clone().into_case().expect("a case");
        let mut again = TwoBugs {
            claims: Sample::with_bug(Bug::ShallowMerge),
            other: Sample::with_bug(Bug::Default60Seconds),
        };
        let caps = again.capabilities();
        let r = migrate_conformance::runner::check_case(
            &mut again,
            &caps,
            &case,
            &mut migrate_conformance::runner::Seen::default(),
        )
        .expect("runs");
        assert_eq!(r.differences[0].rule, f.differences[0].rule);
    }
}

/// Every difference a mutant's minimal case shows names a rule of `model/SPEC.md`.
fn assert_every_difference_names_a_rule(rows: &[migrate_conformance_cli::bugzoo::KillRow]) {
    for row in rows {
        let bug = Bug::from_name(row.mutant).expect("a mutant");
        for (property, case) in &row.counterexamples {
            let case = case.clone().into_case().expect("a case");
            let mut mutant = Sample::with_bug(bug);
            let caps = mutant.capabilities();
            let r = migrate_conformance::runner::check_case(
                &mut mutant,
                &caps,
                &case,
                &mut migrate_conformance::runner::Seen::default(),
            )
            .expect("runs");
            assert!(!r.differences.is_empty(), "{} / {property}", row.mutant);
            for d in &r.differences {
                let rule = d
                    .rule
                    .unwrap_or_else(|| panic!("{} / {property}: {d}", row.mutant));
                assert!(
                    migrate_model::Rule::from_id(rule).is_some(),
                    "{rule} is not a rule id"
                );
                let shown = d.to_string();
                let suffix = match migrate_model::Rule::from_id(rule).map(|r| r.source()) {
                    Some(migrate_model::Source::Policy(flag)) => {
                        format!("[rule {rule}, decided by policy flag {}]", flag.name())
                    }
                    _ => format!("[rule {rule}]"),
                };
                assert!(shown.ends_with(&suffix), "{shown}");
            }
        }
    }
}
