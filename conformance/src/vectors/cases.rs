//! The hand-curated case lists the vectors are generated from, one list per family.
//!
//! A case names its world, the rules it is about, a one-line comment, and its raw request.
//! Ids are `family/name`; a name is written here once and never changes meaning. Tables are
//! written as loops over boundary values where that reads better than repetition.

use migrate_model::{MemberStatus, Rule};

use crate::gen;

/// One curated case.
#[derive(Clone, Debug)]
pub struct Curated {
    /// `family/name`.
    pub id: String,
    /// The rules it is about (checked against the model's trace when generating).
    pub rules: Vec<Rule>,
    /// One line.
    pub comment: String,
    /// The world's name (see [`worlds`]).
    pub world: &'static str,
    /// The clock.
    pub now: i64,
    /// The raw request.
    pub body: Vec<u8>,
}

/// The named worlds, in file order.
pub fn worlds() -> Vec<(&'static str, migrate_model::World)> {
    use MemberStatus::*;
    let nested = gen::TEMPLATES[1];
    let odd = gen::TEMPLATES[2];
    let big = format!(r#"{{"big":"{}","keep":1}}"#, "t".repeat(3980));
    vec![
        ("base", gen::world(Active, 527_040, "{}")),
        ("template-nested", gen::world(Active, 527_040, nested)),
        (
            "template-reserved-and-nulls",
            gen::world(Active, 527_040, odd),
        ),
        ("template-big", gen::world(Active, 527_040, &big)),
        ("project-max-30", gen::world(Active, 30, "{}")),
        ("project-max-5", gen::world(Active, 5, "{}")),
        ("project-max-60", gen::world(Active, 60, "{}")),
        ("ada-pending", gen::world(Pending, 527_040, "{}")),
        ("ada-invited", gen::world(Invited, 527_040, "{}")),
        ("ada-deleted", gen::world(Deleted, 527_040, "{}")),
        ("pitfalls", pitfalls_world()),
    ]
}

/// UserInfo replies of the `pitfalls` world: a token and its email, each related to one of
/// the pitfall members' emails ([`gen::PITFALL_MEMBERS`]).
pub const PITFALL_REPLIES: &[(&str, &str)] = &[
    ("tok-p-eva", "\u{e9}va@acme.test"),
    ("tok-p-eva-nfd", "e\u{301}va@acme.test"),
    ("tok-p-eva-upper", "\u{c9}VA@ACME.TEST"),
    ("tok-p-kim-kelvin", "\u{212a}im@acme.test"),
    ("tok-p-strasse-sharp-s", "stra\u{df}e@acme.test"),
    ("tok-p-sam-long-s", "\u{17f}am@acme.test"),
    ("tok-p-kim-feff", "kim\u{feff}@acme.test"),
    ("tok-p-kim-nel", "kim\u{85}@acme.test"),
    ("tok-p-kim-us", "kim\u{1f}@acme.test"),
    ("tok-p-kim-nbsp", "kim\u{a0}@acme.test"),
    ("tok-p-kim-ideographic-space", "kim\u{3000}@acme.test"),
    ("tok-p-kim-spaces-around", " kim@acme.test "),
    ("tok-p-kim-two-at", "kim@acme@acme.test"),
];

/// The base world with the pitfall members, the Kelvin organization and [`PITFALL_REPLIES`].
fn pitfalls_world() -> migrate_model::World {
    let replies: Vec<(String, Vec<u8>)> = PITFALL_REPLIES
        .iter()
        .map(|(token, email)| {
            let body = serde_json::json!({ "email": email }).to_string();
            ((*token).to_owned(), body.into_bytes())
        })
        .collect();
    gen::with_pitfall_people(gen::world(MemberStatus::Active, 527_040, "{}"), &replies)
}

/// The families, in order, with their descriptions.
pub const FAMILIES: &[(&str, &str)] = &[
    ("request-shape", "The body: UTF-8, BOM, JSON grammar, lone surrogates, nesting, duplicate keys, unknown fields, and the token and organization fields."),
    ("duration", "session_duration_minutes: default, null, zero, integral floats, int32, the 5..=527040 range, the project maximum."),
    ("claims-merge", "The claims template and the deep merge: null deletes, nested objects, arrays, merging into {}, numbers, empty objects."),
    ("claims-reserved", "Reserved claims and the https://stytch.com/ namespace, at the top level and nested, under both reserved-claims choices."),
    ("claims-size", "The claims size limit at and around 4096 and 4000 bytes under the JCS and Go measures."),
    ("organization", "Organization lookup by id, slug and external id, with collisions and case."),
    ("userinfo", "The UserInfo reply: unreachable, non-2xx, unknown token, bad bodies, missing or invalid email, email_verified."),
    ("member", "Member matching: email case, every status, members of other organizations."),
    ("session", "Successes: the session's times and roles, the response shape, the JWT."),
    ("precedence", "Several faults at once: the evaluation order and the any-applicable set."),
    ("pitfalls", "Where other languages' standard libraries disagree with the semantics: one vector per entry of conformance/PITFALLS.md, named after its mutant."),
    ("regressions", "Minimal counterexamples saved from proptest (the bug zoo's kill matrix) and from fuzzing."),
];

struct Builder {
    family: &'static str,
    cases: Vec<Curated>,
}

impl Builder {
    fn new(family: &'static str) -> Self {
        Builder {
            family,
            cases: Vec::new(),
        }
    }

    fn add(
        &mut self,
        name: &str,
        rules: &[Rule],
        comment: &str,
        world: &'static str,
        body: impl Into<Vec<u8>>,
    ) {
        self.add_at(name, rules, comment, world, gen::NOW, body);
    }

    fn add_at(
        &mut self,
        name: &str,
        rules: &[Rule],
        comment: &str,
        world: &'static str,
        now: i64,
        body: impl Into<Vec<u8>>,
    ) {
        self.cases.push(Curated {
            id: format!("{}/{name}", self.family),
            rules: rules.to_vec(),
            comment: comment.to_owned(),
            world,
            now,
            body: body.into(),
        });
    }
}

/// A request from `token` at `org` with more fields (`extra` starts with a comma).
fn req(token: &str, org: &str, extra: &str) -> String {
    format!(r#"{{"session_token":"{token}","organization_id":"{org}"{extra}}}"#)
}

/// Ada at acme (by id, so that the lookup order does not matter) with more fields.
fn ada(extra: &str) -> String {
    req("tok-ada", "organization-test-acme", extra)
}

/// A name for a value in an id: lowercase, alphanumerics and dashes.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            '-' => out.push_str("minus"),
            '.' => out.push_str("dot"),
            '+' => out.push_str("plus"),
            _ => {
                if !out.ends_with('-') && !out.is_empty() {
                    out.push('-');
                }
            }
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Every curated case of `family`.
pub fn family(family: &str) -> Vec<Curated> {
    match family {
        "request-shape" => request_shape(),
        "duration" => duration(),
        "claims-merge" => claims_merge(),
        "claims-reserved" => claims_reserved(),
        "claims-size" => claims_size(),
        "organization" => organization(),
        "userinfo" => userinfo(),
        "member" => member(),
        "session" => session(),
        "precedence" => precedence(),
        "pitfalls" => pitfalls(),
        _ => Vec::new(),
    }
}

fn request_shape() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("request-shape");
    let good = ada("");
    b.add(
        "minimal-success",
        &[
            BodyTopLevelObject,
            RequestSessionToken,
            RequestOrganizationId,
            WorldValid,
        ],
        "the smallest request that succeeds (every vector's world is a valid one)",
        "base",
        good.clone(),
    );
    b.add(
        "error-envelope",
        &[ErrorEnvelope, RequestSessionToken],
        "an error answers with the error envelope",
        "base",
        r#"{"organization_id":"organization-test-acme"}"#,
    );
    b.add(
        "failure-changes-nothing",
        &[FailureChangesNothing, DurationRange],
        "a pending member's failed migrate leaves it pending",
        "base",
        req(
            "tok-pat",
            "organization-test-acme",
            r#","session_duration_minutes":4"#,
        ),
    );
    for (name, claims) in [
        ("claims-array", "[]"),
        ("claims-string", "\"{}\""),
        ("claims-number", "1"),
        ("claims-true", "true"),
    ] {
        b.add(
            name,
            &[ClaimsType],
            "session_custom_claims must be an object or null",
            "base",
            ada(&format!(",\"session_custom_claims\":{claims}")),
        );
    }
    b.add(
        "claims-null",
        &[SessionCustomClaimsPresent],
        "null claims are no claims",
        "base",
        ada(r#","session_custom_claims":null"#),
    );
    for (name, body) in [
        ("array", "[]"),
        ("string", "\"x\""),
        ("number", "42"),
        ("null", "null"),
        ("true", "true"),
    ] {
        b.add(
            &format!("top-level-{name}"),
            &[BodyTopLevelObject],
            "the body is JSON but not an object",
            "base",
            body,
        );
    }
    let open = &good[..good.len() - 1];
    let grammar: &[(&str, String, &str)] = &[
        ("empty-body", String::new(), "an empty body"),
        ("only-open-brace", "{".into(), "a lone opening brace"),
        (
            "truncated-before-close",
            open.to_owned(),
            "the closing brace is missing",
        ),
        (
            "truncated-in-key",
            good[..5].to_owned(),
            "cut inside the first key",
        ),
        (
            "truncated-in-string",
            good[..20].to_owned(),
            "cut inside a string value",
        ),
        (
            "trailing-comma",
            format!("{open},}}"),
            "a comma before the closing brace",
        ),
        (
            "trailing-garbage",
            format!("{good} x"),
            "bytes after the document",
        ),
        (
            "two-documents",
            format!("{good}{{}}"),
            "a second document after the first",
        ),
        (
            "leading-zero",
            format!("{open},\"x\":01}}"),
            "a number with a leading zero, in an unknown field",
        ),
        (
            "bare-dot",
            format!("{open},\"x\":1.}}"),
            "a fraction without digits",
        ),
        (
            "plus-sign",
            format!("{open},\"x\":+1}}"),
            "a leading plus sign",
        ),
        ("nan", format!("{open},\"x\":NaN}}"), "NaN is not JSON"),
        (
            "single-quotes",
            format!("{open},\"x\":'y'}}"),
            "single-quoted string",
        ),
        (
            "raw-tab-in-string",
            format!("{open},\"x\":\"a\tb\"}}"),
            "an unescaped control character in a string",
        ),
        (
            "invalid-escape",
            format!("{open},\"x\":\"\\x41\"}}"),
            "\\x is not a JSON escape",
        ),
        (
            "short-unicode-escape",
            format!("{open},\"x\":\"\\u12\"}}"),
            "a \\u escape with two hex digits",
        ),
        (
            "broken-literal",
            format!("{open},\"x\":tru}}"),
            "a truncated literal",
        ),
        (
            "comment",
            format!("{open},/* c */\"x\":1}}"),
            "comments are not JSON",
        ),
        (
            "missing-colon",
            format!("{open},\"x\" 1}}"),
            "a key without a colon",
        ),
        ("unquoted-key", format!("{open},x:1}}"), "an unquoted key"),
    ];
    for (name, body, comment) in grammar {
        b.add(name, &[BodyJsonGrammar], comment, "base", body.clone());
    }
    b.add(
        "all-whitespace-kinds",
        &[BodyJsonGrammar],
        "space, tab, CR and LF between tokens are fine",
        "base",
        format!(" \t\r\n{open} \t\r\n}} \n"),
    );
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(good.as_bytes());
    b.add(
        "byte-order-mark",
        &[BodyBom],
        "a UTF-8 BOM before the object",
        "base",
        bom,
    );
    for (name, bytes, comment) in [
        ("invalid-utf8-ff", &b"\xFF"[..], "the byte 0xFF"),
        (
            "invalid-utf8-overlong",
            b"\xC0\xAF",
            "an overlong encoding of '/'",
        ),
        (
            "invalid-utf8-raw-surrogate",
            b"\xED\xA0\x80",
            "a surrogate encoded directly in UTF-8",
        ),
        (
            "invalid-utf8-truncated",
            b"\xE2\x82",
            "a truncated three-byte sequence",
        ),
    ] {
        let mut body = format!("{open},\"x\":\"").into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\"}");
        b.add(name, &[BodyUtf8], comment, "base", body);
    }
    for (name, text, comment) in [
        (
            "lone-high-surrogate",
            r#""\ud800""#,
            "an escaped high surrogate alone",
        ),
        (
            "lone-low-surrogate",
            r#""\udc00""#,
            "an escaped low surrogate alone",
        ),
        (
            "high-surrogate-then-letter",
            r#""\ud800\u0041""#,
            "a high surrogate followed by an escaped letter",
        ),
        (
            "reversed-surrogate-pair",
            r#""\ude02\ud83d""#,
            "low then high",
        ),
    ] {
        b.add(
            name,
            &[BodyLoneSurrogate],
            comment,
            "base",
            ada(&format!(",\"session_custom_claims\":{{\"k\":{text}}}")),
        );
    }
    b.add(
        "surrogate-pair",
        &[BodyJsonGrammar],
        "a proper escaped pair is one character",
        "base",
        ada(r#","session_custom_claims":{"k":"\ud83d\ude02"}"#),
    );
    b.add(
        "lone-surrogate-in-unknown-field",
        &[BodyLoneSurrogate, BodyLexicalWholeText],
        "lexical checks cover unknown fields",
        "base",
        ada(r#","extra":"\udfff""#),
    );
    b.add(
        "lone-surrogate-in-discarded-duplicate",
        &[BodyLexicalWholeText],
        "lexical checks cover a discarded duplicate",
        "base",
        r#"{"session_token":"\ud800","session_token":"tok-ada","organization_id":"acme"}"#,
    );
    b.add(
        "lone-surrogate-in-key",
        &[BodyLoneSurrogate],
        "in an object key",
        "base",
        ada(r#","session_custom_claims":{"\udc00":1}"#),
    );
    for levels in [127usize, 128, 129, 1000] {
        let arrays = levels - 1;
        b.add(
            &format!("nesting-{levels}-levels-unknown-field"),
            if levels < 128 {
                &[BodyJsonGrammar]
            } else {
                &[BodyNestingLimit]
            },
            &format!("{levels} levels counting the top-level object, in an unknown field"),
            "base",
            ada(&format!(
                ",\"x\":{}{}",
                "[".repeat(arrays),
                "]".repeat(arrays)
            )),
        );
    }
    for levels in [128usize, 129] {
        let arrays = levels - 2;
        b.add(
            &format!("nesting-{levels}-levels-in-claims"),
            &[BodyNestingLimit],
            &format!("{levels} levels, reached inside the claims"),
            "base",
            ada(&format!(
                ",\"session_custom_claims\":{{\"a\":{}{}}}",
                "[".repeat(arrays),
                "]".repeat(arrays)
            )),
        );
    }
    b.add(
        "duplicate-token-last-wins",
        &[BodyDuplicateKeys],
        "the second session_token is the one used",
        "base",
        r#"{"session_token":"tok-nobody","organization_id":"acme","session_token":"tok-ada"}"#,
    );
    b.add(
        "duplicate-discarded-value-unchecked",
        &[BodyDuplicateKeys],
        "a discarded duplicate of the wrong type is never examined",
        "base",
        ada(r#","session_duration_minutes":"60","session_duration_minutes":5"#),
    );
    b.add(
        "duplicate-claims-key-escaped",
        &[BodyDuplicateKeys],
        "\"a\" and \"\\u0061\" are the same key",
        "base",
        ada(r#","session_custom_claims":{"a":1,"\u0061":2}"#),
    );
    b.add(
        "duplicate-in-unknown-field",
        &[BodyDuplicateKeys],
        "a duplicate deep inside an unknown field",
        "base",
        ada(r#","x":{"y":[{"z":1,"z":2}]}"#),
    );
    b.add(
        "unknown-fields-ignored",
        &[BodyUnknownFieldsIgnored],
        "unknown fields of every type",
        "base",
        ada(r#","session_jwt":"x","extra":{"deep":[1,null,true]},"n":null"#),
    );
    b.add(
        "unknown-field-1e400",
        &[BodyUnknownFieldsIgnored],
        "a number no double can hold is fine in an unknown field",
        "base",
        ada(r#","big":1e400,"tiny":-1e-400"#),
    );
    b.add(
        "field-name-case-token",
        &[BodyFieldNamesExact],
        "Session_Token is an unknown field, so the token is missing",
        "base",
        r#"{"Session_Token":"tok-ada","organization_id":"acme"}"#,
    );
    b.add(
        "field-name-case-duration",
        &[BodyFieldNamesExact],
        "a differently cased duration is ignored: the default applies",
        "base",
        ada(r#","Session_Duration_Minutes":5"#),
    );
    for (name, value, comment) in [
        ("token-missing", None, "no session_token"),
        ("token-empty", Some("\"\""), "an empty session_token"),
        ("token-null", Some("null"), "session_token null"),
        ("token-number", Some("7"), "session_token is a number"),
        (
            "token-array",
            Some("[\"tok-ada\"]"),
            "session_token is an array",
        ),
        ("token-object", Some("{}"), "session_token is an object"),
        (
            "token-space",
            Some("\" \""),
            "a token of one space is non-empty: UserInfo does not know it",
        ),
        (
            "token-not-trimmed",
            Some("\" tok-ada\""),
            "tokens are not trimmed",
        ),
    ] {
        let body = match value {
            None => r#"{"organization_id":"acme"}"#.to_owned(),
            Some(v) => format!(r#"{{"session_token":{v},"organization_id":"acme"}}"#),
        };
        b.add(name, &[RequestSessionToken], comment, "base", body);
    }
    for (name, value, comment) in [
        ("organization-missing", None, "no organization_id"),
        (
            "organization-empty",
            Some("\"\""),
            "an empty organization_id",
        ),
        ("organization-null", Some("null"), "organization_id null"),
        (
            "organization-number",
            Some("7"),
            "organization_id is a number",
        ),
        (
            "organization-object",
            Some("{}"),
            "organization_id is an object",
        ),
        (
            "organization-bool",
            Some("true"),
            "organization_id is a boolean",
        ),
        (
            "organization-not-trimmed",
            Some("\" acme\""),
            "organization ids are not trimmed",
        ),
    ] {
        let body = match value {
            None => r#"{"session_token":"tok-ada"}"#.to_owned(),
            Some(v) => format!(r#"{{"session_token":"tok-ada","organization_id":{v}}}"#),
        };
        b.add(name, &[RequestOrganizationId], comment, "base", body);
    }
    b.cases
}

fn duration() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("duration");
    b.add(
        "absent",
        &[DurationDefault],
        "no duration: 60 minutes",
        "base",
        ada(""),
    );
    b.add(
        "null",
        &[DurationNull],
        "an explicit null",
        "base",
        ada(r#","session_duration_minutes":null"#),
    );
    let values: &[(&str, Rule, &str)] = &[
        ("0", DurationZero, "zero"),
        ("-0", DurationNegativeZero, "minus zero is the integer 0"),
        ("1", DurationRange, "below the minimum"),
        ("4", DurationRange, "one below the minimum"),
        ("5", DurationRange, "the minimum"),
        ("6", DurationRange, "one above the minimum"),
        ("59", DurationRange, "just under the default"),
        ("60", DurationRange, "the default, given explicitly"),
        ("61", DurationRange, "just over the default"),
        ("1440", DurationRange, "a day"),
        ("527039", DurationRange, "one below the maximum"),
        ("527040", DurationRange, "the maximum, 366 days"),
        ("527041", DurationRange, "one above the maximum"),
        ("-1", DurationRange, "negative"),
        ("-5", DurationRange, "negative minimum"),
        ("2147483647", DurationRange, "int32 maximum"),
        (
            "2147483648",
            DurationInt32Overflow,
            "int32 maximum plus one",
        ),
        ("-2147483648", DurationRange, "int32 minimum"),
        (
            "-2147483649",
            DurationInt32Overflow,
            "int32 minimum minus one",
        ),
        (
            "9223372036854775807",
            DurationInt32Overflow,
            "int64 maximum",
        ),
        (
            "99999999999999999999999",
            DurationInt32Overflow,
            "beyond int64",
        ),
        ("60.0", DurationIntegralFloat, "an integral float"),
        ("6e1", DurationIntegralFloat, "an integral exponent form"),
        (
            "6E+1",
            DurationIntegralFloat,
            "capital exponent with a sign",
        ),
        (
            "600e-1",
            DurationIntegralFloat,
            "a negative exponent that is still integral",
        ),
        ("5.0", DurationIntegralFloat, "the minimum as a float"),
        ("527040.0", DurationIntegralFloat, "the maximum as a float"),
        ("0.0", DurationIntegralFloat, "zero as a float"),
        ("-0.0", DurationIntegralFloat, "minus zero as a float"),
        ("60.5", DurationIntegralFloat, "a fraction"),
        (
            "60.00000000000000001",
            DurationIntegralFloat,
            "a fraction a double cannot see",
        ),
        ("5e-1", DurationIntegralFloat, "a fraction in exponent form"),
        ("1e10", DurationIntegralFloat, "integral but beyond int32"),
        ("1e400", DurationIntegralFloat, "beyond any double"),
        (
            "527041.0",
            DurationIntegralFloat,
            "one above the maximum, as a float",
        ),
    ];
    for (text, rule, comment) in values {
        b.add(
            &format!("value-{}", slug(text)),
            &[*rule],
            comment,
            "base",
            ada(&format!(",\"session_duration_minutes\":{text}")),
        );
    }
    for (name, text, comment) in [
        ("type-string", r#""60""#, "a string"),
        ("type-empty-string", r#""""#, "an empty string"),
        ("type-true", "true", "a boolean"),
        ("type-array", "[60]", "an array"),
        ("type-object", r#"{"minutes":60}"#, "an object"),
    ] {
        b.add(
            name,
            &[DurationType],
            comment,
            "base",
            ada(&format!(",\"session_duration_minutes\":{text}")),
        );
    }
    for (world, max) in [
        ("project-max-30", 30),
        ("project-max-5", 5),
        ("project-max-60", 60),
    ] {
        let rules: &[Rule] = if max < 60 {
            &[DurationDefault, DurationDefaultAboveProjectMax]
        } else {
            &[DurationDefault]
        };
        b.add(
            &format!("absent-project-max-{max}"),
            rules,
            "the default against the project maximum",
            world,
            ada(""),
        );
        b.add(
            &format!("null-project-max-{max}"),
            &[DurationNull],
            "null is absent, so the cap applies",
            world,
            ada(r#","session_duration_minutes":null"#),
        );
        for given in [max - 1, max, max + 1] {
            if given >= 5 {
                b.add(
                    &format!("value-{given}-project-max-{max}"),
                    &[DurationProjectMax],
                    "around the project maximum",
                    world,
                    ada(&format!(",\"session_duration_minutes\":{given}")),
                );
            }
        }
        b.add(
            &format!("value-527041-project-max-{max}"),
            &[DurationRange],
            "the range check comes before the project maximum",
            world,
            ada(r#","session_duration_minutes":527041"#),
        );
    }
    b.add(
        "zero-project-max-30",
        &[DurationZero],
        "zero against a smaller maximum",
        "project-max-30",
        ada(r#","session_duration_minutes":0"#),
    );
    for (name, duration, rule, comment) in [
        (
            "claims-with-absent-duration",
            "",
            ClaimsWithoutDuration,
            "claims without a duration",
        ),
        (
            "claims-with-null-duration",
            r#","session_duration_minutes":null"#,
            ClaimsWithoutDuration,
            "claims with a null duration",
        ),
        (
            "claims-with-zero-duration",
            r#","session_duration_minutes":0"#,
            DurationZero,
            "claims with a zero duration",
        ),
        (
            "claims-with-duration",
            r#","session_duration_minutes":5"#,
            ClaimsMergeAddOverwrite,
            "claims with a duration apply under both choices",
        ),
    ] {
        b.add(
            name,
            &[rule],
            comment,
            "base",
            ada(&format!("{duration},\"session_custom_claims\":{{\"k\":1}}")),
        );
    }
    b.add(
        "claims-reserved-absent-duration",
        &[ClaimsWithoutDuration],
        "ignored claims are not examined, even a reserved key",
        "base",
        ada(r#","session_custom_claims":{"iss":1}"#),
    );
    b.add(
        "claims-with-absent-duration-over-max",
        &[ClaimsWithoutDuration],
        "absent is absent even when the default fails the project maximum",
        "project-max-30",
        ada(r#","session_custom_claims":{"iss":1}"#),
    );
    b.cases
}

fn claims_merge() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("claims-merge");
    let updates: &[(&str, &str, Rule, &str)] = &[
        (
            "empty-update",
            "{}",
            ClaimsTemplateBase,
            "nothing to merge: the template alone",
        ),
        (
            "overwrite-scalar",
            r#"{"plan":"enterprise"}"#,
            ClaimsMergeAddOverwrite,
            "a new value overwrites",
        ),
        (
            "add-key",
            r#"{"region":"eu"}"#,
            ClaimsMergeAddOverwrite,
            "a new key is added",
        ),
        (
            "null-deletes",
            r#"{"plan":null}"#,
            ClaimsMergeNullDeletes,
            "null deletes a top-level key",
        ),
        (
            "null-deletes-missing",
            r#"{"nothing":null}"#,
            ClaimsMergeNullDeletes,
            "null on a missing key is harmless",
        ),
        (
            "deep-merge",
            r#"{"features":{"beta":true}}"#,
            ClaimsMergeDeep,
            "nested objects merge",
        ),
        (
            "deep-merge-add",
            r#"{"features":{"audit":"on"}}"#,
            ClaimsMergeDeep,
            "a nested key is added",
        ),
        (
            "nested-null-deletes",
            r#"{"features":{"sso":null}}"#,
            ClaimsMergeNullDeletesNested,
            "a nested null deletes the nested key",
        ),
        (
            "nested-null-deletes-deeper",
            r#"{"features":{"limits":{"seats":null}}}"#,
            ClaimsMergeNullDeletesNested,
            "two levels down",
        ),
        (
            "null-deletes-whole-object",
            r#"{"features":null}"#,
            ClaimsMergeNullDeletes,
            "null deletes a nested object whole",
        ),
        (
            "explicit-empty-object",
            r#"{"features":{}}"#,
            ClaimsMergeDeep,
            "merging {} changes nothing",
        ),
        (
            "array-replaces-object",
            r#"{"features":[1,2]}"#,
            ClaimsMergeArraysReplaced,
            "an array replaces an object",
        ),
        (
            "array-replaced-whole",
            r#"{"tags":["c"]}"#,
            ClaimsMergeArraysReplaced,
            "arrays are replaced, not merged",
        ),
        (
            "array-with-null",
            r#"{"tags":[null,{"x":null}]}"#,
            ClaimsMergeArraysReplaced,
            "null inside an array is a value",
        ),
        (
            "object-replaces-array",
            r#"{"tags":{"a":1,"b":null}}"#,
            ClaimsMergeIntoEmpty,
            "an object over an array merges into {}",
        ),
        (
            "object-over-scalar",
            r#"{"plan":{"tier":"x","old":null}}"#,
            ClaimsMergeIntoEmpty,
            "an object over a scalar merges into {}",
        ),
        (
            "new-object-of-nulls",
            r#"{"new":{"a":null}}"#,
            ClaimsMergeIntoEmpty,
            "a new object whose members are all null",
        ),
        (
            "new-object-nested-nulls",
            r#"{"new":{"a":{"b":null},"c":1}}"#,
            ClaimsMergeIntoEmpty,
            "nested nulls in a new object vanish",
        ),
        (
            "emptied-nested-object",
            r#"{"features":{"limits":{"seats":null}}}"#,
            ClaimsMergeEmptyObjectAfterDelete,
            "the nested object is left empty",
        ),
        (
            "emptied-by-all-nulls",
            r#"{"features":{"sso":null,"beta":null,"limits":null}}"#,
            ClaimsMergeEmptyObjectAfterDelete,
            "every member deleted",
        ),
        (
            "array-over-array-of-objects",
            r#"{"tags":[{"a":null}]}"#,
            ClaimsMergeArraysReplaced,
            "objects inside arrays are values too",
        ),
        (
            "number-negative-zero",
            r#"{"n":-0}"#,
            ClaimsNumberPrecision,
            "-0 as a claim",
        ),
        (
            "number-underflow",
            r#"{"n":1e-400}"#,
            ClaimsNumberPrecision,
            "underflow becomes 0 as a double",
        ),
        (
            "number-2-pow-53-plus-1",
            r#"{"n":9007199254740993}"#,
            ClaimsNumberPrecision,
            "rounds to 2^53 as a double",
        ),
        (
            "number-fraction",
            r#"{"n":0.1}"#,
            ClaimsNumberPrecision,
            "an inexact fraction",
        ),
        (
            "number-exponent-form",
            r#"{"n":1E21}"#,
            ClaimsNumberPrecision,
            "written 1e+21 by JCS",
        ),
        (
            "number-small",
            r#"{"n":1.5e-7}"#,
            ClaimsNumberPrecision,
            "written in exponent form by JCS",
        ),
        (
            "number-trailing-zeros",
            r#"{"n":1.50}"#,
            ClaimsNumberPrecision,
            "1.50 is 1.5 as a double",
        ),
        (
            "number-1e400",
            r#"{"n":1e400}"#,
            ClaimsNumberPrecision,
            "no double holds it",
        ),
        (
            "number-1e400-nested",
            r#"{"o":{"a":[1,-1e400]}}"#,
            ClaimsNumberPrecision,
            "deep inside the claims",
        ),
        (
            "number-largest-double",
            r#"{"n":1.7976931348623157e308}"#,
            ClaimsNumberPrecision,
            "the largest double",
        ),
        (
            "number-rounds-to-infinity",
            r#"{"n":1.7976931348623159e308}"#,
            ClaimsNumberPrecision,
            "rounds up to infinity",
        ),
        (
            "string-escapes",
            r#"{"s":"a\"b\\c\n\u0001\u00e9"}"#,
            ClaimsMergeAddOverwrite,
            "escapes in a claim string",
        ),
        (
            "unicode-keys",
            r#"{"é":1,"😀":2,"":3}"#,
            ClaimsMergeAddOverwrite,
            "non-ASCII and empty keys",
        ),
        (
            "html-characters",
            r#"{"h":"<a href='x'>&amp;</a>"}"#,
            ClaimsMergeAddOverwrite,
            "characters Go escapes",
        ),
    ];
    for (name, update, rule, comment) in updates {
        b.add(
            name,
            &[*rule],
            comment,
            "template-nested",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{update}"
            )),
        );
    }
    for (name, update, rule, comment) in [
        (
            "template-null-dropped",
            "{}",
            ClaimsTemplateNullsDropped,
            "nulls in the template are dropped",
        ),
        (
            "template-reserved-dropped",
            "{}",
            ClaimsTemplateReservedDropped,
            "reserved and namespaced keys in the template are dropped",
        ),
        (
            "template-empty-object-touched",
            r#"{"e":{"x":null}}"#,
            ClaimsMergeDeep,
            "an explicit {} in the template touched by nulls",
        ),
        (
            "template-object-emptied",
            r#"{"o":{"y":null}}"#,
            ClaimsMergeEmptyObjectAfterDelete,
            "the template's object emptied by the update",
        ),
        (
            "template-dropped-key-set",
            r#"{"gone":1}"#,
            ClaimsMergeAddOverwrite,
            "a key the template had as null",
        ),
        (
            "template-explicit-empty-kept",
            r#"{"e":{}}"#,
            ClaimsMergeDeep,
            "explicit {} over explicit {}",
        ),
    ] {
        b.add(
            name,
            &[rule],
            comment,
            "template-reserved-and-nulls",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{update}"
            )),
        );
    }
    for (name, update, rule, comment) in [
        (
            "no-template-nested-nulls",
            r#"{"a":{"b":null,"c":{"d":null}},"e":1}"#,
            ClaimsMergeIntoEmpty,
            "with no template, nested nulls vanish",
        ),
        (
            "no-template-deep-object",
            r#"{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}"#,
            ClaimsMergeAddOverwrite,
            "a deep object",
        ),
        (
            "no-template-only-nulls",
            r#"{"a":null,"b":{"c":null}}"#,
            ClaimsMergeEmptyObjectAfterDelete,
            "an update of only nulls",
        ),
    ] {
        b.add(
            name,
            &[rule],
            comment,
            "base",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{update}"
            )),
        );
    }
    b.cases
}

fn claims_reserved() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("claims-reserved");
    for key in ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] {
        b.add(&format!("reserved-{key}"), &[ClaimsReserved], &format!("{key} at the top level"), "base", ada(&format!(",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"{key}\":\"x\",\"ok\":1}}")));
        b.add(
            &format!("reserved-{key}-null"),
            &[ClaimsReserved],
            &format!("{key}: null, refused under reject too"),
            "base",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"{key}\":null}}"
            )),
        );
    }
    for (name, key) in [
        ("namespace-session", "https://stytch.com/session"),
        ("namespace-organization", "https://stytch.com/organization"),
        ("namespace-bare", "https://stytch.com/"),
        ("namespace-deep-path", "https://stytch.com/a/b"),
    ] {
        b.add(name, &[ClaimsStytchNamespace], &format!("{key} at the top level"), "base", ada(&format!(",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"{key}\":{{\"id\":\"evil\"}},\"ok\":1}}")));
    }
    for (name, key, comment) in [
        (
            "near-miss-uppercase",
            "ISS",
            "reserved names are case-sensitive",
        ),
        (
            "near-miss-no-slash",
            "https://stytch.com",
            "the namespace needs its trailing slash",
        ),
        (
            "near-miss-other-host",
            "https://stytch.community/x",
            "another host",
        ),
        (
            "near-miss-uppercase-scheme",
            "HTTPS://STYTCH.COM/x",
            "the prefix is case-sensitive",
        ),
        ("near-miss-padded", " iss", "a leading space"),
    ] {
        b.add(
            name,
            &[ClaimsReservedTopLevelOnly],
            comment,
            "base",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"{key}\":1}}"
            )),
        );
    }
    b.add("nested-reserved-is-data", &[ClaimsReservedTopLevelOnly], "iss and the namespace nested are ordinary data", "base", ada(r#","session_duration_minutes":5,"session_custom_claims":{"o":{"iss":1,"https://stytch.com/session":2}}"#));
    b.add("reserved-before-namespace", &[ClaimsReserved, ClaimsStytchNamespace], "a reserved key is reported before a namespaced one", "base", ada(r#","session_duration_minutes":5,"session_custom_claims":{"https://stytch.com/a":1,"iat":2}"#));
    b.add(
        "reserved-with-1e400",
        &[ClaimsNumberPrecision, ClaimsReserved],
        "an unrepresentable number under a reserved key is found first",
        "base",
        ada(r#","session_duration_minutes":5,"session_custom_claims":{"exp":1e400}"#),
    );
    b.add("all-reserved", &[ClaimsReserved], "every reserved key at once", "base", ada(r#","session_duration_minutes":5,"session_custom_claims":{"iss":1,"sub":2,"aud":3,"exp":4,"nbf":5,"iat":6,"jti":7}"#));
    b.add("reserved-never-overrides-jwt", &[ClaimsReserved, JwtRegisteredClaims], "ignored reserved keys never reach the JWT", "base", ada(r#","session_duration_minutes":5,"session_custom_claims":{"sub":"member-evil","exp":1}"#));
    b.add(
        "template-reserved-with-request-reserved",
        &[ClaimsTemplateReservedDropped, ClaimsReserved],
        "template and request both carry reserved keys",
        "template-reserved-and-nulls",
        ada(r#","session_duration_minutes":5,"session_custom_claims":{"iss":"req"}"#),
    );
    b.add(
        "reserved-without-duration",
        &[ClaimsReserved, ClaimsWithoutDuration],
        "a reserved key when the duration is absent",
        "base",
        ada(r#","session_custom_claims":{"jti":"x"}"#),
    );
    b.cases
}

fn claims_size() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("claims-size");
    // {"k":"…"} is 8 bytes plus the string's bytes.
    let plain = |size: usize| format!(r#"{{"k":"{}"}}"#, "x".repeat(size - 8));
    for size in [4094usize, 4095, 4096, 4097, 4098, 3999, 4000, 4001] {
        b.add(
            &format!("jcs-{size}-bytes"),
            &[ClaimsSizeLimit],
            &format!("exactly {size} bytes under both measures"),
            "base",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{}",
                plain(size)
            )),
        );
    }
    // Each '<' is 1 byte in JCS and 6 in Go: two of them make the Go size 10 larger.
    let go = |go_size: usize| format!(r#"{{"k":"<<{}"}}"#, "x".repeat(go_size - 8 - 12));
    for size in [4096usize, 4097, 4000, 4001] {
        b.add(
            &format!("go-{size}-bytes"),
            &[ClaimsSizeMeasure],
            &format!(
                "exactly {size} bytes under the Go measure, {} under JCS",
                size - 10
            ),
            "base",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{}",
                go(size)
            )),
        );
    }
    // U+2028 is 3 bytes in JCS and 6 (\u2028) in Go.
    b.add(
        "line-separator-4096-jcs",
        &[ClaimsSizeMeasure],
        "U+2028 costs 3 bytes in JCS and 6 in Go",
        "base",
        ada(&format!(
            ",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"k\":\"\u{2028}{}\"}}",
            "x".repeat(4096 - 8 - 3)
        )),
    );
    // -0: "0" in JCS, "-0" in Go. {"k":"…","z":-0} is 14 + pad under JCS.
    for (name, pad) in [
        ("negative-zero-4096-jcs", 4096 - 14),
        ("negative-zero-4095-jcs", 4095 - 14),
    ] {
        b.add(name, &[ClaimsSizeNegativeZero], "-0 is one byte shorter in JCS than in Go", "base", ada(&format!(",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"k\":\"{}\",\"z\":-0}}", "x".repeat(pad))));
    }
    // 1.0000 is 6 bytes as text and 1 as a double.
    for (name, pad) in [
        ("exact-text-4096-as-double", 4096 - 14),
        ("exact-text-4096-as-text", 4096 - 19),
    ] {
        b.add(name, &[ClaimsNumberPrecision, ClaimsSizeLimit], "a number whose text is longer than its double", "base", ada(&format!(",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"k\":\"{}\",\"n\":1.0000}}", "x".repeat(pad))));
    }
    b.add(
        "multibyte-4096",
        &[ClaimsSizeLimit],
        "é is two bytes in both measures",
        "base",
        ada(&format!(
            ",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"k\":\"{}\"}}",
            "é".repeat((4096 - 8) / 2)
        )),
    );
    b.add(
        "escapes-4096",
        &[ClaimsSizeLimit],
        "\\n is two bytes and \\u0001 six in both measures",
        "base",
        ada(&format!(
            ",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"k\":\"\\n\\u0001{}\"}}",
            "x".repeat(4096 - 8 - 8)
        )),
    );
    // A quote and a backslash take two bytes each, a space one and U+0001 six, in both
    // measures.
    for size in [4096usize, 4097] {
        b.add(
            &format!("escapes-mixed-{size}-bytes"),
            &[ClaimsSizeLimit],
            &format!("exactly {size} bytes with a quote, a space, a backslash and U+0001"),
            "base",
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{}",
                gen::sized_claims(size, "\" \\\u{1}", false, None, None)
            )),
        );
    }
    // Arrays of several items, nesting, empty arrays and objects, and negative numbers at
    // both limits: every separator, bracket and sign counts.
    for (key, value) in gen::SIZED_STRUCTURES {
        for size in [4096usize, 4097, 4000, 4001] {
            b.add(
                &format!("structure-{key}-{size}-bytes"),
                &[ClaimsSizeLimit],
                &format!("exactly {size} bytes with {value}"),
                "base",
                ada(&format!(
                    ",\"session_duration_minutes\":5,\"session_custom_claims\":{}",
                    gen::sized_claims(size, "", false, None, Some((key, value)))
                )),
            );
        }
    }
    b.add("merged-over-limit", &[ClaimsSizeLimit], "template and update fit alone, not together", "template-big", ada(r#","session_duration_minutes":5,"session_custom_claims":{"more":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}"#));
    b.add(
        "template-alone-near-limit",
        &[ClaimsTemplateBase, ClaimsSizeLimit],
        "the big template alone fits",
        "template-big",
        ada(""),
    );
    b.add("delete-makes-room", &[ClaimsSizeLimit, ClaimsMergeNullDeletes], "deleting the big template key leaves room", "template-big", ada(&format!(",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"big\":null,\"k\":\"{}\"}}", "x".repeat(3000))));
    b.add(
        "way-over",
        &[ClaimsSizeLimit],
        "100 KB of claims",
        "base",
        ada(&format!(
            ",\"session_duration_minutes\":5,\"session_custom_claims\":{{\"k\":\"{}\"}}",
            "x".repeat(100_000)
        )),
    );
    b.add(
        "many-small-keys",
        &[ClaimsSizeLimit],
        "many keys rather than one long string",
        "base",
        {
            let keys: Vec<String> = (0..600).map(|i| format!("\"k{i:03}\":1")).collect();
            ada(&format!(
                ",\"session_duration_minutes\":5,\"session_custom_claims\":{{{}}}",
                keys.join(",")
            ))
        },
    );
    b.cases
}

fn organization() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("organization");
    for value in gen::ORG_VALUES {
        for token in ["tok-ada", "tok-del"] {
            let rules: &[Rule] = match *value {
                "organization-test-acme"
                | "organization-test-beta"
                | "organization-test-gamma"
                | "organization-test-delta" => &[OrgById],
                "acme" => &[OrgBySlug, OrgLookupOrder],
                "beta" | "Delta" => &[OrgBySlug],
                "ext-acme" | "ext-delta" => &[OrgByExternalId],
                "ACME" | "delta" => &[OrgSlugCase],
                "EXT-ACME" | "ORGANIZATION-TEST-ACME" => &[OrgIdsExact],
                _ => &[OrgNotFound],
            };
            let mut name = slug(value);
            if value.chars().any(|c| c.is_ascii_uppercase()) {
                name.push_str("-upper");
            }
            if value.starts_with(' ') {
                name.push_str("-padded");
            }
            b.add(
                &format!("{name}-{}", token.trim_start_matches("tok-")),
                rules,
                &format!("organization_id {value:?} with {token}'s email"),
                "base",
                req(token, value, ""),
            );
        }
    }
    b.cases
}

fn userinfo() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("userinfo");
    for token in gen::TOKENS {
        let rule = match *token {
            "tok-unreachable" => UserinfoUnreachable,
            "tok-500" | "tok-302" => UserinfoNon2xx,
            "tok-html" | "tok-array" | "tok-bom" | "tok-lone" | "tok-dup-email" | "tok-204" => {
                UserinfoBody
            }
            "tok-unverified" | "tok-unverified-str" => UserinfoEmailVerified,
            "tok-never-issued" => UserinfoUnknownToken,
            "tok-no-email"
            | "tok-email-number"
            | "tok-email-two-at"
            | "tok-email-space"
            | "tok-email-nbsp"
            | "tok-email-empty"
            | "tok-email-no-local"
            | "tok-email-no-domain" => UserinfoEmail,
            _ => MemberMustExist,
        };
        b.add(
            token.trim_start_matches("tok-"),
            &[rule],
            &format!("the UserInfo reply for {token}"),
            "base",
            req(token, "organization-test-acme", ""),
        );
    }
    b.cases
}

fn member() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("member");
    let tokens = [
        "tok-ada",
        "tok-ada-upper",
        "tok-bob",
        "tok-bob-lower",
        "tok-pat",
        "tok-ivy",
        "tok-dee",
        "tok-zed",
        "tok-nobody",
    ];
    for org in ["acme", "beta"] {
        for token in tokens {
            let rule = match (token, org) {
                ("tok-ada-upper", _) | ("tok-bob-lower", "acme") => MemberEmailCase,
                ("tok-pat" | "tok-ivy" | "tok-dee", "acme") => MemberStatus,
                _ => MemberMustExist,
            };
            b.add(
                &format!("{}-at-{org}", token.trim_start_matches("tok-")),
                &[rule],
                &format!("{token} at {org}"),
                "base",
                req(token, org, ""),
            );
        }
    }
    for (world, status) in [
        ("ada-pending", "pending"),
        ("ada-invited", "invited"),
        ("ada-deleted", "deleted"),
    ] {
        let rules: &[Rule] = if status == "deleted" {
            &[MemberStatus]
        } else {
            &[MemberStatus, SessionMemberActive]
        };
        b.add(
            &format!("ada-{status}"),
            rules,
            &format!("ada is {status}"),
            world,
            ada(""),
        );
        b.add(
            &format!("ada-{status}-upper"),
            &[MemberStatus, MemberEmailCase],
            &format!("ada is {status}, email in capitals"),
            world,
            req("tok-ada-upper", "acme", ""),
        );
    }
    b.cases
}

fn session() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("session");
    for minutes in [5i64, 60, 1440, 527_040] {
        b.add(
            &format!("duration-{minutes}"),
            &[SessionExpiry, JwtLifetime],
            "expires_at = now + duration; the JWT lives 5 minutes",
            "base",
            ada(&format!(",\"session_duration_minutes\":{minutes}")),
        );
    }
    for (name, now) in [
        ("now-epoch", 0i64),
        ("now-y2k", 946_684_800),
        ("now-leap-day", 1_709_164_800),
        ("now-latest", migrate_model::response::MAX_NOW),
    ] {
        b.add_at(
            name,
            &[SessionTimestampFormat, SessionStartedNow],
            "timestamps at an unusual instant",
            "base",
            now,
            ada(r#","session_duration_minutes":527040"#),
        );
    }
    b.add(
        "roles-in-order",
        &[SessionRoles],
        "the member's roles in the world's order",
        "base",
        ada(""),
    );
    b.add(
        "no-roles",
        &[SessionRoles],
        "a member without roles",
        "base",
        req("tok-bob", "acme", ""),
    );
    b.add(
        "auth-factor",
        &[SessionAuthFactor],
        "one imported factor",
        "base",
        ada(""),
    );
    b.add(
        "custom-claims-present-empty",
        &[SessionCustomClaimsPresent],
        "custom_claims is {} when empty",
        "base",
        ada(""),
    );
    b.add(
        "jwt-registered-claims",
        &[JwtRegisteredClaims, JwtHeader],
        "iss, aud, sub, iat, nbf, exp and the header",
        "base",
        ada(""),
    );
    b.add(
        "jwt-stytch-claims",
        &[JwtStytchClaims],
        "the session and organization claims",
        "base",
        req("tok-del", "ext-delta", ""),
    );
    b.add("jwt-custom-claims-top-level", &[JwtCustomClaimsTopLevel], "custom claims beside the registered ones", "template-nested", ada(r#","session_duration_minutes":5,"session_custom_claims":{"role":"admin","o":{"iss":1}}"#));
    b.add(
        "response-shape",
        &[ResponseShape],
        "every required field of the official schema",
        "base",
        ada(""),
    );
    b.add(
        "pending-becomes-active",
        &[SessionMemberActive],
        "a pending member is active in the response",
        "base",
        req("tok-pat", "acme", ""),
    );
    b.add(
        "invited-becomes-active",
        &[SessionMemberActive],
        "an invited member is active in the response",
        "base",
        req("tok-ivy", "acme", ""),
    );
    b.add(
        "organization-external-id",
        &[ResponseShape, OrgByExternalId],
        "the organization object carries its external id",
        "base",
        req("tok-ada", "ext-acme", ""),
    );
    b.add(
        "organization-without-external-id",
        &[ResponseShape],
        "gamma has no external id",
        "base",
        req("tok-ada", "organization-test-gamma", ""),
    );
    b.cases
}

fn precedence() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("precedence");
    let big = format!(r#"{{"k":"{}"}}"#, "x".repeat(5000));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "token-and-organization",
            r#"{"session_token":7,"organization_id":7}"#.into(),
            "both required fields wrong",
        ),
        (
            "token-missing-unknown-org",
            r#"{"organization_id":"nope"}"#.into(),
            "no token; the organization is still looked up",
        ),
        (
            "duration-and-org",
            req("tok-ada", "nope", r#","session_duration_minutes":4"#),
            "a bad duration and an unknown organization",
        ),
        (
            "duration-org-userinfo",
            req(
                "tok-never-issued",
                "nope",
                r#","session_duration_minutes":4"#,
            ),
            "duration, organization and UserInfo",
        ),
        (
            "four-faults",
            req(
                "tok-never-issued",
                "nope",
                r#","session_duration_minutes":4,"session_custom_claims":{"iss":1}"#,
            ),
            "duration, reserved claim, organization, UserInfo",
        ),
        (
            "org-hides-member",
            req(
                "tok-nobody",
                "nope",
                &format!(r#","session_custom_claims":{big}"#),
            ),
            "step 8 needs steps 6 and 7",
        ),
        (
            "member-before-size",
            req(
                "tok-nobody",
                "acme",
                &format!(r#","session_custom_claims":{big}"#),
            ),
            "an unknown member precedes oversized claims",
        ),
        (
            "userinfo-before-size",
            req(
                "tok-unreachable",
                "acme",
                &format!(r#","session_custom_claims":{big}"#),
            ),
            "a UserInfo failure precedes oversized claims",
        ),
        (
            "claims-type-and-org",
            req("tok-ada", "nope", r#","session_custom_claims":[1]"#),
            "claims of the wrong type and an unknown organization",
        ),
        (
            "null-duration-and-org",
            req("tok-ada", "nope", r#","session_duration_minutes":null"#),
            "null duration and an unknown organization",
        ),
        (
            "float-duration-and-userinfo",
            req(
                "tok-unreachable",
                "acme",
                r#","session_duration_minutes":60.0"#,
            ),
            "an integral float and an unreachable UserInfo",
        ),
        (
            "overflow-and-member",
            req(
                "tok-nobody",
                "acme",
                r#","session_duration_minutes":2147483648"#,
            ),
            "int32 overflow and an unknown member",
        ),
        (
            "deleted-and-size",
            req(
                "tok-dee",
                "acme",
                &format!(r#","session_custom_claims":{big}"#),
            ),
            "a deleted member and oversized claims",
        ),
        (
            "empty-token-and-bad-org",
            r#"{"session_token":"","organization_id":""}"#.into(),
            "both empty",
        ),
        (
            "unverified-and-size",
            req(
                "tok-unverified",
                "acme",
                &format!(r#","session_custom_claims":{big}"#),
            ),
            "an unverified email and oversized claims",
        ),
    ];
    for (name, body, comment) in cases {
        b.add(name, &[ErrorPrecedence], comment, "base", body);
    }
    b.add(
        "unrepresentable-and-reserved",
        &[ClaimsNumberPrecision, ClaimsReserved],
        "one step, one error: unrepresentable before reserved",
        "base",
        req(
            "tok-ada",
            "acme",
            r#","session_duration_minutes":5,"session_custom_claims":{"iss":1,"n":1e400}"#,
        ),
    );
    b.add(
        "type-duration-hides-size",
        &[DurationType],
        "step 9 needs steps 1 to 5: oversized claims are not reported",
        "base",
        req(
            "tok-ada",
            "acme",
            &format!(r#","session_duration_minutes":"5","session_custom_claims":{big}"#),
        ),
    );
    b.add(
        "lone-surrogate-and-everything",
        &[BodyLoneSurrogate],
        "a lexical fault hides everything",
        "base",
        r#"{"session_token":"\ud800","organization_id":7}"#,
    );
    b.add(
        "duration-and-project-max-world",
        &[ErrorPrecedence],
        "the default over the maximum with an unknown organization",
        "project-max-30",
        req("tok-ada", "nope", ""),
    );
    b.cases
}

/// One vector per pitfall of `conformance/PITFALLS.md`, named after the mutant that
/// reproduces it.
fn pitfalls() -> Vec<Curated> {
    use Rule::*;
    let mut b = Builder::new("pitfalls");
    let w = "pitfalls";
    let kim = |token: &str| req(token, "organization-test-acme", "");
    let raw = |text: &str| text.as_bytes().to_vec();
    let with_x = |x: &str| ada(&format!(",\"x\":{x}"));
    let nested = |levels: usize| {
        ada(&format!(
            ",\"x\":{}{}",
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        ))
    };
    let claims = |c: &str| {
        ada(&format!(
            ",\"session_duration_minutes\":5,\"session_custom_claims\":{c}"
        ))
    };
    let duration = |d: &str| ada(&format!(",\"session_duration_minutes\":{d}"));
    let sized =
        |size, prefix, zero, double| claims(&gen::sized_claims(size, prefix, zero, double, None));

    // Bodies.
    b.add(
        "bom-skipped",
        &[BodyBom],
        "a UTF-8 BOM before a good body is bad_request",
        w,
        [b"\xEF\xBB\xBF".as_slice(), ada("").as_bytes()].concat(),
    );
    let invalid = with_x("\"\u{0}\"")
        .into_bytes()
        .into_iter()
        .map(|c| if c == 0 { 0xFF } else { c })
        .collect::<Vec<u8>>();
    b.add(
        "invalid-utf8-replaced",
        &[BodyUtf8],
        "a 0xFF byte inside a string is bad_request, not U+FFFD",
        w,
        invalid,
    );
    let encoded = with_x("\"\u{0}\"")
        .into_bytes()
        .into_iter()
        .flat_map(|c| {
            if c == 0 {
                vec![0xED, 0xA0, 0x80]
            } else {
                vec![c]
            }
        })
        .collect::<Vec<u8>>();
    b.add(
        "encoded-surrogate-accepted",
        &[BodyUtf8],
        "UTF-8-encoded surrogate ED A0 80 is bad_request",
        w,
        encoded,
    );
    b.add(
        "trailing-data-ignored",
        &[BodyJsonGrammar],
        "text after the object is bad_request",
        w,
        format!("{} x", ada("")),
    );
    b.add(
        "raw-control-accepted",
        &[BodyJsonGrammar],
        "a raw tab inside a string is bad_request",
        w,
        with_x("\"a\tb\""),
    );
    b.add(
        "nan-infinity-accepted",
        &[BodyJsonGrammar],
        "NaN in an unknown field is bad_request",
        w,
        with_x("NaN"),
    );
    b.add(
        "trailing-comma-accepted",
        &[BodyJsonGrammar],
        "a comma before } is bad_request",
        w,
        ada(",\"x\":1,"),
    );
    b.add(
        "comments-accepted",
        &[BodyJsonGrammar],
        "a /* */ comment is bad_request",
        w,
        format!("{{/* c */{}", &ada("")[1..]),
    );
    b.add(
        "trimmed-before-parse",
        &[BodyJsonGrammar],
        "a form feed around the body is bad_request",
        w,
        format!("\u{c}{}", ada("")),
    );
    b.add(
        "lone-surrogate-accepted",
        &[BodyLoneSurrogate],
        "an escaped lone surrogate in an unknown field is bad_request (default)",
        w,
        with_x("\"\\ud800\""),
    );
    b.add(
        "lone-surrogate-dropped",
        &[BodyLoneSurrogate],
        "under lone-surrogate=replace a lone surrogate in the claims becomes U+FFFD",
        w,
        claims("{\"s\":\"a\\udc00b\"}"),
    );
    b.add(
        "nesting-limit-1000",
        &[BodyNestingLimit],
        "129 levels is bad_request under the 128 limit",
        w,
        nested(129),
    );
    b.add(
        "nesting-limit-127",
        &[BodyUnknownFieldsIgnored],
        "exactly 128 levels passes",
        w,
        nested(128),
    );
    b.add(
        "nesting-limit-100",
        &[BodyUnknownFieldsIgnored],
        "101 levels passes",
        w,
        nested(101),
    );
    b.add(
        "nesting-limit-512",
        &[BodyNestingLimit],
        "10000 levels: bad_request under 128, a success under nesting-limit=none",
        w,
        nested(10_000),
    );
    b.add(
        "duplicate-first-wins",
        &[BodyDuplicateKeys],
        "the last session_token wins",
        w,
        raw(&format!(
            "{{\"session_token\":\"tok-nobody\",{}",
            &ada("")[1..]
        )),
    );
    b.add(
        "discarded-duplicate-checked",
        &[BodyDuplicateKeys],
        "a discarded duplicate of the wrong type is never examined",
        w,
        raw(&format!("{{\"session_token\":7,{}", &ada("")[1..])),
    );
    b.add(
        "field-names-case-insensitive",
        &[BodyFieldNamesExact, RequestSessionToken],
        "Session_Token is an unknown field, so the token is missing",
        w,
        raw(&ada("").replacen("session_token", "Session_Token", 1)),
    );

    // Numbers and sizes.
    b.add(
        "exact-text-through-double",
        &[ClaimsNumberPrecision],
        "2^53 + 1 in the claims: 2^53 as a double, exact under exact-text",
        w,
        claims("{\"n\":9007199254740993}"),
    );
    b.add(
        "big-int-exact",
        &[ClaimsNumberPrecision],
        "a 401-digit integer overflows a double",
        w,
        claims(&format!("{{\"n\":{}}}", gen::BIG_INTEGER)),
    );
    b.add(
        "infinity-to-null",
        &[ClaimsNumberPrecision],
        "1e400 in the claims is unable_to_represent_custom_claims_json, not null",
        w,
        claims("{\"n\":1e400}"),
    );
    b.add(
        "overflow-in-unknown-field-refused",
        &[BodyUnknownFieldsIgnored],
        "1e400 in an unknown field is ignored",
        w,
        with_x("1e400"),
    );
    b.add(
        "python-float-repr-size",
        &[ClaimsSizeMeasure],
        "4096 bytes with 100.0 (JCS writes 100)",
        w,
        sized(4096, "", false, Some(gen::SIZED_DOUBLES[0])),
    );
    b.add(
        "java-double-size",
        &[ClaimsSizeMeasure],
        "4096 bytes with 1e-7 (JCS writes 1e-7, Java 1.0E-7)",
        w,
        sized(4096, "", false, Some(gen::SIZED_DOUBLES[2])),
    );
    b.add(
        "negative-zero-size",
        &[ClaimsSizeNegativeZero],
        "4096 bytes with -0 (JCS writes 0)",
        w,
        sized(4096, "", true, None),
    );
    b.add(
        "utf16-length-size",
        &[ClaimsSizeMeasure],
        "4097 bytes with an e-acute (4096 UTF-16 units)",
        w,
        sized(4097, "\u{e9}", false, None),
    );
    b.add(
        "code-point-size",
        &[ClaimsSizeMeasure],
        "4097 bytes with an emoji (4094 code points)",
        w,
        sized(4097, "\u{1f602}", false, None),
    );
    b.add(
        "ensure-ascii-size",
        &[ClaimsSizeMeasure],
        "4096 bytes with an e-acute (written \\u00e9 it is 4100)",
        w,
        sized(4096, "\u{e9}", false, None),
    );
    b.add(
        "python-separators-size",
        &[ClaimsSizeLimit],
        "exactly 4096 bytes (Python's separators add a space)",
        w,
        sized(4096, "", false, None),
    );
    b.add(
        "php-slash-escape-size",
        &[ClaimsSizeMeasure],
        "4096 bytes with a slash (PHP writes \\/)",
        w,
        sized(4096, "/", false, None),
    );
    b.add(
        "dotnet-encoder-size",
        &[ClaimsSizeMeasure],
        "4096 bytes with an apostrophe (.NET writes \\u0027)",
        w,
        sized(4096, "'", false, None),
    );
    b.add(
        "go-json-no-html-escape",
        &[ClaimsSizeMeasure],
        "4096 bytes under JCS with <, more under the Go measure",
        w,
        sized(4092, "<", false, None),
    );

    // Duration.
    b.add(
        "float-integral-accepted",
        &[DurationIntegralFloat],
        "60.0 is bad_request by default",
        w,
        duration("60.0"),
    );
    b.add(
        "float-truncated",
        &[DurationIntegralFloat],
        "60.5 is bad_request, never 60",
        w,
        duration("60.5"),
    );
    b.add(
        "integral-float-truncates",
        &[DurationIntegralFloat],
        "60.5 stays bad_request under integral-float=accept",
        w,
        duration("60.5"),
    );
    b.add(
        "bool-as-integer",
        &[DurationType],
        "true is bad_request, not 1",
        w,
        duration("true"),
    );
    b.add(
        "numeric-string-duration",
        &[DurationType],
        "the string \"60\" is bad_request",
        w,
        duration("\"60\""),
    );
    b.add(
        "int32-wraparound",
        &[DurationInt32Overflow],
        "2^32 + 60 is out of range, not 60",
        w,
        duration("4294967356"),
    );
    b.add(
        "falsy-zero-absent",
        &[DurationZero],
        "0 is invalid_session_duration_minutes by default, not 60",
        w,
        duration("0"),
    );
    b.add_at(
        "expiry-int32-seconds",
        &[SessionExpiry],
        "a session that ends after 2038-01-19T03:14:07Z",
        w,
        2_147_483_000,
        duration("60"),
    );

    // Text: emails, tokens, ids.
    for (name, token, comment) in [
        (
            "email-unicode-lowercase",
            "tok-p-eva-upper",
            "\u{c9}VA@ACME.TEST does not match \u{e9}va@acme.test (ASCII case only)",
        ),
        (
            "email-casefold",
            "tok-p-strasse-sharp-s",
            "stra\u{df}e@ does not match strasse@",
        ),
        (
            "email-simple-fold",
            "tok-p-kim-kelvin",
            "the Kelvin sign is not k",
        ),
        (
            "email-nfc-equivalent",
            "tok-p-eva-nfd",
            "e + U+0301 does not match U+00E9",
        ),
        (
            "email-trimmed",
            "tok-p-kim-spaces-around",
            "an email with spaces around is invalid, not trimmed",
        ),
        (
            "email-js-whitespace-class",
            "tok-p-kim-feff",
            "U+FEFF is not White_Space: a valid email that matches no member",
        ),
        (
            "email-python-isspace",
            "tok-p-kim-us",
            "U+001F is not White_Space: a valid email that matches no member",
        ),
        (
            "email-java-iswhitespace",
            "tok-p-kim-nbsp",
            "U+00A0 is White_Space: the email is invalid",
        ),
        (
            "email-ascii-whitespace",
            "tok-p-kim-ideographic-space",
            "U+3000 is White_Space: the email is invalid",
        ),
        (
            "email-at-anywhere",
            "tok-p-kim-two-at",
            "two @ make the email invalid",
        ),
        (
            "email-latin1-decoded",
            "tok-p-eva",
            "a non-ASCII email read as UTF-8 matches its member",
        ),
    ] {
        let rule = if name == "email-latin1-decoded"
            || name.ends_with("fold")
            || name.contains("case")
            || name.contains("nfc")
        {
            MemberMustExist
        } else {
            UserinfoEmail
        };
        b.add(name, &[rule], comment, w, kim(token));
    }
    b.add(
        "unverified-string-accepted",
        &[UserinfoEmailVerified],
        "email_verified \"false\" under unverified-email=reject",
        w,
        kim("tok-unverified-str"),
    );
    b.add(
        "empty-zero-string",
        &[OrgNotFound],
        "organization_id \"0\" is a value to look up, not a missing one",
        w,
        req("tok-ada", "0", ""),
    );
    b.add(
        "ids-trimmed",
        &[OrgNotFound],
        "\" acme\" is not acme",
        w,
        req("tok-ada", " acme", ""),
    );

    // Claims and the response.
    b.add(
        "falsy-claims-absent",
        &[ClaimsType],
        "false as session_custom_claims is bad_request",
        w,
        claims("false"),
    );
    b.add(
        "array-claims-accepted",
        &[ClaimsType],
        "an array as session_custom_claims is bad_request",
        w,
        claims("[1]"),
    );
    b.add(
        "arrays-merged-by-index",
        &[ClaimsMergeArraysReplaced],
        "[\"c\"] over [\"a\",\"b\"] is [\"c\"]",
        "template-nested",
        claims("{\"tags\":[\"c\"]}"),
    );
    b.add(
        "shallow-merge",
        &[ClaimsMergeDeep],
        "a nested object merges into the template's",
        "template-nested",
        claims("{\"features\":{\"beta\":true}}"),
    );
    for name in [
        "timestamps-with-fraction",
        "timestamps-offset-suffix",
        "time-drops-zero-seconds",
    ] {
        b.add_at(
            name,
            &[SessionTimestampFormat],
            "a success at a whole minute: every timestamp YYYY-MM-DDTHH:MM:SSZ",
            w,
            1_699_999_980,
            ada(""),
        );
    }
    b.add(
        "custom-claims-omitted-when-empty",
        &[SessionCustomClaimsPresent],
        "custom_claims is {} when there are none",
        w,
        ada(""),
    );
    b.add(
        "slug-unicode-fold",
        &[OrgNotFound],
        "kelvin-\u{c9}cole is not kelvin-\u{e9}cole under either slug-case choice",
        w,
        req("tok-ada", "kelvin-\u{c9}cole", ""),
    );
    b.cases
}
