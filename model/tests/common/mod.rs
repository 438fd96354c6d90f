//! The shared world and the one `check` helper the rule tests are written with.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::sync::OnceLock;

use migrate_model::{
    ErrorType, Evaluation, ExpectedSuccess, Member, MemberStatus, Model, Organization, Outcome,
    Policy, Rule, UserInfoBody, UserInfoReply, World,
};
use serde_json::{json, Value};

/// The clock of every case: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

fn member(id: &str, email: &str, status: MemberStatus, roles: &[&str]) -> Member {
    Member {
        member_id: id.into(),
        email: email.into(),
        status,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        name: String::new(),
    }
}

fn raw(status: u16, bytes: &[u8]) -> UserInfoReply {
    UserInfoReply::Http {
        status,
        body: UserInfoBody::Raw(bytes.to_vec()),
    }
}

/// A world rich in collisions:
/// - `organization-test-acme` (slug `acme`, external id `ext-acme`) holds one member of each
///   status and a mixed-case email;
/// - `organization-test-beta` has the external id `acme`, which is acme's slug;
/// - `organization-test-gamma` has the slug `organization-test-beta`, which is beta's id;
/// - `organization-test-delta` has the mixed-case slug `Delta` and the external id
///   `ext-delta`.
pub fn world() -> World {
    use MemberStatus::*;
    let userinfo = [
        ("tok-ada", UserInfoReply::email("ada@acme.test")),
        ("tok-ada-upper", UserInfoReply::email("ADA@ACME.TEST")),
        ("tok-bob", UserInfoReply::email("Bob@Acme.test")),
        ("tok-bob-lower", UserInfoReply::email("bob@acme.test")),
        ("tok-pat", UserInfoReply::email("pat@acme.test")),
        ("tok-ivy", UserInfoReply::email("ivy@acme.test")),
        ("tok-dee", UserInfoReply::email("dee@acme.test")),
        ("tok-zed", UserInfoReply::email("zed@beta.test")),
        ("tok-del", UserInfoReply::email("del@delta.test")),
        ("tok-nobody", UserInfoReply::email("nobody@acme.test")),
        ("tok-unreachable", UserInfoReply::Unreachable),
        ("tok-500", raw(500, br#"{"email":"ada@acme.test"}"#)),
        ("tok-302", raw(302, b"")),
        ("tok-204", raw(204, b"")),
        ("tok-html", raw(200, b"<html>ok</html>")),
        ("tok-array", UserInfoReply::ok(json!(["ada@acme.test"]))),
        ("tok-no-email", UserInfoReply::ok(json!({"sub": "x"}))),
        ("tok-email-number", UserInfoReply::ok(json!({"email": 42}))),
        ("tok-email-empty", UserInfoReply::email("")),
        ("tok-email-two-at", UserInfoReply::email("ada@acme@test")),
        ("tok-email-no-local", UserInfoReply::email("@acme.test")),
        ("tok-email-no-domain", UserInfoReply::email("ada@")),
        ("tok-email-space", UserInfoReply::email(" ada@acme.test")),
        (
            "tok-email-nbsp",
            UserInfoReply::email("ada@acme.test\u{a0}"),
        ),
        (
            "tok-unverified",
            UserInfoReply::ok(json!({"email": "ada@acme.test", "email_verified": false})),
        ),
        (
            "tok-unverified-str",
            UserInfoReply::ok(json!({"email": "ada@acme.test", "email_verified": "false"})),
        ),
        (
            "tok-verified-0",
            UserInfoReply::ok(json!({"email": "ada@acme.test", "email_verified": 0})),
        ),
        (
            "tok-dup-email",
            raw(
                200,
                br#"{"email":"nobody@acme.test","email":"ada@acme.test"}"#,
            ),
        ),
        (
            "tok-lone",
            raw(200, br#"{"email":"ada@acme.test","x":"\ud800"}"#),
        ),
        (
            "tok-bom",
            raw(200, b"\xEF\xBB\xBF{\"email\":\"ada@acme.test\"}"),
        ),
    ];
    World {
        project_id: "project-test-11111111".into(),
        project_max_session_minutes: 527_040,
        claims_template: Default::default(),
        organizations: vec![
            Organization {
                organization_id: "organization-test-acme".into(),
                slug: "acme".into(),
                external_id: Some("ext-acme".into()),
                name: "Acme".into(),
                members: vec![
                    member(
                        "member-ada",
                        "ada@acme.test",
                        Active,
                        &["stytch_member", "admin"],
                    ),
                    member("member-bob", "Bob@Acme.test", Active, &[]),
                    member("member-pat", "pat@acme.test", Pending, &[]),
                    member("member-ivy", "ivy@acme.test", Invited, &[]),
                    member("member-dee", "dee@acme.test", Deleted, &[]),
                ],
            },
            Organization {
                organization_id: "organization-test-beta".into(),
                slug: "beta".into(),
                external_id: Some("acme".into()),
                name: "Beta".into(),
                members: vec![
                    member("member-zed", "zed@beta.test", Active, &[]),
                    member("member-ada-beta", "ada@acme.test", Active, &[]),
                ],
            },
            Organization {
                organization_id: "organization-test-gamma".into(),
                slug: "organization-test-beta".into(),
                external_id: None,
                name: "Gamma".into(),
                members: vec![member("member-ada-gamma", "ada@acme.test", Active, &[])],
            },
            Organization {
                organization_id: "organization-test-delta".into(),
                slug: "Delta".into(),
                external_id: Some("ext-delta".into()),
                name: "Delta".into(),
                members: vec![member("member-del", "del@delta.test", Active, &[])],
            },
        ],
        userinfo: userinfo
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

/// One call: a body, policy changes and world changes.
pub struct Case {
    pub body: Vec<u8>,
    pub policy: Policy,
    pub world: World,
}

/// A case with this request object.
pub fn req(body: Value) -> Case {
    raw_body(body.to_string().as_bytes())
}

/// A case with the request for ada at acme, plus `extra` fields.
pub fn ada(extra: Value) -> Case {
    let mut body = json!({"session_token": "tok-ada", "organization_id": "organization-test-acme"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    req(body)
}

/// A case for ada at acme whose duration is written as `text`.
pub fn duration_text(text: &str) -> Case {
    raw_body(
        format!(
            r#"{{"session_token":"tok-ada","organization_id":"organization-test-acme","session_duration_minutes":{text}}}"#
        )
        .as_bytes(),
    )
}

/// A case for ada at acme whose claims are written as `text`.
pub fn claims_text(text: &str) -> Case {
    raw_body(
        format!(
            r#"{{"session_token":"tok-ada","organization_id":"organization-test-acme","session_custom_claims":{text}}}"#
        )
        .as_bytes(),
    )
}

/// A case with these raw bytes.
pub fn raw_body(bytes: &[u8]) -> Case {
    Case {
        body: bytes.to_vec(),
        policy: Policy::default(),
        world: world(),
    }
}

impl Case {
    /// Sets a policy flag by its wire names.
    pub fn flag(mut self, flag: &str, choice: &str) -> Case {
        self.policy
            .set_by_name(flag, choice)
            .unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// Sets the claims template.
    pub fn template(mut self, template: Value) -> Case {
        self.world.claims_template = template.as_object().cloned().expect("template object");
        self
    }

    /// Sets the project's maximum session duration.
    pub fn project_max(mut self, minutes: i64) -> Case {
        self.world.project_max_session_minutes = minutes;
        self
    }
}

/// What a case must produce.
pub enum Expect {
    /// This error under the default precedence.
    Error(ErrorType),
    /// This first error and exactly this acceptable set.
    Errors(ErrorType, Vec<ErrorType>),
    /// A success meeting this check.
    Success(Box<dyn Fn(&ExpectedSuccess)>),
}

pub fn err(e: ErrorType) -> Expect {
    Expect::Error(e)
}

pub fn errs(first: ErrorType, acceptable: &[ErrorType]) -> Expect {
    Expect::Errors(first, acceptable.to_vec())
}

pub fn ok() -> Expect {
    Expect::Success(Box::new(|_| {}))
}

pub fn ok_with(f: impl Fn(&ExpectedSuccess) + 'static) -> Expect {
    Expect::Success(Box::new(f))
}

/// A success whose final claims are exactly `claims`.
pub fn claims(claims: Value) -> Expect {
    ok_with(move |s| assert_eq!(claims_json(s), claims, "final custom claims"))
}

/// A success with this duration.
pub fn minutes(m: i64) -> Expect {
    ok_with(move |s| assert_eq!(s.duration_minutes, m, "session duration"))
}

/// A success for this member.
pub fn member_is(id: &'static str) -> Expect {
    ok_with(move |s| assert_eq!(s.member_id, id, "migrated member"))
}

/// The final claims as `serde_json`.
pub fn claims_json(s: &ExpectedSuccess) -> Value {
    migrate_model::Json::Object(s.custom_claims.clone()).to_serde()
}

/// Evaluates `case`, asserts that `rule` was exercised and that the outcome is `expect`, and
/// validates any success against the official response schema.
pub fn check(rule: Rule, case: Case, expect: Expect) -> Evaluation {
    let model = Model::new(case.world).unwrap_or_else(|e| panic!("{e}"));
    let eval = model
        .migrate(NOW, &case.policy, &case.body)
        .unwrap_or_else(|e| panic!("{e}"));
    let shown = String::from_utf8_lossy(&case.body).into_owned();
    assert!(
        eval.trace.contains(rule),
        "rule {rule} was not exercised by {shown}; trace: {:?}",
        eval.trace.rules().map(|r| r.id()).collect::<Vec<_>>()
    );
    match (&eval.outcome, expect) {
        (Outcome::Error(e), Expect::Error(want)) => {
            assert_eq!(e.error_type, want, "error for {shown}: {}", e.message);
            assert!(e.accepts(want));
        }
        (Outcome::Error(e), Expect::Errors(first, mut acceptable)) => {
            assert_eq!(
                e.error_type, first,
                "first error for {shown}: {}",
                e.message
            );
            acceptable.sort();
            assert_eq!(e.acceptable, acceptable, "acceptable errors for {shown}");
        }
        (Outcome::Success(s), Expect::Success(f)) => {
            assert_schema_valid(&s.body.to_serde());
            assert_success_laws(s);
            f(s);
        }
        (Outcome::Error(e), Expect::Success(_)) => panic!(
            "expected success for {shown}, got {} ({})",
            e.error_type, e.message
        ),
        (Outcome::Success(s), _) => panic!(
            "expected an error for {shown}, got success with claims {}",
            claims_json(s)
        ),
    }
    eval
}

/// Invariants of every success.
pub fn assert_success_laws(s: &ExpectedSuccess) {
    assert_eq!(s.expires_at - s.started_at, s.duration_minutes * 60);
    assert_eq!(s.jwt.expires_at - s.jwt.issued_at, 300);
    // The claims exactly (numbers as the policy holds them), wherever they appear.
    let claims = migrate_model::Json::Object(s.custom_claims.clone());
    assert_eq!(s.body["member_session"]["custom_claims"], claims);
    for (key, value) in &s.custom_claims {
        assert_eq!(
            &s.jwt.payload[key.as_str()],
            value,
            "claim {key} in the JWT payload"
        );
    }
    assert_eq!(s.body["member"]["status"], "active");
}

/// The compiled official schema (boon: it turns on no serde_json feature, so the model's
/// tests see serde_json as users do).
struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

static VALIDATOR: OnceLock<Validator> = OnceLock::new();

/// Validates a response body against the vendored official `MigrateResponse` schema.
pub fn assert_schema_valid(body: &Value) {
    let validator = VALIDATOR.get_or_init(|| {
        let spec: Value =
            serde_json::from_str(migrate_model::OFFICIAL_SCHEMAS).expect("vendored schema parses");
        let schema = json!({
            "$ref": "#/components/schemas/api_b2b_session_v1_MigrateResponse",
            "components": spec["components"],
        });
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        compiler
            .add_resource("urn:official", schema)
            .expect("schema loads");
        let mut schemas = boon::Schemas::new();
        let index = compiler
            .compile("urn:official", &mut schemas)
            .expect("schema compiles");
        Validator { schemas, index }
    });
    let errors: Vec<String> = match validator.schemas.validate(body, validator.index) {
        Ok(()) => Vec::new(),
        Err(e) => vec![format!("{e:#}")],
    };
    assert!(
        errors.is_empty(),
        "response violates the official schema: {errors:#?}"
    );
}
