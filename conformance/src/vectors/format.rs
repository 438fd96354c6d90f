//! The test-vector format (`migrate-vectors/1`). This rustdoc is its specification; the
//! JSON Schema `fixtures/vectors.schema.json` checks the same shape.
//!
//! # Files
//!
//! One file per rule family under `fixtures/` (`duration.json`, `claims-merge.json`, ...).
//! A file is a [`VectorFile`]:
//!
//! - `format`: always `"migrate-vectors/1"`. A reader rejects any other value.
//! - `family`: the file's stem; every vector id in the file starts with `family/`.
//! - `description`: what the file covers.
//! - `notes`: one entry per policy flag of the model (every flag, whether or not the file
//!   uses it): what the flag decides, its choices, and the default ([`FlagNote`]).
//! - `constraints`: the fields checked by constraint rather than by value ([`Constraints`]);
//!   they are the same in every file.
//! - `groups`: vectors that share one world ([`Group`]).
//!
//! # Vectors
//!
//! A [`Vector`]:
//!
//! - `id`: `family/name`, stable: never renumbered, never reused for another case. A removed
//!   id is listed in `fixtures/retired-ids.txt` and may not come back.
//! - `rules`: the model's rule ids (see `model/SPEC.md`) the vector exercises; at least one.
//! - `comment`: one line saying what is special about the case.
//! - `flags`: the policy flags whose choice changes this vector's outcome (possibly none).
//!   A flag is listed when flipping it changes the outcome from the default, or from any
//!   combination of the other listed flags' choices.
//! - `now`: the clock, Unix seconds.
//! - `request` **or** `request_base64`: the body. `request` is a JSON object whose meaning
//!   survives any serializer (no duplicate keys, no number other than an integer within
//!   ±2^53, no lone surrogate); send it serialized by any JSON library. Any other body —
//!   duplicate keys, `60.0`, `1e400`, escapes whose spelling matters, invalid UTF-8, not
//!   JSON at all — is `request_base64`, the exact bytes to send.
//! - `expected`: the outcome under the default policy ([`Expected`]).
//! - `by_flags`: the outcome under every other combination of the vector's `flags`: each
//!   entry's `when` names the non-default choices (flags not named take their default). A
//!   consumer whose profile differs from the default on some of the vector's flags uses the
//!   entry whose `when` matches exactly those flags; flags the vector does not list do not
//!   matter for it. There is no "acceptable" hedge: every profile has exactly one entry.
//!
//! # Expected outcomes
//!
//! An [`Expected`] is either an error — `status`, `error_type` (the first error in
//! evaluation order) and `acceptable` (every error type the implementation may answer: just
//! `error_type`, unless `error-precedence` is `any-applicable`) — or a success: `status`
//! 200, the whole response `body`, the session JWT's `jwt_header` and `jwt_payload`, and
//! `custom_claims_jcs`, the exact RFC 8785 text of the final claims (numbers written as the
//! profile holds them). Values an implementation chooses are placeholders such as
//! `{{request_id}}` at the pointers `constraints` lists; everything else is compared by
//! value, numbers by value.

use std::collections::BTreeMap;

use migrate_model::World;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format tag of this version.
pub const FORMAT: &str = "migrate-vectors/1";

/// One file of vectors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// `"migrate-vectors/1"`.
    pub format: String,
    /// The file's stem, the prefix of every id.
    pub family: String,
    /// What the file covers.
    pub description: String,
    /// Every policy flag, by wire name.
    pub notes: BTreeMap<String, FlagNote>,
    /// The fields checked by constraint.
    pub constraints: Constraints,
    /// Vectors grouped by world.
    pub groups: Vec<Group>,
}

/// What a policy flag decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagNote {
    /// The open question the flag settles.
    pub meaning: String,
    /// The choices' wire names, the default first.
    pub choices: Vec<String>,
    /// The default choice.
    pub default: String,
}

/// JSON pointers checked by constraint, and each constraint in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// Into a success body.
    pub body: BTreeMap<String, String>,
    /// Into the JWT header.
    pub jwt_header: BTreeMap<String, String>,
    /// Into the JWT payload.
    pub jwt_payload: BTreeMap<String, String>,
    /// Into an error body.
    pub error: BTreeMap<String, String>,
}

/// Vectors sharing one world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// A short name for the world.
    pub name: String,
    /// The world, loaded before each vector of the group.
    pub world: World,
    /// The vectors.
    pub vectors: Vec<Vector>,
}

/// One test vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// `family/name`, stable.
    pub id: String,
    /// Rule ids exercised.
    pub rules: Vec<String>,
    /// One line.
    pub comment: String,
    /// Flags whose choice changes the outcome.
    pub flags: Vec<String>,
    /// The clock.
    pub now: i64,
    /// The body as JSON, when its meaning survives any serializer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    /// The exact body bytes, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_base64: Option<String>,
    /// The outcome under the default policy.
    pub expected: Expected,
    /// The outcome under each other combination of `flags`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_flags: Vec<Alternative>,
}

/// An outcome under non-default choices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// The non-default choices, flag name to choice name.
    pub when: BTreeMap<String, String>,
    /// The outcome under them.
    pub expected: Expected,
}

/// An expected outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Expected {
    /// An error.
    Error(ExpectedErrorJson),
    /// A success.
    Success(Box<ExpectedSuccessJson>),
}

/// An expected error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedErrorJson {
    /// The HTTP status of `error_type`.
    pub status: u16,
    /// The first error in evaluation order.
    pub error_type: String,
    /// Every acceptable error type.
    pub acceptable: Vec<String>,
}

/// An expected success.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSuccessJson {
    /// 200.
    pub status: u16,
    /// The response body, with placeholders.
    pub body: Value,
    /// The JWT header, with placeholders.
    pub jwt_header: Value,
    /// The JWT payload, with placeholders.
    pub jwt_payload: Value,
    /// The exact RFC 8785 text of the final custom claims.
    pub custom_claims_jcs: String,
}
