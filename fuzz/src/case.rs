//! Structure-aware inputs: a world, a policy, a clock and a request body from fuzzer bytes.
//!
//! The layout is `[n: u16 little-endian][spec: n bytes][rest]`. The spec is read with
//! `arbitrary::Unstructured`: the world (the rich world with a few choices, or an arbitrary
//! one), the policy, the clock, and, when `rest` is empty, a request generated field by field
//! from the world's own tokens and organization keys. When `rest` is not empty it is the raw
//! body. So `[0, 0] ++ body` is the body against the rich world under the default policy at
//! [`NOW`]: that is how the seed corpus is written, and mutating the length bytes moves
//! between raw and generated bodies.

use arbitrary::{Arbitrary, Result, Unstructured};
use migrate_model::response::MAX_NOW;
use migrate_model::{MemberStatus, Policy, World};

use crate::invariants::{rich_world, RICH_TEMPLATE};

pub use crate::invariants::NOW;

/// One decoded structure-aware case.
#[derive(Clone, Debug)]
pub struct FuzzCase {
    /// The world (not validated yet).
    pub world: World,
    /// The policy.
    pub policy: Policy,
    /// The clock, within `0..=MAX_NOW`.
    pub now: i64,
    /// The raw request body.
    pub body: Vec<u8>,
}

/// Splits an input into the spec and the raw body.
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data {
        [lo, hi, rest @ ..] => {
            let n = usize::from(u16::from_le_bytes([*lo, *hi])).min(rest.len());
            rest.split_at(n)
        }
        _ => (&[], &[]),
    }
}

/// The seed-corpus form of a body: the rich world, the default policy, [`NOW`].
pub fn seed(body: &[u8]) -> Vec<u8> {
    [&[0u8, 0u8][..], body].concat()
}

/// Decodes an input. `with_policy` false keeps the default policy (the differential target:
/// the sample implements the default profile only) and reads no policy bytes.
pub fn decode(data: &[u8], with_policy: bool) -> Result<FuzzCase> {
    let (spec, raw) = split(data);
    let mut u = Unstructured::new(spec);
    let world = match u.choose_index(4)? {
        0 | 1 => rich_variant(&mut u)?,
        _ => World::arbitrary(&mut u)?,
    };
    let policy = if with_policy {
        Policy::arbitrary(&mut u)?
    } else {
        Policy::default()
    };
    let now = match u.choose_index(5)? {
        0 | 1 => NOW,
        2 => 0,
        3 => MAX_NOW,
        _ => u.int_in_range(0..=MAX_NOW)?,
    };
    let body = if raw.is_empty() {
        crate::body::request(&mut u, &world)?
    } else {
        raw.to_vec()
    };
    Ok(FuzzCase {
        world,
        policy,
        now,
        body,
    })
}

/// Ada's status in the rich world, by the spec's choice (active is the likeliest).
pub const RICH_STATUSES: &[MemberStatus] = &[
    MemberStatus::Active,
    MemberStatus::Pending,
    MemberStatus::Invited,
    MemberStatus::Deleted,
    MemberStatus::Active,
    MemberStatus::Active,
];

/// The rich world's project maximum, by the spec's choice.
pub const RICH_MAXES: &[i64] = &[527_040, 527_040, 60, 59, 61, 30, 5, 1440];

/// The rich world's claims templates, by the spec's choice (one more choice generates one):
/// [`RICH_TEMPLATE`], the conformance suite's three, and its template of about 4000 bytes.
pub fn rich_templates() -> Vec<String> {
    let mut t = vec![RICH_TEMPLATE.to_owned()];
    t.extend(
        migrate_conformance::gen::TEMPLATES
            .iter()
            .map(|s| s.to_string()),
    );
    t.push(format!(r#"{{"big":"{}","keep":1}}"#, "t".repeat(3980)));
    t
}

/// The rich world with ada's status, the project maximum and the template chosen.
fn rich_variant(u: &mut Unstructured<'_>) -> Result<World> {
    let status = RICH_STATUSES[u.choose_index(RICH_STATUSES.len())?];
    let max = RICH_MAXES[u.choose_index(RICH_MAXES.len())?];
    let templates = rich_templates();
    let template = match templates.get(u.choose_index(templates.len() + 1)?) {
        Some(t) => t.clone(),
        None => crate::body::object_text(u, 3)?,
    };
    Ok(rich_world(status, max, &template))
}

/// The seed form of `body` against the rich world with this status, maximum and template
/// (the default policy, [`NOW`]), when the rich world has that variant.
pub fn seed_for(
    body: &[u8],
    status: MemberStatus,
    max: i64,
    template: &serde_json::Map<String, serde_json::Value>,
) -> Option<Vec<u8>> {
    let si = RICH_STATUSES.iter().position(|s| *s == status)?;
    let mi = RICH_MAXES.iter().position(|m| *m == max)?;
    let ti = rich_templates().iter().position(|t| {
        serde_json::from_str::<serde_json::Value>(t)
            .ok()
            .as_ref()
            .and_then(|v| v.as_object())
            == Some(template)
    })?;
    // One byte per choice (each range is below 256): the rich world, then the three choices.
    let spec = [0u8, si as u8, mi as u8, ti as u8];
    let data = [&[spec.len() as u8, 0][..], &spec, body].concat();
    // The encoding is arbitrary's; check it rather than trust it.
    let case = decode(&data, true).ok()?;
    let want = rich_world(
        status,
        max,
        &serde_json::Value::Object(template.clone()).to_string(),
    );
    (case.world == want && case.policy == Policy::default() && case.now == NOW && case.body == body)
        .then_some(data)
}
