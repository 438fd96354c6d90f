//! Every non-default choice of every policy flag, in-process: one test per flag with the
//! answers model/SPEC.md section 4 gives (and the default's answer to the same request), each
//! per-flag mutant against the request that exposes it, and the profile's configuration.

mod common;

use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use migrate_emulator::engine::{Bug, Engine};
use migrate_model::{
    Member, MemberStatus, Organization, Policy, UserInfoBody, UserInfoReply, World,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000;

fn member(id: &str, email: &str, status: MemberStatus) -> Member {
    Member {
        member_id: id.into(),
        email: email.into(),
        status,
        roles: vec![],
        name: String::new(),
    }
}

fn organization(id: &str, slug: &str, external_id: Option<&str>) -> Organization {
    Organization {
        organization_id: id.into(),
        slug: slug.into(),
        external_id: external_id.map(str::to_owned),
        name: slug.into(),
        members: vec![member(
            &format!("member-{id}"),
            "ada@acme.test",
            MemberStatus::Active,
        )],
    }
}

fn raw(body: &str) -> UserInfoReply {
    UserInfoReply::Http {
        status: 200,
        body: UserInfoBody::Raw(body.as_bytes().to_vec()),
    }
}

/// Acme (with Ada active, Pat pending, Ivy invited), organizations whose keys collide for the
/// lookup order, and UserInfo replies for every case below.
fn world() -> World {
    let mut acme = organization("org-acme", "acme", Some("ext-acme"));
    acme.members
        .push(member("member-pat", "pat@acme.test", MemberStatus::Pending));
    acme.members
        .push(member("member-ivy", "ivy@acme.test", MemberStatus::Invited));
    let deep_reply = format!(
        r#"{{"email":"ada@acme.test","x":{}{}}}"#,
        "[".repeat(199),
        "]".repeat(199)
    );
    World {
        project_id: "project-test-profiles".into(),
        project_max_session_minutes: 527_040,
        claims_template: json!({"plan": "free"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        organizations: vec![
            acme,
            // "shared" is one organization's slug and another's external id.
            organization("org-slug-shared", "shared", None),
            organization("org-ext-shared", "other", Some("shared")),
            // "dual" is one organization's id and another's external id.
            organization("dual", "dual-by-id", None),
            organization("org-ext-dual", "dual-by-ext", Some("dual")),
        ],
        userinfo: [
            ("tok-ada", UserInfoReply::email("ada@acme.test")),
            ("tok-ada-upper", UserInfoReply::email("ADA@acme.test")),
            ("tok-pat", UserInfoReply::email("pat@acme.test")),
            ("tok-ivy", UserInfoReply::email("ivy@acme.test")),
            (
                "tok-unverified",
                UserInfoReply::ok(json!({"email": "ada@acme.test", "email_verified": false})),
            ),
            (
                "tok-unverified-text",
                UserInfoReply::ok(json!({"email": "ada@acme.test", "email_verified": "false"})),
            ),
            (
                "tok-verified-other",
                UserInfoReply::ok(json!({"email": "ada@acme.test", "email_verified": "False"})),
            ),
            (
                "tok-duplicate",
                raw(r#"{"email":"ada@acme.test","email":"ada@acme.test"}"#),
            ),
            (
                "tok-surrogate",
                raw(r#"{"email":"ada@acme.test","name":"\ud800"}"#),
            ),
            ("tok-deep", raw(&deep_reply)),
        ]
        .into_iter()
        .map(|(token, reply)| (token.to_owned(), reply))
        .collect(),
    }
}

/// What an answer shows, with the values an implementation chooses left out: the error
/// type, or the organization, the member, the session length and the claims (as sent).
#[derive(Debug, PartialEq)]
enum Outcome {
    Error(u16, String),
    Success {
        organization: String,
        member: String,
        minutes: i64,
        claims: String,
    },
}

fn error(error_type: &str) -> Outcome {
    let status = if error_type == "organization_not_found" {
        404
    } else {
        400
    };
    Outcome::Error(status, error_type.to_owned())
}

fn success(organization: &str, minutes: i64, claims: &str) -> Outcome {
    Outcome::Success {
        organization: organization.into(),
        member: format!("member-{organization}"),
        minutes,
        claims: claims.into(),
    }
}

fn seconds(timestamp: &Value) -> i64 {
    // YYYY-MM-DDTHH:MM:SSZ on one day or the next few hundred: count from the clock parts.
    let t = timestamp.as_str().expect("a timestamp");
    let day: i64 = t[8..10].parse().expect("day");
    let month: i64 = t[5..7].parse().expect("month");
    let year: i64 = t[0..4].parse().expect("year");
    let (h, m, s): (i64, i64, i64) = (
        t[11..13].parse().expect("hour"),
        t[14..16].parse().expect("minute"),
        t[17..19].parse().expect("second"),
    );
    // Days from civil (H. Hinnant), enough to subtract two timestamps.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + h * 3600 + m * 60 + s
}

/// The fields of an answer this file looks at; the claims stay raw (their numbers exact,
/// their depth unbounded).
#[derive(Deserialize)]
struct Answer<'a> {
    error_type: Option<String>,
    member_id: Option<String>,
    session_jwt: Option<String>,
    organization: Option<AnswerOrganization>,
    #[serde(borrow)]
    member_session: Option<AnswerSession<'a>>,
}

#[derive(Deserialize)]
struct AnswerOrganization {
    organization_id: String,
}

#[derive(Deserialize)]
struct AnswerSession<'a> {
    started_at: Value,
    expires_at: Value,
    #[serde(borrow)]
    custom_claims: &'a RawValue,
}

fn outcome(engine: &mut Engine, body: &[u8]) -> Outcome {
    let answer = engine.migrate(body, NOW);
    let text = String::from_utf8(answer.body).expect("UTF-8");
    let value: Answer<'_> = serde_json::from_str(&text).expect("JSON");
    if answer.status != 200 {
        return Outcome::Error(answer.status, value.error_type.unwrap_or_default());
    }
    let session = value.member_session.expect("a member session");
    let minutes = (seconds(&session.expires_at) - seconds(&session.started_at)) / 60;
    let claims = session.custom_claims.get().to_owned();
    // The JWT carries the same claims, exactly, at the top level.
    let jwt = value.session_jwt.expect("a JWT");
    let payload = jwt.split('.').nth(1).expect("a payload");
    let payload =
        String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("UTF-8");
    let inner = claims.trim_start_matches('{').trim_end_matches('}');
    for member in split_members(inner) {
        assert!(
            payload.contains(member),
            "{member} not in the JWT {payload}"
        );
    }
    Outcome::Success {
        organization: value
            .organization
            .map(|o| o.organization_id)
            .unwrap_or_default(),
        member: value.member_id.unwrap_or_default(),
        minutes,
        claims,
    }
}

/// The top-level `"key":value` members of an object's inner text.
fn split_members(inner: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut start) = (0, false, false, 0);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' | '[' if !in_string => depth += 1,
            '}' | ']' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                members.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner.is_empty() {
        members.push(&inner[start..]);
    }
    members
}

fn engine_under(settings: &str) -> Engine {
    engine_with(settings, world())
}

fn engine_with(settings: &str, world: World) -> Engine {
    let profile = Policy::default()
        .with_settings(settings)
        .unwrap_or_else(|e| panic!("{settings}: {e}"));
    let mut engine = Engine::with_profile(profile);
    engine.load_world(&world).expect("the world loads");
    engine
}

/// A body for Ada at Acme with these extra members (raw JSON text, without braces).
fn ada(extra: &str) -> Vec<u8> {
    body("tok-ada", "org-acme", extra)
}

fn body(token: &str, organization: &str, extra: &str) -> Vec<u8> {
    let comma = if extra.is_empty() { "" } else { "," };
    format!(r#"{{"session_token":"{token}","organization_id":"{organization}"{comma}{extra}}}"#)
        .into_bytes()
}

/// Checks each `(body, under the flag's other choice, under the default)`.
fn check(settings: &str, cases: Vec<(Vec<u8>, Outcome, Outcome)>) {
    check_in(settings, world(), cases);
}

fn check_in(settings: &str, world: World, cases: Vec<(Vec<u8>, Outcome, Outcome)>) {
    let mut chosen = engine_with(settings, world.clone());
    let mut default = engine_with("", world);
    for (body, expected, expected_by_default) in cases {
        let shown = String::from_utf8_lossy(&body);
        let shown = shown.chars().take(200).collect::<String>();
        assert_eq!(outcome(&mut chosen, &body), expected, "{settings}: {shown}");
        assert_eq!(
            outcome(&mut default, &body),
            expected_by_default,
            "default: {shown}"
        );
    }
}

const FREE: &str = r#"{"plan":"free"}"#;

fn acme(minutes: i64, claims: &str) -> Outcome {
    success("org-acme", minutes, claims)
}

/// Claims `{"a":"<text>"}` whose final map (with the template's `"plan":"free"`) takes
/// `size` bytes under RFC 8785, with `specials` of the characters Go escapes among them.
fn claims_of_size(size: usize, special: char, specials: usize) -> (String, String) {
    // {"a":"...","plan":"free"} is 22 bytes around the text.
    let filler = size - 22 - specials * special.len_utf8();
    let text = format!(
        "{}{}",
        special.to_string().repeat(specials),
        "x".repeat(filler)
    );
    let request = format!(r#""session_custom_claims":{{"a":"{text}"}}"#);
    let final_claims = format!(r#"{{"a":"{text}","plan":"free"}}"#);
    assert_eq!(final_claims.len(), size);
    (request, final_claims)
}

#[test]
fn reserved_claims_reject() {
    check(
        "reserved-claims=reject",
        vec![
            (
                ada(r#""session_custom_claims":{"iss":"me"}"#),
                error("reserved_claims_in_custom_claims"),
                acme(60, FREE),
            ),
            (
                ada(r#""session_custom_claims":{"jti":null}"#),
                error("reserved_claims_in_custom_claims"),
                acme(60, FREE),
            ),
            (
                ada(r#""session_custom_claims":{"https://stytch.com/session":1}"#),
                error("stytch_claims_in_custom_claims"),
                acme(60, FREE),
            ),
            (
                ada(r#""session_custom_claims":{"https://stytch.com/":1,"sub":1}"#),
                error("reserved_claims_in_custom_claims"),
                acme(60, FREE),
            ),
            // The number check comes first.
            (
                ada(r#""session_custom_claims":{"iss":1,"n":1e400}"#),
                error("unable_to_represent_custom_claims_json"),
                error("unable_to_represent_custom_claims_json"),
            ),
            // Top level only, exact names.
            (
                ada(r#""session_custom_claims":{"n":{"iss":1},"ISS":2,"https://stytch.com":3}"#),
                acme(
                    60,
                    r#"{"ISS":2,"https://stytch.com":3,"n":{"iss":1},"plan":"free"}"#,
                ),
                acme(
                    60,
                    r#"{"ISS":2,"https://stytch.com":3,"n":{"iss":1},"plan":"free"}"#,
                ),
            ),
        ],
    );
}

#[test]
fn claims_size_measure_go_json() {
    let (fits, fits_claims) = claims_of_size(4096, 'x', 0);
    let (html, html_claims) = claims_of_size(4096, '<', 1);
    let (separator, separator_claims) = claims_of_size(4096, '\u{2028}', 1);
    let (ampersands, _) = claims_of_size(4080, '&', 5);
    check(
        "claims-size-measure=go-json",
        vec![
            (ada(&fits), acme(60, &fits_claims), acme(60, &fits_claims)),
            (
                ada(&html),
                error("custom_claims_too_large"),
                acme(60, &html_claims),
            ),
            (
                ada(&separator),
                error("custom_claims_too_large"),
                acme(60, &separator_claims),
            ),
            // 4080 + 5 × 5 bytes of escapes.
            (
                ada(&ampersands),
                error("custom_claims_too_large"),
                acme(60, &claims_of_size(4080, '&', 5).1),
            ),
        ],
    );
    // The double minus zero is `-0` in Go and `0` in JCS: one byte, at the limit.
    let filler = "x".repeat(4096 - r#"{"a":"","plan":"free","z":0}"#.len());
    let request = ada(&format!(
        r#""session_custom_claims":{{"a":"{filler}","z":-0.0}}"#
    ));
    let written = format!(r#"{{"a":"{filler}","plan":"free","z":0}}"#);
    check(
        "claims-size-measure=go-json",
        vec![(
            request,
            error("custom_claims_too_large"),
            acme(60, &written),
        )],
    );
}

#[test]
fn claims_size_limit_4000() {
    let (at_limit, at_limit_claims) = claims_of_size(4000, 'x', 0);
    let (over, over_claims) = claims_of_size(4001, 'x', 0);
    let (at_4096, at_4096_claims) = claims_of_size(4096, 'x', 0);
    check(
        "claims-size-limit=4000",
        vec![
            (
                ada(&at_limit),
                acme(60, &at_limit_claims),
                acme(60, &at_limit_claims),
            ),
            (
                ada(&over),
                error("custom_claims_too_large"),
                acme(60, &over_claims),
            ),
            (
                ada(&at_4096),
                error("custom_claims_too_large"),
                acme(60, &at_4096_claims),
            ),
        ],
    );
}

#[test]
fn claims_without_duration_ignore() {
    let claims = r#""session_custom_claims":{"n":1e400,"iss":1,"plan":null}"#;
    let given = |duration: &str| {
        ada(&format!(
            r#"{claims},"session_duration_minutes":{duration}"#
        ))
    };
    check(
        "claims-without-duration=ignore",
        vec![
            // No duration: the claims are neither examined nor merged; the template stays.
            (
                ada(claims),
                acme(60, FREE),
                error("unable_to_represent_custom_claims_json"),
            ),
            (
                given("null"),
                acme(60, FREE),
                error("unable_to_represent_custom_claims_json"),
            ),
            // A duration, even a bad one, is given: the claims are examined.
            (
                given("60"),
                error("unable_to_represent_custom_claims_json"),
                error("unable_to_represent_custom_claims_json"),
            ),
            (
                given("0"),
                error("invalid_session_duration_minutes"),
                error("invalid_session_duration_minutes"),
            ),
            // The type check still runs.
            (
                ada(r#""session_custom_claims":[1]"#),
                error("bad_request"),
                error("bad_request"),
            ),
            (
                ada(r#""session_custom_claims":{"a":1}"#),
                acme(60, FREE),
                acme(60, r#"{"a":1,"plan":"free"}"#),
            ),
        ],
    );
    // With zero meaning absent, 0 is no duration either.
    let mut engine = engine_under("claims-without-duration=ignore,zero-duration=absent");
    assert_eq!(outcome(&mut engine, &given("0")), acme(60, FREE));
    assert_eq!(outcome(&mut engine, &given("-0")), acme(60, FREE));
    // A null that is refused counts as given.
    let mut engine = engine_under("claims-without-duration=ignore,null-duration=bad_request");
    assert_eq!(outcome(&mut engine, &given("null")), error("bad_request"));
    // An absent duration whose default the project refuses still leaves the claims unread.
    let mut small = world();
    small.project_max_session_minutes = 30;
    let mut engine = engine_with(
        "claims-without-duration=ignore,default-above-project-max=reject,error-precedence=any-applicable",
        small,
    );
    assert_eq!(
        outcome(&mut engine, &ada(claims)),
        error("invalid_session_duration")
    );
}

#[test]
fn null_duration_bad_request() {
    check(
        "null-duration=bad_request",
        vec![
            (
                ada(r#""session_duration_minutes":null"#),
                error("bad_request"),
                acme(60, FREE),
            ),
            (ada(""), acme(60, FREE), acme(60, FREE)),
        ],
    );
}

#[test]
fn zero_duration_absent() {
    let zero = |text: &str| ada(&format!(r#""session_duration_minutes":{text}"#));
    check(
        "zero-duration=absent",
        vec![
            (
                zero("0"),
                acme(60, FREE),
                error("invalid_session_duration_minutes"),
            ),
            (
                zero("-0"),
                acme(60, FREE),
                error("invalid_session_duration_minutes"),
            ),
            // 0.0 is not an integer unless integral-float says so.
            (zero("0.0"), error("bad_request"), error("bad_request")),
            (
                zero("4"),
                error("invalid_session_duration_minutes"),
                error("invalid_session_duration_minutes"),
            ),
        ],
    );
    let mut engine = engine_under("zero-duration=absent,integral-float=accept");
    assert_eq!(outcome(&mut engine, &zero("0.0")), acme(60, FREE));
    assert_eq!(outcome(&mut engine, &zero("-0e5")), acme(60, FREE));
}

#[test]
fn integral_float_accept() {
    let minutes = |text: &str| ada(&format!(r#""session_duration_minutes":{text}"#));
    let mut cases = Vec::new();
    for text in ["60.0", "6e1", "6E+1", "600e-1", "0.6e2", "60.000"] {
        cases.push((minutes(text), acme(60, FREE), error("bad_request")));
    }
    for text in ["60.5", "60.00000000000000001", "1e-400", "5.5"] {
        cases.push((minutes(text), error("bad_request"), error("bad_request")));
    }
    for text in ["1e400", "1e10", "-3e9", "4e0", "0.0", "527041.0"] {
        cases.push((
            minutes(text),
            error("invalid_session_duration_minutes"),
            error("bad_request"),
        ));
    }
    cases.push((minutes("5e0"), acme(5, FREE), error("bad_request")));
    cases.push((
        minutes("5.27040e5"),
        acme(527_040, FREE),
        error("bad_request"),
    ));
    check("integral-float=accept", cases);
}

#[test]
fn int32_overflow_bad_request() {
    let minutes = |text: &str| ada(&format!(r#""session_duration_minutes":{text}"#));
    check(
        "int32-overflow=bad_request",
        vec![
            (
                minutes("2147483648"),
                error("bad_request"),
                error("invalid_session_duration_minutes"),
            ),
            (
                minutes("-2147483649"),
                error("bad_request"),
                error("invalid_session_duration_minutes"),
            ),
            (
                minutes("99999999999999999999999"),
                error("bad_request"),
                error("invalid_session_duration_minutes"),
            ),
            (
                minutes("2147483647"),
                error("invalid_session_duration_minutes"),
                error("invalid_session_duration_minutes"),
            ),
            (
                minutes("-2147483648"),
                error("invalid_session_duration_minutes"),
                error("invalid_session_duration_minutes"),
            ),
        ],
    );
}

#[test]
fn default_above_project_max_reject() {
    let mut small = world();
    small.project_max_session_minutes = 30;
    check_in(
        "default-above-project-max=reject",
        small,
        vec![
            (ada(""), error("invalid_session_duration"), acme(30, FREE)),
            (
                ada(r#""session_duration_minutes":null"#),
                error("invalid_session_duration"),
                acme(30, FREE),
            ),
            (
                ada(r#""session_duration_minutes":30"#),
                acme(30, FREE),
                acme(30, FREE),
            ),
        ],
    );
    let mut sixty = world();
    sixty.project_max_session_minutes = 60;
    check_in(
        "default-above-project-max=reject",
        sixty,
        vec![(ada(""), acme(60, FREE), acme(60, FREE))],
    );
}

#[test]
fn duplicate_keys_bad_request() {
    let last_wins = acme(60, r#"{"a":{"k":2},"plan":"free"}"#);
    check(
        "duplicate-keys=bad_request",
        vec![
            (
                br#"{"session_token":"x","session_token":"tok-ada","organization_id":"org-acme"}"#
                    .to_vec(),
                error("bad_request"),
                acme(60, FREE),
            ),
            (
                ada(r#""session_custom_claims":{"a":{"k":1,"k":2}}"#),
                error("bad_request"),
                last_wins,
            ),
            // Compared after unescaping.
            (
                ada(r#""session_custom_claims":{"a":{"k":1,"\u006b":2}}"#),
                error("bad_request"),
                acme(60, r#"{"a":{"k":2},"plan":"free"}"#),
            ),
            // Anywhere, unknown fields and arrays included.
            (
                ada(r#""x":[{"q":1,"q":1}]"#),
                error("bad_request"),
                acme(60, FREE),
            ),
            // The UserInfo reply is read by the same rules.
            (
                body("tok-duplicate", "org-acme", ""),
                error("migrate_from_external_unexpected_response"),
                acme(60, FREE),
            ),
        ],
    );
}

#[test]
fn number_precision_exact_text() {
    let claims =
        r#"{"big":9007199254740993,"huge":1e400,"neg":-0,"dec":1.50,"tiny":1E-400,"list":[2.0e0]}"#;
    let request = ada(&format!(r#""session_custom_claims":{claims}"#));
    check(
        "number-precision=exact-text",
        vec![
            (
                request,
                acme(
                    60,
                    r#"{"big":9007199254740993,"dec":1.50,"huge":1e400,"list":[2.0e0],"neg":-0,"plan":"free","tiny":1E-400}"#,
                ),
                error("unable_to_represent_custom_claims_json"),
            ),
            (
                ada(r#""session_custom_claims":{"big":9007199254740993}"#),
                acme(60, r#"{"big":9007199254740993,"plan":"free"}"#),
                acme(60, r#"{"big":9007199254740992,"plan":"free"}"#),
            ),
        ],
    );
    // Both measures count each number as its text: 4096 bytes exactly, with `1.000`.
    let filler = "x".repeat(4096 - r#"{"a":"","n":1.000,"plan":"free"}"#.len());
    let request = ada(&format!(
        r#""session_custom_claims":{{"a":"{filler}","n":1.000}}"#
    ));
    let written = format!(r#"{{"a":"{filler}","n":1.000,"plan":"free"}}"#);
    for settings in [
        "number-precision=exact-text",
        "number-precision=exact-text,claims-size-measure=go-json",
    ] {
        let mut engine = engine_under(settings);
        assert_eq!(
            outcome(&mut engine, &request),
            acme(60, &written),
            "{settings}"
        );
    }
    let over = ada(&format!(
        r#""session_custom_claims":{{"a":"{filler}","n":1.0000}}"#
    ));
    let mut engine = engine_under("number-precision=exact-text");
    assert_eq!(
        outcome(&mut engine, &over),
        error("custom_claims_too_large")
    );
}

#[test]
fn lone_surrogate_replace() {
    let claims = |s: &str| ada(&format!(r#""session_custom_claims":{{"s":"{s}"}}"#));
    let replaced = |s: &str| acme(60, &format!(r#"{{"plan":"free","s":"{s}"}}"#));
    check(
        "lone-surrogate=replace",
        vec![
            (
                claims(r"a\ud800b"),
                replaced("a\u{fffd}b"),
                error("bad_request"),
            ),
            (
                claims(r"\udc00"),
                replaced("\u{fffd}"),
                error("bad_request"),
            ),
            (
                claims(r"\ud800\u0041"),
                replaced("\u{fffd}A"),
                error("bad_request"),
            ),
            (
                claims(r"\ud800\ud83d\ude00"),
                replaced("\u{fffd}\u{1f600}"),
                error("bad_request"),
            ),
            (
                claims(r"\ud83d\ude00"),
                replaced("\u{1f600}"),
                replaced("\u{1f600}"),
            ),
            // In a key, and in an unknown field.
            (
                ada(r#""session_custom_claims":{"\udfff":1}"#),
                acme(60, "{\"plan\":\"free\",\"\u{fffd}\":1}"),
                error("bad_request"),
            ),
            (ada(r#""x":"\ud800""#), acme(60, FREE), error("bad_request")),
            // The UserInfo reply is read by the same rules.
            (
                body("tok-surrogate", "org-acme", ""),
                acme(60, FREE),
                error("migrate_from_external_unexpected_response"),
            ),
        ],
    );
}

#[test]
fn org_lookup_order_id_external_slug() {
    check(
        "org-lookup-order=id-external-slug",
        vec![
            (
                body("tok-ada", "shared", ""),
                success("org-ext-shared", 60, FREE),
                success("org-slug-shared", 60, FREE),
            ),
            // An id always wins.
            (
                body("tok-ada", "dual", ""),
                success("dual", 60, FREE),
                success("dual", 60, FREE),
            ),
            (body("tok-ada", "acme", ""), acme(60, FREE), acme(60, FREE)),
        ],
    );
}

#[test]
fn slug_case_ascii_insensitive() {
    check(
        "slug-case=ascii-insensitive",
        vec![
            (
                body("tok-ada", "ACME", ""),
                acme(60, FREE),
                error("organization_not_found"),
            ),
            (
                body("tok-ada", "aCmE", ""),
                acme(60, FREE),
                error("organization_not_found"),
            ),
            // Ids and external ids stay exact.
            (
                body("tok-ada", "EXT-ACME", ""),
                error("organization_not_found"),
                error("organization_not_found"),
            ),
            (
                body("tok-ada", "ORG-ACME", ""),
                error("organization_not_found"),
                error("organization_not_found"),
            ),
        ],
    );
    // Only ASCII letters fold.
    let mut w = world();
    w.organizations[0].slug = "école".into();
    check_in(
        "slug-case=ascii-insensitive",
        w,
        vec![
            (
                body("tok-ada", "ÉCOLE", ""),
                error("organization_not_found"),
                error("organization_not_found"),
            ),
            (
                body("tok-ada", "éCOLE", ""),
                acme(60, FREE),
                error("organization_not_found"),
            ),
        ],
    );
}

#[test]
fn email_case_exact() {
    check(
        "email-case=exact",
        vec![
            (
                body("tok-ada-upper", "org-acme", ""),
                error("migrate_from_external_email_does_not_exist"),
                acme(60, FREE),
            ),
            (
                body("tok-ada", "org-acme", ""),
                acme(60, FREE),
                acme(60, FREE),
            ),
        ],
    );
}

#[test]
fn member_status_active_only() {
    let pat = Outcome::Success {
        organization: "org-acme".into(),
        member: "member-pat".into(),
        minutes: 60,
        claims: FREE.into(),
    };
    let ivy = Outcome::Success {
        organization: "org-acme".into(),
        member: "member-ivy".into(),
        minutes: 60,
        claims: FREE.into(),
    };
    check(
        "member-status=active-only",
        vec![
            (
                body("tok-pat", "org-acme", ""),
                error("migrate_from_external_email_does_not_exist"),
                pat,
            ),
            (
                body("tok-ivy", "org-acme", ""),
                error("migrate_from_external_email_does_not_exist"),
                ivy,
            ),
            (
                body("tok-ada", "org-acme", ""),
                acme(60, FREE),
                acme(60, FREE),
            ),
        ],
    );
}

#[test]
fn unverified_email_reject() {
    check(
        "unverified-email=reject",
        vec![
            (
                body("tok-unverified", "org-acme", ""),
                error("migrate_from_external_missing_userinfo"),
                acme(60, FREE),
            ),
            (
                body("tok-unverified-text", "org-acme", ""),
                error("migrate_from_external_missing_userinfo"),
                acme(60, FREE),
            ),
            (
                body("tok-verified-other", "org-acme", ""),
                acme(60, FREE),
                acme(60, FREE),
            ),
            (
                body("tok-ada", "org-acme", ""),
                acme(60, FREE),
                acme(60, FREE),
            ),
        ],
    );
}

#[test]
fn empty_object_after_delete_remove() {
    let update = |claims: &str| ada(&format!(r#""session_custom_claims":{claims}"#));
    check(
        "empty-object-after-delete=remove",
        vec![
            // A new object whose members all vanish goes, and its parent with it.
            (
                update(r#"{"x":{"y":{"z":null}}}"#),
                acme(60, FREE),
                acme(60, r#"{"plan":"free","x":{"y":{}}}"#),
            ),
            // An explicit {} stays.
            (
                update(r#"{"x":{},"y":{"z":{}}}"#),
                acme(60, r#"{"plan":"free","x":{},"y":{"z":{}}}"#),
                acme(60, r#"{"plan":"free","x":{},"y":{"z":{}}}"#),
            ),
            // An object of nulls over a scalar removes the key.
            (
                update(r#"{"plan":{"a":null}}"#),
                acme(60, "{}"),
                acme(60, r#"{"plan":{}}"#),
            ),
        ],
    );
    let mut w = world();
    w.claims_template =
        json!({"plan": "free", "prefs": {"theme": {"dark": true}, "e": {}}, "gone": {"n": null}})
            .as_object()
            .cloned()
            .unwrap_or_default();
    check_in(
        "empty-object-after-delete=remove",
        w,
        vec![
            // The template's nulls empty "gone"; "e" is an explicit {}.
            (
                ada(""),
                acme(
                    60,
                    r#"{"plan":"free","prefs":{"e":{},"theme":{"dark":true}}}"#,
                ),
                acme(
                    60,
                    r#"{"gone":{},"plan":"free","prefs":{"e":{},"theme":{"dark":true}}}"#,
                ),
            ),
            // Emptied existing objects go, upwards while they are left empty.
            (
                update(r#"{"prefs":{"theme":{"dark":null}}}"#),
                acme(60, r#"{"plan":"free","prefs":{"e":{}}}"#),
                acme(
                    60,
                    r#"{"gone":{},"plan":"free","prefs":{"e":{},"theme":{}}}"#,
                ),
            ),
            (
                update(r#"{"prefs":{"theme":{"dark":null},"e":null}}"#),
                acme(60, FREE),
                acme(60, r#"{"gone":{},"plan":"free","prefs":{"theme":{}}}"#),
            ),
            // An existing {} that only nulls touch was not emptied by them.
            (
                update(r#"{"prefs":{"e":{"q":null}}}"#),
                acme(
                    60,
                    r#"{"plan":"free","prefs":{"e":{},"theme":{"dark":true}}}"#,
                ),
                acme(
                    60,
                    r#"{"gone":{},"plan":"free","prefs":{"e":{},"theme":{"dark":true}}}"#,
                ),
            ),
        ],
    );
}

fn nested_field(levels: usize) -> String {
    format!(
        r#""x":{}{}"#,
        "[".repeat(levels - 1),
        "]".repeat(levels - 1)
    )
}

#[test]
fn nesting_limit_none() {
    check(
        "nesting-limit=none",
        vec![
            (ada(&nested_field(128)), acme(60, FREE), acme(60, FREE)),
            (
                ada(&nested_field(129)),
                acme(60, FREE),
                error("bad_request"),
            ),
            (
                ada(&nested_field(5_000)),
                acme(60, FREE),
                error("bad_request"),
            ),
            // Deep claims: the size limit still applies.
            (
                ada(&format!(
                    r#""session_custom_claims":{{"d":{}{}}}"#,
                    "[".repeat(1_000),
                    "]".repeat(1_000)
                )),
                acme(
                    60,
                    &format!(
                        r#"{{"d":{}{},"plan":"free"}}"#,
                        "[".repeat(1_000),
                        "]".repeat(1_000)
                    ),
                ),
                error("bad_request"),
            ),
            (
                ada(&format!(
                    r#""session_custom_claims":{{"d":{}{}}}"#,
                    "[".repeat(3_000),
                    "]".repeat(3_000)
                )),
                error("custom_claims_too_large"),
                error("bad_request"),
            ),
            // The UserInfo reply is read by the same rules.
            (
                body("tok-deep", "org-acme", ""),
                acme(60, FREE),
                error("migrate_from_external_unexpected_response"),
            ),
        ],
    );
}

#[test]
fn a_body_of_any_depth_gets_an_answer_under_nesting_limit_none() {
    let mut engine = engine_under("nesting-limit=none");
    // Four mebibytes of `[` (the server's default body limit), and deep objects.
    let deepest = 4 * 1024 * 1024 - 64;
    for body in [
        ada(&nested_field(deepest / 2)),
        ada(&format!(r#""x":{}"#, "[".repeat(deepest))),
        ada(&format!(
            r#""session_custom_claims":{}1{}"#,
            r#"{"a":"#.repeat(deepest / 6),
            "}".repeat(deepest / 6)
        )),
    ] {
        let answer = engine.migrate(&body, NOW);
        assert!(
            answer.status == 200 || answer.status == 400,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    // A collapse of nulls: deep (within the emulator's 100 000 levels), yet the final claims
    // fit. The claims are read in one pass, so this takes well under a second.
    let levels = 90_000;
    let collapsing = ada(&format!(
        r#""session_custom_claims":{{"k":{}null{}}}"#,
        r#"{"a":"#.repeat(levels),
        "}".repeat(levels)
    ));
    let mut engine = engine_under("nesting-limit=none,empty-object-after-delete=remove");
    assert_eq!(outcome(&mut engine, &collapsing), acme(60, FREE));
}

#[test]
fn error_precedence_any_applicable_looks_the_organization_up_first() {
    let mut cases = Vec::new();
    for extra in [
        r#""session_duration_minutes":4"#,
        r#""session_duration_minutes":"60""#,
        r#""session_custom_claims":{"n":1e400}"#,
        r#""session_custom_claims":7"#,
    ] {
        let expected_by_default = if extra.contains("\"60\"") || extra.contains(":7") {
            error("bad_request")
        } else if extra.contains("1e400") {
            error("unable_to_represent_custom_claims_json")
        } else {
            error("invalid_session_duration_minutes")
        };
        cases.push((
            body("tok-ada", "no-such-organization", extra),
            error("organization_not_found"),
            expected_by_default,
        ));
    }
    // Errors that do not apply are never answered: a missing token is the only fault.
    cases.push((
        br#"{"organization_id":"org-acme"}"#.to_vec(),
        error("bad_request"),
        error("bad_request"),
    ));
    cases.push((
        br#"{"session_token":"tok-ada","organization_id":""}"#.to_vec(),
        error("bad_request"),
        error("bad_request"),
    ));
    check("error-precedence=any-applicable", cases);
}

/// The request that exposes each per-flag mutant, in a world where it shows.
fn exposing_request(bug: Bug) -> Option<(World, Vec<u8>)> {
    let w = world();
    let claims = |c: &str| ada(&format!(r#""session_custom_claims":{c}"#));
    let minutes = |m: &str| ada(&format!(r#""session_duration_minutes":{m}"#));
    Some(match bug.name() {
        "reject-misses-namespaced" => (w, claims(r#"{"https://stytch.com/x":1}"#)),
        "go-json-no-html-escape" => (w, ada(&claims_of_size(4096, '<', 1).0)),
        "limit-4000-exclusive" => (w, ada(&claims_of_size(4000, 'x', 0).0)),
        "ignored-claims-drop-template" => (w, claims(r#"{"a":1}"#)),
        "null-duration-accepted" => (w, minutes("null")),
        "minus-zero-not-absent" => (w, minutes("-0")),
        "integral-float-truncates" => (w, minutes("60.5")),
        "positive-overflow-out-of-range" => (w, minutes("2147483648")),
        "default-reject-at-60" => {
            let mut w = w;
            w.project_max_session_minutes = 60;
            (w, ada(""))
        }
        "duplicates-top-level-only" => (w, claims(r#"{"a":{"k":1,"k":2}}"#)),
        "exact-text-through-double" => (w, claims(r#"{"n":9007199254740993}"#)),
        "lone-surrogate-dropped" => (w, claims(r#"{"s":"a\ud800b"}"#)),
        "lookup-order-hard-coded" => (w, body("tok-ada", "shared", "")),
        "external-id-case-insensitive" => (w, body("tok-ada", "EXT-ACME", "")),
        "email-lowercased-before-exact" => (w, body("tok-ada-upper", "org-acme", "")),
        "active-only-allows-invited" => (w, body("tok-ivy", "org-acme", "")),
        "unverified-string-accepted" => (w, body("tok-unverified-text", "org-acme", "")),
        "remove-without-cascade" => (w, claims(r#"{"x":{"y":{"z":null}}}"#)),
        "nesting-limit-512" => (w, ada(&nested_field(600))),
        "any-applicable-bad-request" => (w, minutes("4")),
        "slug-unicode-fold" => {
            let mut w = w;
            w.organizations[0].slug = "\u{e9}cole".into();
            (w, body("tok-ada", "\u{c9}COLE", ""))
        }
        _ => return None,
    })
}

#[test]
fn each_per_flag_mutant_is_wrong_under_its_choice_and_right_under_the_default() {
    let mut flags = Vec::new();
    for &bug in Bug::ALL {
        let profile = bug.profile();
        let changed = profile.non_default_flags();
        if changed.is_empty() {
            continue;
        }
        assert_eq!(changed.len(), 1, "{bug}: one flag flipped");
        flags.push(changed[0]);
        let (world, request) =
            exposing_request(bug).unwrap_or_else(|| panic!("no exposing request for {bug}"));
        let mut mutant = Engine::with_bug(bug);
        assert_eq!(mutant.profile(), profile, "{bug}");
        mutant.load_world(&world).expect("loads");
        let mut correct = Engine::with_profile(profile);
        correct.load_world(&world).expect("loads");
        let wrong = outcome(&mut mutant, &request);
        let right = outcome(&mut correct, &request);
        assert_ne!(wrong, right, "{bug}: not exposed");
        // Under the default profile the same request gets the default's answer.
        mutant.set_profile(Policy::default());
        let mut default = Engine::new();
        default.load_world(&world).expect("loads");
        assert_eq!(
            outcome(&mut mutant, &request),
            outcome(&mut default, &request),
            "{bug}: wrong under the default profile too"
        );
    }
    for flag in migrate_model::Flag::ALL {
        assert!(flags.contains(flag), "no mutant for {}", flag.name());
    }
}

// ---- Configuration ------------------------------------------------------------------------

#[test]
fn the_profile_table_of_the_configuration_sets_the_engines_profile() {
    use migrate_emulator::config::Config;
    let settings = Config::from_toml(
        "[profile]\n\"reserved-claims\" = \"reject\"\n\"claims-size-limit\" = \"4000\"\n\"nesting-limit\" = \"none\"\n",
    )
    .and_then(Config::settings)
    .expect("valid");
    let expected = Policy::default()
        .with_settings("reserved-claims=reject,claims-size-limit=4000,nesting-limit=none")
        .expect("valid");
    assert_eq!(settings.profile, expected);
    assert_eq!(
        Config::default().settings().expect("valid").profile,
        Policy::default()
    );
    for (toml, expected) in [
        (
            "[profile]\n\"reserved-claim\" = \"reject\"",
            "reserved-claims",
        ),
        (
            "[profile]\n\"reserved-claims\" = \"refuse\"",
            "ignore, reject",
        ),
        ("[profile]\n\"nesting-limit\" = \"129\"", "128, none"),
    ] {
        let message = match Config::from_toml(toml).and_then(Config::settings) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{toml:?} was accepted"),
        };
        assert!(message.contains(expected), "{toml:?}: {message}");
    }
}

#[test]
fn the_emulator_declares_and_follows_the_configured_profile() {
    let settings = common::settings(|config| {
        config
            .profile
            .insert("reserved-claims".into(), "reject".into());
    });
    let settings = migrate_emulator::config::Settings {
        control: true,
        ..settings
    };
    let emulator = migrate_emulator::Emulator::start(settings).expect("starts");
    let client = common::Client::of(&emulator);
    let capabilities = client.get("/_conformance/capabilities");
    assert_eq!(capabilities.body["profile"]["reserved-claims"], "reject");
    let answer = client.migrate(&json!({
        "session_token": "tok-ada",
        "organization_id": "organization-test-acme",
        "session_custom_claims": {"iss": "me"},
    }));
    assert_eq!(answer.error_type(), "reserved_claims_in_custom_claims");
}

#[test]
fn a_bad_profile_on_the_command_line_is_a_clear_error() {
    for (profile, expected) in [
        ("no-such-flag=x", "reserved-claims"),
        ("reserved-claims=maybe", "ignore, reject"),
        ("reserved-claims", "FLAG=CHOICE"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_migrate-emulator"))
            .args(["--listen", "127.0.0.1:0", "--profile", profile])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{profile}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{profile}: {stderr}");
    }
}
