//! The reference model of Stytch's B2B session Migrate call,
//! `POST /v1/b2b/sessions/migrate`.
//!
//! Given a [`World`] (project, organizations, members, the external UserInfo endpoint's
//! replies), a clock, a [`Policy`] and the **raw request bytes**, [`Model::migrate`] gives the
//! full expected outcome: the error (and, under `error-precedence = any-applicable`, every
//! acceptable error), or the whole success response and session JWT with the values an
//! implementation chooses described by constraints.
//!
//! The model is pure: no I/O, no clock, no randomness, no global state. Every rule has a
//! stable id ([`Rule`]); `SPEC.md` beside this crate states each one and its source, and
//! [`Evaluation::trace`] says which rules a call exercised.
//!
//! ```
//! use migrate_model::{Model, Organization, Member, MemberStatus, Policy, UserInfoReply, World};
//!
//! let world = World {
//!     project_id: "project-test-1".into(),
//!     project_max_session_minutes: 527_040,
//!     claims_template: Default::default(),
//!     organizations: vec![Organization {
//!         organization_id: "organization-test-1".into(),
//!         slug: "acme".into(),
//!         external_id: None,
//!         name: "Acme".into(),
//!         members: vec![Member {
//!             member_id: "member-test-1".into(),
//!             email: "ada@acme.test".into(),
//!             status: MemberStatus::Active,
//!             roles: vec![],
//!             name: "Ada".into(),
//!         }],
//!     }],
//!     userinfo: [("ext-token".to_string(), UserInfoReply::email("ada@acme.test"))].into(),
//! };
//! let model = Model::new(world).unwrap();
//! let body = br#"{"session_token":"ext-token","organization_id":"acme","session_duration_minutes":5}"#;
//! let evaluation = model.migrate(1_700_000_000, &Policy::default(), body).unwrap();
//! let success = evaluation.outcome.success().unwrap();
//! assert_eq!(success.expires_at - success.started_at, 5 * 60);
//! assert_eq!(success.body["member_session"]["expires_at"], "2023-11-14T22:18:20Z");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod canonical;
pub mod claims;
mod errors;
mod fault;
pub mod json;
pub mod lookup;
mod outcome;
pub mod parse;
pub mod policy;
pub mod request;
pub mod response;
mod rules;
pub mod testworld;
mod world;

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

pub use errors::ErrorType;
pub use fault::{Fault, Trace};
pub use json::{Json, Number, Object};
pub use outcome::{
    Constraint, Evaluation, ExpectedError, ExpectedJwt, ExpectedSuccess, Opaque, Outcome, Slot,
    AUTH_FACTOR_DELIVERY_METHODS, AUTH_FACTOR_TYPES, JWT_LIFETIME_SECONDS, JWT_SESSION_ID_POINTER,
};
pub use policy::{Flag, Policy, PolicyError};
pub use rules::{Rule, Source};
pub use world::{
    Member, MemberStatus, Organization, UserInfoBody, UserInfoReply, World, WorldError,
    DURATION_RANGE,
};

/// The official Stytch OpenAPI components for this endpoint (MigrateRequest, MigrateResponse,
/// and everything they reference), as JSON text; see `schemas/PROVENANCE.md`.
pub const OFFICIAL_SCHEMAS: &str =
    include_str!("../schemas/stytch-b2b-migrate-openapi-subset.json");

use policy::ErrorPrecedence;
use request::field;
use response::{SessionFacts, MAX_NOW};

/// A validated world, ready to evaluate calls against.
#[derive(Clone, Debug)]
pub struct Model {
    world: World,
    template: Object,
    /// Per organization and member (world order): the parts of a success that the world
    /// alone determines, built on first use.
    parts: Vec<Vec<OnceLock<response::WorldParts>>>,
    /// Per UserInfo reply (the world's token order): its body's bytes, written on first use.
    userinfo_bytes: Vec<OnceLock<Vec<u8>>>,
}

/// A call the model cannot evaluate: the caller's mistake, not an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// The world breaks an invariant.
    InvalidWorld(WorldError),
    /// `now` is outside `0..=MAX_NOW` (timestamps must stay within years 1970 to 9999).
    ClockOutOfRange(i64),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::InvalidWorld(e) => e.fmt(f),
            ModelError::ClockOutOfRange(now) => write!(
                f,
                "now = {now} is outside 0..={MAX_NOW} (the longest session must end by 9999-12-31T23:59:59Z)"
            ),
        }
    }
}

impl std::error::Error for ModelError {}

impl From<WorldError> for ModelError {
    fn from(e: WorldError) -> Self {
        ModelError::InvalidWorld(e)
    }
}

/// Evaluates one call against a world that is validated first.
pub fn migrate(
    world: &World,
    now: i64,
    policy: &Policy,
    body: &[u8],
) -> Result<Evaluation, ModelError> {
    Model::new(world.clone())?.migrate(now, policy, body)
}

impl Model {
    /// Validates `world` (rule `world.valid`).
    pub fn new(world: World) -> Result<Model, WorldError> {
        world.validate()?;
        let template = Json::from_serde(&serde_json::Value::Object(world.claims_template.clone()))
            .take_object()
            .unwrap_or_default();
        let parts = world
            .organizations
            .iter()
            .map(|o| o.members.iter().map(|_| OnceLock::new()).collect())
            .collect();
        let userinfo_bytes = world.userinfo.iter().map(|_| OnceLock::new()).collect();
        Ok(Model {
            world,
            template,
            parts,
            userinfo_bytes,
        })
    }

    /// The world-determined parts of a success for `member` of `org` (both from this
    /// model's world), built once.
    fn world_parts(
        &self,
        org: &world::Organization,
        member: &world::Member,
    ) -> Cow<'_, response::WorldParts> {
        let cell = self
            .world
            .organizations
            .iter()
            .position(|o| std::ptr::eq(o, org))
            .and_then(|i| {
                let m = org.members.iter().position(|m| std::ptr::eq(m, member))?;
                self.parts.get(i)?.get(m)
            });
        match cell {
            Some(cell) => {
                Cow::Borrowed(cell.get_or_init(|| response::WorldParts::new(org, member)))
            }
            None => Cow::Owned(response::WorldParts::new(org, member)),
        }
    }

    /// The world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Evaluates one call at `now` (Unix seconds) under `policy` with the raw request `body`.
    pub fn migrate(
        &self,
        now: i64,
        policy: &Policy,
        body: &[u8],
    ) -> Result<Evaluation, ModelError> {
        if !(0..=MAX_NOW).contains(&now) {
            return Err(ModelError::ClockOutOfRange(now));
        }
        let mut trace = Trace::default();
        let outcome = self.evaluate(now, policy, body, &mut trace);
        Ok(Evaluation { outcome, trace })
    }

    /// Runs every step whose inputs exist, collecting each step's first fault in order
    /// (section 3); the policy then picks the answer from them.
    fn evaluate(&self, now: i64, policy: &Policy, body: &[u8], trace: &mut Trace) -> Outcome {
        let mut faults: Vec<Fault> = Vec::new();
        // Step 1; nothing else has inputs without a parsed body.
        let Some(mut request) = keep(request::parse_body(body, policy, trace), &mut faults) else {
            return fail(faults, policy, trace);
        };
        // Steps 2 to 5.
        let token = keep(
            request::required_string(
                &request,
                field::SESSION_TOKEN,
                Rule::RequestSessionToken,
                trace,
            ),
            &mut faults,
        );
        let org_value = keep(
            request::required_string(
                &request,
                field::ORGANIZATION_ID,
                Rule::RequestOrganizationId,
                trace,
            ),
            &mut faults,
        );
        let duration = keep(
            request::duration(
                &request,
                policy,
                self.world.project_max_session_minutes,
                trace,
            ),
            &mut faults,
        );
        let duration_given = request::duration_given(&request, policy);
        let update = keep(
            request::custom_claims(&mut request, policy, duration_given, trace),
            &mut faults,
        );
        let steps_1_to_5_passed = faults.is_empty();
        // Step 6 needs organization_id; step 7 the token; step 8 both of theirs.
        let organization = org_value.and_then(|v| {
            keep(
                lookup::resolve_organization(&self.world.organizations, &v, policy, trace),
                &mut faults,
            )
        });
        let email = token.as_ref().and_then(|t| {
            // The reply and its body's bytes, kept for the next call.
            let found = self
                .world
                .userinfo
                .iter()
                .zip(&self.userinfo_bytes)
                .find(|((token, _), _)| *token == t);
            let bytes = |body: &world::UserInfoBody| match found {
                Some((_, cell)) => Cow::Borrowed(cell.get_or_init(|| body.to_bytes()).as_slice()),
                None => Cow::Owned(body.to_bytes()),
            };
            keep(
                lookup::userinfo_email_with(found.map(|((_, r), _)| r), bytes, policy, trace),
                &mut faults,
            )
        });
        let member = match (organization, &email) {
            (Some((org, _)), Some(email)) => {
                keep(lookup::match_member(org, email, policy, trace), &mut faults)
            }
            _ => None,
        };
        // Step 9 needs steps 1 to 5.
        let claims = match (steps_1_to_5_passed, update) {
            (true, Some(update)) => keep(
                claims::final_claims(&self.template, update, policy, trace),
                &mut faults,
            ),
            _ => None,
        };
        if !faults.is_empty() {
            return fail(faults, policy, trace);
        }
        match (organization, member, token, duration, claims) {
            (Some((org, _)), Some(member), Some(token), Some(duration), Some(claims)) => {
                let parts = self.world_parts(org, member);
                Outcome::Success(Box::new(response::success(
                    SessionFacts {
                        project_id: &self.world.project_id,
                        organization: org,
                        member,
                        external_session_token: &token,
                        duration_minutes: duration.minutes,
                        now,
                        custom_claims: claims,
                    },
                    &parts,
                    trace,
                )))
            }
            // Every step passed, so every input exists; this arm only keeps the match total.
            _ => fail(
                vec![Fault::bad_request(
                    Rule::ResponseShape,
                    "internal: a step left no value",
                )],
                policy,
                trace,
            ),
        }
    }
}

/// The value of a step that passed; a failed step's fault joins the list.
fn keep<T>(result: Result<T, Fault>, faults: &mut Vec<Fault>) -> Option<T> {
    result.map_err(|f| faults.push(f)).ok()
}

/// The error outcome from the collected faults (in evaluation order).
fn fail(faults: Vec<Fault>, policy: &Policy, trace: &mut Trace) -> Outcome {
    trace.hit(Rule::ErrorEnvelope);
    trace.hit(Rule::FailureChangesNothing);
    let mut kinds: Vec<ErrorType> = faults.iter().map(|f| f.error).collect();
    kinds.sort();
    kinds.dedup();
    if faults.len() > 1 {
        trace.hit(Rule::ErrorPrecedence);
    }
    let Some(first) = faults.into_iter().next() else {
        return Outcome::Error(ExpectedError {
            error_type: ErrorType::BadRequest,
            acceptable: vec![ErrorType::BadRequest],
            rule: Rule::ErrorEnvelope,
            message: "internal: no fault".into(),
        });
    };
    let acceptable = match policy.error_precedence {
        ErrorPrecedence::EvaluationOrder => vec![first.error],
        ErrorPrecedence::AnyApplicable => kinds,
    };
    Outcome::Error(ExpectedError {
        error_type: first.error,
        acceptable,
        rule: first.rule,
        message: first.message,
    })
}
