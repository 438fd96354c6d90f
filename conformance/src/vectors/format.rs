//! The test-vector format (`migrate-vectors/2`). Its specification is `fixtures/README.md`,
//! written for consumers in any language; the JSON Schema `fixtures/vectors.schema.json`
//! (generated with the files) checks the same shape. These types read and write it.

use std::collections::BTreeMap;

use migrate_model::World;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format tag of this version.
pub const FORMAT: &str = "migrate-vectors/2";

/// The version of the data: raised whenever any vector file changes (see
/// `fixtures/CHANGELOG.md`).
pub const DATA_VERSION: u32 = 8;

/// One file of vectors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// `"migrate-vectors/2"`.
    pub format: String,
    /// [`DATA_VERSION`] when the file was generated.
    pub data_version: u32,
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

/// The fields checked by constraint rather than by value, by JSON pointer, and the rules
/// that span calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// Into a success body.
    pub body: BTreeMap<String, Constraint>,
    /// Into the JWT header.
    pub jwt_header: BTreeMap<String, Constraint>,
    /// Into the JWT payload.
    pub jwt_payload: BTreeMap<String, Constraint>,
    /// Into an error body.
    pub error: BTreeMap<String, Constraint>,
    /// Rules over more than one value or call.
    pub across_calls: Vec<AcrossCalls>,
}

/// What the value at a pointer must be (the closed list of `fixtures/README.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Constraint {
    /// A non-empty string the implementation chooses; the same placeholder anywhere in one
    /// outcome is the same value.
    Opaque {
        /// `{{name}}`, as written at the pointer in the expected document.
        placeholder: String,
    },
    /// Absent, or a non-empty string the implementation chooses.
    Optional {
        /// `{{name}}`; the expected document does not hold the field.
        placeholder: String,
    },
    /// Any string.
    AnyString,
    /// One of the listed strings.
    OneOf {
        /// The allowed values.
        values: Vec<String>,
    },
    /// Any value the named schema allows at this place (the value is not compared; the whole
    /// document validates against the schema).
    Schema {
        /// The schema file, relative to `fixtures/`.
        schema: String,
    },
    /// The final custom claims: the value parsed from the outcome's `custom_claims_jcs`,
    /// numbers compared as the profile's `number-precision` says.
    CustomClaims,
    /// At the pointer `""` of the JWT payload: the payload's members that the expected
    /// payload does not name (and that no constraint names) are exactly the final custom
    /// claims, compared as [`Constraint::CustomClaims`].
    CustomClaimsTopLevel,
}

/// A rule that spans values or calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AcrossCalls {
    /// No two calls of one replay give the same value for this placeholder.
    Unique {
        /// `{{name}}`.
        placeholder: String,
    },
    /// The success body's value at `pointer` differs from the request's value at
    /// `request_pointer`.
    DiffersFromRequest {
        /// Into the success body.
        pointer: String,
        /// Into the request.
        request_pointer: String,
    },
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
    /// The body as JSON, when its bytes are exactly the compact serialization of this value
    /// (keys in the order written).
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
    /// The final custom claims as RFC 8785 (JCS) text; under `number-precision =
    /// exact-text` each number keeps the text it had in the request or template.
    pub custom_claims_jcs: String,
}
