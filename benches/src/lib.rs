//! Inputs and helpers shared by the criterion benches (`benches/benches/*.rs`), the scale
//! binary (`src/bin/scale.rs`) and the report (`src/bin/bench_report.rs`).
//!
//! Every group measures a baseline and our code on the same inputs in the same run; this
//! module builds those inputs once, so the benches and the tests that check the inputs are
//! what they claim to be (a success is a success, the claims are near the 4 KB limit) agree.
#![forbid(unsafe_code)]

use migrate_conformance::gen::Case;
use migrate_conformance::{AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_conformance_cli::sample::Sample;
use migrate_model::{canonical, parse, Json, MemberStatus, Model, Object, Policy, World};
use serde_json::{json, Value};

/// The clock of every fixed input: 2023-11-14T22:13:20Z.
pub const NOW: i64 = migrate_conformance::gen::NOW;

/// The rich world of the generators (four organizations with colliding ids, every member
/// status, every kind of UserInfo failure), with an empty claims template.
pub fn world() -> World {
    migrate_conformance::gen::world(MemberStatus::Active, 527_040, "{}")
}

/// The validated model of [`world`].
pub fn model() -> Model {
    Model::new(world()).expect("the generators' world is valid")
}

/// The representative request bodies of groups 1 and 3: `(name, bytes)`.
///
/// - `minimal-success`: the two required fields, a known token and org slug;
/// - `claims-4k-success`: a success whose final claims measure just under the 4096-byte limit;
/// - `validation-error`: a duration below the minimum (`invalid_session_duration_minutes`);
/// - `userinfo-failure`: a token whose UserInfo endpoint is unreachable.
pub fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let claims = claims_near_limit();
    let with_claims = json!({
        "session_token": "tok-ada",
        "organization_id": "acme",
        "session_duration_minutes": 60,
        "session_custom_claims": claims,
    });
    vec![
        (
            "minimal-success",
            br#"{"session_token":"tok-ada","organization_id":"acme"}"#.to_vec(),
        ),
        (
            "claims-4k-success",
            serde_json::to_vec(&with_claims).expect("a Value serializes"),
        ),
        (
            "validation-error",
            br#"{"session_token":"tok-ada","organization_id":"acme","session_duration_minutes":4}"#
                .to_vec(),
        ),
        (
            "userinfo-failure",
            br#"{"session_token":"tok-unreachable","organization_id":"acme","session_duration_minutes":60}"#
                .to_vec(),
        ),
    ]
}

/// One claims entry of a varied shape: strings (some needing escapes), numbers, booleans,
/// arrays and nested objects, so the parser, the number conversion, the merge and the
/// canonical writer all do representative work.
fn claim(i: usize) -> Value {
    match i % 6 {
        0 => json!(format!("value-{i}-abcdefghijklmnopqrstuvwxyz")),
        1 => json!(i as f64 * 1.25 + 0.5),
        2 => {
            json!({"id": i, "enabled": i.is_multiple_of(2), "label": format!("label \"{i}\" <x>")})
        }
        3 => json!([i, i + 1, "é", null, true]),
        4 => json!({"nested": {"deeper": {"n": i, "s": "ü-∑-😀"}}}),
        _ => json!(i as i64 * 1_000_003),
    }
}

/// The canonical size of an object under the default policy's measure.
pub fn claims_size(claims: &Value) -> usize {
    let json = Json::from_serde(claims);
    canonical::size(&json, Policy::default().claims_size_measure)
}

/// An object of varied claims whose canonical size is as close to 4000 bytes as the entries
/// allow, from below.
fn claims_of_size(target: usize, prefix: &str) -> Value {
    let mut map = serde_json::Map::new();
    for i in 0.. {
        let key = format!("{prefix}{i:03}");
        map.insert(key.clone(), claim(i));
        if claims_size(&Value::Object(map.clone())) > target {
            map.remove(&key);
            break;
        }
    }
    Value::Object(map)
}

/// Custom claims just under the default 4096-byte limit (about 4000 bytes).
pub fn claims_near_limit() -> Value {
    claims_of_size(4000, "claim-")
}

/// Group 2's inputs: a template and an update of about 4 KB each, both as the claims step
/// sees them (numbers already doubles under the default `number-precision`). The update
/// overwrites some template keys, deep-merges into nested objects, deletes some with `null`
/// and adds new ones.
pub fn merge_inputs() -> (Object, Object) {
    let template = claims_of_size(4000, "k");
    let mut update = serde_json::Map::new();
    let mut i = 0usize;
    while claims_size(&Value::Object(update.clone())) < 4000 {
        let key = format!("k{i:03}");
        let value = match i % 4 {
            // Overwrite, or merge into a nested object of the template.
            0 => claim(i + 1),
            1 => json!({"nested": {"deeper": {"extra": i, "n": null}}, "label": null}),
            // Delete.
            2 => Value::Null,
            // A new key.
            _ => {
                update.insert(format!("new-{i:03}"), claim(i));
                claim(i + 2)
            }
        };
        update.insert(key, value);
        i += 1;
    }
    (
        to_claims_object(&template),
        to_claims_object(&Value::Object(update)),
    )
}

/// A serde object as a model [`Object`] with the default policy's numbers (doubles).
fn to_claims_object(value: &Value) -> Object {
    let bytes = serde_json::to_vec(value).expect("a Value serializes");
    let mut object = parse::parse(&bytes, parse::ParseOptions::default())
        .ok()
        .and_then(|mut j| j.take_object())
        .expect("an object parses");
    let mut trace = migrate_model::Trace::default();
    migrate_model::request::to_policy_numbers(
        &mut object,
        Policy::default().number_precision,
        &mut trace,
    )
    .expect("finite numbers");
    object
}

/// The official `MigrateRequest` schema (OpenAPI components as a 2020-12 schema), compiled.
pub fn request_validator() -> jsonschema::Validator {
    let spec: Value =
        serde_json::from_str(migrate_model::OFFICIAL_SCHEMAS).expect("the schemas are JSON");
    let schema = json!({
        "$ref": "#/components/schemas/api_b2b_session_v1_MigrateRequest",
        "components": spec["components"],
    });
    jsonschema::validator_for(&schema).expect("the official request schema compiles")
}

/// One case of a recorded run: what the runner gave the implementation, and its answer.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The case (world, clock, body).
    pub case: Case,
    /// The sample's response.
    pub response: HttpResponse,
}

/// An adapter around [`Sample`] that records every case the runner sends and every answer.
#[derive(Debug, Default)]
pub struct Recorder {
    sample: Sample,
    world: Option<World>,
    /// The cases, in the order the runner sent them.
    pub log: Vec<Recorded>,
}

impl Implementation for Recorder {
    fn capabilities(&self) -> Capabilities {
        self.sample.capabilities()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.world = Some(world.clone());
        self.sample.load_world(world)
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let response = self.sample.call(body, now)?;
        let world = self.world.clone().ok_or("call before load_world")?;
        self.log.push(Recorded {
            case: Case {
                world,
                now: now.ok_or("the sample's clock is controllable")?,
                body: body.to_vec(),
            },
            response: response.clone(),
        });
        Ok(response)
    }
}

/// An adapter that answers a recorded run again, in order, at the cost of a copy: running
/// the runner against it measures the runner (generation, the model, comparison,
/// bookkeeping) without the sample's cost. It declares the sample's capabilities, so the
/// comparator still verifies each JWT signature.
#[derive(Debug)]
pub struct Replay<'a> {
    capabilities: Capabilities,
    log: &'a [Recorded],
    next: usize,
}

impl<'a> Replay<'a> {
    /// Replays `log` from its start.
    pub fn new(log: &'a [Recorded]) -> Replay<'a> {
        Replay {
            capabilities: Sample::new().capabilities(),
            log,
            next: 0,
        }
    }

    /// Replays `log` without declaring the sample's JWKS, so the comparator checks each
    /// JWT's parts but not its RS256 signature: the runner's cost without the cryptography.
    pub fn without_jwks(log: &'a [Recorded]) -> Replay<'a> {
        let mut replay = Replay::new(log);
        replay.capabilities.jwks = None;
        replay
    }
}

impl Implementation for Replay<'_> {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn load_world(&mut self, _world: &World) -> Result<(), AdapterError> {
        Ok(())
    }

    fn call(&mut self, body: &[u8], _now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        let recorded = self
            .log
            .get(self.next)
            .ok_or("the replay ran out of recorded cases")?;
        if recorded.case.body != body {
            return Err("the runner sent a different case than was recorded".into());
        }
        self.next += 1;
        Ok(recorded.response.clone())
    }
}

/// The run configuration of group 4 and the scale binary: `cases_per_property` cases of each
/// of the ten properties, seed 0, quiet.
pub fn run_config(cases_per_property: u32) -> migrate_conformance::RunConfig {
    migrate_conformance::RunConfig {
        cases: cases_per_property,
        ..Default::default()
    }
}

/// Runs the suite against the sample once, recording every case and answer.
pub fn record_run(cases_per_property: u32) -> Vec<Recorded> {
    let mut recorder = Recorder::default();
    let report = migrate_conformance::run(
        &mut recorder,
        "sample (recorded)",
        &run_config(cases_per_property),
    );
    assert!(report.passed(), "the sample passes the suite");
    recorder.log
}

/// The peak resident set size of this process so far, in KiB (`VmHWM` of
/// `/proc/self/status`), where the platform reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_model::Outcome;

    #[test]
    fn the_bodies_are_what_their_names_say() {
        let model = model();
        let policy = Policy::default();
        for (name, body) in bodies() {
            let outcome = model.migrate(NOW, &policy, &body).unwrap().outcome;
            let error = match &outcome {
                Outcome::Success(_) => None,
                Outcome::Error(e) => Some(e.error_type.name()),
            };
            let expected = match name {
                "minimal-success" | "claims-4k-success" => None,
                "validation-error" => Some("invalid_session_duration_minutes"),
                "userinfo-failure" => Some("migrate_from_external_unexpected_response"),
                other => panic!("unknown body {other}"),
            };
            assert_eq!(
                error.map(str::to_owned),
                expected.map(str::to_owned),
                "{name}"
            );
        }
    }

    #[test]
    fn the_claims_are_near_the_limit() {
        let size = claims_size(&claims_near_limit());
        assert!((3900..=4000).contains(&size), "{size}");
        let (template, update) = merge_inputs();
        for object in [template, update] {
            let size =
                canonical::size(&Json::Object(object), Policy::default().claims_size_measure);
            assert!((3900..=4200).contains(&size), "{size}");
        }
    }

    #[test]
    fn the_request_schema_accepts_the_bodies() {
        let validator = request_validator();
        for (name, body) in bodies() {
            let value: Value = serde_json::from_slice(&body).unwrap();
            assert!(validator.is_valid(&value), "{name}");
        }
        assert!(!validator.is_valid(&json!({"session_token": 1})));
    }

    #[test]
    fn a_replay_passes_like_the_recorded_run() {
        let log = record_run(3);
        assert_eq!(log.len(), 30);
        let mut replay = Replay::new(&log);
        let report = migrate_conformance::run(&mut replay, "replay", &run_config(3));
        assert!(report.passed(), "{report:?}");
        assert_eq!(replay.next, log.len());
        let mut replay = Replay::without_jwks(&log);
        let report = migrate_conformance::run(&mut replay, "replay", &run_config(3));
        assert!(report.passed(), "{report:?}");
        assert_eq!(replay.next, log.len());
    }
}
