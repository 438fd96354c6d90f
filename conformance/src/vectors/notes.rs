//! What each policy flag decides, for the notes table of every vector file.

use migrate_model::Flag;

/// The open question `flag` settles, in one or two sentences.
pub fn flag_meaning(flag: Flag) -> &'static str {
    match flag {
        Flag::ReservedClaims => "Reserved JWT claims (iss sub aud exp nbf iat jti) and https://stytch.com/ keys in the request claims: the API reference says they are ignored, the guides that they are an error (reserved_claims_in_custom_claims / stytch_claims_in_custom_claims).",
        Flag::ClaimsSizeMeasure => "How the 4 KB claims limit is measured: bytes of the RFC 8785 canonical JSON of the final claims, or of Go's json.Marshal output (which escapes < > & U+2028 U+2029 and writes -0).",
        Flag::ClaimsSizeLimit => "What 4 KB is: 4096 or 4000 bytes.",
        Flag::ClaimsWithoutDuration => "Whether request claims apply when no duration is given (absent, or treated as absent), or are then ignored unread (the template still applies).",
        Flag::NullDuration => "An explicit null session_duration_minutes: the same as absent, or bad_request.",
        Flag::ZeroDuration => "An explicit 0 duration: invalid_session_duration_minutes like any value below 5, or the same as absent (Go servers cannot tell 0 from absent).",
        Flag::IntegralFloat => "A duration written 60.0 or 6e1: bad_request, or accepted when its exact decimal value is an integer.",
        Flag::Int32Overflow => "A duration outside the int32 range: invalid_session_duration_minutes, or bad_request.",
        Flag::DefaultAboveProjectMax => "No duration and a project maximum below 60: the duration becomes the maximum, or invalid_session_duration.",
        Flag::DuplicateKeys => "The same key twice in one object anywhere in the body: the last one wins (the discarded value gets no semantic check), or bad_request.",
        Flag::NumberPrecision => "Numbers in claims and template: IEEE-754 doubles (overflow to infinity is unable_to_represent_custom_claims_json, underflow is 0), or the exact decimal text as given.",
        Flag::LoneSurrogate => "An escaped lone surrogate such as \\ud800 anywhere in the body: bad_request, or replaced with U+FFFD.",
        Flag::OrgLookupOrder => "A value that is one organization's slug and another's external id: organization_id, then slug, then external id; or organization_id, then external id, then slug.",
        Flag::SlugCase => "How organization slugs are matched: exactly, or ASCII case-insensitively.",
        Flag::EmailCase => "How the UserInfo email is matched to members' emails: ASCII case-insensitively over the whole address, or exactly.",
        Flag::MemberStatusPolicy => "Which members can migrate: active, pending and invited (the latter become active), or active only. Deleted members never can.",
        Flag::UnverifiedEmail => "A UserInfo reply whose email_verified is false or \"false\": accepted, or migrate_from_external_missing_userinfo.",
        Flag::EmptyObjectAfterDelete => "An object that the update's nulls left empty: kept as {}, or removed (and so on upwards).",
        Flag::NestingLimit => "How deep a body may nest: up to 128 levels (the top-level value is level 1), or without limit.",
        Flag::ErrorPrecedence => "Which error answers a request with several faults: the first in the model's evaluation order, or any applicable one (the vector lists the set).",
    }
}
