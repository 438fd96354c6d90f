//! Stable rule ids: every rule of the semantics, with its source.
//!
//! An id is never renamed or reused; tests, the conformance harness's coverage counters and
//! the fixture vectors cite them. `SPEC.md` states each rule in full; a test checks that it
//! lists exactly the ids below.

use std::fmt;

use crate::policy::Flag;

/// Where a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Documented by Stytch (API reference, guides, official SDKs or the OpenAPI spec).
    Documented,
    /// Decided by this project where the material is silent (section 2b of the brief).
    Decided,
    /// A policy flag decides it (section 2a); the model implements every choice.
    Policy(Flag),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Documented => f.write_str("documented"),
            Source::Decided => f.write_str("decided"),
            Source::Policy(flag) => write!(f, "policy {}", flag.name()),
        }
    }
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $Variant:ident = $id:literal, $source:expr; )+) => {
        /// A rule of the Migrate semantics. Each variant's doc line names its source.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$doc])* $Variant, )+
        }

        impl Rule {
            /// Every rule, in evaluation order.
            pub const ALL: &'static [Rule] = &[$(Rule::$Variant),+];

            /// The stable id, such as `claims.merge.null-deletes-nested`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$Variant => $id),+ }
            }

            /// Where the rule comes from.
            pub fn source(self) -> Source {
                #[allow(unused_imports, reason = "only some sources name a flag")]
                use Flag::*;
                match self { $(Rule::$Variant => $source),+ }
            }

            /// The rule with this id.
            pub fn from_id(id: &str) -> Option<Rule> {
                match id { $($id => Some(Rule::$Variant),)+ _ => None }
            }
        }
    };
}

use Source::{Decided, Documented};

rules! {
    /// Documented: the body is a JSON object (the request schema). Anything else is
    /// `bad_request`.
    BodyTopLevelObject = "body.top-level-object", Documented;
    /// Decided: the body must be valid UTF-8.
    BodyUtf8 = "body.utf8", Decided;
    /// Decided: a UTF-8 byte order mark makes the body `bad_request`.
    BodyBom = "body.bom", Decided;
    /// Documented: the body is RFC 8259 JSON; one value, nothing after it but whitespace.
    BodyJsonGrammar = "body.json-grammar", Documented;
    /// Policy `lone-surrogate`: an escaped lone surrogate is `bad_request` or U+FFFD.
    BodyLoneSurrogate = "body.lone-surrogate", Source::Policy(LoneSurrogate);
    /// Policy `nesting-limit`: deeper than 128 levels is `bad_request`, or no limit.
    BodyNestingLimit = "body.nesting-limit", Source::Policy(NestingLimit);
    /// Policy `duplicate-keys`: the last one wins, or `bad_request`.
    BodyDuplicateKeys = "body.duplicate-keys", Source::Policy(DuplicateKeys);
    /// Decided: lexical checks cover the whole text, semantic checks only the kept values.
    BodyLexicalWholeText = "body.lexical-whole-text", Decided;
    /// Decided: unknown top-level fields are ignored whatever they hold.
    BodyUnknownFieldsIgnored = "body.unknown-fields-ignored", Decided;
    /// Decided: field names match exactly (`Session_Token` is an unknown field).
    BodyFieldNamesExact = "body.field-names-exact", Decided;
    /// Documented: `session_token` is a required string; decided: it must be non-empty and
    /// is not trimmed.
    RequestSessionToken = "request.session-token", Documented;
    /// Documented: `organization_id` is a required string; decided: non-empty, not trimmed.
    RequestOrganizationId = "request.organization-id", Documented;
    /// Documented: an absent duration means 60 minutes.
    DurationDefault = "duration.default-60", Documented;
    /// Policy `null-duration`: an explicit `null` is absent, or `bad_request`.
    DurationNull = "duration.null", Source::Policy(NullDuration);
    /// Documented: the duration is an int32; a string, boolean, array or object is
    /// `bad_request`.
    DurationType = "duration.type", Documented;
    /// Policy `integral-float`: `60.0` and `6e1` are `bad_request`, or accepted as integers.
    DurationIntegralFloat = "duration.integral-float", Source::Policy(IntegralFloat);
    /// Decided: `-0` is the integer 0.
    DurationNegativeZero = "duration.negative-zero", Decided;
    /// Policy `int32-overflow`: beyond int32 is `invalid_session_duration_minutes`, or
    /// `bad_request`.
    DurationInt32Overflow = "duration.int32-overflow", Source::Policy(Int32Overflow);
    /// Policy `zero-duration`: `0` is `invalid_session_duration_minutes`, or absent.
    DurationZero = "duration.zero", Source::Policy(ZeroDuration);
    /// Documented: the duration must be within 5..=527040 minutes, else
    /// `invalid_session_duration_minutes`.
    DurationRange = "duration.range", Documented;
    /// Documented: a duration above the project's maximum is `invalid_session_duration`.
    DurationProjectMax = "duration.project-max", Documented;
    /// Policy `default-above-project-max`: the default 60 above a smaller project maximum is
    /// capped, or `invalid_session_duration`.
    DurationDefaultAboveProjectMax = "duration.default-above-project-max", Source::Policy(DefaultAboveProjectMax);
    /// Documented: `session_custom_claims` is an object; absent or `null` means none; any
    /// other type is `bad_request`.
    ClaimsType = "claims.type", Documented;
    /// Policy `claims-without-duration`: request claims apply always, or only with a
    /// duration.
    ClaimsWithoutDuration = "claims.without-duration", Source::Policy(ClaimsWithoutDuration);
    /// Policy `number-precision`: claims numbers are doubles (overflow is
    /// `unable_to_represent_custom_claims_json`, underflow 0), or exact text.
    ClaimsNumberPrecision = "claims.number-precision", Source::Policy(NumberPrecision);
    /// Policy `reserved-claims`: top-level `iss sub aud exp nbf iat jti` are dropped, or
    /// `reserved_claims_in_custom_claims` (even with a `null` value).
    ClaimsReserved = "claims.reserved", Source::Policy(ReservedClaims);
    /// Decided: top-level keys starting `https://stytch.com/` are treated like reserved
    /// claims (`stytch_claims_in_custom_claims` under reject).
    ClaimsStytchNamespace = "claims.stytch-namespace", Decided;
    /// Decided: reserved names are compared exactly and only at the top level.
    ClaimsReservedTopLevelOnly = "claims.reserved.top-level-only", Decided;
    /// Documented: the template gives every session's initial claims; request claims merge on
    /// top.
    ClaimsTemplateBase = "claims.template.base", Documented;
    /// Decided: reserved and namespaced keys in the template are dropped silently.
    ClaimsTemplateReservedDropped = "claims.template.reserved-dropped", Decided;
    /// Decided: nulls in the template are dropped (it is merged onto `{}`).
    ClaimsTemplateNullsDropped = "claims.template.nulls-dropped", Decided;
    /// Documented: a new value adds a key or overwrites it.
    ClaimsMergeAddOverwrite = "claims.merge.add-overwrite", Documented;
    /// Documented: `null` deletes a key.
    ClaimsMergeNullDeletes = "claims.merge.null-deletes", Documented;
    /// Documented: nested objects merge deeply.
    ClaimsMergeDeep = "claims.merge.deep", Documented;
    /// Documented: a nested `null` deletes the nested key.
    ClaimsMergeNullDeletesNested = "claims.merge.null-deletes-nested", Documented;
    /// Decided: arrays are replaced whole; `null` inside an array is a value.
    ClaimsMergeArraysReplaced = "claims.merge.arrays-replaced", Decided;
    /// Decided: an object with nothing to merge into is merged into `{}` (its nulls vanish).
    ClaimsMergeIntoEmpty = "claims.merge.into-empty", Decided;
    /// Policy `empty-object-after-delete`: an object left empty by the update's nulls is kept,
    /// or removed upwards.
    ClaimsMergeEmptyObjectAfterDelete = "claims.merge.empty-object-after-delete", Source::Policy(EmptyObjectAfterDelete);
    /// Documented: the final claims may not exceed 4 KB (`custom_claims_too_large`);
    /// policy `claims-size-limit` says 4096 or 4000 bytes.
    ClaimsSizeLimit = "claims.size.limit", Source::Policy(ClaimsSizeLimit);
    /// Policy `claims-size-measure`: JCS bytes, or Go `json.Marshal` bytes.
    ClaimsSizeMeasure = "claims.size.measure", Source::Policy(ClaimsSizeMeasure);
    /// Decided: the double `-0.0` is written `0` by JCS and `-0` by Go.
    ClaimsSizeNegativeZero = "claims.size.negative-zero", Decided;
    /// Documented: `organization_id` may be an organization id.
    OrgById = "org.by-id", Documented;
    /// Documented: `organization_id` may be an organization slug.
    OrgBySlug = "org.by-slug", Documented;
    /// Documented: `organization_id` may be an organization external id.
    OrgByExternalId = "org.by-external-id", Documented;
    /// Policy `org-lookup-order`: id, slug, external id; or id, external id, slug.
    OrgLookupOrder = "org.lookup-order", Source::Policy(OrgLookupOrder);
    /// Policy `slug-case`: slugs match exactly, or ASCII case-insensitively.
    OrgSlugCase = "org.slug-case", Source::Policy(SlugCase);
    /// Decided: ids and external ids match exactly (case-sensitive).
    OrgIdsExact = "org.ids-exact", Decided;
    /// Decided: no match is `organization_not_found` (404).
    OrgNotFound = "org.not-found", Decided;
    /// Documented: the token goes to the UserInfo endpoint; decided: an unreachable endpoint
    /// is `migrate_from_external_unexpected_response`.
    UserinfoUnreachable = "userinfo.unreachable", Decided;
    /// Decided: a non-2xx reply is `migrate_from_external_unexpected_response`.
    UserinfoNon2xx = "userinfo.non-2xx", Decided;
    /// Decided: an unknown token gets HTTP 401 from UserInfo.
    UserinfoUnknownToken = "userinfo.unknown-token", Decided;
    /// Decided: the reply body is parsed like the request body; failure or a non-object is
    /// `migrate_from_external_unexpected_response`.
    UserinfoBody = "userinfo.body", Decided;
    /// Documented: the reply needs a valid email; decided: one `@`, both sides non-empty, no
    /// Unicode White_Space, not trimmed; else `migrate_from_external_missing_userinfo`.
    UserinfoEmail = "userinfo.email", Documented;
    /// Policy `unverified-email`: `email_verified` of `false`/`"false"` is accepted, or
    /// `migrate_from_external_missing_userinfo`.
    UserinfoEmailVerified = "userinfo.email-verified", Source::Policy(UnverifiedEmail);
    /// Documented: the email must match an existing member of the organization (no
    /// just-in-time creation); else `migrate_from_external_email_does_not_exist`.
    MemberMustExist = "member.must-exist", Documented;
    /// Policy `email-case`: ASCII case-insensitive, or exact.
    MemberEmailCase = "member.email-case", Source::Policy(EmailCase);
    /// Policy `member-status`: active, pending and invited may migrate, or active only;
    /// deleted never.
    MemberStatus = "member.status", Source::Policy(MemberStatusPolicy);
    /// Documented: the session lasts the duration from now (`expires_at = now + duration`).
    SessionExpiry = "session.expiry", Documented;
    /// Decided: `started_at` = `last_accessed_at` = now.
    SessionStartedNow = "session.started-now", Decided;
    /// Decided: timestamps are written `YYYY-MM-DDTHH:MM:SSZ`.
    SessionTimestampFormat = "session.timestamp-format", Decided;
    /// Decided: one authentication factor, `imported` / `imported_auth0` in the model (any
    /// pair of the official enums in an implementation), `last_authenticated_at` = now.
    SessionAuthFactor = "session.auth-factor", Decided;
    /// Decided: session roles are the member's role ids in the world's order.
    SessionRoles = "session.roles", Decided;
    /// Decided: `member_session.custom_claims` is always present, `{}` when empty.
    SessionCustomClaimsPresent = "session.custom-claims-present", Decided;
    /// Documented: the migrated member is active (pending and invited become active).
    SessionMemberActive = "session.member-active", Documented;
    /// Documented: the response carries every required field of the official schemas; opaque
    /// values are non-empty, the new session token differs from the external one.
    ResponseShape = "response.shape", Documented;
    /// Documented: JWT header `alg` RS256, `typ` JWT, a `kid` of the JWKS.
    JwtHeader = "jwt.header", Documented;
    /// Documented: `iss`, `aud`, `sub`, `iat` = `nbf` = now.
    JwtRegisteredClaims = "jwt.registered-claims", Documented;
    /// Documented: the JWT lives 5 minutes whatever the session duration (`exp = iat + 300`).
    JwtLifetime = "jwt.lifetime", Documented;
    /// Documented: the `https://stytch.com/session` and `https://stytch.com/organization`
    /// claims; decided: `attributes` strings are not compared.
    JwtStytchClaims = "jwt.stytch-claims", Documented;
    /// Documented: custom claims sit at the top level of the payload.
    JwtCustomClaimsTopLevel = "jwt.custom-claims-top-level", Documented;
    /// Documented: the error envelope; decided: status 400 for validation and
    /// `migrate_from_external_*` errors, 404 for `organization_not_found`.
    ErrorEnvelope = "error.envelope", Decided;
    /// Policy `error-precedence`: the first error in evaluation order, or any applicable one.
    ErrorPrecedence = "error.precedence", Source::Policy(ErrorPrecedence);
    /// Decided: a failed migrate changes nothing (a pending member stays pending).
    FailureChangesNothing = "error.changes-nothing", Decided;
    /// Decided: worlds are validated before use; an invalid world is the caller's error.
    WorldValid = "world.valid", Decided;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
