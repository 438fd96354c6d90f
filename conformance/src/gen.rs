//! proptest strategies for cases (world, clock, raw request), biased to where bugs live.
//!
//! Each [`Property`] is one strategy with its own emphasis — the duration boundaries, the
//! claims merge, the size limit, organization collisions, UserInfo failures, several faults
//! at once — over one rich world: organizations whose ids, slugs and external ids collide,
//! members of every status with mixed-case emails, members of the same email in several
//! organizations, and a UserInfo directory with every kind of failure. Strategies are built
//! from `select`, tuples and `prop_map`, so proptest shrinks a failing case toward the first
//! (simplest) choice of each part.

use base64::Engine as _;
use migrate_model::{Member, MemberStatus, Organization, UserInfoBody, UserInfoReply, World};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One generated case: the world, the clock and the raw request body.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// The world loaded before the call.
    pub world: World,
    /// The clock, Unix seconds.
    pub now: i64,
    /// The raw request body.
    pub body: Vec<u8>,
}

/// A case as JSON: the request as text when it is UTF-8, else as base64.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseJson {
    /// The world.
    pub world: World,
    /// The clock.
    pub now: i64,
    /// The raw request body as text, when it is valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The raw request body in base64, when it is not valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_base64: Option<String>,
}

impl Case {
    /// The case as JSON.
    pub fn to_json(&self) -> CaseJson {
        match std::str::from_utf8(&self.body) {
            Ok(text) => CaseJson {
                world: self.world.clone(),
                now: self.now,
                request: Some(text.to_owned()),
                request_base64: None,
            },
            Err(_) => CaseJson {
                world: self.world.clone(),
                now: self.now,
                request: None,
                request_base64: Some(base64::engine::general_purpose::STANDARD.encode(&self.body)),
            },
        }
    }
}

impl CaseJson {
    /// A case from a replay file: a case as a failure prints it (`world`, `now`, `request`
    /// or `request_base64`; other fields such as `expected` and `actual` are ignored), or a
    /// vector's fields (`request` as JSON instead of text).
    pub fn from_replay(value: &Value) -> Result<CaseJson, String> {
        let pick = |k: &str| value.get(k).cloned().filter(|v| !v.is_null());
        // `request` is the body's text, or (as in the vectors) the body as JSON.
        let request = pick("request").map(|r| match r {
            Value::String(text) => Value::String(text),
            json => Value::String(json.to_string()),
        });
        let case = serde_json::json!({
            "world": pick("world"),
            "now": pick("now"),
            "request": request,
            "request_base64": pick("request_base64"),
        });
        serde_json::from_value(case).map_err(|e| format!("not a case: {e}"))
    }

    /// Back to a case; the request must be given exactly once.
    pub fn into_case(self) -> Result<Case, String> {
        let body = match (self.request, self.request_base64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("request_base64 is not base64: {e}"))?,
            _ => return Err("give exactly one of request and request_base64".into()),
        };
        Ok(Case {
            world: self.world,
            now: self.now,
            body,
        })
    }
}

/// A named property: a strategy with one emphasis. Every property checks the same thing,
/// that the implementation answers what the model expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Property {
    /// Raw-byte damage and field types.
    RequestShape,
    /// Duration boundaries, types and the project maximum.
    Duration,
    /// Template and update deep merge, nulls, arrays.
    ClaimsMerge,
    /// Reserved and `https://stytch.com/` keys.
    ClaimsReserved,
    /// Claims right at and around the size limit.
    ClaimsSize,
    /// Organization id / slug / external id collisions and case.
    Organization,
    /// Every UserInfo failure.
    Userinfo,
    /// Member status, email case, other organizations.
    Member,
    /// Several faults at once.
    Precedence,
    /// Successes: the session, the response shape, the JWT.
    Session,
}

impl Property {
    /// Every property, in evaluation order.
    pub const ALL: &'static [Property] = &[
        Property::RequestShape,
        Property::Duration,
        Property::ClaimsMerge,
        Property::ClaimsReserved,
        Property::ClaimsSize,
        Property::Organization,
        Property::Userinfo,
        Property::Member,
        Property::Precedence,
        Property::Session,
    ];

    /// The property's name, also the rule family it covers.
    pub fn name(self) -> &'static str {
        match self {
            Property::RequestShape => "request-shape",
            Property::Duration => "duration",
            Property::ClaimsMerge => "claims-merge",
            Property::ClaimsReserved => "claims-reserved",
            Property::ClaimsSize => "claims-size",
            Property::Organization => "organization",
            Property::Userinfo => "userinfo",
            Property::Member => "member",
            Property::Precedence => "precedence",
            Property::Session => "session",
        }
    }

    /// The property with this name.
    pub fn from_name(name: &str) -> Option<Property> {
        Property::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// The strategy.
    pub fn strategy(self) -> BoxedStrategy<Case> {
        match self {
            Property::RequestShape => request_shape(),
            Property::Duration => duration(),
            Property::ClaimsMerge => claims_merge(),
            Property::ClaimsReserved => claims_reserved(),
            Property::ClaimsSize => claims_size(),
            Property::Organization => organization(),
            Property::Userinfo => userinfo(),
            Property::Member => member_match(),
            Property::Precedence => precedence(),
            Property::Session => session(),
        }
    }
}

// ---- The world --------------------------------------------------------------------------

/// The clock of most cases: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// Organization ids, slugs and external ids of the base world (with collisions):
/// acme's slug is beta's external id; beta's id is gamma's slug; delta's slug is mixed case.
pub const ORG_VALUES: &[&str] = &[
    "organization-test-acme",
    "acme",
    "ext-acme",
    "organization-test-beta",
    "beta",
    "organization-test-gamma",
    "organization-test-delta",
    "Delta",
    "ext-delta",
    "ACME",
    "delta",
    "EXT-ACME",
    "ORGANIZATION-TEST-ACME",
    "nope",
    " acme",
];

/// Tokens of the directory, good ones first, plus one it does not know.
pub const TOKENS: &[&str] = &[
    "tok-ada",
    "tok-ada-upper",
    "tok-bob",
    "tok-bob-lower",
    "tok-pat",
    "tok-ivy",
    "tok-dee",
    "tok-zed",
    "tok-del",
    "tok-nobody",
    "tok-unreachable",
    "tok-500",
    "tok-302",
    "tok-html",
    "tok-array",
    "tok-no-email",
    "tok-email-number",
    "tok-email-two-at",
    "tok-email-space",
    "tok-email-nbsp",
    "tok-unverified",
    "tok-unverified-str",
    "tok-verified-0",
    "tok-204",
    "tok-email-empty",
    "tok-email-no-local",
    "tok-email-no-domain",
    "tok-dup-email",
    "tok-lone",
    "tok-bom",
    "tok-never-issued",
];

/// Claims templates: none, nested, with reserved keys and nulls, and one near the limit.
pub const TEMPLATES: &[&str] = &[
    "{}",
    r#"{"plan":"pro","features":{"sso":true,"beta":false,"limits":{"seats":5}},"tags":["a","b"]}"#,
    r#"{"iss":"template","https://stytch.com/session":1,"gone":null,"o":{"x":null,"y":1},"e":{}}"#,
];

/// A template of about 4000 bytes, for the size property.
fn big_template() -> String {
    format!(r#"{{"big":"{}","keep":1}}"#, "t".repeat(3980))
}

/// The base world, with ada's status and the project maximum chosen by the case: the shared
/// rich world of `model/testdata/rich-world.json` ([`migrate_model::testworld`]).
pub fn world(ada_status: MemberStatus, project_max: i64, template: &str) -> World {
    migrate_model::testworld::rich_world(ada_status, project_max, template)
}

// ---- Generated people and UserInfo replies ----------------------------------------------

/// Members of acme whose emails the pitfall catalogue needs (`conformance/PITFALLS.md`), each
/// with the variant of its email that only a wrong comparison matches: canonically
/// equivalent, the Kelvin sign, full case folding, non-ASCII upper case, long s.
pub const PITFALL_MEMBERS: &[(&str, &str, &str)] = &[
    ("member-eva", "\u{e9}va@acme.test", "e\u{301}va@acme.test"),
    ("member-kim", "kim@acme.test", "\u{212a}im@acme.test"),
    (
        "member-strasse",
        "strasse@acme.test",
        "stra\u{df}e@acme.test",
    ),
    ("member-zoe", "zo\u{eb}@acme.test", "ZO\u{cb}@ACME.TEST"),
    ("member-sam", "sam@acme.test", "\u{17f}am@acme.test"),
];

/// The organization whose slug has a non-ASCII letter (`slug-case`), and its one member.
pub const KELVIN_ORG: (&str, &str) = ("organization-test-kelvin", "kelvin-\u{e9}cole");

/// Characters that some library counts as whitespace and Unicode White_Space does not, or
/// the reverse: format characters, the information separators, the no-break spaces, NEL,
/// and non-ASCII spaces.
pub const SPACE_LIKE: &[char] = &[
    ' ', '\t', '\u{b}', '\u{a0}', '\u{2007}', '\u{202f}', '\u{85}', '\u{3000}', '\u{2028}',
    '\u{feff}', '\u{200b}', '\u{1c}', '\u{1f}',
];

/// The world with the pitfall members in acme, the Kelvin organization, and `replies` in
/// the UserInfo directory (each a token and the raw 200 reply body).
pub fn with_pitfall_people(mut world: World, replies: &[(String, Vec<u8>)]) -> World {
    if let Some(acme) = world
        .organizations
        .iter_mut()
        .find(|o| o.organization_id == "organization-test-acme")
    {
        for (id, email, _) in PITFALL_MEMBERS {
            acme.members.push(Member {
                member_id: (*id).to_owned(),
                email: (*email).to_owned(),
                status: MemberStatus::Active,
                roles: vec![],
                name: id.trim_start_matches("member-").to_owned(),
            });
        }
    }
    world.organizations.push(Organization {
        organization_id: KELVIN_ORG.0.to_owned(),
        slug: KELVIN_ORG.1.to_owned(),
        external_id: None,
        name: "Kelvin".to_owned(),
        members: vec![Member {
            member_id: "member-ada-kelvin".to_owned(),
            email: "ada@acme.test".to_owned(),
            status: MemberStatus::Active,
            roles: vec![],
            name: "ada-kelvin".to_owned(),
        }],
    });
    for (token, body) in replies {
        world.userinfo.insert(
            token.clone(),
            UserInfoReply::Http {
                status: 200,
                body: UserInfoBody::Raw(body.clone()),
            },
        );
    }
    world
}

/// How a generated UserInfo email relates to its member's email.
#[derive(Clone, Debug)]
enum Variation {
    Same,
    AsciiUpper,
    UnicodeUpper,
    /// The member's own variant ([`PITFALL_MEMBERS`]).
    Special,
    /// A space-like character at the start (0), before the `@` (1) or at the end (2).
    Insert(char, u8),
    TwoAt,
}

impl Variation {
    fn apply(&self, member: usize) -> String {
        let (_, email, special) = PITFALL_MEMBERS[member % PITFALL_MEMBERS.len()];
        match self {
            Variation::Same => email.to_owned(),
            Variation::AsciiUpper => email.to_ascii_uppercase(),
            Variation::UnicodeUpper => email.to_uppercase(),
            Variation::Special => special.to_owned(),
            Variation::Insert(c, at) => {
                let (local, domain) = email.split_once('@').unwrap_or((email, ""));
                match at {
                    0 => format!("{c}{email}"),
                    1 => format!("{local}{c}@{domain}"),
                    _ => format!("{email}{c}"),
                }
            }
            Variation::TwoAt => email.replacen('@', "@acme@", 1),
        }
    }
}

fn variation() -> impl Strategy<Value = Variation> {
    prop_oneof![
        2 => Just(Variation::Same),
        1 => Just(Variation::AsciiUpper),
        1 => Just(Variation::UnicodeUpper),
        3 => Just(Variation::Special),
        4 => (select(SPACE_LIKE), 0u8..3).prop_map(|(c, at)| Variation::Insert(c, at)),
        1 => Just(Variation::TwoAt),
    ]
}

/// A JSON string with every non-ASCII character escaped (`\u00e9`).
fn quoted_ascii(s: &str) -> String {
    let mut out = String::from('"');
    for c in quoted(s).trim_matches('"').chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.push('"');
    out
}

/// A generated UserInfo reply body: an email related to a pitfall member's, written raw or
/// escaped, maybe `email_verified` and another field with any claims value, then the same
/// damage as request bodies get.
fn reply_body() -> impl Strategy<Value = Vec<u8>> {
    (
        0..PITFALL_MEMBERS.len(),
        variation(),
        prop::bool::weighted(0.25),
        prop::option::weighted(
            0.3,
            select(vec!["true", "false", "\"false\"", "\"False\"", "0", "null"]),
        ),
        prop::option::weighted(0.3, claim_value()),
        reply_damage(),
    )
        .prop_map(|(member, variation, escaped, verified, extra, damage)| {
            let email = variation.apply(member);
            let email = if escaped {
                quoted_ascii(&email)
            } else {
                quoted(&email)
            };
            let mut fields = vec![field("email", email)];
            if let Some(v) = verified {
                fields.push(field("email_verified", v.to_owned()));
            }
            if let Some(extra) = extra {
                fields.push(field("sub", extra));
            }
            damage.apply(object(&fields))
        })
}

/// The world with the pitfall people and a generated reply for `tok-gen`.
fn people_world(
    world_parts: impl Strategy<Value = (MemberStatus, i64, String)> + 'static,
) -> impl Strategy<Value = World> {
    (world_parts, reply_body()).prop_map(|((status, max, template), reply)| {
        with_pitfall_people(
            world(status, max, &template),
            &[("tok-gen".to_owned(), reply)],
        )
    })
}

// ---- Request pieces ---------------------------------------------------------------------

/// One top-level field of the request: its name and its JSON text.
type Field = (String, String);

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn field(name: &str, text: String) -> Field {
    (name.to_owned(), text)
}

/// Joins fields into an object text.
fn object(fields: &[Field]) -> String {
    let inner: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", quoted(k)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// Duration texts at and around every boundary.
pub const DURATIONS: &[&str] = &[
    "60",
    "5",
    "4",
    "527040",
    "527041",
    "0",
    "-0",
    "0.0",
    "-0.0",
    "0e0",
    "null",
    "60.0",
    "6e1",
    "60.5",
    "\"60\"",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "-5",
    "1e400",
    "30",
    "59",
    "61",
    "true",
    "false",
    // An integral float beyond 64 bits: read exactly, it is out of range, not wrapped.
    "10000000000000000000.0",
    "[60]",
    "4294967356",
];

/// An integer literal of 401 digits: beyond every double, though integers of arbitrary
/// precision (Python's, Ruby's) hold it.
pub const BIG_INTEGER: &str = "10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

/// Numbers where representations disagree.
const NUMBERS: &[&str] = &[
    "1",
    "0",
    "-0",
    "-0.0",
    "1.5",
    "1e400",
    "-1e400",
    "1e-400",
    "9007199254740993",
    "1.7976931348623157e308",
    "123456789012345678901234567890",
    BIG_INTEGER,
    "1E21",
    "1e-7",
    "60.0",
];

/// Keys that mean nothing special.
const ORDINARY_KEYS: &[&str] = &["a", "b", "plan", "features", "o", "tags", "", "é", "<&>"];

/// Reserved names, Stytch's namespace, and near misses of both.
const RESERVED_LIKE_KEYS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "ISS",
    "https://stytch.com/session",
    "https://stytch.com/organization",
    "https://stytch.com/",
    "https://stytch.com",
    "https://stytch.community/x",
];

/// Keys biased to reserved names, Stytch's namespace and near misses.
fn keys() -> Vec<&'static str> {
    [ORDINARY_KEYS, RESERVED_LIKE_KEYS].concat()
}

/// String literals: plain, escaped, non-ASCII, and lone surrogates.
const STRINGS: &[&str] = &[
    r#""x""#,
    r#""""#,
    r#""\u00e9""#,
    r#""\ud83d\ude02""#,
    r#""a\"b\\c\n""#,
    r#""<script>""#,
    "\"\u{2028}\"",
    r#""\ud800""#,
    // Lone surrogates beside look-alikes of a pair's other half: a high one before `xudc00`
    // (no backslash) or before a non-surrogate escape, and a low one alone.
    r#""\ud800xudc00""#,
    r#""\ud83d\u0041""#,
    r#""\udc00""#,
    r#""a/b'+`""#,
];

fn claim_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => select(NUMBERS).prop_map(String::from),
        3 => select(STRINGS).prop_map(String::from),
        2 => Just("null".to_owned()),
        1 => select(vec!["true", "false"]).prop_map(String::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((select(keys()), inner), 0..4).prop_map(|entries| {
                let fields: Vec<Field> = entries.into_iter().map(|(k, v)| field(k, v)).collect();
                object(&fields)
            }),
        ]
    })
}

/// A claims object text with keys from `keys`.
fn claims_object(keys: Vec<&'static str>) -> impl Strategy<Value = String> {
    prop::collection::vec((select(keys), claim_value()), 0..5).prop_map(|entries| {
        let fields: Vec<Field> = entries.into_iter().map(|(k, v)| field(k, v)).collect();
        object(&fields)
    })
}

/// The parts of a request, each optional. Assembled in a fixed order.
#[derive(Clone, Debug)]
struct Parts {
    token: Option<String>,
    org: Option<String>,
    duration: Option<String>,
    claims: Option<String>,
    extra: Vec<Field>,
}

impl Parts {
    fn body(&self) -> String {
        let mut fields = Vec::new();
        if let Some(t) = &self.token {
            fields.push(field("session_token", t.clone()));
        }
        if let Some(o) = &self.org {
            fields.push(field("organization_id", o.clone()));
        }
        if let Some(d) = &self.duration {
            fields.push(field("session_duration_minutes", d.clone()));
        }
        if let Some(c) = &self.claims {
            fields.push(field("session_custom_claims", c.clone()));
        }
        fields.extend(self.extra.iter().cloned());
        object(&fields)
    }
}

fn token() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        8 => select(TOKENS).prop_map(|t| Some(quoted(t))),
        1 => select(vec!["\"\"", "null", "7", "[\"tok-ada\"]", "\" tok-ada\"", "\"0\"", "\" \""]).prop_map(|t| Some(t.to_owned())),
        1 => Just(None),
    ]
}

fn good_token() -> impl Strategy<Value = Option<String>> {
    select(vec![
        "tok-ada",
        "tok-pat",
        "tok-ivy",
        "tok-bob",
        "tok-ada-upper",
    ])
    .prop_map(|t| Some(quoted(t)))
}

fn org() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        8 => select(ORG_VALUES).prop_map(|o| Some(quoted(o))),
        1 => select(vec!["\"\"", "null", "1", "{}", "\"0\"", "\"acme \""]).prop_map(|o| Some(o.to_owned())),
        1 => Just(None),
    ]
}

fn acme() -> impl Strategy<Value = Option<String>> {
    select(vec!["organization-test-acme", "acme", "ext-acme"]).prop_map(|o| Some(quoted(o)))
}

fn any_duration() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        6 => select(DURATIONS).prop_map(|d| Some(d.to_owned())),
        1 => any::<i32>().prop_map(|d| Some(d.to_string())),
    ]
}

fn ada_status() -> impl Strategy<Value = MemberStatus> {
    prop_oneof![
        6 => Just(MemberStatus::Active),
        1 => Just(MemberStatus::Pending),
        1 => Just(MemberStatus::Invited),
        1 => Just(MemberStatus::Deleted),
    ]
}

fn project_max() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => Just(527_040_i64),
        1 => select(vec![5_i64, 30, 59, 60, 61]),
    ]
}

fn now() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => Just(NOW),
        1 => select(vec![
            0_i64,
            951_782_400,
            4_102_444_799,
            1_699_999_980,
            2_147_483_000,
            // 2100-02-28T23:59:59 (2100 is not a leap year), 2400-02-29T12:00:00 (2400 is),
            // and the last instant whose longest session still ends by year 9999.
            4_107_542_399,
            13_574_606_400,
            migrate_model::response::MAX_NOW,
        ]),
        1 => 0_i64..4_102_444_800,
        1 => 0_i64..=migrate_model::response::MAX_NOW,
    ]
}

/// Assembles a case from its parts; the world from ada's status, the maximum and a template.
fn assemble(
    world_parts: impl Strategy<Value = (MemberStatus, i64, String)> + 'static,
    parts: impl Strategy<Value = Parts> + 'static,
    damage: impl Strategy<Value = Damage> + 'static,
) -> BoxedStrategy<Case> {
    (world_parts, now(), parts, damage)
        .prop_map(|((status, max, template), now, parts, damage)| Case {
            world: world(status, max, &template),
            now,
            body: damage.apply(parts.body()),
        })
        .boxed()
}

fn plain_world() -> impl Strategy<Value = (MemberStatus, i64, String)> {
    (
        Just(MemberStatus::Active),
        Just(527_040_i64),
        Just("{}".to_owned()),
    )
}

fn any_world() -> impl Strategy<Value = (MemberStatus, i64, String)> {
    (
        ada_status(),
        project_max(),
        select(TEMPLATES).prop_map(String::from),
    )
}

// ---- Raw-byte damage --------------------------------------------------------------------

/// What happens to the bytes of an otherwise well-formed body.
#[derive(Clone, Debug)]
enum Damage {
    None,
    Bom,
    InvalidUtf8,
    Truncate(usize),
    TrailingBytes(&'static str),
    /// A duplicate of the field placed first, with this value, so the last one wins.
    DuplicateFirst(&'static str, &'static str),
    /// An unknown field nested this many levels of arrays (the top-level object is level 1).
    DeepExtra(usize),
    /// An unknown field holding this JSON text.
    Extra(&'static str),
    /// A field's name written in another case.
    MisCased(&'static str, &'static str),
    /// UTF-8-encoded surrogates (ED A0 80) in an unknown field's string.
    EncodedSurrogate,
    /// A raw (unescaped) control character inside an unknown field's string.
    RawControl(char),
    /// A comma before the closing brace.
    TrailingComma,
    /// A `/* */` comment after the opening brace.
    Comment,
    /// Characters around the body that JSON does not count as whitespace.
    Surround(&'static str),
    /// JSON whitespace after every `{ [ , :` and before every `} ]` outside strings, in
    /// nested values too: a pretty-printed body, the same document.
    Spaced(&'static str),
}

impl Damage {
    fn apply(&self, body: String) -> Vec<u8> {
        let with_field = |body: &str, text: &str| -> String {
            match body.strip_suffix('}') {
                Some(open) if open.len() > 1 => format!("{open},{text}}}"),
                Some(open) => format!("{open}{text}}}"),
                None => body.to_owned(),
            }
        };
        match self {
            Damage::None => body.into_bytes(),
            Damage::Bom => [b"\xEF\xBB\xBF".as_slice(), body.as_bytes()].concat(),
            Damage::InvalidUtf8 => {
                // A NUL marks the spot (generated bodies never hold one), then becomes 0xFF.
                let text = with_field(&body, "\"x\":\"\u{0}\"");
                text.into_bytes()
                    .into_iter()
                    .map(|b| if b == 0 { 0xFF } else { b })
                    .collect()
            }
            Damage::EncodedSurrogate => {
                let text = with_field(&body, "\"x\":\"\u{0}\"");
                let mut out = Vec::with_capacity(text.len() + 2);
                for b in text.into_bytes() {
                    if b == 0 {
                        out.extend_from_slice(b"\xED\xA0\x80");
                    } else {
                        out.push(b);
                    }
                }
                out
            }
            Damage::RawControl(c) => with_field(&body, &format!("\"x\":\"a{c}b\"")).into_bytes(),
            Damage::TrailingComma => match body.strip_suffix('}') {
                Some(open) if open.len() > 1 => format!("{open},}}").into_bytes(),
                _ => body.into_bytes(),
            },
            Damage::Comment => match body.strip_prefix('{') {
                Some(rest) => format!("{{/* c */{rest}").into_bytes(),
                None => body.into_bytes(),
            },
            Damage::Surround(around) => format!("{around}{body}{around}").into_bytes(),
            Damage::Spaced(space) => {
                let mut spaced = String::with_capacity(body.len() * 2);
                let (mut in_string, mut escaped) = (false, false);
                for c in body.chars() {
                    if in_string {
                        spaced.push(c);
                        match c {
                            _ if escaped => escaped = false,
                            '\\' => escaped = true,
                            '"' => in_string = false,
                            _ => {}
                        }
                        continue;
                    }
                    match c {
                        '"' => {
                            in_string = true;
                            spaced.push(c);
                        }
                        '{' | '[' | ',' | ':' => {
                            spaced.push(c);
                            spaced.push_str(space);
                        }
                        '}' | ']' => {
                            spaced.push_str(space);
                            spaced.push(c);
                        }
                        _ => spaced.push(c),
                    }
                }
                spaced.into_bytes()
            }
            Damage::Truncate(n) => body.as_bytes()[..(*n).min(body.len())].to_vec(),
            Damage::TrailingBytes(t) => format!("{body}{t}").into_bytes(),
            Damage::DuplicateFirst(name, value) => match body.strip_prefix('{') {
                Some(rest) if rest.len() > 1 => format!("{{\"{name}\":{value},{rest}").into_bytes(),
                _ => body.into_bytes(),
            },
            Damage::DeepExtra(levels) => {
                let arrays = levels - 1;
                with_field(
                    &body,
                    &format!("\"x\":{}{}", "[".repeat(arrays), "]".repeat(arrays)),
                )
                .into_bytes()
            }
            Damage::Extra(text) => with_field(&body, &format!("\"extra\":{text}")).into_bytes(),
            Damage::MisCased(name, other) => body
                .replacen(&format!("\"{name}\""), &format!("\"{other}\""), 1)
                .into_bytes(),
        }
    }
}

/// Damage to a request body.
fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        3 => Just(Damage::None),
        6 => lexical_damage(),
        1 => select(vec!["\"tok-nobody\"", "7", "\"\\ud800\""]).prop_map(|v| Damage::DuplicateFirst("session_token", v)),
        1 => select(vec![("session_token", "Session_Token"), ("organization_id", "ORGANIZATION_ID")])
            .prop_map(|(name, other)| Damage::MisCased(name, other)),
    ]
}

/// Damage that any document can take, request or UserInfo reply: the lenient readers'
/// pitfalls (conformance/PITFALLS.md).
fn lexical_damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        1 => Just(Damage::Bom),
        1 => Just(Damage::InvalidUtf8),
        1 => Just(Damage::EncodedSurrogate),
        1 => (0usize..80).prop_map(Damage::Truncate),
        1 => select(vec![" x", "{}", ",", "\n"]).prop_map(Damage::TrailingBytes),
        2 => select(vec![101usize, 127, 128, 129, 10_000]).prop_map(Damage::DeepExtra),
        2 => select(vec!["1e400", "\"\\udfff\"", "{\"a\":1,\"a\":2}", "[1,2,{\"k\":null}]", "NaN", "-Infinity"]).prop_map(Damage::Extra),
        1 => select(vec!['\t', '\u{1}', '\u{1f}']).prop_map(Damage::RawControl),
        1 => Just(Damage::TrailingComma),
        1 => Just(Damage::Comment),
        1 => select(vec!["\u{c}", "\u{a0}", "\u{3000}", "\u{b}"]).prop_map(Damage::Surround),
        1 => spacing(),
    ]
}

/// JSON whitespace between the tokens of a body, nested values included.
fn spacing() -> impl Strategy<Value = Damage> {
    select(vec![" ", "\n  ", "\t", "\r\n"]).prop_map(Damage::Spaced)
}

/// The layout of a well-formed body: mostly compact, sometimes spaced out.
fn layout() -> impl Strategy<Value = Damage> {
    prop_oneof![4 => Just(Damage::None), 1 => spacing()]
}

/// Damage to a UserInfo reply.
fn reply_damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        8 => Just(Damage::None),
        4 => lexical_damage(),
        1 => select(vec!["\"nobody@acme.test\"", "7"]).prop_map(|v| Damage::DuplicateFirst("email", v)),
        1 => Just(Damage::MisCased("email", "Email")),
    ]
}

// ---- Properties -------------------------------------------------------------------------

fn request_shape() -> BoxedStrategy<Case> {
    let parts = (
        token(),
        org(),
        prop::option::of(select(vec!["5", "60"]).prop_map(String::from)),
    )
        .prop_map(|(token, org, duration)| Parts {
            token,
            org,
            duration,
            claims: None,
            extra: vec![],
        });
    let raw_bodies = prop_oneof![
        select(vec!["", "[]", "null", "\"x\"", "42", "{", "{}"])
            .prop_map(|b| b.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ];
    prop_oneof![
        6 => assemble(plain_world(), parts, damage()),
        1 => (raw_bodies, now()).prop_map(|(body, now)| Case {
            world: world(MemberStatus::Active, 527_040, "{}"),
            now,
            body,
        }),
    ]
    .boxed()
}

fn duration() -> BoxedStrategy<Case> {
    let parts = (
        good_token(),
        acme(),
        any_duration(),
        prop::option::of(
            prop_oneof![
                4 => Just(r#"{"k":1}"#),
                1 => select(vec!["false", "0", "\"\"", "[]", "[1,{\"k\":2}]"]),
            ]
            .prop_map(String::from),
        ),
    )
        .prop_map(|(token, org, duration, claims)| Parts {
            token,
            org,
            duration,
            claims,
            extra: vec![],
        });
    let world_parts = (
        Just(MemberStatus::Active),
        project_max(),
        Just("{}".to_owned()),
    );
    assemble(world_parts, parts, layout())
}

fn claims_merge() -> BoxedStrategy<Case> {
    const MERGE_KEYS: &[&str] = &["plan", "features", "o", "tags", "e", "gone", "a", "n"];
    let nested = prop_oneof![
        6 => claims_object(MERGE_KEYS.to_vec()),
        // Not objects, and falsy in some languages: nothing to merge, so bad_request.
        1 => select(vec!["false", "0", "\"\"", "[]", "[\"c\"]"]).prop_map(String::from),
        6 => select(vec![
            r#"{"features":{"beta":true}}"#,
            r#"{"features":{"sso":null}}"#,
            r#"{"features":{"limits":{"seats":null}}}"#,
            r#"{"features":null,"plan":null}"#,
            r#"{"tags":["c",null]}"#,
            r#"{"tags":["c"]}"#,
            r#"{"plan":{"tier":"x","old":null}}"#,
            r#"{"new":{"a":null,"b":{"c":null,"d":1}}}"#,
            r#"{"o":{"x":1,"y":null}}"#,
            r#"{"e":{"x":null}}"#,
        ])
        .prop_map(String::from),
    ];
    let parts = (
        good_token(),
        acme(),
        prop::option::of(Just("5".to_owned())),
        nested,
    )
        .prop_map(|(token, org, duration, claims)| Parts {
            token,
            org,
            duration,
            claims: Some(claims),
            extra: vec![],
        });
    let world_parts = (
        Just(MemberStatus::Active),
        Just(527_040_i64),
        select(TEMPLATES).prop_map(String::from),
    );
    assemble(world_parts, parts, layout())
}

fn claims_reserved() -> BoxedStrategy<Case> {
    let reserved_keys = [RESERVED_LIKE_KEYS, &["role"]].concat();
    let parts = (
        good_token(),
        acme(),
        prop::option::of(Just("5".to_owned())),
        claims_object(reserved_keys),
    )
        .prop_map(|(token, org, duration, claims)| Parts {
            token,
            org,
            duration,
            claims: Some(claims),
            extra: vec![],
        });
    assemble(any_world(), parts, layout())
}

/// A claims object of exactly `size` bytes under JCS: `{"k":"<prefix>xxx…"}`, then
/// `"n":<double>` (one of [`SIZED_DOUBLES`]), `"z":-0` when asked (JCS writes -0 as 0;
/// Go as -0, one byte more), and one of [`SIZED_STRUCTURES`] when given.
pub fn sized_claims(
    size: usize,
    prefix: &str,
    negative_zero: bool,
    double: Option<(&str, &str)>,
    structure: Option<(&str, &str)>,
) -> String {
    let escaped = quoted(prefix).len() - 2;
    let zero = if negative_zero { 6 } else { 0 };
    let number = double.map_or(0, |(_, jcs)| 5 + jcs.len());
    // `,"key":value`
    let nested = structure.map_or(0, |(key, value)| quoted(key).len() + value.len() + 2);
    let pad = size.saturating_sub(8 + escaped + zero + number + nested);
    let mut fields = vec![field("k", quoted(&format!("{prefix}{}", "x".repeat(pad))))];
    if let Some((text, _)) = double {
        fields.push(field("n", text.to_owned()));
    }
    if negative_zero {
        fields.push(field("z", "-0".to_owned()));
    }
    if let Some((key, value)) = structure {
        fields.push(field(key, value.to_owned()));
    }
    object(&fields)
}

/// Members for [`sized_claims`] whose texts are already canonical (JCS and Go write them
/// as given), so that the claims at the size limit hold arrays of several items (each
/// separator counts), nested arrays and objects, empty ones, and negative numbers that are
/// not zero (a measure that writes them as `-0` is off by their length).
pub const SIZED_STRUCTURES: &[(&str, &str)] = &[
    ("a", r#"[1,-2.5,"b",[3,4,5],{"c":-12}]"#),
    ("o", r#"{"p":[true,false,null],"q":{"r":-0.5}}"#),
    ("l", r#"[[],[[]],{},"",[-1e-7,-123456.75]]"#),
];

/// Doubles whose text differs between ECMAScript (JCS) and Python's or Java's writers, each
/// with its JCS text: `100.0` is `100` (Python and Java write `100.0`), `1e16` is 17 digits
/// (`1e+16`, `1.0E16`), `1e-7` stays (`1e-07`, `1.0E-7`).
pub const SIZED_DOUBLES: &[(&str, &str)] = &[
    ("100.0", "100"),
    ("1e16", "10000000000000000"),
    ("1e-7", "1e-7"),
    ("2.5E-5", "0.000025"),
];

fn claims_size() -> BoxedStrategy<Case> {
    // {"k":"xxx"} is 8 bytes plus the x's; with escapes and -0 the measures differ. Around
    // both limits (4096 and 4000), wide enough that the Go measure's escapes (up to 15
    // bytes more) land on each side too.
    let sized = (
        prop_oneof![
            6 => select(vec![3999usize, 4000, 4001, 4095, 4096, 4097]),
            1 => 3980usize..4010,
            1 => 4070usize..4100,
        ],
        select(vec![
            "",
            "</",
            "<<&/",
            "\u{e9}",
            "\\n",
            "/////",
            "\u{1f602}",
            "'+`//",
            "\"q\"",
            "\\",
            "\u{1}\t ",
            // Control characters alone: with a space beside them, a writer that escapes the
            // space and not the controls would measure the same.
            "\u{1f}\u{1}",
            "\u{2028}",
        ]),
        prop::bool::ANY,
        prop::option::weighted(0.3, select(SIZED_DOUBLES)),
        prop::option::weighted(0.4, select(SIZED_STRUCTURES)),
    )
        .prop_map(|(size, prefix, negative_zero, double, structure)| {
            sized_claims(size, prefix, negative_zero, double, structure)
        });
    let over_template = select(vec![r#"{"more":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}"#, r#"{"big":null,"small":1}"#, r#"{"keep":2}"#])
        .prop_map(String::from);
    let parts = (
        good_token(),
        acme(),
        prop::option::of(Just("5".to_owned())),
        prop_oneof![3 => sized, 1 => over_template],
    )
        .prop_map(|(token, org, duration, claims)| Parts {
            token,
            org,
            duration,
            claims: Some(claims),
            extra: vec![],
        });
    let world_parts = (
        Just(MemberStatus::Active),
        Just(527_040_i64),
        prop_oneof![3 => Just("{}".to_owned()), 1 => Just(big_template())],
    );
    assemble(world_parts, parts, layout())
}

fn organization() -> BoxedStrategy<Case> {
    let tokens = select(vec!["tok-ada", "tok-del", "tok-zed", "tok-ada-upper"])
        .prop_map(|t| Some(quoted(t)));
    // The Kelvin organization's slug, exactly, in ASCII upper case, with its non-ASCII
    // letter upper-cased, and with the Kelvin sign: only the first two match (slug-case).
    let kelvin = select(vec![
        "kelvin-\u{e9}cole",
        "KELVIN-\u{e9}cole",
        "kelvin-\u{c9}cole",
        "\u{212a}elvin-\u{e9}cole",
    ]);
    let orgs = prop_oneof![
        3 => select(ORG_VALUES).prop_map(|o| Some(quoted(o))),
        1 => kelvin.prop_map(|o| Some(quoted(o))),
    ];
    let parts = (tokens, orgs).prop_map(|(token, org)| Parts {
        token,
        org,
        duration: None,
        claims: None,
        extra: vec![],
    });
    (people_world(plain_world()), now(), parts)
        .prop_map(|(world, now, parts)| Case {
            world,
            now,
            body: parts.body().into_bytes(),
        })
        .boxed()
}

fn userinfo() -> BoxedStrategy<Case> {
    let tokens = prop_oneof![
        1 => select(TOKENS).prop_map(|t| Some(quoted(t))),
        2 => Just(Some(quoted("tok-gen"))),
    ];
    let parts = (tokens, acme()).prop_map(|(token, org)| Parts {
        token,
        org,
        duration: None,
        claims: None,
        extra: vec![],
    });
    (people_world(plain_world()), now(), parts)
        .prop_map(|(world, now, parts)| Case {
            world,
            now,
            body: parts.body().into_bytes(),
        })
        .boxed()
}

fn member_match() -> BoxedStrategy<Case> {
    let tokens = select(vec![
        "tok-ada",
        "tok-ada-upper",
        "tok-bob",
        "tok-bob-lower",
        "tok-pat",
        "tok-ivy",
        "tok-dee",
        "tok-zed",
        "tok-del",
        "tok-nobody",
        "tok-gen",
        "tok-gen",
        "tok-gen",
    ])
    .prop_map(|t| Some(quoted(t)));
    let orgs = select(vec![
        "organization-test-acme",
        "organization-test-beta",
        "acme",
        "beta",
    ])
    .prop_map(|o| Some(quoted(o)));
    let parts = (tokens, orgs).prop_map(|(token, org)| Parts {
        token,
        org,
        duration: None,
        claims: None,
        extra: vec![],
    });
    let world_parts = (ada_status(), Just(527_040_i64), Just("{}".to_owned()));
    (people_world(world_parts), now(), parts)
        .prop_map(|(world, now, parts)| Case {
            world,
            now,
            body: parts.body().into_bytes(),
        })
        .boxed()
}

fn precedence() -> BoxedStrategy<Case> {
    let claims = prop_oneof![
        Just(None),
        select(vec![r#"{"iss":1}"#, r#"{"n":1e400}"#, "[1]"]).prop_map(|c| Some(c.to_owned())),
        Just(Some(format!(r#"{{"k":"{}"}}"#, "x".repeat(5000)))),
    ];
    let parts =
        (token(), org(), any_duration(), claims).prop_map(|(token, org, duration, claims)| Parts {
            token,
            org,
            duration,
            claims,
            extra: vec![],
        });
    assemble(any_world(), parts, layout())
}

fn session() -> BoxedStrategy<Case> {
    let durations = prop_oneof![
        Just(None),
        select(vec!["5", "60", "1440", "527040"]).prop_map(|d| Some(d.to_owned()))
    ];
    let claims = prop::option::of(claims_object(vec!["plan", "role", "n", "o"]));
    let parts =
        (good_token(), acme(), durations, claims).prop_map(|(token, org, duration, claims)| {
            Parts {
                token,
                org,
                duration,
                claims,
                extra: vec![],
            }
        });
    let world_parts = (
        Just(MemberStatus::Active),
        Just(527_040_i64),
        select(TEMPLATES).prop_map(String::from),
    );
    assemble(world_parts, parts, layout())
}

/// The JSON of a request body, when it is one (for reports).
pub fn body_value(body: &[u8]) -> Option<Value> {
    serde_json::from_slice(body).ok()
}
