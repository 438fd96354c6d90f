//! The invariants the fuzz targets check, the fixed world of the raw-bytes target, and the
//! replay of committed regression inputs.
//!
//! One file, two users: the fuzz crate (`migrate_fuzz::invariants`) and the stable test
//! `model/tests/fuzz_regressions.rs`, which includes it with `#[path]`, so a regression input
//! is judged on stable Rust by exactly the checks that found it. It therefore depends on
//! `migrate_model`, `serde` and `serde_json` only, and never recurses on input data (inputs
//! may nest thousands of levels deep).
#![allow(
    dead_code,
    reason = "the fuzz targets and the replay test each use a different part"
)]

use migrate_model::canonical::{go_json, jcs, size, size_within, SizeMeasure};
use migrate_model::claims::{drop_reserved, merge, merge_into_empty};
use migrate_model::parse::{parse, ParseOptions};
use migrate_model::policy::{
    EmptyObjectAfterDelete, ErrorPrecedence, LoneSurrogate, MemberStatusPolicy, NestingLimit,
    NumberPrecision,
};
use migrate_model::request::{is_reserved, is_stytch_namespaced, to_policy_numbers};
use migrate_model::response::rfc3339;
use migrate_model::{
    Evaluation, Flag, Json, MemberStatus, Model, Object, Outcome, Policy, Trace, World,
    DURATION_RANGE, JWT_LIFETIME_SECONDS,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The clock of the raw-bytes target: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// The project id of [`rich_world`].
pub const PROJECT_ID: &str = "project-test-11111111";

/// The claims template of the raw-bytes target's world: nested objects, an array, numbers,
/// reserved and namespaced keys, nulls and an explicit `{}`.
pub const RICH_TEMPLATE: &str = r#"{"plan":"pro","features":{"sso":true,"beta":false,"limits":{"seats":5}},"tags":["a","b"],"n":1.5,"iss":"template","https://stytch.com/session":1,"gone":null,"o":{"x":null,"y":1},"e":{}}"#;

/// A condition, or the failure message.
macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

/// The shared rich world of `model/testdata/rich-world.json` ([`migrate_model::testworld`]),
/// with ada's status, the project maximum and the template chosen by the input.
pub fn rich_world(ada_status: MemberStatus, project_max: i64, template: &str) -> World {
    migrate_model::testworld::rich_world(ada_status, project_max, template)
}

/// The raw-bytes target's world: [`rich_world`] with ada active, the documented maximum and
/// [`RICH_TEMPLATE`].
pub fn raw_world() -> World {
    rich_world(MemberStatus::Active, 527_040, RICH_TEMPLATE)
}

/// The policy that makes every flag's other (first non-default) choice.
pub fn alternate_policy() -> Policy {
    policy_from_bits(u64::MAX)
}

/// The policy whose flag `i` takes its second choice when bit `i` is set.
pub fn policy_from_bits(bits: u64) -> Policy {
    let mut p = Policy::default();
    for (i, flag) in Flag::ALL.iter().enumerate() {
        if bits >> (i % 64) & 1 == 1 {
            // Every flag has at least two choices, named by the flag table itself.
            let _ = p.set(*flag, flag.choices()[1]);
        }
    }
    p
}

/// The three policies the raw-bytes target evaluates each body under: the default, every
/// other choice, and a mix picked by a hash of the body (FNV-1a), so that every combination
/// of choices is reachable without spending input bytes on the policy.
pub fn raw_policies(body: &[u8]) -> [Policy; 3] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    [Policy::default(), alternate_policy(), policy_from_bits(h)]
}

/// The raw-bytes target: `body` against [`raw_world`] (as `model`) at [`NOW`] under each of
/// [`raw_policies`].
pub fn check_raw(model: &Model, body: &[u8]) -> Result<(), String> {
    for policy in raw_policies(body) {
        check_call(model, NOW, &policy, body).map_err(|e| {
            format!(
                "{e}\n  policy (non-default flags): {}",
                describe_policy(&policy)
            )
        })?;
    }
    Ok(())
}

/// The non-default choices of a policy, as `flag=choice` pairs.
pub fn describe_policy(policy: &Policy) -> String {
    let flags: Vec<String> = policy
        .non_default_flags()
        .iter()
        .map(|f| format!("{}={}", f.name(), policy.get(*f)))
        .collect();
    if flags.is_empty() {
        "none".into()
    } else {
        flags.join(" ")
    }
}

/// Evaluates one call and checks its outcome (`now` must be within `0..=MAX_NOW`).
pub fn check_call(
    model: &Model,
    now: i64,
    policy: &Policy,
    body: &[u8],
) -> Result<Evaluation, String> {
    let evaluation = model
        .migrate(now, policy, body)
        .map_err(|e| format!("the model refused the call: {e}"))?;
    check_outcome(model.world(), now, policy, &evaluation)?;
    Ok(evaluation)
}

/// Every invariant of an outcome, stated independently of how the model computes it.
pub fn check_outcome(
    world: &World,
    now: i64,
    policy: &Policy,
    evaluation: &Evaluation,
) -> Result<(), String> {
    match &evaluation.outcome {
        Outcome::Error(e) => {
            ensure!(
                e.accepts(e.error_type),
                "the error {} is not among its own acceptable errors {:?}",
                e.error_type,
                e.acceptable
            );
            let mut sorted = e.acceptable.clone();
            sorted.sort();
            sorted.dedup();
            ensure!(
                sorted == e.acceptable,
                "acceptable errors not sorted and unique: {:?}",
                e.acceptable
            );
            if policy.error_precedence == ErrorPrecedence::EvaluationOrder {
                ensure!(
                    e.acceptable == [e.error_type],
                    "under evaluation-order only the first error is acceptable, got {:?}",
                    e.acceptable
                );
            }
            let status = e.status_code();
            ensure!(
                (400..600).contains(&status),
                "error status {status} is not an HTTP error"
            );
            ensure!(
                e.envelope()["status_code"] == json!(status),
                "the envelope's status_code differs from the status"
            );
            Ok(())
        }
        Outcome::Success(s) => {
            let s = &**s;
            // The session's times.
            ensure!(
                s.started_at == now,
                "started_at {} is not now {now}",
                s.started_at
            );
            let minutes = s.duration_minutes;
            ensure!(
                DURATION_RANGE.contains(&minutes) && minutes <= world.project_max_session_minutes,
                "duration {minutes} outside 5..={}",
                world.project_max_session_minutes.min(527_040)
            );
            ensure!(
                Some(s.expires_at) == minutes.checked_mul(60).and_then(|d| now.checked_add(d)),
                "expires_at {} is not now {now} + 60 * {minutes}",
                s.expires_at
            );
            let started = rfc3339(now);
            let expires = rfc3339(s.expires_at);
            ensure!(
                started.is_some() && expires.is_some(),
                "a session time cannot be written"
            );
            let session = &s.body["member_session"];
            ensure!(
                session["started_at"] == json!(started)
                    && session["last_accessed_at"] == json!(started),
                "member_session.started_at is {}, expected {started:?}",
                session["started_at"]
            );
            ensure!(
                session["expires_at"] == json!(expires),
                "member_session.expires_at is {}, expected {expires:?}",
                session["expires_at"]
            );
            let claim = &s.jwt.payload["https://stytch.com/session"];
            ensure!(
                claim["started_at"] == session["started_at"]
                    && claim["expires_at"] == session["expires_at"],
                "the JWT's session claim times differ from member_session's"
            );
            let org_claim = &s.jwt.payload["https://stytch.com/organization"];
            ensure!(
                org_claim["organization_id"] == json!(s.organization_id)
                    && org_claim["slug"] == json!(s.organization_slug)
                    && session["organization_id"] == json!(s.organization_id),
                "the organization claim or member_session.organization_id is wrong"
            );
            // The JWT's lifetime and registered claims.
            ensure!(
                s.jwt.issued_at == now && s.jwt.expires_at == now + JWT_LIFETIME_SECONDS,
                "JWT iat {} / exp {}, expected {now} / {}",
                s.jwt.issued_at,
                s.jwt.expires_at,
                now + JWT_LIFETIME_SECONDS
            );
            let p = &s.jwt.payload;
            for (claim, value) in [
                ("iat", json!(now)),
                ("nbf", json!(now)),
                ("exp", json!(now + JWT_LIFETIME_SECONDS)),
                ("sub", json!(s.member_id)),
                ("iss", json!(format!("stytch.com/{}", world.project_id))),
                ("aud", json!([world.project_id])),
            ] {
                ensure!(
                    p[claim] == value,
                    "JWT {claim} is {}, expected {value}",
                    p[claim]
                );
            }
            // The claims: within the limit, no reserved or namespaced key, the same in the
            // body and at the JWT's top level.
            let claims = Json::Object(s.custom_claims.clone());
            let measure = policy.claims_size_measure;
            let limit = policy.claims_limit_bytes();
            let n = size(&claims, measure);
            ensure!(
                n <= limit,
                "the final claims take {n} bytes ({measure}), over {limit}"
            );
            ensure!(
                size_within(&claims, measure, limit) == Some(n),
                "size_within disagrees with size ({n} bytes)"
            );
            for k in s.custom_claims.keys() {
                ensure!(
                    !is_reserved(k) && !is_stytch_namespaced(k),
                    "the reserved or namespaced key {k:?} reached the final claims"
                );
            }
            // Exactly: under exact-text the numbers are their texts everywhere.
            ensure!(
                session["custom_claims"] == claims,
                "member_session.custom_claims differs from the final claims"
            );
            let Some(payload) = p.as_object() else {
                return Err("the JWT payload is not an object".into());
            };
            let ours = [
                "iat",
                "nbf",
                "exp",
                "sub",
                "iss",
                "aud",
                "https://stytch.com/session",
                "https://stytch.com/organization",
            ];
            for (k, v) in payload {
                if !ours.contains(&k.as_str()) {
                    ensure!(
                        s.custom_claims.get(k) == Some(v),
                        "the JWT carries {k:?} = {v}, which is not a final claim"
                    );
                }
            }
            for (k, v) in &s.custom_claims {
                ensure!(
                    payload.get(k) == Some(v),
                    "the final claim {k:?} is not at the JWT's top level"
                );
            }
            // Who: a member of the organization that may migrate, active afterwards.
            let org = world
                .organizations
                .iter()
                .find(|o| o.organization_id == s.organization_id);
            let member = org.and_then(|o| o.members.iter().find(|m| m.member_id == s.member_id));
            let Some(member) = member else {
                return Err(format!(
                    "member {} of organization {} is not in the world",
                    s.member_id, s.organization_id
                ));
            };
            ensure!(
                member.status == s.member_status_before && member.status != MemberStatus::Deleted,
                "member {} has status {:?}",
                s.member_id,
                member.status
            );
            if policy.member_status == MemberStatusPolicy::ActiveOnly {
                ensure!(
                    member.status == MemberStatus::Active,
                    "a {:?} member migrated under member-status=active-only",
                    member.status
                );
            }
            ensure!(
                world.userinfo.contains_key(&s.external_session_token),
                "the token {:?} is unknown to UserInfo",
                s.external_session_token
            );
            ensure!(
                s.body["member_id"] == json!(s.member_id)
                    && s.body["status_code"] == json!(200)
                    && s.body["member"]["status"] == json!("active"),
                "the body's member_id, status_code or member.status is wrong"
            );
            Ok(())
        }
    }
}

// ---- The claims target --------------------------------------------------------------------

/// A decoded input of the claims target: a target object, an update object, and the choices.
#[derive(Debug)]
pub struct ClaimsInput {
    /// The target (a template, before `merge_into_empty`), at most 128 levels deep.
    pub target: Object,
    /// The update, of any depth.
    pub update: Object,
    /// `empty-object-after-delete`.
    pub empty: EmptyObjectAfterDelete,
    /// The size measure.
    pub measure: SizeMeasure,
    /// `number-precision`.
    pub precision: NumberPrecision,
    /// The size limit for `size_within`.
    pub limit: usize,
}

/// Decodes a claims-target input: byte 0 holds the choices (bit 0 `remove`, bit 1 `go-json`,
/// bit 2 `exact-text`, bits 3-4 the limit: 4096, 4000, byte 1, or 32 times byte 1), byte 1
/// the limit, then the target's JSON text, a NUL byte, and the update's JSON text. `None`
/// when either text is not a JSON object.
pub fn claims_input(data: &[u8]) -> Option<ClaimsInput> {
    let (&flags, rest) = data.split_first()?;
    let (&limit_byte, rest) = rest.split_first()?;
    let split = rest.iter().position(|b| *b == 0)?;
    let (target, update) = (&rest[..split], &rest[split + 1..]);
    let lenient = ParseOptions {
        lone_surrogate: LoneSurrogate::Replace,
        ..ParseOptions::default()
    };
    // The merge recurses along the target, which world validation bounds to 128 levels in the
    // model; the update may be as deep as it likes.
    let target = parse(target, lenient).ok()?.take_object()?;
    let update = parse(
        update,
        ParseOptions {
            nesting_limit: NestingLimit::Unlimited,
            ..lenient
        },
    )
    .ok()?
    .take_object()?;
    Some(ClaimsInput {
        target,
        update,
        empty: EmptyObjectAfterDelete::ALL[usize::from(flags & 1)],
        measure: SizeMeasure::ALL[usize::from(flags >> 1 & 1)],
        precision: NumberPrecision::ALL[usize::from(flags >> 2 & 1)],
        limit: match flags >> 3 & 3 {
            0 => 4096,
            1 => 4000,
            2 => usize::from(limit_byte),
            _ => 32 * usize::from(limit_byte),
        },
    })
}

/// Both serializations of an object, as an equality key that neither clones nor recurses
/// (`-0` and `0` differ in Go's).
fn key(o: &mut Object) -> (String, String) {
    let mut v = Json::Object(std::mem::take(o));
    let k = (jcs(&v), go_json(&v));
    *o = v.take_object().unwrap_or_default();
    k
}

/// Deeper than this, the update is merged once without the laws that clone it (`Clone` on
/// [`Json`] recurses).
pub const MAX_CLONED_DEPTH: usize = 512;

fn object_depth(o: &Object) -> usize {
    1 + o.values().map(Json::depth).max().unwrap_or(0)
}

/// The laws of the claims functions on one input.
pub fn check_claims(input: ClaimsInput) -> Result<(), String> {
    let ClaimsInput {
        mut target,
        mut update,
        empty,
        measure,
        precision,
        limit,
    } = input;
    // Numbers as the model holds them (an overflowing one stays text; the model would refuse it).
    let _ = to_policy_numbers(&mut target, precision, &mut Trace::default());
    let _ = to_policy_numbers(&mut update, precision, &mut Trace::default());
    // A target as the model holds one: merged onto {} already.
    let mut base = merge_into_empty(target, empty);
    let mut once = if object_depth(&update) > MAX_CLONED_DEPTH {
        merge(&mut base, update, empty);
        base
    } else {
        merge_laws(base, update, empty)?
    };

    let reserved = once
        .keys()
        .filter(|k| is_reserved(k) || is_stytch_namespaced(k))
        .count();
    let len = once.len();
    ensure!(
        drop_reserved(&mut once) == (reserved > 0),
        "drop_reserved misreported whether it dropped"
    );
    ensure!(
        once.len() + reserved == len,
        "drop_reserved dropped an ordinary key"
    );
    ensure!(!drop_reserved(&mut once), "drop_reserved is not idempotent");

    let value = Json::Object(once);
    let (j, g) = (jcs(&value), go_json(&value));
    ensure!(
        size(&value, SizeMeasure::Jcs) == j.len() && size(&value, SizeMeasure::GoJson) == g.len(),
        "size disagrees with the writers"
    );
    ensure!(g.len() >= j.len(), "Go's text is shorter than JCS's");
    let n = size(&value, measure);
    ensure!(
        size_within(&value, measure, limit) == (n <= limit).then_some(n),
        "size_within({measure}, {limit}) disagrees with size {n}"
    );
    let reparse = ParseOptions {
        nesting_limit: NestingLimit::Unlimited,
        ..ParseOptions::default()
    };
    for (text, write) in [(&j, jcs as fn(&Json) -> String), (&g, go_json)] {
        let back = parse(text.as_bytes(), reparse)
            .map_err(|e| format!("the writer's output does not parse: {e}: {text}"))?;
        let again = write(&back);
        ensure!(
            again == *text,
            "writing is not idempotent: {text} became {again}"
        );
    }
    Ok(())
}

/// The merge laws; returns the base with the update merged once.
fn merge_laws(
    mut base: Object,
    update: Object,
    empty: EmptyObjectAfterDelete,
) -> Result<Object, String> {
    let mut same = base.clone();
    merge(&mut same, Object::new(), empty);
    ensure!(
        key(&mut same) == key(&mut base),
        "merging the empty update changed the target"
    );

    let mut onto_empty = Object::new();
    merge(&mut onto_empty, update.clone(), empty);
    ensure!(
        key(&mut onto_empty) == key(&mut merge_into_empty(update.clone(), empty)),
        "merge onto {{}} differs from merge_into_empty"
    );

    let mut once = base.clone();
    merge(&mut once, update.clone(), empty);
    let mut twice = once.clone();
    merge(&mut twice, update.clone(), empty);
    ensure!(
        key(&mut twice) == key(&mut once),
        "applying the update twice differs from applying it once"
    );

    for k in once.keys() {
        ensure!(
            base.contains_key(k) || update.contains_key(k),
            "the key {k:?} came from nowhere"
        );
    }
    for (k, v) in &update {
        match v {
            Json::Null => ensure!(!once.contains_key(k), "{k:?} survived its null"),
            Json::Object(_) => {}
            v => {
                let want = (jcs(v), go_json(v));
                let got = once.get(k).map(|g| (jcs(g), go_json(g)));
                ensure!(got == Some(want), "the update's {k:?} did not win");
            }
        }
    }
    // Along object-over-object paths: a null in the update deletes, and no null is left in
    // any object reached only through objects.
    let mut stack: Vec<(&Object, Option<&Object>)> = vec![(&once, Some(&update))];
    while let Some((result, upd)) = stack.pop() {
        for (k, v) in result {
            let u = upd.and_then(|u| u.get(k));
            ensure!(
                !matches!(u, Some(Json::Null)),
                "{k:?} survived its nested null"
            );
            match v {
                Json::Null => return Err(format!("a null is left at {k:?}")),
                Json::Object(o) => stack.push((o, u.and_then(Json::as_object))),
                _ => {}
            }
        }
    }
    Ok(once)
}

// ---- Regression cases ---------------------------------------------------------------------

/// A committed regression case of the structure-aware or differential target: a policy and a
/// case in the conformance suite's `CaseJson` shape (`world`, `now`, `request` or
/// `request_base64`), so that the vector tooling can take the case as it is.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressionCase {
    /// What it caught.
    pub comment: String,
    /// The fuzz target that found it.
    pub target: String,
    /// The policy (flags not named take their default).
    #[serde(default)]
    pub policy: Policy,
    /// The case.
    pub case: CaseParts,
}

/// The conformance suite's `CaseJson`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseParts {
    /// The world.
    pub world: World,
    /// The clock.
    pub now: i64,
    /// The body, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The body in standard base64, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_base64: Option<String>,
}

impl CaseParts {
    /// The raw body.
    pub fn body(&self) -> Result<Vec<u8>, String> {
        match (&self.request, &self.request_base64) {
            (Some(text), None) => Ok(text.clone().into_bytes()),
            (None, Some(b64)) => base64_decode(b64),
            _ => Err("give exactly one of request and request_base64".into()),
        }
    }
}

/// Standard base64 (padding optional), without a dependency.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("not base64: {c:?}")),
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Replays a regression case: the world must be valid, and the call must keep every
/// invariant.
pub fn replay_case(case: &RegressionCase) -> Result<(), String> {
    let model = Model::new(case.case.world.clone()).map_err(|e| e.to_string())?;
    let body = case.case.body()?;
    check_call(&model, case.case.now, &case.policy, &body).map(|_| ())
}
