//! The emulator's core: an implementation of `POST /v1/b2b/sessions/migrate` written the way
//! a production service would be, plus the organization and member records it needs, and its
//! mutants.
//!
//! [`Engine`] is an independent implementation of the default policy profile: it shares data
//! types with the model (the [`World`] it is loaded with, the [`Policy`] it declares) but none
//! of the model's semantic code, so the suite checking it against the model proves something.
//! [`Engine::with_bug`] switches on one [`Bug`]: a small, realistic deviation that the suite
//! must catch.
//!
//! The call runs in the documented order, and the first failing step is the answer:
//! body, `session_token`, `organization_id`, `session_duration_minutes`,
//! `session_custom_claims`, organization lookup, UserInfo, member match, claims size. The
//! engine does no I/O: [`Engine::begin`] runs the steps before the UserInfo call and says
//! where to make it ([`UserInfoCall`]), and [`Engine::finish`] takes its reply and runs the
//! rest, so the HTTP server can make the call without holding the engine. [`Engine::migrate`]
//! does all three for a world whose UserInfo directory is in memory.
//!
//! ```
//! use migrate_emulator::engine::{Bug, Engine};
//!
//! let correct = Engine::new();
//! let mutant = Engine::with_bug(Bug::ShallowMerge);
//! assert!(correct.jwks().is_ok());
//! assert_eq!(mutant.bug(), Some(Bug::ShallowMerge));
//! ```

mod bugs;
mod claims;
mod errors;
pub mod keys;
pub mod management;
mod pitfalls;
mod request;
mod response;
mod store;
mod wire;

use migrate_model::policy::{
    ClaimsSizeLimit, ClaimsSizeMeasure, ClaimsWithoutDuration, DefaultAboveProjectMax,
    DuplicateKeys, EmailCase, EmptyObjectAfterDelete, ErrorPrecedence, Int32Overflow,
    IntegralFloat, LoneSurrogate, MemberStatusPolicy, NestingLimit, NullDuration, NumberPrecision,
    OrgLookupOrder, ReservedClaims, SlugCase, UnverifiedEmail, ZeroDuration,
};
use migrate_model::{MemberStatus, Policy, World};
use serde_json::{json, Value};

pub use bugs::Bug;
pub use errors::{ApiError, ErrorKind};
pub use management::{NewMember, NewOrganization};
pub use store::UserInfoResponse;

use claims::{Claims, Measure, MergeRules, Numbers, Protect};
use request::{DurationField, DurationRules};
use response::{
    AuthenticationFactor, MemberObject, MemberSession, MigrateResponse, OrganizationClaim,
    OrganizationObject, SessionAttributes, SessionClaim, TimeStyle,
};
use store::{MemberRef, Store, DURATION_BOUNDS};

/// The session duration when the request gives none, in minutes.
const DEFAULT_SESSION_MINUTES: i64 = 60;

/// The session JWT's lifetime, whatever the session's.
const JWT_LIFETIME_SECONDS: i64 = 300;

/// The deepest body the emulator reads under `nesting-limit = none` (documented in its
/// README): deeper bodies get `bad_request` with a message naming this limit.
pub const MAX_UNLIMITED_DEPTH: usize = 100_000;

/// Bodies nested deeper than this are handled on a thread with a stack sized for them.
const DEEP: usize = 128;

/// Runs `f` on a thread whose stack holds `depth` levels of the recursive readers and writers
/// (debug builds take several KiB per level).
/// `Err` when no such thread can be started (the call then gets a 500, never a crash).
fn on_deep_stack<T: Send>(depth: usize, f: impl FnOnce() -> T + Send) -> Result<T, String> {
    let stack = (32 << 20) + depth.saturating_mul(8 << 10);
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("migrate-deep".into())
            .stack_size(stack)
            .spawn_scoped(scope, f)
            .map_err(|e| format!("cannot start a thread for a body {depth} levels deep: {e}"))?;
        Ok(handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// Why a document was not read by [`Engine::read_nested`].
enum Deep {
    /// It nests deeper than [`MAX_UNLIMITED_DEPTH`].
    TooDeep(usize),
    /// No thread with a large enough stack could be started.
    NoThread(String),
}

impl Deep {
    /// The error for a request body.
    fn into_api_error(self) -> ApiError {
        match self {
            Deep::TooDeep(depth) => ApiError::bad_request(format!(
                "the body nests {depth} levels deep; this emulator reads at most {MAX_UNLIMITED_DEPTH} under nesting-limit=none"
            )),
            Deep::NoThread(why) => internal(why),
        }
    }
}

/// An HTTP answer: the status and the JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The body (always JSON).
    pub body: Vec<u8>,
}

impl Response {
    /// The error envelope of `error` for the call `request_id`.
    pub fn error(error: &ApiError, request_id: String) -> Response {
        let body = serde_json::to_vec(&error.envelope(request_id))
            .unwrap_or_else(|_| br#"{"status_code":500}"#.to_vec());
        Response {
            status: error.kind.status(),
            body,
        }
    }
}

/// Where the UserInfo reply for a call comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserInfoCall {
    /// The world's directory already holds the reply.
    Answered(UserInfoResponse),
    /// `GET url` with `Authorization: Bearer <token>` (the caller makes the request).
    Fetch {
        /// The configured UserInfo URL.
        url: String,
        /// The external session token.
        token: String,
    },
}

/// A call that passed the steps before the UserInfo call (see [`Engine::begin`]).
#[derive(Debug)]
pub struct Pending {
    request_id: String,
    now: i64,
    external_token: String,
    organization_id: String,
    minutes: i64,
    request_claims: Option<Claims>,
    /// How deep the body nests (a deep one finishes on a large stack too).
    depth: usize,
    /// Where to get the UserInfo reply.
    pub userinfo: UserInfoCall,
}

/// The emulator's implementation (correct, or with one [`Bug`]).
#[derive(Debug, Default)]
pub struct Engine {
    store: Store,
    bug: Option<Bug>,
    profile: Policy,
}

impl Engine {
    /// The correct implementation, with an empty project.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// The implementation under another policy profile.
    pub fn with_profile(profile: Policy) -> Engine {
        Engine {
            profile,
            ..Engine::default()
        }
    }

    /// A mutant: the implementation with `bug`, under the profile the bug is wrong under
    /// ([`Bug::profile`]).
    pub fn with_bug(bug: Bug) -> Engine {
        Engine {
            bug: Some(bug),
            profile: bug.profile(),
            ..Engine::default()
        }
    }

    /// The policy profile this implementation follows.
    pub fn profile(&self) -> Policy {
        self.profile
    }

    /// Switches to another policy profile (the state stays).
    pub fn set_profile(&mut self, profile: Policy) {
        self.profile = profile;
    }

    /// The JWKS (`{"keys": [...]}`) that verifies this process's session JWTs.
    pub fn jwks(&self) -> Result<Value, String> {
        keys::jwks()
    }

    /// The project id.
    pub fn project_id(&self) -> &str {
        &self.store.project_id
    }

    /// Replaces the whole state with `world` (the UserInfo replies come from its directory).
    /// A world that cannot be loaded leaves an empty state.
    pub fn load_world(&mut self, world: &World) -> Result<(), String> {
        self.store = Store::default();
        self.store = Store::load(world)?;
        Ok(())
    }

    /// Makes UserInfo calls go to `url` over HTTP instead of the world's directory.
    pub fn set_userinfo_url(&mut self, url: Option<String>) {
        self.store.userinfo_url = url;
    }

    /// The bug, if this is a mutant.
    pub fn bug(&self) -> Option<Bug> {
        self.bug
    }

    /// The stored status of the member with this id (to observe that a success activates a
    /// member and a failure changes nothing).
    pub fn member_status(&self, member_id: &str) -> Option<MemberStatus> {
        self.store.member_by_id(member_id).map(|m| m.status)
    }

    /// Handles one migrate request body at `now` (Unix seconds), taking the UserInfo reply
    /// from the world's directory. With a UserInfo URL configured, use [`Engine::begin`] and
    /// [`Engine::finish`] and make the HTTP call in between.
    pub fn migrate(&mut self, body: &[u8], now: i64) -> Response {
        match self.begin(body, now) {
            Err(response) => response,
            Ok(pending) => {
                let reply = match &pending.userinfo {
                    UserInfoCall::Answered(reply) => reply.clone(),
                    // Nothing in this process can make the call: it is as good as unreachable.
                    UserInfoCall::Fetch { .. } => UserInfoResponse::Unreachable,
                };
                self.finish(pending, reply)
            }
        }
    }

    /// Runs `read` over the document `bytes` on this thread, or, for a document nested deeper
    /// than [`DEEP`], on a thread whose stack holds it. Only under `nesting-limit = none` can a
    /// document be that deep, so only then is its depth scanned.
    fn read_nested<T: Send>(
        &self,
        bytes: &[u8],
        read: impl FnOnce() -> T + Send,
    ) -> Result<T, Deep> {
        if self.profile.nesting_limit != NestingLimit::Unlimited {
            return Ok(read());
        }
        match wire::depth(bytes) {
            depth if depth <= DEEP => Ok(read()),
            depth if depth > MAX_UNLIMITED_DEPTH => Err(Deep::TooDeep(depth)),
            depth => on_deep_stack(depth, read).map_err(Deep::NoThread),
        }
    }

    /// Steps 1 to 6: the body, its fields and the organization. `Err` is the answer.
    pub fn begin(&self, body: &[u8], now: i64) -> Result<Pending, Response> {
        let request_id = new_request_id();
        let steps = || self.begin_steps(body, now, &request_id);
        let result = self
            .read_nested(body, steps)
            .unwrap_or_else(|deep| Err(deep.into_api_error()));
        result
            .map_err(|error| Response::error(&error, request_id.clone()))
            .map(|mut pending| {
                pending.request_id = request_id;
                pending
            })
    }

    /// Steps 7 to 10, with the UserInfo reply for the pending call.
    pub fn finish(&mut self, pending: Pending, userinfo: UserInfoResponse) -> Response {
        match self.finish_unsigned(pending, userinfo) {
            Finished::Answer(response) => response,
            Finished::ToSign(unsigned) => unsigned.sign(),
        }
    }

    /// Steps 7 to 10, all but the JWT's signature: a server calls this under its lock on the
    /// engine and signs after releasing it ([`Unsigned::sign`] needs no state), so that
    /// concurrent calls sign in parallel.
    pub fn finish_unsigned(&mut self, pending: Pending, userinfo: UserInfoResponse) -> Finished {
        let request_id = pending.request_id.clone();
        if pending.depth > DEEP {
            let depth = pending.depth;
            let id = request_id.clone();
            return on_deep_stack(depth, move || {
                self.finish_unsigned_here(pending, userinfo, id)
            })
            .unwrap_or_else(|why| Finished::Answer(Response::error(&internal(why), request_id)));
        }
        self.finish_unsigned_here(pending, userinfo, request_id)
    }

    fn finish_unsigned_here(
        &mut self,
        pending: Pending,
        userinfo: UserInfoResponse,
        request_id: String,
    ) -> Finished {
        match self.finish_steps(pending, userinfo) {
            Ok(unsigned) => Finished::ToSign(unsigned),
            Err(error) => Finished::Answer(Response::error(&error, request_id)),
        }
    }

    fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    /// The lexical checks of a document (request or UserInfo body), as this project reads it.
    fn read_document<'a>(&self, bytes: &'a [u8]) -> Result<wire::Document<'a>, wire::WireError> {
        let lenient = self.bug.and_then(|bug| pitfalls::lenient_body(bytes, bug));
        match lenient {
            None => wire::read_document(bytes, self.lexical()),
            Some(rewritten) => {
                wire::read_document(&rewritten, self.lexical()).map(|d| wire::Document {
                    text: std::borrow::Cow::Owned(d.text.into_owned()),
                    depth: d.depth,
                })
            }
        }
    }

    /// A document's top-level members (the last of duplicates kept).
    fn read_fields<'t>(&self, text: &'t str) -> Result<wire::RawObject<'t>, wire::WireError> {
        if !(self.has(Bug::DuplicateFirstWins)
            || self.has(Bug::DiscardedDuplicateChecked)
            || self.has(Bug::FieldNamesCaseInsensitive))
        {
            return wire::parse_object(text);
        }
        let members = wire::parse_members(text)?;
        let mut fields = wire::RawObject::new();
        for (key, value) in members {
            if self.has(Bug::DiscardedDuplicateChecked) && !request::plausible_type(&key, value) {
                return Err(wire::WireError::Grammar);
            }
            let key = if self.has(Bug::FieldNamesCaseInsensitive) {
                request::KNOWN_FIELDS
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(&key))
                    .map_or(key, |known| (*known).to_owned())
            } else {
                key
            };
            if self.has(Bug::DuplicateFirstWins) {
                fields.entry(key).or_insert(value);
            } else {
                fields.insert(key, value);
            }
        }
        Ok(fields)
    }

    /// A required string field of the request.
    fn string_field(
        &self,
        fields: &wire::RawObject<'_>,
        name: &'static str,
    ) -> Result<String, ApiError> {
        let value = request::required_string(fields, name)?;
        if self.has(Bug::EmptyZeroString) && value == "0" {
            return Err(ApiError::bad_request(format!("{name} is required")));
        }
        if self.has(Bug::IdsTrimmed) {
            let trimmed = value.trim();
            if trimmed.is_empty() {
                return Err(ApiError::bad_request(format!("{name} must not be empty")));
            }
            return Ok(trimmed.to_owned());
        }
        Ok(value)
    }

    /// Whether the UserInfo email is a valid address.
    fn is_valid_email(&self, email: &str) -> bool {
        if self.has(Bug::EmailAtAnywhere) {
            return email.contains('@');
        }
        let bug = self.bug;
        is_valid_email(email, |c| {
            bug.and_then(|bug| pitfalls::email_whitespace(bug, c))
                .unwrap_or_else(|| c.is_whitespace())
        })
    }

    /// How this project reads JSON documents (request and UserInfo bodies).
    fn lexical(&self) -> wire::Lexical {
        let p = &self.profile;
        wire::Lexical {
            max_depth: match p.nesting_limit {
                NestingLimit::Levels128 if self.has(Bug::NestingLimit1000) => Some(1000),
                NestingLimit::Levels128 if self.has(Bug::NestingLimit127) => Some(127),
                NestingLimit::Levels128 if self.has(Bug::NestingLimit100) => Some(100),
                NestingLimit::Levels128 => Some(wire::MAX_DEPTH),
                NestingLimit::Unlimited if self.has(Bug::NestingLimit512) => Some(512),
                NestingLimit::Unlimited => None,
            },
            reject_duplicates: p.duplicate_keys == DuplicateKeys::BadRequest,
            duplicates_top_level_only: self.has(Bug::DuplicatesTopLevelOnly),
            replace_lone_surrogates: p.lone_surrogate == LoneSurrogate::Replace
                || self.has(Bug::LoneSurrogateAccepted),
            // The mutant's slip is in the replacement, so it shows only when replacing.
            drop_lone_surrogates: p.lone_surrogate == LoneSurrogate::Replace
                && self.has(Bug::LoneSurrogateDropped),
        }
    }

    /// How claims numbers are held.
    fn numbers(&self) -> Numbers {
        match self.profile.number_precision {
            NumberPrecision::Double
                if self.has(Bug::BigIntExact)
                    || self.has(Bug::PythonFloatReprSize)
                    || self.has(Bug::JavaDoubleSize) =>
            {
                Numbers::IntegersExact
            }
            NumberPrecision::Double if self.has(Bug::InfinityToNull) => {
                Numbers::DoublesOverflowNull
            }
            NumberPrecision::Double => Numbers::Doubles,
            NumberPrecision::ExactText if self.has(Bug::ExactTextThroughDouble) => Numbers::Doubles,
            NumberPrecision::ExactText => Numbers::ExactText,
        }
    }

    fn begin_steps(&self, body: &[u8], now: i64, request_id: &str) -> Result<Pending, ApiError> {
        let p = self.profile;
        let document = self
            .read_document(body)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let fields = self
            .read_fields(&document.text)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        if self.has(Bug::OverflowInUnknownFieldRefused)
            && claims::read_object(&document.text, Numbers::Doubles)
                == Err(claims::ReadError::Unrepresentable)
        {
            return Err(ApiError::bad_request(
                "the body holds a number out of range",
            ));
        }
        let external_token = self.string_field(&fields, request::SESSION_TOKEN)?;
        let organization_key = self.string_field(&fields, request::ORGANIZATION_ID)?;
        // Under any-applicable precedence any failing step's error will do: this service
        // looks the organization up first, as a database-backed one might.
        let look_up_first =
            self.has(Bug::WrongPrecedence) || p.error_precedence == ErrorPrecedence::AnyApplicable;
        let looked_up_early = if look_up_first {
            Some(self.find_organization(&organization_key)?)
        } else {
            None
        };
        let duration_rules = DurationRules {
            accept_integral_float: p.integral_float == IntegralFloat::Accept
                || self.has(Bug::FloatIntegralAccepted)
                || self.has(Bug::FloatTruncated),
            int32_overflow_bad_request: p.int32_overflow == Int32Overflow::BadRequest,
            truncate_fraction: self.has(Bug::IntegralFloatTruncates)
                || self.has(Bug::FloatTruncated),
            positive_overflow_out_of_range: self.has(Bug::PositiveOverflowOutOfRange),
            bool_as_integer: self.has(Bug::BoolAsInteger),
            numeric_string: self.has(Bug::NumericStringDuration),
            wrap_int32: self.has(Bug::Int32Wraparound),
        };
        let minutes = request::duration_field(&fields, duration_rules)
            .and_then(|field| self.session_minutes(field));
        let minutes = match minutes {
            Err(e)
                if self.has(Bug::AnyApplicableBadRequest)
                    && p.error_precedence == ErrorPrecedence::AnyApplicable =>
            {
                Err(ApiError::bad_request(e.message.to_string()))
            }
            other => other,
        }?;
        let request_claims = self.request_claims(&fields)?;
        let organization = match looked_up_early {
            Some(found) => found,
            None => self.find_organization(&organization_key)?,
        };
        let organization_id = self
            .store
            .organization(organization)
            .map(|o| o.id.clone())
            .ok_or_else(|| internal("the organization vanished".into()))?;
        let userinfo = match &self.store.userinfo_url {
            Some(url) => UserInfoCall::Fetch {
                url: url.clone(),
                token: external_token.clone(),
            },
            None => UserInfoCall::Answered(self.store.call_userinfo(&external_token)),
        };
        Ok(Pending {
            request_id: request_id.to_owned(),
            now,
            external_token,
            organization_id,
            minutes,
            request_claims,
            depth: document.depth,
            userinfo,
        })
    }

    /// Step 5: the request's claims, or none (`Ok(None)` also when they are ignored for want
    /// of a duration).
    fn request_claims(&self, fields: &wire::RawObject<'_>) -> Result<Option<Claims>, ApiError> {
        let p = self.profile;
        if let Some(raw) = fields.get(request::SESSION_CUSTOM_CLAIMS) {
            let text = raw.get();
            if self.has(Bug::FalsyClaimsAbsent)
                && matches!(text, "false" | "0" | "-0" | "0.0" | "\"\"" | "[]")
            {
                return Ok(None);
            }
            if self.has(Bug::ArrayClaimsAccepted) && text.starts_with('[') {
                return match claims::read_value(text, self.numbers()) {
                    Ok(claims::Claim::Array(items)) => Ok(Some(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (i.to_string(), v))
                            .collect(),
                    )),
                    _ => Err(ApiError::bad_request("session_custom_claims is not valid")),
                };
            }
        }
        if let Some(error) = request::claims_type_error(fields) {
            return Err(error);
        }
        let ignore_without_duration = p.claims_without_duration == ClaimsWithoutDuration::Ignore
            && request::gives_no_duration(
                fields,
                p.null_duration == NullDuration::Absent,
                p.zero_duration == ZeroDuration::Absent,
                p.integral_float == IntegralFloat::Accept,
            );
        if ignore_without_duration {
            return Ok(None);
        }
        let claims = request::custom_claims(fields, self.numbers())?;
        if p.reserved_claims == ReservedClaims::Reject {
            if let Some(claims) = &claims {
                if let Some(key) = claims.keys().find(|k| claims::is_reserved(k)) {
                    return Err(ApiError::new(
                        ErrorKind::ReservedClaimsInCustomClaims,
                        format!("session_custom_claims may not set the reserved claim {key:?}"),
                    ));
                }
                let namespaced = claims.keys().find(|k| claims::is_namespaced(k));
                if let (Some(key), false) = (namespaced, self.has(Bug::RejectMissesNamespaced)) {
                    return Err(ApiError::new(
                        ErrorKind::StytchClaimsInCustomClaims,
                        format!("session_custom_claims may not set Stytch's claim {key:?}"),
                    ));
                }
            }
        }
        Ok(claims)
    }

    fn finish_steps(
        &mut self,
        pending: Pending,
        userinfo: UserInfoResponse,
    ) -> Result<Unsigned, ApiError> {
        // The state may have changed since `begin` (a new world): look the organization up
        // again, by the id step 6 resolved.
        let organization = self
            .store
            .organization_by_id(&pending.organization_id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::OrganizationNotFound,
                    "the organization was removed during the call",
                )
            })?;
        let email = self.userinfo_email(userinfo)?;
        let member = self.find_member(organization, &email)?;
        let claims = self.final_claims(pending.request_claims)?;
        let body = self.start_session(SessionInput {
            request_id: &pending.request_id,
            organization,
            member,
            external_token: &pending.external_token,
            minutes: pending.minutes,
            now: pending.now,
            claims: &claims,
        })?;
        // Only a complete success touches the store.
        self.store.activate(member);
        Ok(body)
    }

    /// Step 4: the session length in minutes.
    fn session_minutes(&self, field: DurationField) -> Result<i64, ApiError> {
        let p = self.profile;
        let project_max = self.store.max_session_minutes;
        let minutes = match field {
            DurationField::Null
                if p.null_duration == NullDuration::BadRequest
                    && !self.has(Bug::NullDurationAccepted)
                    || self.has(Bug::NullDurationRejected) =>
            {
                return Err(ApiError::bad_request(
                    "session_duration_minutes must be an integer",
                ));
            }
            DurationField::Minutes {
                minutes: 0,
                negative_zero,
            } if (p.zero_duration == ZeroDuration::Absent || self.has(Bug::FalsyZeroAbsent))
                && !(negative_zero && self.has(Bug::MinusZeroNotAbsent)) =>
            {
                return self.default_minutes(project_max);
            }
            DurationField::Absent | DurationField::Null => {
                return self.default_minutes(project_max);
            }
            DurationField::Minutes { minutes, .. } => i64::from(minutes),
        };
        let lowest = if self.has(Bug::DurationMinOffByOne) {
            DURATION_BOUNDS.0 - 1
        } else {
            DURATION_BOUNDS.0
        };
        let highest = if self.has(Bug::DurationMaxOffByOne) {
            DURATION_BOUNDS.1 + 1
        } else {
            DURATION_BOUNDS.1
        };
        if !(lowest..=highest).contains(&minutes) {
            return Err(ApiError::new(
                ErrorKind::InvalidSessionDurationMinutes,
                "session_duration_minutes should be between 5 to 527040 minutes",
            ));
        }
        if minutes > project_max {
            return Err(ApiError::new(
                ErrorKind::InvalidSessionDuration,
                format!(
                    "session_duration_minutes exceeds the project's maximum session duration of {project_max} minutes"
                ),
            ));
        }
        Ok(minutes)
    }

    /// The length of a session the request gives no duration for.
    fn default_minutes(&self, project_max: i64) -> Result<i64, ApiError> {
        let default = if self.has(Bug::Default60Seconds) {
            DEFAULT_SESSION_MINUTES / 60
        } else if self.has(Bug::Default60Hours) {
            DEFAULT_SESSION_MINUTES * 60
        } else {
            DEFAULT_SESSION_MINUTES
        };
        let too_long = if self.has(Bug::DefaultRejectAt60) {
            project_max <= default
        } else {
            project_max < default
        };
        if too_long && self.profile.default_above_project_max == DefaultAboveProjectMax::Reject {
            return Err(ApiError::new(
                ErrorKind::InvalidSessionDuration,
                format!(
                    "the default session duration of {default} minutes exceeds the project's maximum of {project_max}"
                ),
            ));
        }
        // A project that allows less than the default gets its own maximum.
        Ok(default.min(project_max))
    }

    /// Step 6: the organization by id, then slug and external id in the profile's order.
    fn find_organization(&self, key: &str) -> Result<usize, ApiError> {
        let p = self.profile;
        let store = &self.store;
        let by_id = || store.organization_by_id(key);
        let by_slug = || match p.slug_case {
            SlugCase::Exact => store.organization_by_slug(key),
            SlugCase::AsciiInsensitive if self.has(Bug::SlugUnicodeFold) => store
                .organizations()
                .iter()
                .position(|o| pitfalls::fold_equal(&o.slug, key)),
            SlugCase::AsciiInsensitive => store.organization_by_slug_ignoring_ascii_case(key),
        };
        let by_external_id = || {
            if p.slug_case == SlugCase::AsciiInsensitive && self.has(Bug::ExternalIdCaseInsensitive)
            {
                store.organization_by_external_id_ignoring_ascii_case(key)
            } else {
                store.organization_by_external_id(key)
            }
        };
        let found = if self.has(Bug::SlugBeforeId) {
            by_slug().or_else(by_id).or_else(by_external_id)
        } else if self.has(Bug::LookupOrderHardCoded) {
            by_id().or_else(by_slug).or_else(by_external_id)
        } else {
            match p.org_lookup_order {
                OrgLookupOrder::IdSlugExternal => by_id().or_else(by_slug).or_else(by_external_id),
                OrgLookupOrder::IdExternalSlug => by_id().or_else(by_external_id).or_else(by_slug),
            }
        };
        found.ok_or_else(|| {
            ApiError::new(
                ErrorKind::OrganizationNotFound,
                "no organization has this organization_id, slug or external id",
            )
        })
    }

    /// Step 8: the organization's member with that email (by the profile's comparison) whose
    /// status may migrate.
    fn find_member(&self, organization: usize, email: &str) -> Result<MemberRef, ApiError> {
        let p = self.profile;
        let scope: Vec<usize> = if self.has(Bug::OtherOrgMemberAccepted) {
            (0..self.store.organizations().len()).collect()
        } else {
            vec![organization]
        };
        let lowered;
        let email = if self.has(Bug::EmailLowercasedBeforeExact) && p.email_case == EmailCase::Exact
        {
            lowered = email.to_lowercase();
            lowered.as_str()
        } else {
            email
        };
        for org in scope {
            let Some(record) = self.store.organization(org) else {
                continue;
            };
            let found = record.members.iter().position(|m| {
                let slipped = self
                    .bug
                    .and_then(|bug| pitfalls::emails_match(bug, &m.email, email));
                let email_matches = if let Some(matches) = slipped {
                    matches
                } else if self.has(Bug::EmailCaseSensitive) || p.email_case == EmailCase::Exact {
                    m.email == email
                } else {
                    m.email.eq_ignore_ascii_case(email)
                };
                let may_migrate = match (m.status, p.member_status) {
                    (MemberStatus::Active, _) => true,
                    (
                        MemberStatus::Pending | MemberStatus::Invited,
                        MemberStatusPolicy::ActivePendingInvited,
                    ) => true,
                    (MemberStatus::Invited, MemberStatusPolicy::ActiveOnly) => {
                        self.has(Bug::ActiveOnlyAllowsInvited)
                    }
                    (MemberStatus::Pending, MemberStatusPolicy::ActiveOnly) => false,
                    (MemberStatus::Deleted, _) => self.has(Bug::DeletedMemberAccepted),
                };
                email_matches && may_migrate
            });
            if let Some(member) = found {
                return Ok(MemberRef {
                    organization: org,
                    member,
                });
            }
        }
        Err(ApiError::new(
            ErrorKind::MigrateFromExternalEmailDoesNotExist,
            "no member of the organization has the email the external UserInfo endpoint gave",
        ))
    }

    /// Step 9: the template, the request's claims merged on top, and the size limit.
    fn final_claims(&self, request_claims: Option<Claims>) -> Result<Claims, ApiError> {
        let p = self.profile;
        let remove_emptied = p.empty_object_after_delete == EmptyObjectAfterDelete::Remove;
        let rules = MergeRules {
            shallow_top_level: self.has(Bug::ShallowMerge),
            store_top_level_null: self.has(Bug::NullStored),
            store_nested_null: self.has(Bug::NestedNullIgnored),
            remove_emptied,
            remove_without_cascade: self.has(Bug::RemoveWithoutCascade),
            arrays_by_index: self.has(Bug::ArraysMergedByIndex),
        };
        let mut merged = Claims::new();
        let skip_template = request_claims.is_none()
            && self.has(Bug::IgnoredClaimsDropTemplate)
            && p.claims_without_duration == ClaimsWithoutDuration::Ignore;
        if !skip_template {
            let mut template = claims::from_template(&self.store.claims_template, self.numbers());
            claims::drop_protected(&mut template, Protect::ALL);
            claims::merge(&mut merged, template, rules);
        }

        let measure = match p.claims_size_measure {
            ClaimsSizeMeasure::Jcs => match self.bug.and_then(claims::Slip::of) {
                Some(slip) => Measure::Slipped(slip),
                None => Measure::Jcs,
            },
            ClaimsSizeMeasure::GoJson => Measure::GoJson {
                html_escape: !self.has(Bug::GoJsonNoHtmlEscape),
            },
        };
        let mut request_size = None;
        if let Some(mut update) = request_claims {
            claims::drop_protected(
                &mut update,
                Protect {
                    reserved: !self.has(Bug::ReservedClaimPassed),
                    namespaced: !self.has(Bug::StytchClaimOverrides),
                },
            );
            if self.has(Bug::SizeBeforeMerge) {
                request_size = Some(claims::size(&update, measure));
            }
            claims::merge(&mut merged, update, rules);
        }
        let size = if self.has(Bug::SizeBeforeMerge) {
            request_size.unwrap_or(0)
        } else {
            claims::size(&merged, measure)
        };
        let limit = match p.claims_size_limit {
            _ if self.has(Bug::SizeLimit4000) => 4000,
            ClaimsSizeLimit::Bytes4096 => 4096,
            ClaimsSizeLimit::Bytes4000 => 4000,
        };
        let too_large = if self.has(Bug::Limit4000Exclusive)
            && p.claims_size_limit == ClaimsSizeLimit::Bytes4000
        {
            size >= limit
        } else {
            size > limit
        };
        if too_large {
            return Err(ApiError::new(
                ErrorKind::CustomClaimsTooLarge,
                format!("the session's custom claims take {size} bytes, more than {limit}"),
            ));
        }
        Ok(merged)
    }

    /// Step 7: the email the external UserInfo endpoint gives for the token.
    fn userinfo_email(&self, reply: UserInfoResponse) -> Result<String, ApiError> {
        let unexpected =
            |why: String| ApiError::new(ErrorKind::MigrateFromExternalUnexpectedResponse, why);
        let body = match reply {
            UserInfoResponse::Unreachable => {
                return Err(unexpected(
                    "the external UserInfo endpoint could not be reached".into(),
                ))
            }
            UserInfoResponse::Unusable(why) => {
                return Err(unexpected(format!(
                    "the external UserInfo reply is unusable: {why}"
                )))
            }
            UserInfoResponse::Http { status, .. } if !(200..=299).contains(&status) => {
                return Err(unexpected(format!(
                    "the external UserInfo endpoint answered HTTP {status}"
                )))
            }
            UserInfoResponse::Http { body, .. } => body,
        };
        // The reply is read by the same rules as a request body.
        let latin1;
        let body = if self.has(Bug::EmailLatin1Decoded) {
            latin1 = pitfalls::latin1_to_utf8(&body);
            &latin1
        } else {
            &body
        };
        let read = |body: &[u8]| -> Result<(Option<String>, Option<Unverified>), wire::WireError> {
            let document = self.read_document(body)?;
            let fields = self.read_fields(&document.text)?;
            let email = fields
                .get("email")
                .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
            // `false`, or a string whose value is exactly "false" (however escaped).
            let verified = fields
                .get("email_verified")
                .and_then(|raw| match raw.get() {
                    "false" => Some(Unverified::Json),
                    text => serde_json::from_str::<String>(text)
                        .ok()
                        .filter(|s| s == "false")
                        .map(|_| Unverified::Text),
                });
            Ok((email, verified))
        };
        let (email, verified) = match self.read_nested(body, || read(body)) {
            Ok(parsed) => parsed.map_err(|e| e.to_string()),
            Err(Deep::TooDeep(depth)) => Err(format!(
                "it nests {depth} levels deep, past the {MAX_UNLIMITED_DEPTH} this emulator reads"
            )),
            Err(Deep::NoThread(why)) => return Err(internal(why)),
        }
        .map_err(|why| unexpected(format!("the external UserInfo reply is unusable: {why}")))?;
        let missing = |why: &str| {
            ApiError::new(
                ErrorKind::MigrateFromExternalMissingUserinfo,
                why.to_owned(),
            )
        };
        let email = email
            .map(|email| match self.has(Bug::EmailTrimmed) {
                true => email.trim().to_owned(),
                false => email,
            })
            .filter(|email| self.is_valid_email(email))
            .ok_or_else(|| missing("the external UserInfo reply has no valid email"))?;
        if self.profile.unverified_email == UnverifiedEmail::Reject {
            let unverified = match verified {
                Some(Unverified::Json) => true,
                Some(Unverified::Text) => !self.has(Bug::UnverifiedStringAccepted),
                None => false,
            };
            if unverified {
                return Err(missing(
                    "the external UserInfo reply says the email is not verified",
                ));
            }
        }
        Ok(email)
    }

    /// Step 10: the session, its JWT's payload and the response body (its `session_jwt`
    /// left for [`Unsigned::sign`]).
    fn start_session(&self, input: SessionInput<'_>) -> Result<Unsigned, ApiError> {
        let (organization, member) = self
            .store
            .organization(input.organization)
            .zip(self.store.member(input.member))
            .ok_or_else(|| internal("the organization or member vanished".into()))?;
        let mut now = input.now;
        let mut expires = input
            .minutes
            .checked_mul(60)
            .and_then(|seconds| now.checked_add(seconds))
            .ok_or_else(|| internal("the session's expiry is out of range".into()))?;
        if self.has(Bug::ExpiryInt32Seconds) {
            // Held in 32 bits on purpose: the mutant's slip.
            now = i64::from(now as i32);
            expires = i64::from(expires as i32);
        }
        let style = if self.has(Bug::TimestampsWithFraction) {
            TimeStyle::Fraction
        } else if self.has(Bug::TimestampsOffsetSuffix) {
            TimeStyle::OffsetSuffix
        } else if self.has(Bug::TimeDropsZeroSeconds) {
            TimeStyle::DropZeroSeconds
        } else {
            TimeStyle::Plain
        };
        let started_at = response::timestamp(now, style);
        let expires_at = response::timestamp(expires, style);
        let member_session_id = format!("member-session-test-{}", keys::random_uuid());
        let factors = vec![AuthenticationFactor {
            kind: response::FACTOR_TYPE,
            delivery_method: response::FACTOR_DELIVERY_METHOD,
            last_authenticated_at: started_at.clone(),
        }];

        // The JWT: custom claims at the top level, then ours (which they never collide with).
        let mut payload = input.claims.clone();
        let project_id = &self.store.project_id;
        let jwt_exp = if self.has(Bug::JwtExpSessionExpiry) {
            expires
        } else {
            now.checked_add(JWT_LIFETIME_SECONDS)
                .ok_or_else(|| internal("the JWT's expiry is out of range".into()))?
        };
        let ours = |value: Value| claims::from_json(&value, Numbers::Doubles);
        payload.insert("sub".into(), ours(json!(member.id)));
        payload.insert(
            "iss".into(),
            ours(json!(format!("stytch.com/{project_id}"))),
        );
        payload.insert("aud".into(), ours(json!([project_id])));
        payload.insert("iat".into(), ours(json!(now)));
        payload.insert("nbf".into(), ours(json!(now)));
        payload.insert("exp".into(), ours(json!(jwt_exp)));
        payload.insert(
            "https://stytch.com/session".into(),
            ours(to_value(&SessionClaim {
                id: &member_session_id,
                started_at: &started_at,
                last_accessed_at: &started_at,
                expires_at: &expires_at,
                attributes: SessionAttributes::default(),
                authentication_factors: &factors,
                roles: &member.roles,
            })?),
        );
        payload.insert(
            "https://stytch.com/organization".into(),
            ours(to_value(&OrganizationClaim {
                organization_id: &organization.id,
                slug: &organization.slug,
            })?),
        );
        if self.has(Bug::StytchClaimOverrides) {
            for (key, value) in input.claims {
                if claims::is_namespaced(key) {
                    payload.insert(key.clone(), value.clone());
                }
            }
        }
        let payload = serde_json::to_vec(&payload)
            .map_err(|e| internal(format!("cannot write the JWT's payload: {e}")))?;

        let session_token = if self.has(Bug::SessionTokenReused) {
            input.external_token.to_owned()
        } else {
            keys::random_session_token()
        };
        let status = if self.has(Bug::MemberStaysPending) {
            member.status.name()
        } else {
            MemberStatus::Active.name()
        };
        let body = MigrateResponse {
            request_id: input.request_id.to_owned(),
            member_id: &member.id,
            session_token,
            session_jwt: String::new(),
            member: MemberObject::new(organization, member, status),
            organization: OrganizationObject::new(organization),
            member_session: MemberSession {
                member_session_id: member_session_id.clone(),
                member_id: &member.id,
                started_at: started_at.clone(),
                last_accessed_at: started_at,
                expires_at,
                authentication_factors: factors,
                organization_id: &organization.id,
                roles: &member.roles,
                organization_slug: &organization.slug,
                custom_claims: (!(input.claims.is_empty()
                    && self.has(Bug::CustomClaimsOmittedWhenEmpty)))
                .then_some(input.claims),
            },
            status_code: 200,
        };
        let body = serde_json::to_vec(&body)
            .map_err(|e| internal(format!("cannot write the response: {e}")))?;
        Ok(Unsigned {
            request_id: input.request_id.to_owned(),
            body,
            payload,
        })
    }
}

/// The end of a call: its answer, or a success still to be signed.
#[derive(Debug)]
pub enum Finished {
    /// The answer (an error).
    Answer(Response),
    /// A success whose JWT is still to be signed.
    ToSign(Unsigned),
}

/// A successful answer without its JWT's signature: the body with `"session_jwt":""`, and
/// the JWT's payload. Its state is all decided; signing touches nothing else.
#[derive(Debug)]
pub struct Unsigned {
    request_id: String,
    body: Vec<u8>,
    payload: Vec<u8>,
}

impl Unsigned {
    /// Signs the JWT (RS256) and puts it in the body.
    pub fn sign(self) -> Response {
        let jwt = match keys::sign_payload(&self.payload) {
            Ok(jwt) => jwt,
            Err(e) => {
                return Response::error(
                    &internal(format!("cannot sign the JWT: {e}")),
                    self.request_id,
                )
            }
        };
        // The field is written before any value the call chose or the request gave, so its
        // first occurrence is this one (a quote inside a string value is escaped anyway).
        const EMPTY: &[u8] = br#""session_jwt":"""#;
        let Some(at) = self.body.windows(EMPTY.len()).position(|w| w == EMPTY) else {
            return Response::error(
                &internal("the body has no session_jwt".into()),
                self.request_id,
            );
        };
        let value_at = at + EMPTY.len() - 1;
        let mut body = Vec::with_capacity(self.body.len() + jwt.len());
        body.extend_from_slice(&self.body[..value_at]);
        body.extend_from_slice(jwt.as_bytes());
        body.extend_from_slice(&self.body[value_at..]);
        Response { status: 200, body }
    }
}

/// An `email_verified` that says no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unverified {
    /// JSON `false`.
    Json,
    /// The string `"false"`.
    Text,
}

/// What step 10 starts from.
#[derive(Debug)]
struct SessionInput<'a> {
    request_id: &'a str,
    organization: usize,
    member: MemberRef,
    external_token: &'a str,
    minutes: i64,
    now: i64,
    claims: &'a Claims,
}

/// A valid email: exactly one `@`, text on both sides, no whitespace (Unicode White_Space)
/// anywhere; `whitespace` decides what counts as whitespace.
fn is_valid_email(email: &str, whitespace: impl Fn(char) -> bool) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(whitespace)
        }
        None => false,
    }
}

fn internal(message: String) -> ApiError {
    ApiError::new(ErrorKind::InternalServerError, message)
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| internal(format!("cannot write a JWT claim: {e}")))
}

/// How deep a world's JSON may nest: a template of 128 levels and UserInfo bodies somewhat
/// deeper than the request limit, inside the world's own wrappers.
const MAX_WORLD_DEPTH: usize = 512;

/// Reads a [`World`] from JSON (the control route's body), nesting bounded before parsing.
pub fn read_world(bytes: &[u8]) -> Result<World, String> {
    let text = wire::prescan_to_depth(bytes, MAX_WORLD_DEPTH).map_err(|e| e.to_string())?;
    // Exact numbers in the claims template, whatever serde_json's features.
    World::from_json(text.as_bytes())
}

/// A new request id, shaped like Stytch's.
pub fn new_request_id() -> String {
    format!("request-id-test-{}", keys::random_uuid())
}

#[cfg(test)]
mod tests {
    use super::is_valid_email;

    #[test]
    fn a_success_activates_an_invited_member_and_a_failure_changes_nothing() {
        use migrate_model::testworld::rich_world;
        use migrate_model::MemberStatus;
        let mut engine = super::Engine::new();
        engine
            .load_world(&rich_world(MemberStatus::Invited, 527_040, "{}"))
            .expect("loads");
        assert_eq!(
            engine.member_status("member-ada"),
            Some(MemberStatus::Invited)
        );
        assert_eq!(engine.member_status("member-nobody"), None);
        let call = |organization: &str| {
            serde_json::json!({"session_token": "tok-ada", "organization_id": organization})
                .to_string()
        };
        let failed = engine.migrate(call("organization-test-nowhere").as_bytes(), 1_700_000_000);
        assert_eq!(failed.status, 404);
        assert_eq!(
            engine.member_status("member-ada"),
            Some(MemberStatus::Invited)
        );
        let succeeded = engine.migrate(call("acme").as_bytes(), 1_700_000_000);
        assert_eq!(succeeded.status, 200);
        assert_eq!(
            engine.member_status("member-ada"),
            Some(MemberStatus::Active)
        );
    }

    #[test]
    fn the_jwt_goes_into_the_session_jwt_field_whatever_the_ids_hold() {
        use migrate_model::{
            Member, MemberStatus, Organization, UserInfoBody, UserInfoReply, World,
        };
        // Ids and a token that spell the field the signature is spliced into.
        let tricky = r#"x","session_jwt":"","y":""#;
        let world = World {
            project_id: "project-test-1".into(),
            project_max_session_minutes: 527_040,
            claims_template: serde_json::Map::new(),
            organizations: vec![Organization {
                organization_id: tricky.into(),
                slug: "acme".into(),
                external_id: None,
                name: "Acme".into(),
                members: vec![Member {
                    member_id: tricky.into(),
                    email: "ada@acme.test".into(),
                    status: MemberStatus::Active,
                    roles: vec![],
                    name: String::new(),
                }],
            }],
            userinfo: [(
                tricky.to_owned(),
                UserInfoReply::Http {
                    status: 200,
                    body: UserInfoBody::Json(serde_json::json!({"email": "ada@acme.test"})),
                },
            )]
            .into(),
        };
        let mut engine = super::Engine::new();
        engine.load_world(&world).expect("loads");
        let request = serde_json::json!({
            "session_token": tricky,
            "organization_id": tricky,
            "session_custom_claims": {"session_jwt": ""},
        });
        let answer = engine.migrate(request.to_string().as_bytes(), 1_700_000_000);
        assert_eq!(answer.status, 200);
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
        assert_eq!(body["member_id"], tricky);
        assert_eq!(body["member_session"]["custom_claims"]["session_jwt"], "");
        let jwt = body["session_jwt"].as_str().expect("a string");
        assert_eq!(jwt.split('.').count(), 3, "{jwt}");
    }

    #[test]
    fn emails() {
        for ok in ["a@b", "Ada@Acme.test", "x.y+z@q", "é@ü"] {
            assert!(is_valid_email(ok, char::is_whitespace), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a@b@c",
            "a @b",
            "a@b\u{a0}",
            "a@b\u{2028}",
            " a@b",
        ] {
            assert!(!is_valid_email(bad, char::is_whitespace), "{bad:?}");
        }
    }
}
