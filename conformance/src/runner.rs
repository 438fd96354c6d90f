//! The runner: generates cases, calls the implementation, compares, shrinks, counts.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use migrate_model::parse::{parse_with_stats, ParseOptions};
use migrate_model::policy::{LoneSurrogate, NestingLimit};
use migrate_model::{canonical, claims, Json, Model, Opaque, Outcome, Policy, Rule, Trace};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;
use serde_json::{json, Value};

use crate::adapter::{Capabilities, HttpResponse, Implementation};
use crate::compare::{compare, CompareContext, Difference};
use crate::gen::{Case, CaseJson, Property};

/// How to run the suite.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Cases per property.
    pub cases: u32,
    /// The seed: the same seed, target and options give the same cases.
    pub seed: u64,
    /// The properties to run (all when empty).
    pub properties: Vec<Property>,
    /// Print progress to standard error.
    pub progress: bool,
    /// The most shrinking steps for one failure.
    pub max_shrink_iters: u32,
    /// After this many transport failures in a row the target counts as gone: the rest of
    /// the run is skipped rather than waiting out a timeout on every case.
    pub max_consecutive_transport_failures: u32,
    /// Run only this shard of each property's cases: `Some((k, n))` runs case `i` (counting
    /// from 0) when `i % n == k - 1`. The cases are the same as in an unsharded run with the
    /// same seed, so `n` jobs with `k = 1..=n` cover it exactly.
    pub shard: Option<(u32, u32)>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            cases: 200,
            seed: 0,
            properties: Vec::new(),
            progress: false,
            max_shrink_iters: 2048,
            max_consecutive_transport_failures: 3,
            shard: None,
        }
    }
}

/// The result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// The seed used.
    pub seed: u64,
    /// The properties, in order.
    pub properties: Vec<PropertyReport>,
    /// What the run exercised.
    pub coverage: Coverage,
    /// Whether JWT signatures were verified (the target declared or published a JWKS).
    pub signatures_checked: bool,
    /// Wall time.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Report {
    /// Whether every property passed (no semantic failure, no transport failure, none
    /// skipped).
    pub fn passed(&self) -> bool {
        self.properties.iter().all(PropertyReport::passed)
    }

    /// The verdict: every property passed, and, unless `allow_unsigned`, JWT signatures
    /// were verified. A success whose signature nobody checked cannot pass silently.
    pub fn verdict(&self, allow_unsigned: bool) -> bool {
        self.passed() && (self.signatures_checked || allow_unsigned)
    }

    /// Cases run in all (before the first failure of each property; shrinking not counted).
    pub fn cases(&self) -> u64 {
        self.properties.iter().map(|p| u64::from(p.cases)).sum()
    }
}

/// One property's result.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyReport {
    /// The property's name.
    pub property: &'static str,
    /// Cases run before the first failure (all of them when it passed).
    pub cases: u32,
    /// The minimal failing case, when one failed.
    pub failure: Option<Failure>,
    /// The transport failures (timeouts, refused connections, dead subprocesses, ...), which
    /// are never shrunk.
    pub transport: Option<TransportFailures>,
    /// Why the property did not run, when it did not.
    pub skipped: Option<String>,
}

impl PropertyReport {
    /// Whether the property passed: no failure, no transport failure, not skipped.
    pub fn passed(&self) -> bool {
        self.failure.is_none() && self.transport.is_none() && self.skipped.is_none()
    }
}

/// The transport failures of one property.
#[derive(Clone, Debug, Serialize)]
pub struct TransportFailures {
    /// How many cases failed so.
    pub count: u32,
    /// The first one's message.
    pub first: String,
    /// The first one's case.
    pub case: CaseJson,
}

/// A minimal counterexample, ready to save as a JSON case.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// The (shrunk) case: world, now, request.
    pub case: CaseJson,
    /// What the model expects.
    pub expected: Value,
    /// What the implementation answered.
    pub actual: Value,
    /// Every difference, as JSON paths.
    pub differences: Vec<Difference>,
}

/// What a run exercised: cases per rule id, per outcome and per boundary. A boundary never
/// hit shows 0.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Coverage {
    /// Cases that exercised each rule id (every rule is listed).
    pub rules: BTreeMap<&'static str, u64>,
    /// Cases per outcome: `success` or an error type.
    pub outcomes: BTreeMap<String, u64>,
    /// Cases per boundary (every boundary is listed).
    pub boundaries: BTreeMap<&'static str, u64>,
}

/// Boundaries the coverage counts.
pub const BOUNDARIES: &[&str] = &[
    "duration = 4",
    "duration = 5",
    "duration = 527040",
    "duration = 527041",
    "duration = 0",
    "duration = -0",
    "duration = null",
    "duration = 60.0",
    "duration = int32 max",
    "duration = int32 max + 1",
    "claims size = limit",
    "claims size = limit + 1",
    "nesting = 128",
    "nesting = 129",
    "number = 1e400",
    "number = 2^53 + 1",
    "number = -0",
];

impl Coverage {
    fn new() -> Self {
        Coverage {
            rules: Rule::ALL.iter().map(|r| (r.id(), 0)).collect(),
            outcomes: BTreeMap::new(),
            boundaries: BOUNDARIES.iter().map(|b| (*b, 0)).collect(),
        }
    }

    fn record(&mut self, case: &Case, trace: &Trace, outcome: &Outcome, policy: &Policy) {
        // The world was validated before the call (Model::new), which is rule world.valid.
        *self.rules.entry(Rule::WorldValid.id()).or_default() += 1;
        for rule in trace.rules() {
            *self.rules.entry(rule.id()).or_default() += 1;
        }
        let name = match outcome {
            Outcome::Success(_) => "success".to_owned(),
            Outcome::Error(e) => e.error_type.name().to_owned(),
        };
        *self.outcomes.entry(name).or_default() += 1;
        for b in boundaries(case, policy) {
            *self.boundaries.entry(b).or_default() += 1;
        }
    }

    /// Adds another run's counts.
    pub fn merge(&mut self, other: &Coverage) {
        for (k, v) in &other.rules {
            *self.rules.entry(k).or_default() += v;
        }
        for (k, v) in &other.outcomes {
            *self.outcomes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.boundaries {
            *self.boundaries.entry(k).or_default() += v;
        }
    }
}

/// The boundaries a case sits on (claims sizes under `policy`'s measure and limit).
pub fn boundaries(case: &Case, policy: &Policy) -> Vec<&'static str> {
    let mut hit = Vec::new();
    let lenient = ParseOptions {
        lone_surrogate: LoneSurrogate::Replace,
        nesting_limit: NestingLimit::Unlimited,
        ..Default::default()
    };
    let Ok((mut body, stats)) = parse_with_stats(&case.body, lenient) else {
        return hit;
    };
    match stats.max_depth {
        128 => hit.push("nesting = 128"),
        129 => hit.push("nesting = 129"),
        _ => {}
    }
    let Some(mut request) = body.take_object() else {
        return hit;
    };
    match request.get("session_duration_minutes") {
        Some(Json::Null) => hit.push("duration = null"),
        Some(Json::Number(migrate_model::Number::Text(t))) => match &**t {
            "4" => hit.push("duration = 4"),
            "5" => hit.push("duration = 5"),
            "527040" => hit.push("duration = 527040"),
            "527041" => hit.push("duration = 527041"),
            "0" => hit.push("duration = 0"),
            "-0" => hit.push("duration = -0"),
            "60.0" => hit.push("duration = 60.0"),
            "2147483647" => hit.push("duration = int32 max"),
            "2147483648" => hit.push("duration = int32 max + 1"),
            _ => {}
        },
        _ => {}
    }
    for v in request.values_mut() {
        v.for_each_number_mut(|n| match n {
            migrate_model::Number::Text(t) if &**t == "1e400" => hit.push("number = 1e400"),
            migrate_model::Number::Text(t) if &**t == "9007199254740993" => {
                hit.push("number = 2^53 + 1")
            }
            migrate_model::Number::Text(t) if t.starts_with("-0") && n.to_f64() == 0.0 => {
                hit.push("number = -0")
            }
            _ => {}
        });
    }
    if let Some(update) = request
        .remove("session_custom_claims")
        .and_then(|mut c| c.take_object())
    {
        if let Some(size) = merged_claims_size(case, update, policy) {
            let limit = policy.claims_limit_bytes();
            if size == limit {
                hit.push("claims size = limit");
            } else if size == limit + 1 {
                hit.push("claims size = limit + 1");
            }
        }
    }
    hit.sort_unstable();
    hit.dedup();
    hit
}

/// The size the final claims would have, limit aside (through the model's public pieces).
fn merged_claims_size(
    case: &Case,
    mut update: migrate_model::Object,
    policy: &Policy,
) -> Option<usize> {
    let mut trace = Trace::default();
    let template =
        Json::from_serde(&Value::Object(case.world.claims_template.clone())).take_object()?;
    let mut merged = claims::template_base(&template, policy, &mut trace);
    migrate_model::request::to_policy_numbers(&mut update, policy.number_precision, &mut trace)
        .ok()?;
    claims::drop_reserved(&mut update);
    claims::merge(&mut merged, update, policy.empty_object_after_delete);
    Some(canonical::size(
        &Json::Object(merged),
        policy.claims_size_measure,
    ))
}

/// Opaque values seen so far in a run, for the uniqueness checks. Values are kept as
/// 128-bit SHA-256 prefixes, so a long run's memory does not grow with JWT sizes.
#[derive(Debug, Default)]
pub struct Seen {
    values: HashMap<Opaque, HashSet<[u8; 16]>>,
}

fn digest(value: &str) -> [u8; 16] {
    use sha2::{Digest as _, Sha256};
    let full = Sha256::digest(value.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// What one case produced.
#[derive(Debug)]
pub struct CaseResult {
    /// The model's expected outcome and trace.
    pub evaluation: migrate_model::Evaluation,
    /// What the implementation answered, if it answered.
    pub response: Option<HttpResponse>,
    /// The differences (empty when the case passed).
    pub differences: Vec<Difference>,
    /// The transport failure, when the implementation could not be reached or did not
    /// answer within the bounds (then `differences` says the same).
    pub transport: Option<String>,
}

impl CaseResult {
    /// The expected side, for a report.
    pub fn expected_json(&self) -> Value {
        match &self.evaluation.outcome {
            Outcome::Error(e) => json!({
                "status": e.status_code(),
                "error_type": e.error_type,
                "acceptable": e.acceptable,
                "rule": e.rule.id(),
                "why": e.message,
            }),
            Outcome::Success(s) => json!({
                "status": 200,
                "body": s.body,
                "jwt": {"header": s.jwt.header, "payload": s.jwt.payload},
            }),
        }
    }

    /// The actual side, for a report.
    pub fn actual_json(&self) -> Value {
        match &self.response {
            None => Value::Null,
            Some(r) => json!({
                "status": r.status,
                "body": serde_json::from_slice::<Value>(&r.body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&r.body).into_owned())),
            }),
        }
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

fn failure_of(path: &str, note: String) -> Difference {
    Difference {
        path: path.to_owned(),
        expected: Value::Null,
        actual: Value::Null,
        note,
    }
}

/// Runs one case against `imp` and compares with the model. Adapter errors and panics are
/// differences.
pub fn check_case(
    imp: &mut dyn Implementation,
    caps: &Capabilities,
    case: &Case,
    seen: &mut Seen,
) -> Result<CaseResult, String> {
    let model =
        Model::new(case.world.clone()).map_err(|e| format!("generated an invalid world: {e}"))?;
    check_case_against(imp, caps, case, seen, |now| {
        model
            .migrate(now, &caps.profile, &case.body)
            .map_err(|e| e.to_string())
    })
}

/// Runs one case against `imp` and compares with `evaluate(now)`, the expected outcome at
/// the clock the call used.
pub fn check_case_against(
    imp: &mut dyn Implementation,
    caps: &Capabilities,
    case: &Case,
    seen: &mut Seen,
    evaluate: impl Fn(i64) -> Result<migrate_model::Evaluation, String>,
) -> Result<CaseResult, String> {
    let policy = &caps.profile;
    match catch_unwind(AssertUnwindSafe(|| imp.load_world(&case.world))) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let note = if e.is_transport() {
                format!("transport failure loading the world: {e}")
            } else {
                format!("the adapter failed to load the world: {e}")
            };
            return Ok(CaseResult {
                evaluation: evaluate(case.now)?,
                response: None,
                transport: e.is_transport().then(|| e.message.clone()),
                differences: vec![failure_of("load_world", note)],
            });
        }
        Err(p) => {
            return Ok(CaseResult {
                evaluation: evaluate(case.now)?,
                response: None,
                differences: vec![failure_of(
                    "load_world",
                    format!("the implementation panicked: {}", panic_message(p)),
                )],
                transport: None,
            })
        }
    }
    let given_now = caps.controllable_clock.then_some(case.now);
    let before = unix_now();
    let called = catch_unwind(AssertUnwindSafe(|| imp.call(&case.body, given_now)));
    let after = unix_now();
    let response = match called {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let note = if e.is_transport() {
                format!("transport failure: {e}")
            } else {
                format!("the adapter failed: {e}")
            };
            return Ok(CaseResult {
                evaluation: evaluate(case.now)?,
                response: None,
                transport: e.is_transport().then(|| e.message.clone()),
                differences: vec![failure_of("call", note)],
            });
        }
        Err(p) => {
            return Ok(CaseResult {
                evaluation: evaluate(case.now)?,
                response: None,
                differences: vec![failure_of(
                    "call",
                    format!("the implementation panicked: {}", panic_message(p)),
                )],
                transport: None,
            })
        }
    };
    // With a real clock, the model takes the instant the implementation reports, provided it
    // falls within the window around the call.
    let now = match given_now {
        Some(now) => now,
        None => reported_start(&response.body)
            .filter(|t| (before.floor() as i64..=after.ceil() as i64).contains(t))
            .unwrap_or(before.floor() as i64),
    };
    let evaluation = evaluate(now)?;
    let ctx = CompareContext {
        policy,
        jwks: caps.jwks.as_ref(),
    };
    let (observed, mut differences) = compare(&evaluation, &response, ctx);
    for (kind, value) in observed.opaque {
        // Key ids are shared by design; everything else is unique per call.
        if kind == Opaque::KeyId {
            continue;
        }
        if !seen.values.entry(kind).or_default().insert(digest(&value)) {
            differences.push(Difference {
                path: kind.placeholder().to_owned(),
                expected: json!("a value never seen before in this run"),
                actual: json!(value),
                note: "an opaque value was reused across calls".into(),
            });
        }
    }
    Ok(CaseResult {
        evaluation,
        response: Some(response),
        differences,
        transport: None,
    })
}

/// `member_session.started_at` of a success body, in Unix seconds.
fn reported_start(body: &[u8]) -> Option<i64> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let text = v.pointer("/member_session/started_at")?.as_str()?;
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp())
}

/// Runs every configured property against `imp`.
pub fn run(imp: &mut dyn Implementation, target: &str, config: &RunConfig) -> Report {
    let started = Instant::now();
    let caps = imp.capabilities();
    let properties = if config.properties.is_empty() {
        Property::ALL.to_vec()
    } else {
        config.properties.clone()
    };
    let mut seen = Seen::default();
    let mut coverage = Coverage::new();
    let mut reports = Vec::new();
    let mut gone = None;
    for (index, property) in properties.iter().enumerate() {
        if let Some(why) = &gone {
            reports.push(PropertyReport {
                property: property.name(),
                cases: 0,
                failure: None,
                transport: None,
                skipped: Some(format!("not run: {why}")),
            });
            continue;
        }
        let report = run_property(
            imp,
            &caps,
            *property,
            index as u64,
            config,
            &mut seen,
            &mut coverage,
            &mut gone,
        );
        reports.push(report);
    }
    Report {
        target: target.to_owned(),
        seed: config.seed,
        properties: reports,
        coverage,
        signatures_checked: caps.jwks.is_some(),
        elapsed: started.elapsed(),
    }
}

fn rng_for(seed: u64, stream: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&stream.to_le_bytes());
    bytes[16..24].copy_from_slice(b"migrate!");
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// Transport failures so far in a property, and in a row across the run.
#[derive(Debug, Default)]
struct TransportLog {
    failures: Option<TransportFailures>,
    in_a_row: u32,
}

#[allow(
    clippy::too_many_arguments,
    reason = "the run's shared state, passed down one level"
)]
fn run_property(
    imp: &mut dyn Implementation,
    caps: &Capabilities,
    property: Property,
    stream: u64,
    config: &RunConfig,
    seen: &mut Seen,
    coverage: &mut Coverage,
    gone: &mut Option<String>,
) -> PropertyReport {
    let proptest_config = Config {
        cases: config.cases,
        max_shrink_iters: config.max_shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(proptest_config, rng_for(config.seed, stream));
    // The closure proptest calls is `Fn`; the state it updates lives in cells.
    let state = RefCell::new((
        imp,
        seen,
        coverage,
        0u32,
        false,
        TransportLog::default(),
        gone,
    ));
    let started = Instant::now();
    let last_progress = std::cell::Cell::new(started);
    let generated = std::cell::Cell::new(0u32);
    let result = runner.run(&property.strategy(), |case| {
        let mut guard = state.borrow_mut();
        let (imp, seen, coverage, count, failed, transport, gone) = &mut *guard;
        if gone.is_some() {
            // The target stopped answering: the remaining cases are not sent.
            return Ok(());
        }
        if !*failed {
            // Another shard's case passes here untouched; shrinking runs every candidate.
            let index = generated.get();
            generated.set(index + 1);
            if let Some((k, n)) = config.shard {
                if index % n.max(1) != k.saturating_sub(1) {
                    return Ok(());
                }
            }
        }
        let result = check_case(&mut **imp, caps, &case, seen).map_err(TestCaseError::fail)?;
        if let Some(message) = result.transport {
            // Never shrunk: while shrinking, a transport failure is not the failure being
            // minimised, so the candidate counts as passing.
            if !*failed {
                *count += 1;
                transport.in_a_row += 1;
                match &mut transport.failures {
                    Some(f) => f.count += 1,
                    None => {
                        transport.failures = Some(TransportFailures {
                            count: 1,
                            first: message.clone(),
                            case: case.to_json(),
                        })
                    }
                }
                if transport.in_a_row >= config.max_consecutive_transport_failures.max(1) {
                    **gone = Some(format!(
                        "the target failed {} calls in a row at the transport level",
                        transport.in_a_row
                    ));
                }
            }
            return Ok(());
        }
        transport.in_a_row = 0;
        if !*failed {
            *count += 1;
            coverage.record(
                &case,
                &result.evaluation.trace,
                &result.evaluation.outcome,
                &caps.profile,
            );
            // A line a second on long runs; short properties print only their end.
            if config.progress && last_progress.get().elapsed() >= Duration::from_secs(1) {
                last_progress.set(Instant::now());
                eprintln!(
                    "  {:<16} {:>7}/{} cases",
                    property.name(),
                    count,
                    config.cases
                );
            }
        }
        if result.differences.is_empty() {
            Ok(())
        } else {
            *failed = true;
            Err(TestCaseError::fail(format!(
                "{} differences",
                result.differences.len()
            )))
        }
    });
    let (imp, seen, _, count, failed, transport, _) = state.into_inner();
    if config.progress {
        let verdict = if failed {
            "failed; shrinking done"
        } else {
            "passed"
        };
        eprintln!(
            "  {:<16} {:>7}/{} cases, {verdict} ({:.1} s)",
            property.name(),
            count,
            config.cases,
            started.elapsed().as_secs_f64()
        );
    }
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Fail(_, case)) => {
            // Run the minimal case once more to report it in full.
            let replay = check_case(imp, caps, &case, seen);
            Some(match replay {
                Ok(r) => Failure {
                    case: case.to_json(),
                    expected: r.expected_json(),
                    actual: r.actual_json(),
                    differences: r.differences,
                },
                Err(e) => Failure {
                    case: case.to_json(),
                    expected: Value::Null,
                    actual: Value::Null,
                    differences: vec![failure_of("", e)],
                },
            })
        }
        Err(TestError::Abort(why)) => Some(Failure {
            case: CaseJson {
                world: crate::gen::world(migrate_model::MemberStatus::Active, 527_040, "{}"),
                now: crate::gen::NOW,
                request: None,
                request_base64: None,
            },
            expected: Value::Null,
            actual: Value::Null,
            differences: vec![failure_of("", format!("the run aborted: {why}"))],
        }),
    };
    PropertyReport {
        property: property.name(),
        cases: count,
        failure,
        transport: transport.failures,
        skipped: None,
    }
}
