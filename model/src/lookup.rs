//! Steps 6 to 8: the organization, the UserInfo call, and the member.

use crate::fault::{Fault, Trace};
use crate::json::Json;
use crate::parse::{parse, ParseOptions};
use crate::policy::{
    EmailCase, MemberStatusPolicy, OrgLookupOrder, Policy, SlugCase, UnverifiedEmail,
};
use crate::rules::Rule;
use crate::world::{Member, MemberStatus, Organization, UserInfoBody, UserInfoReply};
use crate::ErrorType;
use std::borrow::Cow;

/// How `organization_id` matched an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgKey {
    /// By organization id.
    Id,
    /// By slug.
    Slug,
    /// By external id.
    ExternalId,
}

impl OrgKey {
    fn rule(self) -> Rule {
        match self {
            OrgKey::Id => Rule::OrgById,
            OrgKey::Slug => Rule::OrgBySlug,
            OrgKey::ExternalId => Rule::OrgByExternalId,
        }
    }
}

/// Step 6: the organization named by `value` (an id, a slug or an external id), in the
/// order `org-lookup-order` gives.
pub fn resolve_organization<'w>(
    organizations: &'w [Organization],
    value: &str,
    policy: &Policy,
    trace: &mut Trace,
) -> Result<(&'w Organization, OrgKey), Fault> {
    let slug_matches = |o: &Organization| match policy.slug_case {
        SlugCase::Exact => o.slug == value,
        SlugCase::AsciiInsensitive => o.slug.eq_ignore_ascii_case(value),
    };
    let by_id = organizations.iter().find(|o| o.organization_id == value);
    let by_slug = organizations.iter().find(|o| slug_matches(o));
    let by_external = organizations
        .iter()
        .find(|o| o.external_id.as_deref() == Some(value));

    // Situations worth counting, whichever way the policy decides them.
    if organizations
        .iter()
        .any(|o| o.slug != value && o.slug.eq_ignore_ascii_case(value))
    {
        trace.hit(Rule::OrgSlugCase);
    }
    if organizations.iter().any(|o| {
        (o.organization_id != value && o.organization_id.eq_ignore_ascii_case(value))
            || o.external_id
                .as_deref()
                .is_some_and(|e| e != value && e.eq_ignore_ascii_case(value))
    }) {
        trace.hit(Rule::OrgIdsExact);
    }
    let distinct = [by_id, by_slug, by_external]
        .iter()
        .flatten()
        .map(|o| o.organization_id.as_str())
        .collect::<std::collections::BTreeSet<_>>();
    if distinct.len() > 1 {
        trace.hit(Rule::OrgLookupOrder);
    }

    let order = match policy.org_lookup_order {
        OrgLookupOrder::IdSlugExternal => [
            (by_id, OrgKey::Id),
            (by_slug, OrgKey::Slug),
            (by_external, OrgKey::ExternalId),
        ],
        OrgLookupOrder::IdExternalSlug => [
            (by_id, OrgKey::Id),
            (by_external, OrgKey::ExternalId),
            (by_slug, OrgKey::Slug),
        ],
    };
    for (found, key) in order {
        if let Some(org) = found {
            trace.hit(key.rule());
            return Ok((org, key));
        }
    }
    trace.hit(Rule::OrgNotFound);
    Err(Fault::new(
        ErrorType::OrganizationNotFound,
        Rule::OrgNotFound,
        format!("no organization has the id, slug or external id {value:?}"),
    ))
}

/// Whether `email` is a valid address by the model's definition: exactly one `@`, both sides
/// non-empty, no Unicode White_Space character. Emails are not trimmed.
pub fn is_valid_email(email: &str) -> bool {
    let mut parts = email.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty() && !domain.is_empty() && !email.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

/// Step 7: the email the UserInfo endpoint answers for `token` (`None`: the token is not in
/// the directory, which a real endpoint answers with 401).
pub fn userinfo_email(
    reply: Option<&UserInfoReply>,
    policy: &Policy,
    trace: &mut Trace,
) -> Result<String, Fault> {
    userinfo_email_with(reply, |body| Cow::Owned(body.to_bytes()), policy, trace)
}

/// [`userinfo_email`], with the reply body's bytes from `bytes` (a caller may keep them).
pub fn userinfo_email_with<'b>(
    reply: Option<&'b UserInfoReply>,
    bytes: impl FnOnce(&'b UserInfoBody) -> Cow<'b, [u8]>,
    policy: &Policy,
    trace: &mut Trace,
) -> Result<String, Fault> {
    let unexpected = |rule: Rule, message: String| {
        Fault::new(
            ErrorType::MigrateFromExternalUnexpectedResponse,
            rule,
            message,
        )
    };
    let missing = |rule: Rule, message: &str| {
        Fault::new(ErrorType::MigrateFromExternalMissingUserinfo, rule, message)
    };
    let (status, body) = match reply {
        None => {
            trace.hit(Rule::UserinfoUnknownToken);
            return Err(unexpected(
                Rule::UserinfoUnknownToken,
                "the UserInfo endpoint answered 401: it does not know this session token".into(),
            ));
        }
        Some(UserInfoReply::Unreachable) => {
            trace.hit(Rule::UserinfoUnreachable);
            return Err(unexpected(
                Rule::UserinfoUnreachable,
                "the UserInfo endpoint could not be reached".into(),
            ));
        }
        Some(UserInfoReply::Http { status, body }) => (*status, body),
    };
    trace.hit(Rule::UserinfoNon2xx);
    if !(200..=299).contains(&status) {
        return Err(unexpected(
            Rule::UserinfoNon2xx,
            format!("the UserInfo endpoint answered HTTP {status}"),
        ));
    }
    trace.hit(Rule::UserinfoBody);
    let mut value = parse(&bytes(body), ParseOptions::from(policy)).map_err(|e| {
        unexpected(
            Rule::UserinfoBody,
            format!("the UserInfo reply is not valid JSON: {e}"),
        )
    })?;
    let Some(reply) = value.take_object() else {
        return Err(unexpected(
            Rule::UserinfoBody,
            format!(
                "the UserInfo reply is a JSON {}, not an object",
                value.type_name()
            ),
        ));
    };
    trace.hit(Rule::UserinfoEmail);
    let email = match reply.get("email") {
        Some(Json::String(s)) if is_valid_email(s) => s.clone(),
        _ => {
            return Err(missing(
                Rule::UserinfoEmail,
                "the UserInfo reply has no valid email",
            ))
        }
    };
    let unverified = matches!(reply.get("email_verified"), Some(Json::Bool(false)))
        || matches!(reply.get("email_verified"), Some(Json::String(s)) if s == "false");
    if unverified {
        trace.hit(Rule::UserinfoEmailVerified);
        if policy.unverified_email == UnverifiedEmail::Reject {
            return Err(missing(
                Rule::UserinfoEmailVerified,
                "the UserInfo reply says the email is not verified",
            ));
        }
    }
    Ok(email)
}

/// Step 8: the member of `org` that `email` names and that may migrate.
pub fn match_member<'w>(
    org: &'w Organization,
    email: &str,
    policy: &Policy,
    trace: &mut Trace,
) -> Result<&'w Member, Fault> {
    trace.hit(Rule::MemberMustExist);
    let loosely = |m: &&Member| m.email.eq_ignore_ascii_case(email);
    if org.members.iter().filter(loosely).any(|m| m.email != email) {
        trace.hit(Rule::MemberEmailCase);
    }
    let email_matches = |m: &&Member| match policy.email_case {
        EmailCase::AsciiInsensitive => m.email.eq_ignore_ascii_case(email),
        EmailCase::Exact => m.email == email,
    };
    let mut found = None;
    for m in org.members.iter().filter(email_matches) {
        if m.status != MemberStatus::Active {
            trace.hit(Rule::MemberStatus);
        }
        let allowed = match (m.status, policy.member_status) {
            (MemberStatus::Deleted, _) => false,
            (MemberStatus::Active, _) => true,
            (_, MemberStatusPolicy::ActivePendingInvited) => true,
            (_, MemberStatusPolicy::ActiveOnly) => false,
        };
        if allowed {
            found = Some(m);
        }
    }
    found.ok_or_else(|| {
        Fault::new(
            ErrorType::MigrateFromExternalEmailDoesNotExist,
            Rule::MemberMustExist,
            format!(
                "no member of organization {:?} that may migrate has the email {email:?}",
                org.organization_id
            ),
        )
    })
}
