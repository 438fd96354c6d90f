//! The one rich test world that the model's tests, the suite's generators (and so the
//! published vectors) and the fuzz invariants all run against: `testdata/rich-world.json`.
//!
//! It is rich in collisions, so that every lookup rule decides something:
//! - `organization-test-acme` (slug `acme`, external id `ext-acme`) holds a member of each
//!   status and a mixed-case email (`Bob@Acme.test`);
//! - `organization-test-beta` has the external id `acme`, which is acme's slug, and members
//!   with the emails of acme's `ada` and (deleted) `dee`;
//! - `organization-test-gamma` has the slug `organization-test-beta`, which is beta's id;
//! - `organization-test-delta` has the mixed-case slug `Delta`.
//!
//! The UserInfo directory has a good token for each member (`tok-ada`, ...), one per email
//! spelling (`tok-ada-upper`, `tok-bob-lower`), and one per kind of failure (`tok-500`,
//! `tok-lone`, `tok-email-nbsp`, `tok-unverified`, ...).

use crate::world::{MemberStatus, World};

/// The world's JSON text, in the format of [`World`] (and of the vectors' worlds).
pub const RICH_WORLD_JSON: &str = include_str!("../testdata/rich-world.json");

/// The rich world, with member `member-ada`'s status, the project's maximum session length
/// and the claims template (JSON object text, read with exact numbers; anything else is no
/// template) chosen by the caller.
pub fn rich_world(ada_status: MemberStatus, project_max: i64, template: &str) -> World {
    // The file is compiled in and a test reads it: it always parses.
    let mut world = World::from_json(RICH_WORLD_JSON.as_bytes())
        .unwrap_or_else(|e| unreachable!("testdata/rich-world.json is a world: {e}"));
    world.project_max_session_minutes = project_max;
    world.claims_template = match crate::json::to_serde_exact(template.as_bytes()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if let Some(ada) = world
        .organizations
        .iter_mut()
        .flat_map(|o| o.members.iter_mut())
        .find(|m| m.member_id == "member-ada")
    {
        ada.status = ada_status;
    }
    world
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rich_world_reads_and_validates() {
        let world = rich_world(MemberStatus::Pending, 30, r#"{"n":9007199254740993}"#);
        assert!(world.validate().is_ok(), "{:?}", world.validate());
        assert_eq!(world.project_max_session_minutes, 30);
        assert_eq!(world.organizations.len(), 4);
        assert_eq!(
            world.organizations[0].members[0].status,
            MemberStatus::Pending
        );
        assert_eq!(
            world.claims_template["n"],
            serde_json::json!(9_007_199_254_740_993_u64)
        );
        assert!(world.userinfo.len() >= 30);
    }
}
