//! The runner: generates cases, calls the implementation, compares, shrinks, counts.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use migrate_model::parse::{parse_with_stats, ParseOptions};
use migrate_model::policy::{LoneSurrogate, NestingLimit};
use migrate_model::{canonical, claims, Json, Model, Opaque, Outcome, Policy, Rule, Trace, World};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;
use serde_json::{json, Value};

use crate::adapter::{AdapterErrorKind, Capabilities, HttpResponse, Implementation};
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
    /// Run every case of every property even after a failure, and report each kind of
    /// failure (the rule its first difference breaks) with its own minimal case. Without it
    /// a property stops at its first failing case.
    pub keep_going: bool,
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
            keep_going: false,
        }
    }
}

/// The result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`REPORT_FORMAT`]: which version of `conformance/report.schema.json` this follows.
    pub format: &'static str,
    /// The target's name.
    pub target: String,
    /// The seed used.
    pub seed: u64,
    /// The cases per property asked for (`RunConfig::cases`).
    pub cases_per_property: u32,
    /// The shard run, `[k, n]`, when the run was one shard of `n`.
    pub shard: Option<(u32, u32)>,
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
    /// Under `keep_going`, the minimal case of each further kind of failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_failures: Vec<Failure>,
    /// The transport failures (timeouts, refused connections, dead subprocesses, ...), which
    /// are never shrunk.
    pub transport: Option<TransportFailures>,
    /// Cases whose world the target cannot hold (not sent, not counted in `cases`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<Unsupported>,
    /// Why the property did not run, when it did not.
    pub skipped: Option<String>,
}

/// The cases of one property that a target could not run, because it cannot hold their
/// world (a world its public API cannot create).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Unsupported {
    /// How many.
    pub count: u32,
    /// The first one's reason.
    pub first: String,
}

impl PropertyReport {
    /// Whether the property passed: no failure, no transport failure, not skipped, and at
    /// least one case run when some could not be (a property that checked nothing does not
    /// pass).
    pub fn passed(&self) -> bool {
        self.failure.is_none()
            && self.transport.is_none()
            && self.skipped.is_none()
            && !(self.cases == 0 && self.unsupported.is_some())
    }

    /// Every kind of failure, the first one first.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.failure.iter().chain(&self.more_failures)
    }
}

/// The transport failures of one property.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
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
    /// The sorted rule ids the differences break (the first difference's rule names the kind
    /// of failure under `keep_going`).
    pub rules: Vec<&'static str>,
    /// Failing cases of this kind (under `keep_going`; otherwise 1, the run stopped).
    pub count: u32,
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

/// The `format` of a [`Report`] as JSON (`check --json`), described by
/// `conformance/report.schema.json`.
pub const REPORT_FORMAT: &str = "migrate-conformance-report/1";

/// Boundaries of the model's own rules that the coverage counts; [`all_boundaries`]
/// adds the pitfall boundaries of [`crate::pitfalls::PITFALL_BOUNDARIES`].
pub const BOUNDARIES: &[&str] = &[
    "duration = 4",
    "duration = 5",
    "duration = 527040",
    "duration = 527041",
    "duration = 0",
    "duration = -0",
    "duration = null",
    "duration = 60.0",
    "duration = 0 written as a float",
    "duration = int32 max",
    "duration = int32 max + 1",
    "session ends 2100-03-01 or later",
    "claims size = limit",
    "claims size = limit + 1",
    "nesting = 128",
    "nesting = 129",
    "number = 1e400",
    "number = 2^53 + 1",
    "number = -0",
    "claims size = limit, non-ASCII",
    "claims size = limit, with / < > & '",
    "claims size = limit, with a double whose texts differ",
    "claims size = limit, with arrays, nesting and negative numbers",
    "claims size = limit, with quotes, backslashes or control characters",
];

/// Every boundary the coverage counts: the model's and the pitfalls'.
pub fn all_boundaries() -> impl Iterator<Item = &'static str> {
    BOUNDARIES
        .iter()
        .chain(crate::pitfalls::PITFALL_BOUNDARIES)
        .copied()
}

impl Coverage {
    fn new() -> Self {
        Coverage {
            rules: Rule::ALL.iter().map(|r| (r.id(), 0)).collect(),
            outcomes: BTreeMap::new(),
            boundaries: all_boundaries().map(|b| (b, 0)).collect(),
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

/// The boundaries a case sits on (claims sizes under `policy`'s measure and limit), the
/// pitfall catalogue's among them.
pub fn boundaries(case: &Case, policy: &Policy) -> Vec<&'static str> {
    let mut hit = model_boundaries(case, policy);
    crate::pitfalls::boundaries(case, &mut hit);
    hit.sort_unstable();
    hit.dedup();
    hit
}

/// The boundaries of the model's own values.
fn model_boundaries(case: &Case, policy: &Policy) -> Vec<&'static str> {
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
            // Zero with a fraction or exponent: absent only where integral floats are read
            // (zero-duration=absent with integral-float=accept).
            t if t.contains(['.', 'e', 'E'])
                && t.trim_start_matches('-').parse::<f64>() == Ok(0.0) =>
            {
                hit.push("duration = 0 written as a float")
            }
            "2147483647" => hit.push("duration = int32 max"),
            "2147483648" => hit.push("duration = int32 max + 1"),
            _ => {}
        },
        _ => {}
    }
    // 2100-03-01: the first day a Gregorian century rule decides after 2000 (2100 is not a
    // leap year); a hand-written date conversion may be right for every day before it.
    let seconds = crate::pitfalls::duration_seconds(request.get("session_duration_minutes"));
    if case.now.saturating_add(seconds) >= 4_107_542_400 {
        hit.push("session ends 2100-03-01 or later");
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
            if size == limit || size == limit + 1 {
                hit.push(if size == limit {
                    "claims size = limit"
                } else {
                    "claims size = limit + 1"
                });
                let text = String::from_utf8_lossy(&case.body);
                if !text.is_ascii() || text.contains("\\u") {
                    hit.push("claims size = limit, non-ASCII");
                }
                if text.contains(['/', '<', '>', '&', '\'']) {
                    hit.push("claims size = limit, with / < > & '");
                }
                let doubles = crate::gen::SIZED_DOUBLES;
                if doubles.iter().any(|(d, _)| text.contains(&format!(":{d}"))) {
                    hit.push("claims size = limit, with a double whose texts differ");
                }
                if ["\\\"", "\\\\", "\\u0001", "\\t"]
                    .iter()
                    .any(|e| text.contains(e))
                {
                    hit.push("claims size = limit, with quotes, backslashes or control characters");
                }
                let structures = crate::gen::SIZED_STRUCTURES;
                if structures.iter().any(|(_, v)| text.contains(v)) {
                    hit.push("claims size = limit, with arrays, nesting and negative numbers");
                }
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

/// The first 16 bytes of the value's SHA-256 (AWS-LC's, which uses the CPU's SHA
/// instructions where there are some): what the run remembers of each chosen value.
fn digest(value: &str) -> [u8; 16] {
    let full = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&full.as_ref()[..16]);
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
    /// Why the implementation cannot hold this case's world, when it cannot (the case was
    /// not sent; it is skipped, not failed).
    pub unsupported: Option<String>,
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
            // A report is serde JSON, whose numbers are doubles: the claims are also given
            // exactly, as RFC 8785 text.
            Outcome::Success(s) => json!({
                "status": 200,
                "body": s.body.to_serde(),
                "jwt": {"header": s.jwt.header.to_serde(), "payload": s.jwt.payload.to_serde()},
                "custom_claims_jcs": migrate_model::canonical::jcs(&Json::Object(s.custom_claims.clone())),
            }),
        }
    }

    /// The actual side, for a report.
    pub fn actual_json(&self) -> Value {
        match &self.response {
            None => Value::Null,
            Some(r) => json!({
                "status": r.status,
                // Exact numbers; a body with duplicate keys or numbers past the double range
                // stays text, byte for byte.
                "body": migrate_model::json::to_serde_exact(&r.body)
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

pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    match PANIC_AT.with(|at| at.take()) {
        Some(at) => format!("{message} (at {at})"),
        None => message,
    }
}

thread_local! {
    /// Whether this thread is inside a call to the implementation, whose panics the suite
    /// catches and reports with the case (so the panic hook stays quiet).
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the last caught panic happened (file:line:column).
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Calls `f`, catching a panic of the implementation. The panic hook prints nothing for it
/// (a shrinking run would print it at every step, with backtraces); its message and place go
/// into the failure instead. Panics elsewhere reach the previous hook as before, and so do
/// panics on threads the implementation starts itself.
pub(crate) fn catching<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // try_with: during thread-local teardown the flag is gone; print as usual then.
            if CATCHING.try_with(std::cell::Cell::get).unwrap_or(false) {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                let _ = PANIC_AT.try_with(|cell| *cell.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
    PANIC_AT.with(|cell| cell.borrow_mut().take());
    let was = CATCHING.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(was));
    result
}

fn failure_of(path: &str, note: String) -> Difference {
    Difference {
        path: path.to_owned(),
        expected: Value::Null,
        actual: Value::Null,
        absent: None,
        note,
        rule: None,
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
    check_case_against(imp, caps, case, seen, |world, body, now| {
        Model::new(world.clone())
            .map_err(|e| format!("generated an invalid world: {e}"))?
            .migrate(now, &caps.profile, body)
            .map_err(|e| e.to_string())
    })
}

/// Runs one case against `imp` and compares with `evaluate(world, body, now)`, the expected
/// outcome of `body` in `world` at the clock the call used. The world and body are the
/// case's, or what the implementation renamed them to ([`Implementation::renamed`]).
pub fn check_case_against(
    imp: &mut dyn Implementation,
    caps: &Capabilities,
    case: &Case,
    seen: &mut Seen,
    evaluate: impl Fn(&World, &[u8], i64) -> Result<migrate_model::Evaluation, String>,
) -> Result<CaseResult, String> {
    let policy = &caps.profile;
    let not_called = |differences: Vec<Difference>, transport, unsupported| {
        Ok(CaseResult {
            evaluation: evaluate(&case.world, &case.body, case.now)?,
            response: None,
            differences,
            transport,
            unsupported,
        })
    };
    match catching(|| imp.load_world(&case.world)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.kind == AdapterErrorKind::Unsupported => {
            return not_called(Vec::new(), None, Some(e.message));
        }
        Ok(Err(e)) => {
            let note = if e.is_transport() {
                format!("transport failure loading the world: {e}")
            } else {
                format!("the adapter failed to load the world: {e}")
            };
            let transport = e.is_transport().then(|| e.message.clone());
            return not_called(vec![failure_of("load_world", note)], transport, None);
        }
        Err(p) => {
            let note = format!("the implementation panicked: {}", panic_message(p));
            return not_called(vec![failure_of("load_world", note)], None, None);
        }
    }
    let renamed = imp.renamed(&case.world, &case.body);
    let (world, body) = match &renamed {
        Some((w, b)) => (w, b.as_slice()),
        None => (&case.world, case.body.as_slice()),
    };
    let given_now = caps.controllable_clock.then_some(case.now);
    let before = unix_now();
    let called = catching(|| imp.call(body, given_now));
    let after = unix_now();
    let response = match called {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let note = if e.is_transport() {
                format!("transport failure: {e}")
            } else {
                format!("the adapter failed: {e}")
            };
            let transport = e.is_transport().then(|| e.message.clone());
            return not_called(vec![failure_of("call", note)], transport, None);
        }
        Err(p) => {
            let note = format!("the implementation panicked: {}", panic_message(p));
            return not_called(vec![failure_of("call", note)], None, None);
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
    let evaluation = evaluate(world, body, now)?;
    let ctx = CompareContext {
        policy,
        jwks: caps.jwks.as_ref(),
        request: Some(body),
    };
    let (observed, mut differences) = compare(&evaluation, &response, ctx);
    for (kind, value) in observed.chosen {
        if !seen.values.entry(kind).or_default().insert(digest(&value)) {
            differences.push(Difference {
                path: kind.placeholder().to_owned(),
                expected: json!("a value never seen before in this run"),
                actual: json!(value),
                absent: None,
                note: "an opaque value was reused across calls".into(),
                rule: Some(Rule::ResponseShape.id()),
            });
        }
    }
    Ok(CaseResult {
        evaluation,
        response: Some(response),
        differences,
        transport: None,
        unsupported: None,
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
                more_failures: Vec::new(),
                transport: None,
                unsupported: None,
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
        format: REPORT_FORMAT,
        target: target.to_owned(),
        seed: config.seed,
        cases_per_property: config.cases,
        shard: config.shard,
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

/// The proptest runner of one property: the same `config` and `stream` generate the same
/// cases, which the second pass of a keep-going run relies on.
fn test_runner(config: &RunConfig, stream: u64) -> TestRunner {
    let proptest_config = Config {
        cases: config.cases,
        max_shrink_iters: config.max_shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(proptest_config, rng_for(config.seed, stream))
}

/// Transport failures so far in a property, and in a row across the run.
#[derive(Debug, Default)]
struct TransportLog {
    failures: Option<TransportFailures>,
    in_a_row: u32,
}

/// The kind of a failure: the rule its first difference breaks (`adapter` for a difference
/// no rule decides). Under `keep_going` each kind is shrunk and reported once. The other
/// differences of a case are mostly consequences of the first (a wrong status brings a
/// wrong envelope), so they do not make a kind of their own.
fn kind_of(differences: &[Difference]) -> &'static str {
    differences
        .first()
        .map_or("adapter", |d| d.rule.unwrap_or("adapter"))
}

/// Removes from a failing case's world whatever it can do without: organizations, members,
/// UserInfo tokens, the claims template, a lowered project maximum. proptest shrinks the
/// request and the choices the strategy made; this takes the base world's other parts away,
/// one at a time, keeping each removal after which the case still fails with the same kind.
/// Each try is one call to the target; at most [`MAX_WORLD_TRIES`].
fn minimize_world(
    imp: &mut dyn Implementation,
    caps: &Capabilities,
    seen: &mut Seen,
    case: Case,
    kind: &'static str,
) -> Case {
    let still_fails = |imp: &mut dyn Implementation, seen: &mut Seen, candidate: &Case| {
        candidate.world.validate().is_ok()
            && check_case(imp, caps, candidate, seen).is_ok_and(|r| {
                r.transport.is_none()
                    && r.unsupported.is_none()
                    && !r.differences.is_empty()
                    && kind_of(&r.differences) == kind
            })
    };
    let mut best = case;
    let mut tries = 0;
    loop {
        let mut progressed = false;
        for candidate in world_reductions(&best) {
            if tries >= MAX_WORLD_TRIES {
                return best;
            }
            tries += 1;
            if still_fails(imp, seen, &candidate) {
                best = candidate;
                progressed = true;
                break;
            }
        }
        if !progressed {
            return best;
        }
    }
}

/// The most calls [`minimize_world`] makes for one failure.
const MAX_WORLD_TRIES: usize = 200;

/// Each world one step smaller than `case`'s, the biggest steps first.
fn world_reductions(case: &Case) -> Vec<Case> {
    let with = |world: World| Case {
        world,
        now: case.now,
        body: case.body.clone(),
    };
    let w = &case.world;
    let mut out = Vec::new();
    for i in 0..w.organizations.len() {
        let mut smaller = w.clone();
        smaller.organizations.remove(i);
        out.push(with(smaller));
    }
    for (o, org) in w.organizations.iter().enumerate() {
        for m in 0..org.members.len() {
            let mut smaller = w.clone();
            smaller.organizations[o].members.remove(m);
            out.push(with(smaller));
        }
    }
    for token in w.userinfo.keys() {
        let mut smaller = w.clone();
        smaller.userinfo.remove(token);
        out.push(with(smaller));
    }
    if !w.claims_template.is_empty() {
        let mut smaller = w.clone();
        smaller.claims_template.clear();
        out.push(with(smaller));
    }
    out
}

/// Every rule the differences break, sorted, once each.
fn rules_of(differences: &[Difference]) -> Vec<&'static str> {
    let mut kind: Vec<&'static str> = differences
        .iter()
        .map(|d| d.rule.unwrap_or("adapter"))
        .collect();
    kind.sort_unstable();
    kind.dedup();
    kind
}

/// A kind of failure seen in the first pass of a `keep_going` run.
#[derive(Debug)]
struct Kind {
    rule: &'static str,
    /// The index of the first case of this kind, in generation order.
    index: u32,
    /// Cases of this kind.
    count: u32,
    /// That first case and its report, in case the failure does not come back when shrunk.
    first: Failure,
}

/// The most kinds of failure one property reports under `keep_going` (the rest are counted
/// in the last one's line, not shrunk).
const MAX_KINDS: usize = 8;

/// The state one property's run updates from inside proptest's `Fn` closure.
struct PropertyState<'a> {
    imp: &'a mut dyn Implementation,
    seen: &'a mut Seen,
    coverage: &'a mut Coverage,
    gone: &'a mut Option<String>,
    /// Cases run (not counting other shards' cases or shrinking).
    count: u32,
    /// Set once the first failure is being shrunk.
    failed: bool,
    transport: TransportLog,
    /// Cases generated so far (every shard's).
    generated: u32,
    kinds: Vec<Kind>,
    /// Failing cases beyond `MAX_KINDS` kinds.
    unclassified: u32,
    unsupported: Option<Unsupported>,
    last_progress: Instant,
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
    let started = Instant::now();
    // The closure proptest calls is `Fn`; the state it updates lives in a cell.
    let state = RefCell::new(PropertyState {
        imp,
        seen,
        coverage,
        gone,
        count: 0,
        failed: false,
        transport: TransportLog::default(),
        generated: 0,
        kinds: Vec::new(),
        unclassified: 0,
        unsupported: None,
        last_progress: started,
    });
    let mut runner = test_runner(config, stream);
    let result = runner.run(&property.strategy(), |case| {
        let mut st = state.borrow_mut();
        if st.gone.is_some() {
            // The target stopped answering: the remaining cases are not sent.
            return Ok(());
        }
        let index = st.generated;
        if !st.failed {
            // Another shard's case passes here untouched; shrinking runs every candidate.
            st.generated += 1;
            if let Some((k, n)) = config.shard {
                if index % n.max(1) != k.saturating_sub(1) {
                    return Ok(());
                }
            }
        }
        let st = &mut *st;
        let result = check_case(&mut *st.imp, caps, &case, st.seen).map_err(TestCaseError::fail)?;
        if let Some(why) = result.unsupported {
            // A world the target cannot hold: skipped and counted, never a failure.
            if !st.failed {
                let u = st.unsupported.get_or_insert(Unsupported {
                    count: 0,
                    first: why,
                });
                u.count += 1;
            }
            return Ok(());
        }
        if let Some(message) = result.transport {
            // Never shrunk: while shrinking, a transport failure is not the failure being
            // minimised, so the candidate counts as passing.
            if !st.failed {
                st.count += 1;
                st.transport.in_a_row += 1;
                match &mut st.transport.failures {
                    Some(f) => f.count += 1,
                    None => {
                        st.transport.failures = Some(TransportFailures {
                            count: 1,
                            first: message.clone(),
                            case: case.to_json(),
                        })
                    }
                }
                if st.transport.in_a_row >= config.max_consecutive_transport_failures.max(1) {
                    *st.gone = Some(format!(
                        "the target failed {} calls in a row at the transport level",
                        st.transport.in_a_row
                    ));
                }
            }
            return Ok(());
        }
        st.transport.in_a_row = 0;
        if !st.failed {
            st.count += 1;
            st.coverage.record(
                &case,
                &result.evaluation.trace,
                &result.evaluation.outcome,
                &caps.profile,
            );
            // A line a second on long runs; short properties print only their end.
            if config.progress && st.last_progress.elapsed() >= Duration::from_secs(1) {
                st.last_progress = Instant::now();
                let kinds = if st.kinds.is_empty() {
                    String::new()
                } else {
                    format!(", {} kinds of failure so far", st.kinds.len())
                };
                eprintln!(
                    "  {:<16} {:>7}/{} cases{kinds}",
                    property.name(),
                    st.count,
                    config.cases
                );
            }
        }
        if result.differences.is_empty() {
            return Ok(());
        }
        if config.keep_going {
            // First pass: every case runs; each kind of failure is remembered, shrunk later.
            let rule = kind_of(&result.differences);
            let known = st.kinds.len();
            match st.kinds.iter_mut().find(|k| k.rule == rule) {
                Some(k) => k.count += 1,
                None if known < MAX_KINDS => st.kinds.push(Kind {
                    rule,
                    index,
                    count: 1,
                    first: failure_from(&case, &result),
                }),
                None => st.unclassified += 1,
            }
            return Ok(());
        }
        st.failed = true;
        Err(TestCaseError::fail(format!(
            "{} differences",
            result.differences.len()
        )))
    });
    let PropertyState {
        imp,
        seen,
        count,
        failed,
        transport,
        kinds,
        unclassified,
        unsupported,
        ..
    } = state.into_inner();
    let mut failures = Vec::new();
    match result {
        Ok(()) => {}
        Err(TestError::Fail(_, case)) => {
            // The world too, then the minimal case once more to report it in full.
            let case = match check_case(imp, caps, &case, seen) {
                Ok(r) if !r.differences.is_empty() && r.transport.is_none() => {
                    let kind = kind_of(&r.differences);
                    minimize_world(imp, caps, seen, case, kind)
                }
                _ => case,
            };
            failures.push(match check_case(imp, caps, &case, seen) {
                Ok(r) if r.differences.is_empty() || r.unsupported.is_some() => Failure {
                    case: case.to_json(),
                    expected: r.expected_json(),
                    actual: r.actual_json(),
                    differences: vec![failure_of(
                        "",
                        "the minimal case failed while shrinking but not when replayed: the target answers it differently from one call to the next".into(),
                    )],
                    rules: vec!["adapter"],
                    count: 1,
                },
                Ok(r) => failure_from(&case, &r),
                Err(e) => Failure {
                    case: case.to_json(),
                    expected: Value::Null,
                    actual: Value::Null,
                    differences: vec![failure_of("", e)],
                    rules: vec!["adapter"],
                    count: 1,
                },
            });
        }
        Err(TestError::Abort(why)) => failures.push(Failure {
            case: CaseJson {
                world: crate::gen::world(migrate_model::MemberStatus::Active, 527_040, "{}"),
                now: crate::gen::NOW,
                request: None,
                request_base64: None,
            },
            expected: Value::Null,
            actual: Value::Null,
            differences: vec![failure_of("", format!("the run aborted: {why}"))],
            rules: vec!["adapter"],
            count: 1,
        }),
    }
    // Second pass of a keep-going run: each kind shrunk from its first case.
    let kinds_found = kinds.len();
    for (n, kind) in kinds.into_iter().enumerate() {
        if config.progress {
            eprintln!(
                "  {:<16} shrinking failure kind {}/{kinds_found} [{}] ({} cases)",
                property.name(),
                n + 1,
                kind.rule,
                kind.count
            );
        }
        let mut failure =
            shrink_kind(imp, caps, property, stream, config, seen, &kind).unwrap_or(kind.first);
        failure.count = kind.count;
        failures.push(failure);
    }
    if unclassified > 0 {
        if let Some(last) = failures.last_mut() {
            last.differences.push(failure_of(
                "",
                format!("{unclassified} more failing cases of other kinds were not shrunk (at most {MAX_KINDS} kinds are)"),
            ));
        }
    }
    if config.progress {
        let verdict = match failures.len() {
            0 if !failed => "passed".to_owned(),
            1 => "failed; shrinking done".to_owned(),
            k => format!("failed: {k} kinds of failure, each shrunk"),
        };
        eprintln!(
            "  {:<16} {:>7}/{} cases, {verdict} ({:.1} s)",
            property.name(),
            count,
            config.cases,
            started.elapsed().as_secs_f64()
        );
    }
    let mut failures = failures.into_iter();
    PropertyReport {
        property: property.name(),
        cases: count,
        failure: failures.next(),
        more_failures: failures.collect(),
        transport: transport.failures,
        unsupported,
        skipped: None,
    }
}

fn failure_from(case: &Case, r: &CaseResult) -> Failure {
    Failure {
        case: case.to_json(),
        expected: r.expected_json(),
        actual: r.actual_json(),
        rules: rules_of(&r.differences),
        differences: r.differences.clone(),
        count: 1,
    }
}

/// Regenerates the property's cases up to `kind.index` without calling the target, then
/// shrinks that case while the failure stays of the same kind. `None` when the case no
/// longer fails so (a flaky implementation): the first-pass report stands.
fn shrink_kind(
    imp: &mut dyn Implementation,
    caps: &Capabilities,
    property: Property,
    stream: u64,
    config: &RunConfig,
    seen: &mut Seen,
    kind: &Kind,
) -> Option<Failure> {
    let mut runner = test_runner(config, stream);
    let state = RefCell::new((imp, seen, 0u32, false));
    let result = runner.run(&property.strategy(), |case| {
        let mut guard = state.borrow_mut();
        let (imp, seen, generated, shrinking) = &mut *guard;
        if !*shrinking {
            let index = *generated;
            *generated += 1;
            if index != kind.index {
                return Ok(());
            }
        }
        let r = check_case(&mut **imp, caps, &case, seen).map_err(TestCaseError::fail)?;
        if r.transport.is_none()
            && r.unsupported.is_none()
            && !r.differences.is_empty()
            && kind_of(&r.differences) == kind.rule
        {
            *shrinking = true;
            Err(TestCaseError::fail("the same kind of failure"))
        } else {
            Ok(())
        }
    });
    let (imp, seen, _, _) = state.into_inner();
    match result {
        Err(TestError::Fail(_, case)) => {
            let case = minimize_world(imp, caps, seen, case, kind.rule);
            check_case(imp, caps, &case, seen)
                .ok()
                .filter(|r| {
                    r.transport.is_none()
                        && r.unsupported.is_none()
                        && !r.differences.is_empty()
                        && kind_of(&r.differences) == kind.rule
                })
                .map(|r| failure_from(&case, &r))
        }
        _ => None,
    }
}
