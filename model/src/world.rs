//! Rule `world.valid`: the state the call runs against, and its validation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::parse::MAX_NESTING;

/// The smallest and largest session duration, in minutes (documented: 5 to 527040).
pub const DURATION_RANGE: std::ops::RangeInclusive<i64> = 5..=527_040;

/// Everything the call can see besides the request: the project, its organizations and
/// members, and what the external UserInfo endpoint answers for each token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// The Stytch project id (`iss` is `stytch.com/{project_id}`, `aud` is `[project_id]`).
    pub project_id: String,
    /// The project's configured maximum session duration in minutes, within 5..=527040.
    pub project_max_session_minutes: i64,
    /// The custom claims template: every session's initial claims. [`World::from_json`] reads
    /// its numbers exactly.
    #[serde(default)]
    pub claims_template: serde_json::Map<String, serde_json::Value>,
    /// The organizations and their members.
    #[serde(default)]
    pub organizations: Vec<Organization>,
    /// The UserInfo directory: the reply for each external session token. A token missing
    /// here gets HTTP 401, as a real endpoint answers an unknown token.
    #[serde(default)]
    pub userinfo: BTreeMap<String, UserInfoReply>,
}

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The organization id, such as `organization-test-...`.
    pub organization_id: String,
    /// The slug.
    pub slug: String,
    /// The external id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: String,
    /// The members.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// A member of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member id.
    pub member_id: String,
    /// The email address, as stored.
    pub email: String,
    /// The status.
    pub status: MemberStatus,
    /// Role ids, in order.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The display name.
    #[serde(default)]
    pub name: String,
}

/// A member's status (documented: one of these four).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Active.
    Active,
    /// Pending (created, never logged in).
    Pending,
    /// Invited.
    Invited,
    /// Deleted: never matches.
    Deleted,
}

impl MemberStatus {
    /// Every status.
    pub const ALL: &'static [MemberStatus] = &[
        MemberStatus::Active,
        MemberStatus::Pending,
        MemberStatus::Invited,
        MemberStatus::Deleted,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Pending => "pending",
            MemberStatus::Invited => "invited",
            MemberStatus::Deleted => "deleted",
        }
    }
}

/// What the UserInfo endpoint answers for one token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UserInfoReply {
    /// The endpoint cannot be reached (connection refused, timeout, TLS failure).
    Unreachable,
    /// An HTTP reply.
    Http {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: UserInfoBody,
    },
}

impl UserInfoReply {
    /// A 200 reply with this JSON body.
    pub fn ok(body: serde_json::Value) -> UserInfoReply {
        UserInfoReply::Http {
            status: 200,
            body: UserInfoBody::Json(body),
        }
    }

    /// A 200 reply whose body is `{"email": email}`.
    pub fn email(email: &str) -> UserInfoReply {
        UserInfoReply::ok(serde_json::json!({ "email": email }))
    }
}

/// A UserInfo reply body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UserInfoBody {
    /// A JSON value, sent as `serde_json` writes it.
    Json(
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arbitrary_world::json_value))]
        serde_json::Value,
    ),
    /// Raw bytes, for bodies that are not (valid) JSON.
    Raw(Vec<u8>),
}

impl UserInfoBody {
    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            UserInfoBody::Json(v) => v.to_string().into_bytes(),
            UserInfoBody::Raw(b) => b.clone(),
        }
    }
}

/// Why a world cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorldError {
    /// The project maximum is outside 5..=527040.
    ProjectMaxOutOfRange(i64),
    /// Two organizations share an id.
    DuplicateOrganizationId(String),
    /// Two organizations share an external id.
    DuplicateExternalId(String),
    /// Two organizations' slugs are equal ignoring ASCII case.
    DuplicateSlug(String, String),
    /// Two non-deleted members of one organization have emails equal ignoring ASCII case.
    DuplicateMemberEmail {
        /// The organization.
        organization_id: String,
        /// One of the two emails.
        email: String,
    },
    /// The claims template nests deeper than 128 levels (the model's merge recurses along
    /// the template, so it bounds the template's depth as a body's is bounded by default).
    TemplateTooDeep,
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::ProjectMaxOutOfRange(m) => write!(
                f,
                "invalid world: project_max_session_minutes is {m}, must be within 5..=527040"
            ),
            WorldError::DuplicateOrganizationId(id) => {
                write!(f, "invalid world: two organizations have the id {id:?}")
            }
            WorldError::DuplicateExternalId(id) => {
                write!(f, "invalid world: two organizations have the external id {id:?}")
            }
            WorldError::DuplicateSlug(a, b) => write!(
                f,
                "invalid world: the slugs {a:?} and {b:?} are equal ignoring ASCII case"
            ),
            WorldError::DuplicateMemberEmail {
                organization_id,
                email,
            } => write!(
                f,
                "invalid world: organization {organization_id:?} has two non-deleted members with the email {email:?} (ignoring ASCII case)"
            ),
            WorldError::TemplateTooDeep => write!(
                f,
                "invalid world: the claims template nests deeper than {MAX_NESTING} levels"
            ),
        }
    }
}

impl std::error::Error for WorldError {}

impl World {
    /// Reads a world from JSON text with exact numbers (see [`crate::json::to_serde_exact`]):
    /// the claims template holds the correctly rounded double of every number, whatever
    /// features `serde_json` is built with.
    pub fn from_json(bytes: &[u8]) -> Result<World, String> {
        let value = crate::json::to_serde_exact(bytes)?;
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// Checks the world's invariants (section 2b, last point).
    pub fn validate(&self) -> Result<(), WorldError> {
        if !DURATION_RANGE.contains(&self.project_max_session_minutes) {
            return Err(WorldError::ProjectMaxOutOfRange(
                self.project_max_session_minutes,
            ));
        }
        let mut ids = BTreeSet::new();
        let mut external_ids = BTreeSet::new();
        let mut slugs: BTreeMap<String, &str> = BTreeMap::new();
        for org in &self.organizations {
            if !ids.insert(org.organization_id.as_str()) {
                return Err(WorldError::DuplicateOrganizationId(
                    org.organization_id.clone(),
                ));
            }
            if let Some(ext) = &org.external_id {
                if !external_ids.insert(ext.as_str()) {
                    return Err(WorldError::DuplicateExternalId(ext.clone()));
                }
            }
            if let Some(other) = slugs.insert(org.slug.to_ascii_lowercase(), &org.slug) {
                return Err(WorldError::DuplicateSlug(
                    other.to_owned(),
                    org.slug.clone(),
                ));
            }
            let mut emails = BTreeSet::new();
            for m in org
                .members
                .iter()
                .filter(|m| m.status != MemberStatus::Deleted)
            {
                if !emails.insert(m.email.to_ascii_lowercase()) {
                    return Err(WorldError::DuplicateMemberEmail {
                        organization_id: org.organization_id.clone(),
                        email: m.email.clone(),
                    });
                }
            }
        }
        if template_depth(&self.claims_template) > MAX_NESTING {
            return Err(WorldError::TemplateTooDeep);
        }
        Ok(())
    }
}

/// Depth of the template, the top-level object being level 1; without recursion.
fn template_depth(template: &serde_json::Map<String, serde_json::Value>) -> usize {
    let mut max = 1;
    let mut stack: Vec<(&serde_json::Value, usize)> = template.values().map(|v| (v, 2)).collect();
    while let Some((v, d)) = stack.pop() {
        match v {
            serde_json::Value::Array(a) => {
                max = max.max(d);
                stack.extend(a.iter().map(|c| (c, d + 1)));
            }
            serde_json::Value::Object(o) => {
                max = max.max(d);
                stack.extend(o.values().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    max
}

/// `arbitrary::Arbitrary` for [`World`] (feature `arbitrary`, for fuzzing), written by hand: a
/// derived world would almost never be valid (a random `i64` maximum) nor ever match (random
/// ids and emails). These worlds are small and valid about 15 times in 16; their organization
/// keys, emails, tokens and claim keys come from small pools, so lookups collide and match as
/// often as they miss, and the pools hold the boundary values (reserved claim names, mixed
/// case, whitespace in emails, project maxima around 60 and 527040).
#[cfg(feature = "arbitrary")]
mod arbitrary_world {
    use arbitrary::{Arbitrary, Result, Unstructured};
    use serde_json::{json, Map, Value};

    use super::{Member, MemberStatus, Organization, UserInfoBody, UserInfoReply, World};

    const PROJECT_MAX: &[i64] = &[527_040, 60, 61, 59, 5, 30, 1440, 4, 527_041];
    const ORG_KEYS: &[&str] = &["org-a", "org-b", "a", "b", "A", "ext-a", "Org-A", " a", "é"];
    const EMAILS: &[&str] = &[
        "ada@acme.test",
        "ADA@acme.test",
        "bob@acme.test",
        "Bob@Acme.Test",
        "a@b",
        "ada@acme@test",
        " ada@acme.test",
        "ada@acme.test\u{a0}",
        "",
    ];
    const TOKENS: &[&str] = &["tok-0", "tok-1", "tok-2", "tok-3", "tok-4", "tok-5"];
    const STATUSES: &[u16] = &[200, 201, 204, 299, 300, 302, 401, 404, 500, 503];
    const KEYS: &[&str] = &[
        "a",
        "b",
        "plan",
        "o",
        "",
        "iss",
        "sub",
        "jti",
        "ISS",
        "https://stytch.com/session",
        "https://stytch.com",
        "<&>",
        "\u{2028}",
    ];
    const NUMBERS: &[f64] = &[
        0.0,
        -0.0,
        1.0,
        0.1,
        1e21,
        1e-7,
        9_007_199_254_740_992.0,
        f64::MAX,
    ];

    fn pick(u: &mut Unstructured<'_>, pool: &[&str]) -> Result<String> {
        // Mostly from the pool (its first entry when the data runs out), sometimes anything.
        let i = u.choose_index(pool.len() + 1)?;
        match pool.get(i) {
            Some(s) => Ok((*s).to_owned()),
            None => String::arbitrary(u),
        }
    }

    /// A small JSON value (at most `depth` levels of arrays and objects).
    fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
        let kinds = if depth == 0 { 4 } else { 6 };
        Ok(match u.choose_index(kinds)? {
            0 => Value::Null,
            1 => Value::Bool(bool::arbitrary(u)?),
            2 => match u.choose_index(3)? {
                0 => json!(i64::arbitrary(u)?),
                1 => json!(*u.choose(NUMBERS)?),
                _ => f64::arbitrary(u)
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
            },
            3 => Value::String(pick(u, KEYS)?),
            4 => Value::Array(
                (0..u.int_in_range(0..=3)?)
                    .map(|_| value(u, depth - 1))
                    .collect::<Result<_>>()?,
            ),
            _ => Value::Object(object(u, depth - 1)?),
        })
    }

    fn object(u: &mut Unstructured<'_>, depth: u32) -> Result<Map<String, Value>> {
        let mut m = Map::new();
        for _ in 0..u.int_in_range(0..=4)? {
            m.insert(pick(u, KEYS)?, value(u, depth)?);
        }
        Ok(m)
    }

    /// The `with` of [`UserInfoBody::Json`]: a small JSON value.
    pub(super) fn json_value(u: &mut Unstructured<'_>) -> Result<Value> {
        value(u, 3)
    }

    fn reply(u: &mut Unstructured<'_>) -> Result<UserInfoReply> {
        Ok(match u.choose_index(6)? {
            0 | 1 => UserInfoReply::email(&pick(u, EMAILS)?),
            2 => UserInfoReply::Unreachable,
            3 => UserInfoReply::ok(json!({
                "email": pick(u, EMAILS)?,
                "email_verified": u.choose(&[json!(false), json!("false"), json!(true), json!(0)])?.clone(),
            })),
            4 => UserInfoReply::Http {
                status: match STATUSES.get(u.choose_index(STATUSES.len() + 1)?) {
                    Some(status) => *status,
                    None => u16::arbitrary(u)?,
                },
                body: UserInfoBody::arbitrary(u)?,
            },
            _ => UserInfoReply::arbitrary(u)?,
        })
    }

    impl<'a> Arbitrary<'a> for World {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            // Valid unless this says otherwise (and it says so rarely; never on empty data).
            let keep_valid = u.ratio(15, 16)?;
            let max = match PROJECT_MAX.get(u.choose_index(PROJECT_MAX.len() + 1)?) {
                Some(max) => *max,
                None => u.int_in_range(5..=527_040)?,
            };
            let project_max_session_minutes = if keep_valid {
                max.clamp(5, 527_040)
            } else {
                max
            };
            let mut organizations: Vec<Organization> = Vec::new();
            for o in 0..u.int_in_range(0..=4)? {
                let org = Organization {
                    organization_id: pick(u, ORG_KEYS)?,
                    slug: pick(u, ORG_KEYS)?,
                    external_id: if bool::arbitrary(u)? {
                        Some(pick(u, ORG_KEYS)?)
                    } else {
                        None
                    },
                    name: pick(u, ORG_KEYS)?,
                    members: Vec::new(),
                };
                let clash = organizations.iter().any(|p| {
                    p.organization_id == org.organization_id
                        || p.slug.eq_ignore_ascii_case(&org.slug)
                        || (p.external_id.is_some() && p.external_id == org.external_id)
                });
                if clash && keep_valid {
                    continue;
                }
                let mut org = org;
                for m in 0..u.int_in_range(0..=4)? {
                    let member = Member {
                        member_id: format!("member-{o}-{m}"),
                        email: pick(u, EMAILS)?,
                        status: MemberStatus::arbitrary(u)?,
                        roles: (0..u.int_in_range(0..=2)?)
                            .map(|_| pick(u, &["stytch_member", "admin", ""]))
                            .collect::<Result<_>>()?,
                        name: pick(u, &["Ada", ""])?,
                    };
                    let clash = member.status != MemberStatus::Deleted
                        && org.members.iter().any(|p| {
                            p.status != MemberStatus::Deleted
                                && p.email.eq_ignore_ascii_case(&member.email)
                        });
                    if !(clash && keep_valid) {
                        org.members.push(member);
                    }
                }
                organizations.push(org);
            }
            let mut userinfo = std::collections::BTreeMap::new();
            for _ in 0..u.int_in_range(0..=6)? {
                userinfo.insert(pick(u, TOKENS)?, reply(u)?);
            }
            Ok(World {
                project_id: pick(u, &["project-test-11111111", ""])?,
                project_max_session_minutes,
                claims_template: object(u, 3)?,
                organizations,
                userinfo,
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::World;

    /// `65281517519135030e-14` is one of the numbers `serde_json` rounds wrongly without its
    /// `float_roundtrip` feature; the template must hold the correctly rounded double anyway.
    #[test]
    fn template_numbers_are_read_exactly_without_serde_json_features() {
        let text = r#"{"project_id":"p","project_max_session_minutes":60,
            "claims_template":{"x":65281517519135030e-14,"n":{"y":-0,"big":18446744073709551616,"i":-5,"u":9007199254740993}}}"#;
        let world = World::from_json(text.as_bytes()).unwrap();
        let t = &world.claims_template;
        let want: f64 = "65281517519135030e-14".parse().unwrap();
        assert_eq!(t["x"].as_f64().map(f64::to_bits), Some(want.to_bits()));
        let n = &t["n"];
        assert!(n["y"]
            .as_f64()
            .is_some_and(|y| y == 0.0 && y.is_sign_negative()));
        assert_eq!(n["big"].as_f64(), Some(18446744073709551616.0));
        assert_eq!(n["i"].as_i64(), Some(-5));
        assert_eq!(n["u"].as_u64(), Some(9007199254740993));
        let round = World::from_json(serde_json::to_string(&world).unwrap().as_bytes()).unwrap();
        assert_eq!(round, world);
        let twice = r#"{"project_id":"p","project_id":"q","project_max_session_minutes":60}"#;
        assert!(World::from_json(twice.as_bytes()).is_err());
        let bad =
            r#"{"project_id":"p","project_max_session_minutes":60,"claims_template":{"x":1e400}}"#;
        let err = World::from_json(bad.as_bytes()).unwrap_err();
        assert!(err.contains("out of range"), "{err}");
    }
}
