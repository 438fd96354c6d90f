//! The shared world and the one `check` helper the rule tests are written with.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::sync::OnceLock;

use migrate_model::{
    ErrorType, Evaluation, ExpectedSuccess, MemberStatus, Model, Outcome, Policy, Rule, World,
};
use serde_json::{json, Value};

/// The clock of every case: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// The shared rich world (`model/testdata/rich-world.json`, see
/// [`migrate_model::testworld`]): ada active, the documented maximum, no template.
pub fn world() -> World {
    migrate_model::testworld::rich_world(MemberStatus::Active, 527_040, "{}")
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
