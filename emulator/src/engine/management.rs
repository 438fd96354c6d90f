//! The part of Stytch's B2B organization and member API that sets up what migrate needs, the
//! way a user does it against Stytch: create and get an organization, create and get a member,
//! search members. Answers have the official shapes (`api_organization_v1_Organization`,
//! `api_organization_v1_Member`); validation errors use Stytch's error types.

use migrate_model::MemberStatus;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::errors::{ApiError, ErrorKind};
use super::response::{MemberObject, OrganizationObject};
use super::store::{MemberExtra, MemberRecord, OrganizationRecord};
use super::{is_valid_email, keys, wire, Engine};

/// `POST /v1/b2b/organizations`: the fields this emulator keeps. Other fields are accepted
/// and ignored.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewOrganization {
    /// `organization_name` (required).
    #[serde(default)]
    pub organization_name: Option<String>,
    /// `organization_slug`; derived from the name when absent.
    #[serde(default)]
    pub organization_slug: Option<String>,
    /// `organization_external_id`.
    #[serde(default)]
    pub organization_external_id: Option<String>,
}

/// `POST /v1/b2b/organizations/{organization_id}/members`: the fields this emulator keeps.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewMember {
    /// `email_address` (required).
    #[serde(default)]
    pub email_address: Option<String>,
    /// `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `create_member_as_pending`: the member starts `pending` instead of `active`.
    #[serde(default)]
    pub create_member_as_pending: Option<bool>,
    /// `roles`: role ids to assign.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// `external_id`: unique in the organization; the member routes accept it for the
    /// member id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `trusted_metadata`: any JSON object, given back as it is.
    #[serde(default)]
    pub trusted_metadata: Option<Value>,
    /// `untrusted_metadata`: any JSON object, given back as it is.
    #[serde(default)]
    pub untrusted_metadata: Option<Value>,
}

/// `POST /v1/b2b/magic_links/email/invite`: the fields this emulator keeps (no email is
/// sent; the member is created `invited`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewInvite {
    /// `organization_id` (required).
    #[serde(default)]
    pub organization_id: Option<String>,
    /// `email_address` (required).
    #[serde(default)]
    pub email_address: Option<String>,
    /// `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `roles`: role ids to assign.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// `trusted_metadata`.
    #[serde(default)]
    pub trusted_metadata: Option<Value>,
    /// `untrusted_metadata`.
    #[serde(default)]
    pub untrusted_metadata: Option<Value>,
}

/// A member search: `organization_ids` and an optional query over emails and member ids.
#[derive(Clone, Debug, Default, Deserialize)]
struct MemberSearch {
    #[serde(default)]
    organization_ids: Option<Vec<String>>,
    #[serde(default)]
    query: Option<SearchQuery>,
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    operands: Vec<SearchOperand>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct SearchOperand {
    filter_name: String,
    #[serde(default)]
    filter_value: Value,
}

/// Reads a JSON request body with the same lexical rules as migrate.
pub fn read_body<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let text = wire::prescan(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid: {e}")))
}

/// A slug from a name: lowercase ASCII letters and digits, other runs as `-`.
fn slug_from(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.len() < 2 {
        format!("organization-{}", &keys::random_uuid()[..8])
    } else {
        slug.chars().take(128).collect()
    }
}

/// Stytch's slug rule: 2 to 128 characters, each alphanumeric or one of `-._~`.
fn valid_slug(slug: &str) -> bool {
    (2..=128).contains(&slug.chars().count())
        && slug
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
}

fn organization_not_found() -> ApiError {
    ApiError::new(
        ErrorKind::OrganizationNotFound,
        "organization_id does not name an organization of this project",
    )
}

fn member_not_found() -> ApiError {
    ApiError::new(
        ErrorKind::MemberNotFound,
        "no such member in this organization",
    )
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Engine {
    /// The organization a member route names: its id, or as a convenience its slug or
    /// external id (as the official API reference allows).
    fn member_route_organization(&self, key: &str) -> Result<usize, ApiError> {
        self.store
            .organization_by_id(key)
            .or_else(|| self.store.organization_by_slug(key))
            .or_else(|| self.store.organization_by_external_id(key))
            .ok_or_else(organization_not_found)
    }

    /// `POST /v1/b2b/organizations`.
    pub fn create_organization(&mut self, new: NewOrganization) -> Result<Value, ApiError> {
        let name = new
            .organization_name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("organization_name is required"))?;
        let slug = match new.organization_slug {
            Some(slug) if !valid_slug(&slug) => {
                return Err(ApiError::new(
                    ErrorKind::InvalidOrganizationSlug,
                    "organization_slug must be 2 to 128 characters, each alphanumeric or one of - . _ ~",
                ))
            }
            Some(slug) => slug,
            None => slug_from(&name),
        };
        let taken = self
            .store
            .organizations()
            .iter()
            .any(|o| o.slug.eq_ignore_ascii_case(&slug));
        if taken {
            return Err(ApiError::new(
                ErrorKind::OrganizationSlugAlreadyUsed,
                "an organization of this project already has this organization_slug",
            ));
        }
        let external_id = new.organization_external_id.filter(|e| !e.is_empty());
        if let Some(ext) = &external_id {
            if self.store.organization_by_external_id(ext).is_some() {
                return Err(ApiError::new(
                    ErrorKind::DuplicateOrganizationExternalId,
                    "an organization of this project already has this organization_external_id",
                ));
            }
        }
        let index = self
            .store
            .add_organization(OrganizationRecord {
                id: format!("organization-test-{}", keys::random_uuid()),
                slug,
                external_id,
                name,
                members: Vec::new(),
            })
            .map_err(|e| ApiError::new(ErrorKind::InternalServerError, e))?;
        self.organization_answer(index)
    }

    /// `DELETE /v1/b2b/organizations/{organization_id}`: the organization and its members
    /// are gone (their sessions stop matching anything).
    pub fn delete_organization(&mut self, organization_id: &str) -> Result<Value, ApiError> {
        let index = self
            .store
            .organization_by_id(organization_id)
            .ok_or_else(organization_not_found)?;
        self.store
            .remove_organization(index)
            .ok_or_else(organization_not_found)?;
        Ok(json!({ "organization_id": organization_id }))
    }

    /// `GET /v1/b2b/organizations/{organization_id}`.
    pub fn get_organization(&self, organization_id: &str) -> Result<Value, ApiError> {
        let index = self
            .store
            .organization_by_id(organization_id)
            .ok_or_else(organization_not_found)?;
        self.organization_answer(index)
    }

    fn organization_answer(&self, index: usize) -> Result<Value, ApiError> {
        let organization = self
            .store
            .organization(index)
            .ok_or_else(organization_not_found)?;
        Ok(json!({ "organization": to_value(&OrganizationObject::new(organization)) }))
    }

    /// `POST /v1/b2b/organizations/{organization_id}/members` (the organization by id, slug
    /// or external id).
    pub fn create_member(
        &mut self,
        organization_id: &str,
        new: NewMember,
    ) -> Result<Value, ApiError> {
        let status = if new.create_member_as_pending == Some(true) {
            MemberStatus::Pending
        } else {
            MemberStatus::Active
        };
        self.add_member_as(organization_id, new, status)
    }

    /// `POST /v1/b2b/magic_links/email/invite`: a new member of the organization, `invited`
    /// (no email is sent).
    pub fn invite_member(&mut self, invite: NewInvite) -> Result<Value, ApiError> {
        let organization_id = invite
            .organization_id
            .ok_or_else(|| ApiError::bad_request("organization_id is required"))?;
        let new = NewMember {
            email_address: invite.email_address,
            name: invite.name,
            create_member_as_pending: None,
            roles: invite.roles,
            external_id: None,
            trusted_metadata: invite.trusted_metadata,
            untrusted_metadata: invite.untrusted_metadata,
        };
        self.add_member_as(&organization_id, new, MemberStatus::Invited)
    }

    fn add_member_as(
        &mut self,
        organization_id: &str,
        new: NewMember,
        status: MemberStatus,
    ) -> Result<Value, ApiError> {
        let index = self.member_route_organization(organization_id)?;
        let email = new
            .email_address
            .ok_or_else(|| ApiError::bad_request("email_address is required"))?;
        if !is_valid_email(&email, char::is_whitespace) {
            return Err(ApiError::new(
                ErrorKind::InvalidEmail,
                "email_address is not a valid email address",
            ));
        }
        let duplicate = self.store.organization(index).is_some_and(|o| {
            o.members
                .iter()
                .any(|m| m.status != MemberStatus::Deleted && m.email.eq_ignore_ascii_case(&email))
        });
        if duplicate {
            return Err(ApiError::new(
                ErrorKind::DuplicateMemberEmail,
                "a member of this organization already has this email_address",
            ));
        }
        let external_id = new.external_id.filter(|e| !e.is_empty());
        if let Some(ext) = &external_id {
            let taken = self.store.organization(index).is_some_and(|o| {
                o.members
                    .iter()
                    .any(|m| m.extra.external_id.as_ref() == Some(ext))
            });
            if taken {
                return Err(ApiError::new(
                    ErrorKind::DuplicateMemberExternalId,
                    "a member of this organization already has this external_id",
                ));
            }
        }
        for (name, value) in [
            ("trusted_metadata", &new.trusted_metadata),
            ("untrusted_metadata", &new.untrusted_metadata),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| !v.is_object() && !v.is_null())
            {
                return Err(ApiError::bad_request(format!("{name} must be an object")));
            }
        }
        let at = self
            .store
            .add_member(
                index,
                MemberRecord {
                    id: format!("member-test-{}", keys::random_uuid()),
                    email,
                    status,
                    roles: new.roles.unwrap_or_default(),
                    name: new.name.unwrap_or_default(),
                    extra: MemberExtra {
                        external_id,
                        trusted_metadata: new.trusted_metadata.filter(Value::is_object),
                        untrusted_metadata: new.untrusted_metadata.filter(Value::is_object),
                    },
                },
            )
            .map_err(|e| ApiError::new(ErrorKind::InternalServerError, e))?;
        self.member_answer(at.organization, at.member)
    }

    /// `GET /v1/b2b/organizations/{organization_id}/member?member_id=...` (or
    /// `email_address=...`, matched ignoring ASCII case, deleted members excluded).
    pub fn get_member(
        &self,
        organization_id: &str,
        member_id: Option<&str>,
        email_address: Option<&str>,
    ) -> Result<Value, ApiError> {
        let index = self.member_route_organization(organization_id)?;
        let organization = self
            .store
            .organization(index)
            .ok_or_else(organization_not_found)?;
        let position = match (member_id, email_address) {
            // A member's external id may stand in for its member id.
            (Some(id), _) => organization
                .members
                .iter()
                .position(|m| m.id == id)
                .or_else(|| {
                    organization
                        .members
                        .iter()
                        .position(|m| m.extra.external_id.as_deref() == Some(id))
                }),
            (None, Some(email)) => organization.members.iter().position(|m| {
                m.status != MemberStatus::Deleted && m.email.eq_ignore_ascii_case(email)
            }),
            (None, None) => {
                return Err(ApiError::bad_request(
                    "member_id or email_address is required",
                ))
            }
        };
        self.member_answer(index, position.ok_or_else(member_not_found)?)
    }

    /// `DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}`: the member
    /// stays, with status `deleted` (it never matches again, and its email is free).
    pub fn delete_member(
        &mut self,
        organization_id: &str,
        member_id: &str,
    ) -> Result<Value, ApiError> {
        let index = self.member_route_organization(organization_id)?;
        let organization = self
            .store
            .organization(index)
            .ok_or_else(organization_not_found)?;
        let member = organization
            .members
            .iter()
            .position(|m| m.id == member_id && m.status != MemberStatus::Deleted)
            .ok_or_else(member_not_found)?;
        self.store.set_status(
            super::store::MemberRef {
                organization: index,
                member,
            },
            MemberStatus::Deleted,
        );
        Ok(json!({ "member_id": member_id }))
    }

    /// `GET /v1/b2b/organizations/members/dangerously_get/{member_id}`: a member of any
    /// organization, by id.
    pub fn get_member_by_id(&self, member_id: &str) -> Result<Value, ApiError> {
        let at = self
            .store
            .member_ref(member_id)
            .ok_or_else(member_not_found)?;
        self.member_answer(at.organization, at.member)
    }

    fn member_answer(&self, organization: usize, member: usize) -> Result<Value, ApiError> {
        let org = self
            .store
            .organization(organization)
            .ok_or_else(organization_not_found)?;
        let record = org.members.get(member).ok_or_else(member_not_found)?;
        Ok(json!({
            "member_id": record.id,
            "member": to_value(&MemberObject::new(org, record, record.status.name())),
            "organization": to_value(&OrganizationObject::new(org)),
        }))
    }

    /// `POST /v1/b2b/organizations/members/search`: members of the given organizations,
    /// filtered by `member_emails` and `member_ids` operands (`AND` by default, or `OR`).
    pub fn search_members(&self, body: &[u8]) -> Result<Value, ApiError> {
        let search: MemberSearch = read_body(body)?;
        let ids = search
            .organization_ids
            .filter(|ids| !ids.is_empty())
            .ok_or_else(|| ApiError::bad_request("organization_ids is required"))?;
        let any = match search.query.as_ref().and_then(|q| q.operator.as_deref()) {
            None | Some("AND") => false,
            Some("OR") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "operator must be AND or OR, not {other:?}"
                )))
            }
        };
        let operands = search.query.map(|q| q.operands).unwrap_or_default();
        let mut filters = Vec::new();
        for operand in &operands {
            let values: Vec<String> = serde_json::from_value(operand.filter_value.clone())
                .map_err(|_| {
                    ApiError::bad_request(format!(
                        "filter_value of {} must be an array of strings",
                        operand.filter_name
                    ))
                })?;
            match operand.filter_name.as_str() {
                "member_emails" | "member_ids" => {
                    filters.push((operand.filter_name.as_str(), values))
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "this emulator searches by member_emails and member_ids only, not {other}"
                    )))
                }
            }
        }
        let limit = search.limit.unwrap_or(100).clamp(1, 1000) as usize;
        let mut members = Vec::new();
        let mut organizations = Map::new();
        for id in &ids {
            let index = self
                .store
                .organization_by_id(id)
                .ok_or_else(organization_not_found)?;
            let Some(org) = self.store.organization(index) else {
                continue;
            };
            for record in &org.members {
                let test = |(name, values): &(&str, Vec<String>)| match *name {
                    "member_emails" => values.iter().any(|v| v.eq_ignore_ascii_case(&record.email)),
                    _ => values.contains(&record.id),
                };
                let keep = filters.is_empty()
                    || if any {
                        filters.iter().any(test)
                    } else {
                        filters.iter().all(test)
                    };
                if keep && members.len() < limit {
                    members.push(to_value(&MemberObject::new(
                        org,
                        record,
                        record.status.name(),
                    )));
                    organizations.insert(org.id.clone(), to_value(&OrganizationObject::new(org)));
                }
            }
        }
        Ok(json!({
            "results_metadata": { "total": members.len(), "next_cursor": Value::Null },
            "members": members,
            "organizations": organizations,
        }))
    }
}
