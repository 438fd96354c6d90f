//! The comparator: what an implementation answered against what the model expects.
//!
//! Errors are judged by status code and `error_type` (any of the model's acceptable errors,
//! with that error's status) plus the envelope's shape. A success is judged field by field:
//! values the world determines by value, the values an implementation chooses by their
//! [`Constraint`], the custom claims exactly under the profile's number precision, the JWT's
//! three parts (and its signature when a JWKS is declared), and the whole body against the
//! official response schema. Every difference is a JSON path with expected and actual values.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use base64::Engine as _;
use migrate_model::json::Number;
use migrate_model::parse::ParseOptions;
use migrate_model::policy::{LoneSurrogate, NestingLimit, NumberPrecision};
use migrate_model::{
    Constraint, ErrorType, Evaluation, ExpectedError, ExpectedJwt, ExpectedSuccess, Json, Opaque,
    Outcome, Policy, Rule, Slot,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::adapter::HttpResponse;

/// One way the actual response differs from the expected one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// Where: a JSON pointer into the response body, or `jwt.header` / `jwt.payload` followed
    /// by a pointer, or `status`.
    pub path: String,
    /// What the model expects there (a value, or a description of the constraint).
    pub expected: Value,
    /// What the implementation gave (`null` when absent: see `absent`).
    pub actual: Value,
    /// Which side has no value at `path` at all (a missing or an unexpected field), as
    /// opposed to a JSON `null`; `None` when both sides have a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<Side>,
    /// Why this is a difference.
    pub note: String,
    /// The id of the rule (`model/SPEC.md`) that decides the value at `path`; `None` when
    /// the implementation could not be asked at all (a transport or adapter failure).
    pub rule: Option<&'static str>,
}

/// A side of a [`Difference`] that has no value at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The model expects no such field; the implementation sent one.
    Expected,
    /// The implementation sent no such field (or no such response part).
    Actual,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (expected, actual) = match self.absent {
            Some(Side::Expected) => (
                "no such field".to_owned(),
                truncate(&self.actual.to_string()),
            ),
            Some(Side::Actual) => (
                truncate(&self.expected.to_string()),
                "nothing (absent)".to_owned(),
            ),
            None => (
                truncate(&self.expected.to_string()),
                truncate(&self.actual.to_string()),
            ),
        };
        write!(
            f,
            "{}: {} (expected {expected}, got {actual})",
            if self.path.is_empty() {
                "/"
            } else {
                &self.path
            },
            self.note,
        )?;
        match self.rule.and_then(Rule::from_id).map(Rule::source) {
            Some(migrate_model::Source::Policy(flag)) => write!(
                f,
                " [rule {}, decided by policy flag {}]",
                self.rule.unwrap_or_default(),
                flag.name()
            ),
            _ => match self.rule {
                Some(rule) => write!(f, " [rule {rule}]"),
                None => Ok(()),
            },
        }
    }
}

fn truncate(s: &str) -> String {
    truncate_to(200, s)
}

/// `s` cut to `max` characters, saying how long it was.
pub(crate) fn truncate_to(max: usize, s: &str) -> String {
    let count = s.chars().count();
    if count <= max {
        s.to_owned()
    } else {
        format!(
            "{}... ({count} chars in all)",
            s.chars().take(max).collect::<String>()
        )
    }
}

/// The opaque values a response carried, for the runner's uniqueness checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Each opaque kind and the value it had, where the expected outcome placed one.
    pub opaque: BTreeMap<Opaque, String>,
    /// The values that must be new on every call, read from the answer alone (see
    /// [`chosen_values`]), whatever outcome was expected.
    pub chosen: Vec<(Opaque, String)>,
}

/// The values an answer carries that must be new on every call (`across_calls` of the
/// vector format): for a 200, the body's `request_id`, `session_token`, `session_jwt`
/// and `member_session.member_session_id` and the JWT payload's `jti`; for any other status,
/// the body's `request_id`. Only non-empty strings count; key ids are shared by design.
/// `body` is the answer as the comparator reads it (any depth it reads, the last of
/// duplicate keys wins), so that every runner records the same values.
pub fn chosen_values(status: u16, body: &Json) -> Vec<(Opaque, String)> {
    fn text(v: &Json, path: &[&str]) -> Option<String> {
        let mut at = v;
        for key in path {
            at = at.as_object()?.get(*key)?;
        }
        match at {
            Json::String(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }
    let mut out = Vec::new();
    let mut add = |kind: Opaque, value: Option<String>| out.extend(value.map(|v| (kind, v)));
    add(Opaque::RequestId, text(body, &["request_id"]));
    if status != 200 {
        return out;
    }
    add(Opaque::SessionToken, text(body, &["session_token"]));
    add(
        Opaque::MemberSessionId,
        text(body, &["member_session", "member_session_id"]),
    );
    let jwt = text(body, &["session_jwt"]);
    let jti = jwt.as_deref().and_then(|token| {
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        text(&parse_answer(&bytes).ok()?, &["jti"])
    });
    add(Opaque::SessionJwt, jwt);
    add(Opaque::JwtId, jti);
    out
}

/// What the comparator needs besides the two outcomes.
#[derive(Clone, Copy, Debug)]
pub struct CompareContext<'a> {
    /// The implementation's declared profile.
    pub policy: &'a Policy,
    /// The implementation's JWKS, when declared.
    pub jwks: Option<&'a Value>,
    /// The request body as sent, when known: a `bad_request` the model does not expect is
    /// blamed on a lenient rule only when a standard JSON parser refuses this body.
    pub request: Option<&'a [u8]>,
}

/// Compares `response` with the model's `evaluation`.
pub fn compare(
    evaluation: &Evaluation,
    response: &HttpResponse,
    ctx: CompareContext<'_>,
) -> (Observed, Vec<Difference>) {
    let mut c = Comparator {
        ctx,
        evaluation,
        diffs: Vec::new(),
        observed: Observed::default(),
    };
    match parse_answer(&response.body) {
        Err(why) => c.diff(
            "",
            Value::String("a JSON object".into()),
            Value::String(String::from_utf8_lossy(&response.body).into_owned()),
            format!("the response body is not a JSON object: {why}"),
        ),
        Ok(body) => {
            c.observed.chosen = chosen_values(response.status, &body);
            match &evaluation.outcome {
                Outcome::Error(e) => c.error(e, response.status, &body),
                Outcome::Success(s) => c.success(s, response.status, &body),
            }
        }
    }
    (c.observed, c.diffs)
}

/// The deepest answer the comparator reads.
pub const MAX_ANSWER_DEPTH: usize = 1024;

/// Parses an answer (a body, a JWT part) with the model's parser, so that numbers keep their
/// exact text: at most [`MAX_ANSWER_DEPTH`] levels; the last of duplicate keys wins; an
/// escaped lone surrogate is an error (no Unicode string holds one, and a replacement would
/// hide it).
pub(crate) fn parse_answer(bytes: &[u8]) -> Result<Json, String> {
    let opts = ParseOptions {
        lone_surrogate: LoneSurrogate::BadRequest,
        nesting_limit: NestingLimit::Unlimited,
        duplicate_keys: migrate_model::policy::DuplicateKeys::LastWins,
    };
    let (v, stats) =
        migrate_model::parse::parse_with_stats(bytes, opts).map_err(|e| e.to_string())?;
    // The comparison converts and drops serde values recursively, so an answer's depth is
    // bounded to what a small stack holds. Answers echo the claims: no vector and no
    // generated case nests them past about 140 levels; only a profile with
    // `nesting-limit = none` and claims nested past 1000 levels would be misjudged.
    if stats.max_depth > MAX_ANSWER_DEPTH {
        return Err(format!(
            "nested {} levels deep, past the {MAX_ANSWER_DEPTH} the suite reads",
            stats.max_depth
        ));
    }
    match v.as_object() {
        Some(_) => Ok(v),
        None => Err(format!("the top-level value is {}", v.type_name())),
    }
}

struct Comparator<'a> {
    ctx: CompareContext<'a>,
    evaluation: &'a Evaluation,
    diffs: Vec<Difference>,
    observed: Observed,
}

impl Comparator<'_> {
    fn diff(&mut self, path: &str, expected: Value, actual: Value, note: impl Into<String>) {
        self.diff_sides(path, Some(expected), Some(actual), note);
    }

    /// A difference where one side may have no value at all (`None`: absent).
    fn diff_sides(
        &mut self,
        path: &str,
        expected: Option<Value>,
        actual: Option<Value>,
        note: impl Into<String>,
    ) {
        let absent = match (&expected, &actual) {
            (_, None) => Some(Side::Actual),
            (None, Some(_)) => Some(Side::Expected),
            _ => None,
        };
        let (expected, actual) = (
            expected.unwrap_or(Value::Null),
            actual.unwrap_or(Value::Null),
        );
        let note = note.into();
        let rule = attribute(
            self.evaluation,
            path,
            &note,
            &expected,
            &actual,
            self.ctx.request,
        );
        self.diffs.push(Difference {
            path: path.to_owned(),
            expected,
            actual,
            absent,
            note,
            rule: Some(rule.id()),
        });
    }

    fn error(&mut self, e: &ExpectedError, status: u16, body: &Json) {
        let actual = body.to_serde();
        let acceptable: Vec<&str> = e.acceptable.iter().map(|t| t.name()).collect();
        let actual_type = actual.get("error_type").and_then(Value::as_str);
        match actual_type.and_then(ErrorType::from_name) {
            Some(t) if e.accepts(t) => {
                if status != t.status_code() {
                    self.diff(
                        "status",
                        json!(t.status_code()),
                        json!(status),
                        format!("wrong HTTP status for {t}"),
                    );
                }
                if actual.get("status_code") != Some(&json!(status)) {
                    self.diff_sides(
                        "/status_code",
                        Some(json!(status)),
                        actual.get("status_code").cloned(),
                        "status_code must equal the HTTP status",
                    );
                }
            }
            _ if status == 200 => {
                self.diff(
                    "",
                    json!({"status": e.status_code(), "error_type": acceptable}),
                    json!({"status": 200, "member_session": actual.get("member_session")}),
                    format!(
                        "expected an error ({}: {}), got a success",
                        e.error_type, e.message
                    ),
                );
                // A success has no error envelope: its missing fields are that one
                // difference, not more.
                return;
            }
            _ => self.diff_sides(
                "/error_type",
                Some(json!(acceptable)),
                actual.get("error_type").cloned(),
                format!("wrong error type (the model says: {})", e.message),
            ),
        }
        for slot in ExpectedError::slots() {
            let got = body.pointer(&slot.pointer);
            self.constraint(&slot.pointer, slot.constraint, got);
        }
    }

    fn success(&mut self, s: &ExpectedSuccess, status: u16, body: &Json) {
        let actual = body.to_serde();
        if status != 200 {
            self.diff(
                "status",
                json!(200),
                json!({"status": status, "error_type": actual.get("error_type"), "error_message": actual.get("error_message")}),
                "expected a success",
            );
            return;
        }
        static BODY_SLOTS: OnceLock<Vec<Slot>> = OnceLock::new();
        let slots = BODY_SLOTS.get_or_init(ExpectedSuccess::body_slots);
        self.value("", "", &s.body, body, slots);
        // The claims exactly, under the profile's number precision.
        let claims = body
            .as_object()
            .and_then(|o| o.get("member_session"))
            .and_then(Json::as_object)
            .and_then(|m| m.get("custom_claims"));
        match claims {
            Some(Json::Object(got)) => {
                self.json_object("/member_session/custom_claims", &s.custom_claims, got)
            }
            other => self.diff(
                "/member_session/custom_claims",
                Json::Object(s.custom_claims.clone()).to_serde(),
                other.map(Json::to_serde).unwrap_or(Value::Null),
                "custom_claims must be an object (present even when empty)",
            ),
        }
        let external = &s.external_session_token;
        if body["session_token"].as_str() == Some(external.as_str()) {
            self.diff(
                "/session_token",
                json!("a new Stytch session token"),
                json!(external),
                "the new session token must differ from the external one",
            );
        }
        match body["session_jwt"].as_str() {
            Some(jwt) => self.jwt(s, jwt),
            None => self.diff(
                "/session_jwt",
                json!("a JWT"),
                body["session_jwt"].to_serde(),
                "missing",
            ),
        }
        for message in schema_errors(&actual) {
            self.diff(
                &message.0,
                json!("the official MigrateResponse schema"),
                message.2,
                message.1,
            );
        }
    }

    fn jwt(&mut self, s: &ExpectedSuccess, token: &str) {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            self.diff(
                "/session_jwt",
                json!("header.payload.signature"),
                json!(token),
                "not a compact JWS of three parts",
            );
            return;
        };
        let decode = |part: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|bytes| parse_answer(&bytes).ok())
        };
        let (Some(header), Some(payload)) = (decode(header), decode(payload)) else {
            self.diff(
                "/session_jwt",
                json!("base64url JSON header and payload"),
                json!(token),
                "the JWT does not decode",
            );
            return;
        };
        if signature.is_empty() {
            self.diff(
                "jwt.signature",
                json!("an RS256 signature"),
                json!(""),
                "the JWT is unsigned",
            );
        }
        self.value(
            "jwt.header",
            "",
            &s.jwt.header,
            &header,
            &ExpectedJwt::header_slots(),
        );
        // Registered and Stytch claims by value; custom claims exactly; nothing else but jti.
        let custom: Vec<&String> = s.custom_claims.keys().collect();
        let mut expected = s.jwt.payload.clone();
        let mut actual = payload.clone();
        if let (Some(e), Some(a)) = (expected.as_object_mut(), actual.as_object_mut()) {
            for k in &custom {
                e.remove(k.as_str());
                a.remove(k.as_str());
            }
        }
        self.value(
            "jwt.payload",
            "",
            &expected,
            &actual,
            &ExpectedJwt::payload_slots(),
        );
        if let Some(got) = payload.as_object() {
            for k in custom {
                let path = format!("jwt.payload/{}", pointer_escape(k));
                match (s.custom_claims.get(k), got.get(k)) {
                    (Some(want), Some(have)) => self.json(&path, want, have),
                    (Some(want), None) => self.diff_sides(
                        &path,
                        Some(want.to_serde()),
                        None,
                        "custom claim missing from the JWT",
                    ),
                    _ => {}
                }
            }
        }
        if let Some(jwks) = self.ctx.jwks {
            if let Err(why) = verify_signature(token, jwks) {
                self.diff(
                    "jwt.signature",
                    json!("valid under the declared JWKS"),
                    json!(token),
                    why,
                );
            }
        }
    }

    /// Structural comparison, with slots checked by constraint. `pointer` is the position
    /// inside the document; reported paths are `prefix` + `pointer`. Numbers compare as
    /// doubles here (outside the claims every expected number is a safe integer).
    fn value(
        &mut self,
        prefix: &str,
        pointer: &str,
        expected: &Json,
        actual: &Json,
        slots: &[Slot],
    ) {
        let path = || format!("{prefix}{pointer}");
        let slot_at = |p: &str| slots.iter().find(|s| s.pointer == p).map(|s| s.constraint);
        if let Some(constraint) = slot_at(pointer) {
            self.constraint(&path(), constraint, Some(actual));
            return;
        }
        if pointer == "/member_session/custom_claims" {
            return; // compared exactly, as the model's Json
        }
        match (expected, actual) {
            (Json::Object(e), Json::Object(a)) => {
                for (k, ev) in e {
                    let child = child_pointer(pointer, k);
                    match (a.get(k), slot_at(&child)) {
                        (Some(av), _) => self.value(prefix, &child, ev, av, slots),
                        (None, Some(constraint)) => {
                            self.constraint(&format!("{prefix}{child}"), constraint, None)
                        }
                        (None, None) => self.diff_sides(
                            &format!("{prefix}{child}"),
                            Some(ev.to_serde()),
                            None,
                            "missing",
                        ),
                    }
                }
                // Member and Organization objects may carry the schema's optional fields.
                let open = matches!(pointer, "/member" | "/organization");
                for (k, av) in a.iter().filter(|(k, _)| !e.contains_key(*k)) {
                    let child = child_pointer(pointer, k);
                    match slot_at(&child) {
                        Some(constraint) => {
                            self.constraint(&format!("{prefix}{child}"), constraint, Some(av))
                        }
                        None if open => {}
                        None => self.diff_sides(
                            &format!("{prefix}{child}"),
                            None,
                            Some(av.to_serde()),
                            "unexpected field",
                        ),
                    }
                }
                // A constraint on a member that neither side holds still applies (absence
                // meets `optional` only).
                let absent = |name: &str| {
                    let key = pointer_unescape(name);
                    !e.contains_key(&key) && !a.contains_key(&key)
                };
                for slot in slots {
                    let Some(name) = slot
                        .pointer
                        .strip_prefix(pointer)
                        .and_then(|rest| rest.strip_prefix('/'))
                    else {
                        continue;
                    };
                    if !name.contains('/') && absent(name) {
                        self.constraint(
                            &format!("{prefix}{}", slot.pointer),
                            slot.constraint,
                            None,
                        );
                    }
                }
            }
            (Json::Array(e), Json::Array(a)) => {
                if e.len() != a.len() {
                    self.diff(
                        &path(),
                        expected.to_serde(),
                        actual.to_serde(),
                        format!("expected {} items, got {}", e.len(), a.len()),
                    );
                    return;
                }
                for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                    self.value(prefix, &format!("{pointer}/{i}"), ev, av, slots);
                }
            }
            (Json::Number(e), Json::Number(a)) => {
                if e.to_f64() != a.to_f64() {
                    self.diff(
                        &path(),
                        expected.to_serde(),
                        actual.to_serde(),
                        "different number",
                    );
                }
            }
            _ => {
                if expected != actual {
                    self.diff(
                        &path(),
                        expected.to_serde(),
                        actual.to_serde(),
                        "different value",
                    );
                }
            }
        }
    }

    fn constraint(&mut self, path: &str, constraint: Constraint, actual: Option<&Json>) {
        let describe = |c: Constraint| match c {
            Constraint::Opaque(o) => json!(format!("a non-empty string ({})", o.placeholder())),
            Constraint::Optional(o) => json!(format!(
                "absent, or a non-empty string ({})",
                o.placeholder()
            )),
            Constraint::AnyString => json!("any string"),
            Constraint::SchemaOnly => json!("any value the official schema allows"),
            Constraint::OneOf(values) => json!(values),
        };
        let ok = match (constraint, actual) {
            (Constraint::Opaque(kind) | Constraint::Optional(kind), Some(Json::String(s)))
                if !s.is_empty() =>
            {
                self.opaque(path, kind, s);
                true
            }
            (Constraint::Optional(_), None) => true,
            (Constraint::AnyString, Some(Json::String(_))) => true,
            (Constraint::SchemaOnly, Some(_)) => true,
            (Constraint::OneOf(values), Some(Json::String(s))) => values.contains(&s.as_str()),
            _ => false,
        };
        if !ok {
            self.diff_sides(
                path,
                Some(describe(constraint)),
                actual.map(Json::to_serde),
                "does not meet the constraint",
            );
        }
    }

    /// Records an opaque value; the same kind seen twice in one response must agree (the
    /// session id in `member_session` and in the JWT).
    fn opaque(&mut self, path: &str, kind: Opaque, value: &str) {
        if let Some(previous) = self.observed.opaque.get(&kind) {
            if previous != value {
                self.diff(
                    path,
                    json!(previous),
                    json!(value),
                    format!("{} differs between places", kind.placeholder()),
                );
            }
            return;
        }
        self.observed.opaque.insert(kind, value.to_owned());
    }

    /// Exact comparison of the model's JSON values (claims), numbers under the profile.
    /// Claims objects compared exactly (see [`Comparator::json`]).
    fn json_object(&mut self, path: &str, e: &migrate_model::Object, a: &migrate_model::Object) {
        for (k, ev) in e {
            let child = child_pointer(path, k);
            match a.get(k) {
                Some(av) => self.json(&child, ev, av),
                None => self.diff_sides(&child, Some(ev.to_serde()), None, "claim missing"),
            }
        }
        for (k, av) in a {
            if !e.contains_key(k) {
                self.diff_sides(
                    &child_pointer(path, k),
                    None,
                    Some(av.to_serde()),
                    "unexpected claim",
                );
            }
        }
    }

    fn json(&mut self, path: &str, expected: &Json, actual: &Json) {
        match (expected, actual) {
            (Json::Object(e), Json::Object(a)) => self.json_object(path, e, a),
            (Json::Array(e), Json::Array(a)) if e.len() == a.len() => {
                for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                    self.json(&format!("{path}/{i}"), ev, av);
                }
            }
            (Json::Number(e), Json::Number(a)) => {
                if !numbers_equal(e, a, self.ctx.policy.number_precision) {
                    self.diff(path, number_value(e), number_value(a), "different number");
                }
            }
            (e, a) if e == a => {}
            (e, a) => self.diff(path, e.to_serde(), a.to_serde(), "different claim value"),
        }
    }
}

/// The rule that decides the value at `path` of a response, for a difference found there.
///
/// Against an expected error, a wrong outcome breaks the rule that produced the error, and
/// a wrong status or envelope field breaks `error.envelope`. Against an expected success,
/// the path names the rule (`session.expiry` for `expires_at`, `jwt.lifetime` for `exp`,
/// ...); where several rules shape one value (the claims, the member, the organization)
/// the most specific one the model exercised for this case is named; an error where a
/// success was expected names the exercised rule of the step that error belongs to.
pub fn attribute(
    evaluation: &Evaluation,
    path: &str,
    note: &str,
    expected: &Value,
    actual: &Value,
    request: Option<&[u8]>,
) -> Rule {
    let trace = &evaluation.trace;
    let first_traced = |candidates: &[Rule], fallback: Rule| {
        candidates
            .iter()
            .copied()
            .find(|r| trace.contains(*r))
            .unwrap_or(fallback)
    };
    // `bad_request` where the model accepts the body: the implementation refused something
    // a strict parser refuses and the semantics accept (a number past the double range, 128
    // levels, a duplicate key, ...). Name that rule, not the rule of the expected outcome.
    let actual_type = match path {
        "/error_type" => actual.as_str(),
        "status" => actual.get("error_type").and_then(Value::as_str),
        _ => None,
    };
    let expects_bad_request =
        matches!(&evaluation.outcome, Outcome::Error(e) if e.accepts(ErrorType::BadRequest));
    if actual_type == Some(ErrorType::BadRequest.name()) && !expects_bad_request {
        // Rules the model traces only when the body has what they decide: 128 levels, a
        // discarded duplicate, a replaced surrogate, `-0`, a duration past int32.
        const TRIGGERED: &[Rule] = &[
            Rule::BodyNestingLimit,
            Rule::BodyDuplicateKeys,
            Rule::BodyLoneSurrogate,
            Rule::DurationNegativeZero,
            Rule::DurationInt32Overflow,
        ];
        if let Some(rule) = TRIGGERED.iter().find(|r| trace.contains(**r)) {
            return *rule;
        }
        // These are traced for any unknown field or any claim number, so they are named only
        // when a standard parser refuses the body (a number past the double range, say),
        // which is what a strict implementation trips on.
        let standard_refuses =
            request.is_some_and(|body| serde_json::from_slice::<Value>(body).is_err());
        if standard_refuses {
            for rule in [Rule::BodyUnknownFieldsIgnored, Rule::ClaimsNumberPrecision] {
                if trace.contains(rule) {
                    return rule;
                }
            }
        }
    }
    if let Outcome::Error(e) = &evaluation.outcome {
        return match path {
            "" | "/error_type" => e.rule,
            _ => Rule::ErrorEnvelope,
        };
    }
    if path == "status" {
        // An error where a success was expected: the rule that error belongs to, or the
        // exercised rule of that error's step.
        let families: &[&str] = match actual
            .get("error_type")
            .and_then(Value::as_str)
            .and_then(ErrorType::from_name)
        {
            Some(ErrorType::CustomClaimsTooLarge) => return Rule::ClaimsSizeLimit,
            Some(ErrorType::UnableToRepresentCustomClaimsJson) => {
                return Rule::ClaimsNumberPrecision
            }
            Some(ErrorType::ReservedClaimsInCustomClaims) => return Rule::ClaimsReserved,
            Some(ErrorType::StytchClaimsInCustomClaims) => return Rule::ClaimsStytchNamespace,
            Some(ErrorType::InvalidSessionDuration) => return Rule::DurationProjectMax,
            Some(ErrorType::MigrateFromExternalEmailDoesNotExist) => {
                return first_traced(
                    &[Rule::MemberStatus, Rule::MemberEmailCase],
                    Rule::MemberMustExist,
                )
            }
            Some(ErrorType::BadRequest) => &["duration", "claims", "request", "body"],
            Some(ErrorType::InvalidSessionDurationMinutes) => &["duration"],
            Some(ErrorType::OrganizationNotFound) => &["org"],
            Some(
                ErrorType::MigrateFromExternalUnexpectedResponse
                | ErrorType::MigrateFromExternalMissingUserinfo,
            ) => &["userinfo"],
            _ => &[],
        };
        // The most specific family first (a null duration traces body rules too), and in
        // it a rule an open point decides (`duration.null` before `duration.default-60`).
        return families
            .iter()
            .find_map(|f| {
                let in_family = || {
                    trace
                        .rules()
                        .filter(|r| r.id().split('.').next() == Some(*f))
                };
                in_family()
                    .find(|r| matches!(r.source(), migrate_model::Source::Policy(_)))
                    .or_else(|| in_family().next())
            })
            .unwrap_or(Rule::ResponseShape);
    }
    const SESSION_CLAIM: &str = "jwt.payload/https:~1~1stytch.com~1session";
    const ORG_CLAIM: &str = "jwt.payload/https:~1~1stytch.com~1organization";
    // A claims difference is named by what it shows, not by what else the case exercised,
    // so that one bug is one kind of failure whatever the case around it.
    let claims_rule = |below: &str| {
        let segments: Vec<&str> = below.trim_start_matches('/').split('/').collect();
        let key = pointer_unescape(segments.first().copied().unwrap_or(""));
        let nested = segments.len() > 1;
        if note.contains("unexpected") && !nested && migrate_model::request::is_reserved(&key) {
            Rule::ClaimsReserved
        } else if note.contains("unexpected")
            && !nested
            && migrate_model::request::is_stytch_namespaced(&key)
        {
            Rule::ClaimsStytchNamespace
        } else if note.contains("number") {
            Rule::ClaimsNumberPrecision
        } else if expected.is_array() || actual.is_array() {
            Rule::ClaimsMergeArraysReplaced
        } else if note.contains("unexpected") {
            if actual.as_object().is_some_and(serde_json::Map::is_empty) {
                Rule::ClaimsMergeEmptyObjectAfterDelete
            } else if nested {
                Rule::ClaimsMergeNullDeletesNested
            } else {
                Rule::ClaimsMergeNullDeletes
            }
        } else if note.contains("missing")
            && expected.as_object().is_some_and(serde_json::Map::is_empty)
        {
            Rule::ClaimsMergeEmptyObjectAfterDelete
        } else if nested {
            Rule::ClaimsMergeDeep
        } else {
            Rule::ClaimsMergeAddOverwrite
        }
    };
    // A timestamp that names the right instant in another spelling breaks only the format.
    let same_instant = || {
        let instant = |v: &Value| {
            v.as_str().and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
        };
        matches!((instant(expected), instant(actual)), (Some(a), Some(b)) if a == b)
    };
    if path.ends_with("_at") && same_instant() {
        return Rule::SessionTimestampFormat;
    }
    let field = path
        .strip_prefix("/member_session")
        .or_else(|| path.strip_prefix(SESSION_CLAIM));
    if let Some(field) = field {
        let name = field
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        return match name {
            "custom_claims" if field == "/custom_claims" && note.contains("must be an object") => {
                Rule::SessionCustomClaimsPresent
            }
            "custom_claims" => claims_rule(field.strip_prefix("/custom_claims").unwrap_or("")),
            "expires_at" => Rule::SessionExpiry,
            "started_at" | "last_accessed_at" => Rule::SessionStartedNow,
            "authentication_factors" => Rule::SessionAuthFactor,
            "roles" => Rule::SessionRoles,
            _ if path.starts_with(SESSION_CLAIM) => Rule::JwtStytchClaims,
            _ => Rule::ResponseShape,
        };
    }
    if path.starts_with(ORG_CLAIM) {
        return Rule::JwtStytchClaims;
    }
    if path == "/member/status" {
        return Rule::SessionMemberActive;
    }
    if path == "/member_id" || path.starts_with("/member/") {
        return first_traced(
            &[Rule::MemberEmailCase, Rule::MemberStatus],
            Rule::MemberMustExist,
        );
    }
    if path.starts_with("/organization/") {
        return first_traced(
            &[
                Rule::OrgLookupOrder,
                Rule::OrgSlugCase,
                Rule::OrgByExternalId,
                Rule::OrgBySlug,
            ],
            Rule::OrgById,
        );
    }
    if path.starts_with("jwt.header") || path == "jwt.signature" {
        return Rule::JwtHeader;
    }
    if let Some(claim) = path.strip_prefix("jwt.payload/") {
        let name = claim.split('/').next().unwrap_or("");
        return match name {
            "iss" | "aud" | "sub" | "iat" | "nbf" | "jti" => Rule::JwtRegisteredClaims,
            "exp" => Rule::JwtLifetime,
            _ if note.contains("missing from the JWT") => Rule::JwtCustomClaimsTopLevel,
            _ => claims_rule(claim),
        };
    }
    Rule::ResponseShape
}

fn number_value(n: &Number) -> Value {
    match n {
        Number::Text(t) => Value::String(t.to_string()),
        Number::Double(_) => Json::Number(n.clone()).to_serde(),
    }
}

/// Numbers are equal as doubles under `double`, as exact decimals under `exact-text`.
pub fn numbers_equal(a: &Number, b: &Number, precision: NumberPrecision) -> bool {
    match precision {
        NumberPrecision::Double => a.to_f64() == b.to_f64(),
        NumberPrecision::ExactText => a.same_value(b),
    }
}

/// `parent` + `/` + `key` escaped as an RFC 6901 reference token (on the hot path of every
/// comparison: no formatting machinery, one allocation).
fn child_pointer(parent: &str, key: &str) -> String {
    let mut out = String::with_capacity(parent.len() + key.len() + 1);
    out.push_str(parent);
    out.push('/');
    if key.contains(['~', '/']) {
        out.push_str(&pointer_escape(key));
    } else {
        out.push_str(key);
    }
    out
}

/// An RFC 6901 reference token read back into its key (the inverse of `pointer_escape`).
fn pointer_unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Verifies an RS256 JWT's signature under the JWKS (`{"keys": [...]}`): the key named by the
/// header's `kid`, PKCS#1 v1.5 with SHA-256 over `header.payload` (RFC 7515, RFC 7518 3.3).
/// Claims are not validated here: the clock is the model's, and the comparator judges them.
pub(crate) fn verify_signature(token: &str, jwks: &Value) -> Result<(), String> {
    use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("a JWT has three dot-separated parts".into());
    };
    let b64 = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| format!("the {what} is not unpadded base64url: {e}"))
    };
    let header: Value = serde_json::from_slice(&b64(header, "JWT header")?)
        .map_err(|e| format!("bad JWT header: {e}"))?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(format!(
            "the JWT header's alg is {}, not RS256",
            header["alg"]
        ));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or("the JWT header has no kid")?;
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the declared JWKS has no keys array")?;
    let jwk = keys
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        .ok_or_else(|| format!("no key {kid:?} in the JWKS"))?;
    if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
        return Err(format!("key {kid:?} is not an RSA key"));
    }
    let component = |name: &str| {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("key {kid:?} has no {name}"))?;
        b64(text, &format!("key's {name}"))
    };
    let key = RsaPublicKeyComponents {
        n: component("n")?,
        e: component("e")?,
    };
    check_certificate(jwk, kid, &key.n, &key.e)?;
    let signed = &token[..header_len(token)];
    key.verify(
        &RSA_PKCS1_2048_8192_SHA256,
        signed.as_bytes(),
        &b64(signature, "JWT signature")?,
    )
    .map_err(|_| "the signature does not verify".to_owned())
}

/// RFC 7517 4.7 to 4.9: when a key carries `x5c`, its first entry is a standard-base64 DER
/// X.509 certificate whose public key is the key itself (`n` and `e`), and `x5t` / `x5tS256`,
/// when present, are the base64url SHA-1 / SHA-256 digests of that DER. A client that pins or
/// verifies by certificate (as some JWT libraries do) would otherwise trust another key.
fn check_certificate(jwk: &Value, kid: &str, n: &[u8], e: &[u8]) -> Result<(), String> {
    use aws_lc_rs::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use x509_parser::prelude::{FromDer, X509Certificate};
    use x509_parser::public_key::PublicKey;
    let Some(chain) = jwk.get("x5c") else {
        return Ok(());
    };
    let first = chain
        .as_array()
        .and_then(|chain| chain.first())
        .and_then(Value::as_str)
        .ok_or_else(|| format!("key {kid:?}: x5c is not a non-empty array of strings: {chain}"))?;
    let der = STANDARD
        .decode(first)
        .map_err(|e| format!("key {kid:?}: x5c[0] is not standard base64: {e}"))?;
    let (rest, certificate) = X509Certificate::from_der(&der)
        .map_err(|e| format!("key {kid:?}: x5c[0] is not a DER X.509 certificate: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "key {kid:?}: x5c[0] has {} bytes after its certificate",
            rest.len()
        ));
    }
    let significant = |bytes: &[u8]| -> Vec<u8> {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        bytes[start..].to_vec()
    };
    match certificate.public_key().parsed() {
        Ok(PublicKey::RSA(rsa))
            if significant(rsa.modulus) == significant(n)
                && significant(rsa.exponent) == significant(e) => {}
        Ok(_) => {
            return Err(format!(
                "key {kid:?}: the x5c[0] certificate is over another key than n and e"
            ))
        }
        Err(e) => {
            return Err(format!(
                "key {kid:?}: the x5c[0] certificate's public key cannot be read: {e}"
            ))
        }
    }
    for (field, algorithm) in [("x5t", &SHA1_FOR_LEGACY_USE_ONLY), ("x5tS256", &SHA256)] {
        let Some(thumbprint) = jwk.get(field) else {
            continue;
        };
        let expected = URL_SAFE_NO_PAD.encode(digest(algorithm, &der));
        if thumbprint.as_str() != Some(expected.as_str()) {
            return Err(format!(
                "key {kid:?}: {field} is {thumbprint}, not the thumbprint of x5c[0] ({expected:?})"
            ));
        }
    }
    Ok(())
}

/// The length of `header.payload`, the signed part of a JWT.
fn header_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

/// Each single change of `profile` (one flag set to another of its choices) under which
/// `response` to the call (`body` in `world` at `now`) would meet the model exactly: the
/// failure is then the deliberate choice of another policy, which the implementation can
/// declare in its profile. Signatures and cross-call uniqueness are not part of the question.
pub fn legal_under(
    world: &migrate_model::World,
    now: i64,
    body: &[u8],
    response: &HttpResponse,
    profile: &Policy,
) -> Vec<(migrate_model::Flag, &'static str)> {
    let Ok(model) = migrate_model::Model::new(world.clone()) else {
        return Vec::new();
    };
    let mut legal = Vec::new();
    for &flag in migrate_model::Flag::ALL {
        for choice in flag.choices() {
            if choice == profile.get(flag) {
                continue;
            }
            let mut other = *profile;
            if other.set(flag, choice).is_err() {
                continue;
            }
            let Ok(evaluation) = model.migrate(now, &other, body) else {
                continue;
            };
            let ctx = CompareContext {
                policy: &other,
                jwks: None,
                request: Some(body),
            };
            if compare(&evaluation, response, ctx).1.is_empty() {
                legal.push((flag, choice));
            }
        }
    }
    legal
}

/// The official `MigrateResponse` validator (as shipped in `fixtures/schemas/`), built once.
fn response_validator() -> Option<&'static crate::schema::Validator> {
    static VALIDATOR: OnceLock<Option<crate::schema::Validator>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            // The schema shipped with the vectors (`fixtures/schemas/`), which every consumer
            // of the vectors validates with.
            let schema: Value =
                serde_json::from_str(crate::vectors::schemas::RESPONSE_SCHEMA).ok()?;
            crate::schema::Validator::new(schema).ok()
        })
        .as_ref()
}

/// Schema violations of a success body: (path, message, offending value).
pub fn schema_errors(body: &Value) -> Vec<(String, String, Value)> {
    let Some(validator) = response_validator() else {
        return vec![(
            String::new(),
            "the official schema failed to compile".into(),
            Value::Null,
        )];
    };
    validator
        .errors(body)
        .into_iter()
        .map(|(path, e)| {
            let value = body.pointer(&path).cloned().unwrap_or(Value::Null);
            (path, format!("violates the official schema: {e}"), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_by_value() {
        let huge = "1e999999999999999999999999999999999999999999";
        let exact = |a: &str, b: &str| {
            numbers_equal(
                &Number::Text(a.into()),
                &Number::Text(b.into()),
                NumberPrecision::ExactText,
            )
        };
        assert!(!exact(huge, "1"), "a huge exponent is not zero");
        assert!(exact(huge, huge));
        assert!(!exact("9007199254740993", "9007199254740992"));
        assert!(exact("1E21", "1000000000000000000000"));
        assert!(exact("1.50", "15e-1"));
        assert!(exact("0", "-0.000"));
        assert!(!exact("1", "-1"));
    }

    #[test]
    fn the_deepest_answer_read_converts_on_a_small_stack() {
        let depth = MAX_ANSWER_DEPTH;
        let body = format!(
            "{{\"k\":{}1{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        );
        let deeper = format!("{{\"k\":[{}]}}", &body[5..body.len() - 1]);
        assert!(
            parse_answer(deeper.as_bytes()).is_err(),
            "one level past the limit"
        );
        // Spawned threads get 2 MiB by default; the comparison must fit.
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let v = parse_answer(body.as_bytes()).expect("at the limit");
                v.to_serde()
            })
            .expect("spawn")
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn a_constraint_on_a_member_neither_side_holds_still_applies() {
        let evaluation = Evaluation {
            outcome: Outcome::Error(ExpectedError {
                error_type: ErrorType::BadRequest,
                acceptable: vec![ErrorType::BadRequest],
                rule: Rule::ResponseShape,
                message: String::new(),
            }),
            trace: Default::default(),
        };
        let policy = Policy::default();
        let slots = |constraint| {
            vec![Slot {
                pointer: "/a/x~1y".into(),
                constraint,
            }]
        };
        let walk = |slots: &[Slot], actual: Value| {
            let mut c = Comparator {
                ctx: CompareContext {
                    policy: &policy,
                    jwks: None,
                    request: None,
                },
                evaluation: &evaluation,
                diffs: Vec::new(),
                observed: Observed::default(),
            };
            c.value(
                "",
                "",
                &Json::from_serde(&json!({"a": {}})),
                &Json::from_serde(&actual),
                slots,
            );
            c.diffs
        };
        let any = slots(Constraint::AnyString);
        let optional = slots(Constraint::Optional(Opaque::JwtId));
        let missing = walk(&any, json!({"a": {}}));
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(missing[0].path, "/a/x~1y");
        assert!(walk(&any, json!({"a": {"x/y": "s"}})).is_empty());
        assert!(walk(&optional, json!({"a": {}})).is_empty());
        assert_eq!(walk(&any, json!({"a": {"x/y": 1}})).len(), 1);
    }

    #[test]
    fn an_answer_with_a_lone_surrogate_is_not_json() {
        assert!(parse_answer(br#"{"k":"\ud800"}"#).is_err());
        assert!(parse_answer(br#"{"k":"\ud83d\ude00"}"#).is_ok());
        assert!(parse_answer(b"[]").is_err());
    }
}
