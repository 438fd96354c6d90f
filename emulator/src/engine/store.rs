//! The sample's in-memory state: the project, its organizations and members (with the
//! indexes a database would keep), the claims template, and the external UserInfo endpoint.

use std::collections::HashMap;

use migrate_model::{MemberStatus, UserInfoBody, UserInfoReply, World};
use serde_json::Value;

use super::wire::MAX_DEPTH;

/// The smallest and largest session duration a project may configure, in minutes.
pub const DURATION_BOUNDS: (i64, i64) = (5, 527_040);

/// An organization row.
#[derive(Clone, Debug)]
pub struct OrganizationRecord {
    /// `organization_id`.
    pub id: String,
    /// `organization_slug`.
    pub slug: String,
    /// `organization_external_id`.
    pub external_id: Option<String>,
    /// `organization_name`.
    pub name: String,
    /// The members.
    pub members: Vec<MemberRecord>,
}

/// A member row.
#[derive(Clone, Debug)]
pub struct MemberRecord {
    /// `member_id`.
    pub id: String,
    /// `email_address`, as stored.
    pub email: String,
    /// The status.
    pub status: MemberStatus,
    /// Role ids, in order.
    pub roles: Vec<String>,
    /// `name`.
    pub name: String,
    /// What only the management API sets.
    pub extra: MemberExtra,
}

/// Member fields only the management API sets (a world has none of them).
#[derive(Clone, Debug, Default)]
pub struct MemberExtra {
    /// `external_id`.
    pub external_id: Option<String>,
    /// `trusted_metadata`.
    pub trusted_metadata: Option<Value>,
    /// `untrusted_metadata`.
    pub untrusted_metadata: Option<Value>,
}

/// Where a member lives in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberRef {
    /// The organization's index.
    pub organization: usize,
    /// The member's index in it.
    pub member: usize,
}

/// What the UserInfo endpoint does with a token, as the HTTP client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserInfoResponse {
    /// Connection refused, timeout, TLS failure.
    Unreachable,
    /// The reply could not be read (too large, cut off); the text says why.
    Unusable(String),
    /// An HTTP reply.
    Http {
        /// The status.
        status: u16,
        /// The body bytes.
        body: Vec<u8>,
    },
}

/// The whole state.
#[derive(Clone, Debug, Default)]
pub struct Store {
    /// The project id.
    pub project_id: String,
    /// The project's maximum session duration, in minutes.
    pub max_session_minutes: i64,
    /// The claims template as configured (protected keys and nulls still in it); each call
    /// reads its numbers as the profile says.
    pub claims_template: serde_json::Map<String, Value>,
    organizations: Vec<OrganizationRecord>,
    by_id: HashMap<String, usize>,
    by_slug: HashMap<String, usize>,
    by_external_id: HashMap<String, usize>,
    by_member_id: HashMap<String, MemberRef>,
    userinfo: HashMap<String, UserInfoResponse>,
    /// When set, UserInfo calls go to this URL over HTTP instead of to `userinfo`.
    pub userinfo_url: Option<String>,
}

impl Store {
    /// Builds the state from a world, refusing what a real project could not hold.
    pub fn load(world: &World) -> Result<Store, String> {
        let max = world.project_max_session_minutes;
        if !(DURATION_BOUNDS.0..=DURATION_BOUNDS.1).contains(&max) {
            return Err(format!(
                "project_max_session_minutes {max} is outside 5..=527040"
            ));
        }
        let template = Value::Object(world.claims_template.clone());
        if depth(&template) > MAX_DEPTH {
            return Err("the claims template nests deeper than 128 levels".into());
        }
        let claims_template = world.claims_template.clone();
        let mut store = Store {
            project_id: world.project_id.clone(),
            max_session_minutes: max,
            claims_template,
            ..Store::default()
        };
        for org in &world.organizations {
            let index = store.add_organization(OrganizationRecord {
                id: org.organization_id.clone(),
                slug: org.slug.clone(),
                external_id: org.external_id.clone(),
                name: org.name.clone(),
                members: Vec::new(),
            })?;
            for m in &org.members {
                store.add_member(
                    index,
                    MemberRecord {
                        id: m.member_id.clone(),
                        email: m.email.clone(),
                        status: m.status,
                        roles: m.roles.clone(),
                        name: m.name.clone(),
                        extra: MemberExtra::default(),
                    },
                )?;
            }
        }
        store.userinfo = world
            .userinfo
            .iter()
            .map(|(token, reply)| {
                let response = match reply {
                    UserInfoReply::Unreachable => UserInfoResponse::Unreachable,
                    UserInfoReply::Http { status, body } => UserInfoResponse::Http {
                        status: *status,
                        body: match body {
                            UserInfoBody::Json(value) => {
                                serde_json::to_vec(value).map_err(|e| e.to_string())?
                            }
                            UserInfoBody::Raw(bytes) => bytes.clone(),
                        },
                    },
                };
                Ok((token.clone(), response))
            })
            .collect::<Result<_, String>>()?;
        Ok(store)
    }

    /// Adds an organization; its id, slug and external id must be new (the slug compared
    /// exactly: worlds and the API both keep slugs unique ignoring ASCII case before this).
    pub fn add_organization(&mut self, record: OrganizationRecord) -> Result<usize, String> {
        let index = self.organizations.len();
        if self.by_id.contains_key(&record.id) {
            return Err(format!(
                "two organizations have the organization id {:?}",
                record.id
            ));
        }
        if self.by_slug.contains_key(&record.slug) {
            return Err(format!("two organizations have the slug {:?}", record.slug));
        }
        if let Some(ext) = &record.external_id {
            if self.by_external_id.contains_key(ext) {
                return Err(format!("two organizations have the external id {ext:?}"));
            }
            self.by_external_id.insert(ext.clone(), index);
        }
        self.by_id.insert(record.id.clone(), index);
        self.by_slug.insert(record.slug.clone(), index);
        self.organizations.push(record);
        Ok(index)
    }

    /// Removes the organization at `index` with its members.
    pub fn remove_organization(&mut self, index: usize) -> Option<OrganizationRecord> {
        if index >= self.organizations.len() {
            return None;
        }
        let removed = self.organizations.remove(index);
        // Indexes past the removed one moved down: rebuild every lookup.
        self.by_id.clear();
        self.by_slug.clear();
        self.by_external_id.clear();
        self.by_member_id.clear();
        for (i, org) in self.organizations.iter().enumerate() {
            self.by_id.insert(org.id.clone(), i);
            self.by_slug.insert(org.slug.clone(), i);
            if let Some(ext) = &org.external_id {
                self.by_external_id.insert(ext.clone(), i);
            }
            for (j, m) in org.members.iter().enumerate() {
                self.by_member_id.entry(m.id.clone()).or_insert(MemberRef {
                    organization: i,
                    member: j,
                });
            }
        }
        Some(removed)
    }

    /// Adds a member to the organization at `organization`. Worlds do not promise unique
    /// member ids across organizations; the id index keeps the first.
    pub fn add_member(
        &mut self,
        organization: usize,
        record: MemberRecord,
    ) -> Result<MemberRef, String> {
        let org = self
            .organizations
            .get_mut(organization)
            .ok_or("no such organization")?;
        let at = MemberRef {
            organization,
            member: org.members.len(),
        };
        self.by_member_id.entry(record.id.clone()).or_insert(at);
        org.members.push(record);
        Ok(at)
    }

    /// Where the member with this id lives.
    pub fn member_ref(&self, member_id: &str) -> Option<MemberRef> {
        self.by_member_id.get(member_id).copied()
    }

    /// The organization with this id.
    pub fn organization_by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The organization with this slug (exact).
    pub fn organization_by_slug(&self, slug: &str) -> Option<usize> {
        self.by_slug.get(slug).copied()
    }

    /// The organization with this external id.
    pub fn organization_by_external_id(&self, external_id: &str) -> Option<usize> {
        self.by_external_id.get(external_id).copied()
    }

    /// The first organization whose slug equals `slug` ignoring ASCII case (other characters
    /// compare exactly).
    pub fn organization_by_slug_ignoring_ascii_case(&self, slug: &str) -> Option<usize> {
        self.organizations
            .iter()
            .position(|o| o.slug.eq_ignore_ascii_case(slug))
    }

    /// The first organization whose external id equals `external_id` ignoring ASCII case.
    pub fn organization_by_external_id_ignoring_ascii_case(
        &self,
        external_id: &str,
    ) -> Option<usize> {
        self.organizations.iter().position(|o| {
            o.external_id
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(external_id))
        })
    }

    /// An organization row.
    pub fn organization(&self, index: usize) -> Option<&OrganizationRecord> {
        self.organizations.get(index)
    }

    /// Every organization row.
    pub fn organizations(&self) -> &[OrganizationRecord] {
        &self.organizations
    }

    /// A member row.
    pub fn member(&self, at: MemberRef) -> Option<&MemberRecord> {
        self.organizations
            .get(at.organization)?
            .members
            .get(at.member)
    }

    /// The member with this id, anywhere.
    pub fn member_by_id(&self, member_id: &str) -> Option<&MemberRecord> {
        self.member(self.member_ref(member_id)?)
    }

    /// Marks a member active (their first session).
    pub fn activate(&mut self, at: MemberRef) {
        self.set_status(at, MemberStatus::Active);
    }

    /// Sets the status of the member at `at`.
    pub fn set_status(&mut self, at: MemberRef, status: MemberStatus) {
        if let Some(m) = self
            .organizations
            .get_mut(at.organization)
            .and_then(|o| o.members.get_mut(at.member))
        {
            m.status = status;
        }
    }

    /// Calls the external UserInfo endpoint with the token. A token the endpoint does not
    /// know gets what a real one answers: 401.
    pub fn call_userinfo(&self, token: &str) -> UserInfoResponse {
        self.userinfo
            .get(token)
            .cloned()
            .unwrap_or_else(|| UserInfoResponse::Http {
                status: 401,
                body: br#"{"error":"invalid_token"}"#.to_vec(),
            })
    }
}

/// The nesting depth of a value (a scalar is 0, the top-level object 1), without recursion.
fn depth(value: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                max = max.max(d);
                stack.extend(items.iter().map(|c| (c, d + 1)));
            }
            Value::Object(fields) => {
                max = max.max(d);
                stack.extend(fields.values().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use migrate_model::testworld::rich_world;
    use migrate_model::MemberStatus;

    use super::Store;

    /// A template `levels` deep (the top-level object is level 1), made of objects, or of
    /// arrays below the top-level object when `arrays`.
    fn template(levels: usize, arrays: bool) -> String {
        let (open, close) = if arrays { ("[", "]") } else { ("{\"a\":", "}") };
        format!(
            "{{\"a\":{}1{}}}",
            open.repeat(levels - 1),
            close.repeat(levels - 1)
        )
    }

    #[test]
    fn a_template_128_levels_deep_loads_and_129_is_refused() {
        for arrays in [false, true] {
            let world = rich_world(MemberStatus::Active, 527_040, &template(128, arrays));
            assert!(Store::load(&world).is_ok(), "128 levels, arrays: {arrays}");
            let world = rich_world(MemberStatus::Active, 527_040, &template(129, arrays));
            let refused = Store::load(&world).expect_err("129 levels is refused");
            assert!(refused.contains("128"), "{refused}");
        }
        // Depth counts along the deepest branch, not the number of containers.
        let wide = format!("{{\"x\":[[1]],{}", &template(128, false)[1..]);
        let world = rich_world(MemberStatus::Active, 527_040, &wide);
        assert!(Store::load(&world).is_ok(), "{wide}");
    }

    #[test]
    fn a_project_maximum_outside_5_to_527040_is_refused() {
        for max in [4, 527_041] {
            let world = rich_world(MemberStatus::Active, max, "{}");
            assert!(Store::load(&world).is_err(), "{max}");
        }
        for max in [5, 527_040] {
            let world = rich_world(MemberStatus::Active, max, "{}");
            assert!(Store::load(&world).is_ok(), "{max}");
        }
    }

    #[test]
    fn members_are_found_by_id_anywhere_and_activated() {
        let world = rich_world(MemberStatus::Invited, 527_040, "{}");
        let mut store = Store::load(&world).expect("loads");
        let ada = store.member_by_id("member-ada").expect("Ada is there");
        assert_eq!(ada.status, MemberStatus::Invited);
        let beta = store
            .member_by_id("member-ada-beta")
            .expect("found in another organization");
        assert_eq!(beta.email, "ada@acme.test");
        assert!(store.member_by_id("member-nobody").is_none());
        let at = store.member_ref("member-ada").expect("a reference");
        store.activate(at);
        assert_eq!(
            store.member_by_id("member-ada").map(|m| m.status),
            Some(MemberStatus::Active)
        );
    }
}
