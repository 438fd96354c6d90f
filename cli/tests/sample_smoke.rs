//! Smoke test of the sample implementation: hand-picked bodies covering every step and
//! boundary, answered by the correct sample and compared with the reference model (used here
//! as the oracle only), and every mutant caught by at least one of them.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use migrate_conformance::schema::Validator;
use migrate_conformance::{HttpResponse, Implementation};
use migrate_conformance_cli::sample::{Bug, Sample};
use migrate_model::{
    Constraint, ExpectedJwt, ExpectedSuccess, Member, MemberStatus, Model, Organization, Outcome,
    Policy, Slot, UserInfoBody, UserInfoReply, World,
};
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000;

// ---------------------------------------------------------------------------------------
// Worlds

fn member(id: &str, email: &str, status: MemberStatus, roles: &[&str]) -> Member {
    Member {
        member_id: id.into(),
        email: email.into(),
        status,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        name: format!("Name of {id}"),
    }
}

fn raw(status: u16, bytes: &[u8]) -> UserInfoReply {
    UserInfoReply::Http {
        status,
        body: UserInfoBody::Raw(bytes.to_vec()),
    }
}

/// The main world: a template, three organizations whose ids, slugs and external ids
/// collide across organizations, members of every status, and every kind of UserInfo reply.
fn main_world() -> World {
    let userinfo: BTreeMap<String, UserInfoReply> = [
        (
            "tok-ada",
            UserInfoReply::ok(json!({"email": "ADA@acme.TEST", "email_verified": false})),
        ),
        ("tok-ada-exact", UserInfoReply::email("Ada@Acme.test")),
        ("tok-pat", UserInfoReply::email("pat@acme.test")),
        ("tok-ivy", UserInfoReply::email("ivy@acme.test")),
        ("tok-gone", UserInfoReply::email("gone@acme.test")),
        ("tok-bob", UserInfoReply::email("bob@beta.test")),
        ("tok-nobody", UserInfoReply::email("nobody@acme.test")),
        ("tok-down", UserInfoReply::Unreachable),
        (
            "tok-500",
            UserInfoReply::Http {
                status: 500,
                body: UserInfoBody::Json(json!({"email": "Ada@Acme.test"})),
            },
        ),
        ("tok-201", raw(201, br#"{"email":"Ada@Acme.test"}"#)),
        ("tok-not-json", raw(200, b"<html>hello</html>")),
        (
            "tok-array",
            UserInfoReply::ok(json!([{"email": "Ada@Acme.test"}])),
        ),
        ("tok-no-email", UserInfoReply::ok(json!({"sub": "x"}))),
        ("tok-email-number", UserInfoReply::ok(json!({"email": 5}))),
        ("tok-two-ats", UserInfoReply::email("ada@acme@test")),
        ("tok-space", UserInfoReply::email("ada @acme.test")),
        ("tok-nbsp", UserInfoReply::email("ada@acme.test\u{a0}")),
        (
            "tok-bom",
            raw(200, b"\xEF\xBB\xBF{\"email\":\"Ada@Acme.test\"}"),
        ),
        (
            "tok-dup",
            raw(200, br#"{"email":1,"email":"Ada@Acme.test"}"#),
        ),
        (
            "tok-lone",
            raw(200, br#"{"email":"Ada@Acme.test","x":"\ud800"}"#),
        ),
        (
            "tok-deep",
            raw(
                200,
                format!(
                    r#"{{"email":"Ada@Acme.test","x":{}{}}}"#,
                    "[".repeat(128),
                    "]".repeat(128)
                )
                .as_bytes(),
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    World {
        project_id: "project-test-11111111-1111-4111-8111-111111111111".into(),
        project_max_session_minutes: 527_040,
        claims_template: json!({
            "tier": "gold",
            "nested": {"a": 1, "b": {"c": 2}},
            "iss": "template-iss",
            "https://stytch.com/x": 1,
            "dropme": null,
            "arr": [1, null],
            "big": 9_007_199_254_740_993u64,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
        organizations: vec![
            Organization {
                organization_id: "organization-test-1".into(),
                slug: "acme".into(),
                external_id: Some("ext-acme".into()),
                name: "Acme".into(),
                members: vec![
                    member(
                        "member-test-ada",
                        "Ada@Acme.test",
                        MemberStatus::Active,
                        &["admin", "viewer"],
                    ),
                    member(
                        "member-test-pat",
                        "pat@acme.test",
                        MemberStatus::Pending,
                        &[],
                    ),
                    member(
                        "member-test-ivy",
                        "ivy@acme.test",
                        MemberStatus::Invited,
                        &[],
                    ),
                    member(
                        "member-test-gone",
                        "gone@acme.test",
                        MemberStatus::Deleted,
                        &[],
                    ),
                ],
            },
            Organization {
                // Its slug is the first organization's id.
                organization_id: "organization-test-2".into(),
                slug: "organization-test-1".into(),
                external_id: None,
                name: "Beta".into(),
                members: vec![member(
                    "member-test-bob",
                    "bob@beta.test",
                    MemberStatus::Active,
                    &["viewer"],
                )],
            },
            Organization {
                // Its external id is the first organization's slug.
                organization_id: "organization-test-3".into(),
                slug: "gamma".into(),
                external_id: Some("acme".into()),
                name: "Gamma".into(),
                members: vec![member(
                    "member-test-ada3",
                    "ada@acme.test",
                    MemberStatus::Active,
                    &[],
                )],
            },
        ],
        userinfo,
    }
}

/// A small world: project maximum 30 minutes, no template.
fn small_world() -> World {
    World {
        project_id: "project-test-small".into(),
        project_max_session_minutes: 30,
        claims_template: Default::default(),
        organizations: vec![Organization {
            organization_id: "organization-small".into(),
            slug: "small".into(),
            external_id: None,
            name: "Small".into(),
            members: vec![member(
                "member-test-sam",
                "sam@small.test",
                MemberStatus::Pending,
                &["r1"],
            )],
        }],
        userinfo: [(
            "tok-sam".to_string(),
            UserInfoReply::email("sam@small.test"),
        )]
        .into(),
    }
}

/// Members whose emails other languages' case mappings, normalizations, whitespace classes
/// and decoders confuse (conformance/PITFALLS.md), and UserInfo replies that only such a
/// confusion matches to one of them.
fn pitfall_world() -> World {
    let replies: [(&str, &[u8]); 7] = [
        ("tok-eva", "{\"email\":\"\u{e9}va@acme.test\"}".as_bytes()),
        (
            "tok-eva-upper",
            "{\"email\":\"\u{c9}VA@ACME.TEST\"}".as_bytes(),
        ),
        (
            "tok-eva-nfd",
            "{\"email\":\"e\u{301}va@acme.test\"}".as_bytes(),
        ),
        (
            "tok-strasse-sharp-s",
            "{\"email\":\"stra\u{df}e@acme.test\"}".as_bytes(),
        ),
        (
            "tok-kim-kelvin",
            "{\"email\":\"\u{212a}im@acme.test\"}".as_bytes(),
        ),
        (
            "tok-kim-feff",
            "{\"email\":\"kim\u{feff}@acme.test\"}".as_bytes(),
        ),
        ("tok-kim-us", br#"{"email":"kim\u001f@acme.test"}"#),
    ];
    World {
        project_id: "project-test-pitfalls".into(),
        project_max_session_minutes: 527_040,
        claims_template: Default::default(),
        organizations: vec![Organization {
            organization_id: "organization-pit".into(),
            slug: "pit".into(),
            external_id: None,
            name: "Pit".into(),
            members: vec![
                member(
                    "member-test-eva",
                    "\u{e9}va@acme.test",
                    MemberStatus::Active,
                    &[],
                ),
                member(
                    "member-test-strasse",
                    "strasse@acme.test",
                    MemberStatus::Active,
                    &[],
                ),
                member(
                    "member-test-kim",
                    "kim@acme.test",
                    MemberStatus::Active,
                    &[],
                ),
            ],
        }],
        userinfo: replies
            .into_iter()
            .map(|(token, body)| (token.to_string(), raw(200, body)))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Cases

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum W {
    Main,
    Small,
    Pitfall,
}

struct Case {
    name: String,
    world: W,
    body: Vec<u8>,
    /// The clock of the call: [`NOW`] unless the case is about time.
    now: i64,
}

/// A main-world body from extra fields after token and organization.
fn main_body(token: &str, org: &str, rest: &str) -> Vec<u8> {
    let sep = if rest.is_empty() { "" } else { "," };
    format!(r#"{{"session_token":"{token}","organization_id":"{org}"{sep}{rest}}}"#).into_bytes()
}

fn ada(rest: &str) -> Vec<u8> {
    main_body("tok-ada", "organization-test-1", rest)
}

fn sam(rest: &str) -> Vec<u8> {
    let sep = if rest.is_empty() { "" } else { "," };
    format!(r#"{{"session_token":"tok-sam","organization_id":"small"{sep}{rest}}}"#).into_bytes()
}

fn nested_arrays(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: &str, world: W, body: Vec<u8>| {
        cases.push(Case {
            name: name.to_owned(),
            world,
            body,
            now: NOW,
        })
    };
    use W::{Main, Small};

    // Step 1: the body.
    add("body/bom", Main, [&b"\xEF\xBB\xBF"[..], &ada("")].concat());
    add(
        "body/invalid-utf8",
        Main,
        ada(r#""x":"\xff""#)
            .into_iter()
            .map(|b| if b == b'\\' { 0xff } else { b })
            .collect(),
    );
    add(
        "body/raw-surrogate-utf8",
        Main,
        [&ada("")[..ada("").len() - 1], b",\"x\":\"\xED\xA0\x80\"}"].concat(),
    );
    add(
        "body/lone-surrogate-unknown-field",
        Main,
        ada(r#""x":"\ud800""#),
    );
    add("body/low-surrogate-alone", Main, ada(r#""x":"a\udc00b""#));
    add(
        "body/lone-surrogate-discarded-duplicate",
        Main,
        br#"{"session_token":"\udbff","session_token":"tok-ada","organization_id":"organization-test-1"}"#.to_vec(),
    );
    add("body/surrogate-pair-ok", Main, ada(r#""x":"\ud83d\ude00""#));
    add("body/escaped-backslash-u-ok", Main, ada(r#""x":"\\ud800""#));
    add(
        "body/depth-128-ok",
        Main,
        ada(&format!(r#""x":{}"#, nested_arrays(127))),
    );
    add(
        "body/depth-129",
        Main,
        ada(&format!(r#""x":{}"#, nested_arrays(128))),
    );
    add(
        "body/depth-129-in-string-ok",
        Main,
        ada(&format!(r#""x":"{}""#, "[".repeat(200))),
    );
    add("body/trailing-comma", Main, ada(r#""x":1,"#));
    add("body/top-level-array", Main, b"[]".to_vec());
    add("body/top-level-null", Main, b"null".to_vec());
    add("body/empty", Main, Vec::new());
    add(
        "body/whitespace-ok",
        Main,
        [&b" \t\r\n"[..], &ada(""), b" \n"].concat(),
    );
    add("body/form-feed", Main, [&ada("")[..], b"\x0c"].concat());
    add("body/unknown-1e400-ok", Main, ada(r#""extra":1e400"#));
    add("body/leading-zero", Main, ada(r#""x":01"#));

    // Steps 2 and 3: token and organization id.
    add(
        "token/missing",
        Main,
        br#"{"organization_id":"organization-test-1"}"#.to_vec(),
    );
    add(
        "token/empty",
        Main,
        main_body("", "organization-test-1", ""),
    );
    add(
        "token/number",
        Main,
        br#"{"session_token":5,"organization_id":"acme"}"#.to_vec(),
    );
    add("token/space-unknown", Main, main_body(" ", "acme", ""));
    add(
        "token/wrong-case-name",
        Main,
        br#"{"Session_Token":"tok-ada","organization_id":"acme"}"#.to_vec(),
    );
    add(
        "token/duplicate-last-wins",
        Main,
        br#"{"session_token":5,"organization_id":"acme","session_token":"tok-ada"}"#.to_vec(),
    );
    add(
        "org/missing",
        Main,
        br#"{"session_token":"tok-ada"}"#.to_vec(),
    );
    add("org/empty", Main, main_body("tok-ada", "", ""));
    add(
        "org/null",
        Main,
        br#"{"session_token":"tok-ada","organization_id":null}"#.to_vec(),
    );

    // Step 4: the duration.
    for (name, value) in [
        ("absent-null", "null"),
        ("5", "5"),
        ("4", "4"),
        ("527040", "527040"),
        ("527041", "527041"),
        ("0", "0"),
        ("minus-0", "-0"),
        ("minus-5", "-5"),
        ("float", "60.0"),
        ("exponent", "6e1"),
        ("string", r#""60""#),
        ("bool", "true"),
        ("object", "{}"),
        ("int32-max-plus-1", "2147483648"),
        ("int32-min-minus-1", "-2147483649"),
        ("int32-max", "2147483647"),
        ("huge", "99999999999999999999999"),
    ] {
        add(
            &format!("duration/{name}"),
            Main,
            ada(&format!(r#""session_duration_minutes":{value}"#)),
        );
    }
    add("duration/absent", Main, ada(""));
    add("small/absent-capped", Small, sam(""));
    add(
        "small/null-capped",
        Small,
        sam(r#""session_duration_minutes":null"#),
    );
    add("small/30", Small, sam(r#""session_duration_minutes":30"#));
    add("small/31", Small, sam(r#""session_duration_minutes":31"#));
    add(
        "small/527040",
        Small,
        sam(r#""session_duration_minutes":527040"#),
    );
    add(
        "small/527041",
        Small,
        sam(r#""session_duration_minutes":527041"#),
    );
    add("small/4", Small, sam(r#""session_duration_minutes":4"#));

    // Step 5 and 9: claims.
    for (name, claims) in [
        ("null", "null"),
        ("empty", "{}"),
        ("array", "[]"),
        ("string", r#""x""#),
        ("number", "7"),
        ("deep-merge", r#"{"nested":{"b":{"d":3}}}"#),
        ("top-null-deletes", r#"{"tier":null,"missing":null}"#),
        (
            "nested-null-deletes",
            r#"{"nested":{"a":null,"b":{"c":null}}}"#,
        ),
        ("into-empty", r#"{"new":{"x":null,"y":{"z":null},"w":1}}"#),
        ("object-over-scalar", r#"{"tier":{"x":null}}"#),
        ("emptied-kept", r#"{"nested":{"a":null,"b":null}}"#),
        ("empty-over-object", r#"{"nested":{}}"#),
        ("arrays", r#"{"arr":[null,{"q":null}],"nested":{"b":[1]}}"#),
        (
            "reserved-dropped",
            r#"{"iss":"evil","sub":"x","aud":["a"],"exp":1,"nbf":1,"iat":1,"jti":"j","keep":1,"nested":{"iss":"ok"}}"#,
        ),
        ("reserved-null-does-not-delete", r#"{"iss":null,"ISS":1}"#),
        (
            "namespace-dropped",
            r#"{"https://stytch.com/session":"evil","https://stytch.com/":1,"https://stytch.com":2,"https://stytch.community/x":3}"#,
        ),
        (
            "numbers",
            r#"{"big":9007199254740993,"tiny":1e-400,"neg0":-0.0,"f":1.5e300,"sub":5e-324,"maxd":1.7976931348623158e308,"e21":1e21,"frac":0.1}"#,
        ),
        ("unrepresentable", r#"{"a":{"b":[1,2,1e400]}}"#),
        ("unrepresentable-under-reserved", r#"{"iss":-1e400}"#),
        ("unrepresentable-discarded", r#"{"x":1e400,"x":1}"#),
        (
            "depth-128-ok",
            &format!(r#"{{"d":{}}}"#, nested_arrays(126)),
        ),
        ("depth-129", &format!(r#"{{"d":{}}}"#, nested_arrays(127))),
    ] {
        add(
            &format!("claims/{name}"),
            Main,
            ada(&format!(r#""session_custom_claims":{claims}"#)),
        );
    }
    add(
        "claims/too-large-merged-only",
        Main,
        ada(&format!(
            r#""session_custom_claims":{{"pad":"{}"}}"#,
            "x".repeat(4050)
        )),
    );
    // The template takes 82 bytes after dropping: {"arr":[1,null],"big":...,"tier":"gold"}.
    for (name, n) in [("merged-4096", 4005), ("merged-4097", 4006)] {
        add(
            &format!("claims/{name}"),
            Main,
            ada(&format!(
                r#""session_custom_claims":{{"pad":"{}"}}"#,
                "x".repeat(n)
            )),
        );
    }
    add(
        "claims/too-large-request",
        Main,
        ada(&format!(
            r#""session_custom_claims":{{"pad":"{}"}}"#,
            "x".repeat(5000)
        )),
    );
    add(
        "claims/template-overwritten-fits",
        Main,
        ada(&format!(
            r#""session_custom_claims":{{"tier":null,"nested":null,"arr":null,"big":null,"pad":"{}"}}"#,
            "x".repeat(4086)
        )),
    );
    for (name, n, unit) in [
        ("4096", 4088, "x"),
        ("4097", 4089, "x"),
        ("4000", 3992, "x"),
        ("4001", 3993, "x"),
        ("4096-two-byte", 2044, "é"),
        ("4098-two-byte", 2045, "é"),
        ("4096-escapes", 2044, "\\n"),
        ("4102-control", 682, "\\u0001"),
    ] {
        add(
            &format!("small/size-{name}"),
            Small,
            sam(&format!(
                r#""session_custom_claims":{{"k":"{}"}}"#,
                unit.repeat(n)
            )),
        );
    }

    // Step 6: the organization.
    add("org/by-id", Main, ada(""));
    add("org/by-slug", Main, main_body("tok-ada", "acme", ""));
    add(
        "org/by-external-id",
        Main,
        main_body("tok-ada", "ext-acme", ""),
    );
    add("org/slug-case", Main, main_body("tok-ada", "ACME", ""));
    add(
        "org/id-case",
        Main,
        main_body("tok-ada", "ORGANIZATION-TEST-1", ""),
    );
    add("org/unknown", Main, main_body("tok-ada", "nope", ""));
    add(
        "org/id-padded",
        Main,
        main_body("tok-ada", " organization-test-1", ""),
    );
    add(
        "org/slug-of-another",
        Main,
        main_body("tok-bob", "organization-test-1", ""),
    );
    add("org/gamma", Main, main_body("tok-ada", "gamma", ""));

    // Step 7: UserInfo.
    for token in [
        "tok-unknown",
        "tok-down",
        "tok-500",
        "tok-201",
        "tok-not-json",
        "tok-array",
        "tok-no-email",
        "tok-email-number",
        "tok-two-ats",
        "tok-space",
        "tok-nbsp",
        "tok-bom",
        "tok-dup",
        "tok-lone",
        "tok-deep",
    ] {
        add(
            &format!("userinfo/{token}"),
            Main,
            main_body(token, "acme", ""),
        );
    }

    // Step 8: the member.
    add(
        "member/exact-email",
        Main,
        main_body("tok-ada-exact", "acme", ""),
    );
    add("member/pending", Main, main_body("tok-pat", "acme", ""));
    add("member/invited", Main, main_body("tok-ivy", "acme", ""));
    add("member/deleted", Main, main_body("tok-gone", "acme", ""));
    add("member/other-org", Main, main_body("tok-bob", "acme", ""));
    add("member/nobody", Main, main_body("tok-nobody", "acme", ""));
    add(
        "member/small-pending",
        Small,
        sam(r#""session_duration_minutes":5"#),
    );

    // Precedence.
    add(
        "precedence/duration-before-org",
        Main,
        main_body("tok-ada", "nope", r#""session_duration_minutes":4"#),
    );
    add(
        "precedence/claims-before-org",
        Main,
        main_body("tok-ada", "nope", r#""session_custom_claims":[]"#),
    );
    add(
        "precedence/org-before-userinfo",
        Main,
        main_body("tok-unknown", "nope", ""),
    );
    add(
        "precedence/userinfo-before-size",
        Main,
        main_body(
            "tok-down",
            "acme",
            &format!(
                r#""session_custom_claims":{{"pad":"{}"}}"#,
                "x".repeat(5000)
            ),
        ),
    );
    add(
        "precedence/member-before-size",
        Main,
        main_body(
            "tok-nobody",
            "acme",
            &format!(
                r#""session_custom_claims":{{"pad":"{}"}}"#,
                "x".repeat(5000)
            ),
        ),
    );
    add(
        "precedence/token-before-org-id",
        Main,
        br#"{"session_token":"","organization_id":5}"#.to_vec(),
    );
    add(
        "precedence/null-duration-big-claims",
        Main,
        ada(&format!(
            r#""session_duration_minutes":null,"session_custom_claims":{{"pad":"{}"}}"#,
            "x".repeat(5000)
        )),
    );
    cases.extend(pitfall_cases());
    cases
}

/// Cases that show the pitfalls of other languages' standard libraries (conformance/PITFALLS.md)
/// whose mutants the cases above miss: each differs between the spec and that pitfall.
fn pitfall_cases() -> Vec<Case> {
    let at = |name: &str, world: W, now: i64, body: Vec<u8>| Case {
        name: format!("pitfall/{name}"),
        world,
        body,
        now,
    };
    let pit = |token: &str| {
        format!(r#"{{"session_token":"{token}","organization_id":"organization-pit"}}"#)
            .into_bytes()
    };
    // Final claims of exactly 4096 JCS bytes: `{"k":"` + the string + `","z":0}` (14 bytes).
    let at_limit = |s: &str, z: &str| {
        let pad = "x".repeat(4096 - 14 - s.len());
        sam(&format!(
            r#""session_custom_claims":{{"k":"{s}{pad}","z":{z}}}"#
        ))
    };
    use W::{Main, Pitfall, Small};
    vec![
        at("raw-control", Main, NOW, ada("\"x\":\"a\tb\"")),
        at("nan", Main, NOW, ada(r#""x":NaN"#)),
        at(
            "comment",
            Main,
            NOW,
            [&b"{/* c */"[..], &ada("")[1..]].concat(),
        ),
        at("negative-zero-at-limit", Small, NOW, at_limit("", "-0")),
        at("slash-at-limit", Small, NOW, at_limit("/", "0")),
        at(
            "duration-2^32+60",
            Main,
            NOW,
            ada(r#""session_duration_minutes":4294967356"#),
        ),
        at(
            "expiry-after-2038",
            Main,
            2_147_483_000,
            ada(r#""session_duration_minutes":60"#),
        ),
        at("now-whole-minute", Main, 1_699_999_980, ada("")),
        at(
            "organization-id-0",
            Main,
            NOW,
            main_body("tok-ada", "0", ""),
        ),
        at(
            "array-over-array",
            Main,
            NOW,
            ada(r#""session_custom_claims":{"arr":["c"]}"#),
        ),
        at("email-non-ascii", Pitfall, NOW, pit("tok-eva")),
        at("email-non-ascii-upper", Pitfall, NOW, pit("tok-eva-upper")),
        at("email-nfd", Pitfall, NOW, pit("tok-eva-nfd")),
        at("email-sharp-s", Pitfall, NOW, pit("tok-strasse-sharp-s")),
        at("email-kelvin", Pitfall, NOW, pit("tok-kim-kelvin")),
        at("email-feff-inside", Pitfall, NOW, pit("tok-kim-feff")),
        at(
            "email-unit-separator-inside",
            Pitfall,
            NOW,
            pit("tok-kim-us"),
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Helpers

fn world_of(w: W) -> World {
    match w {
        W::Main => main_world(),
        W::Small => small_world(),
        W::Pitfall => pitfall_world(),
    }
}

/// Numbers compare by value (1 == 1.0); everything else structurally.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn decoding_key(jwks: &Value) -> (String, DecodingKey) {
    let jwk = &jwks["keys"][0];
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["use"], "sig");
    let key = DecodingKey::from_rsa_components(
        jwk["n"].as_str().expect("n"),
        jwk["e"].as_str().expect("e"),
    )
    .expect("a usable RSA public key");
    (jwk["kid"].as_str().expect("kid").to_owned(), key)
}

/// Verifies the JWT's signature with the JWKS key and its issuer and audience; gives its
/// header and payload. The payload is read with the model's parser (`read_json`), as the body is:
/// under `nesting-limit = none` claims may nest deeper than serde_json's recursion limit.
fn verify_jwt(token: &str, jwks: &Value, project_id: &str) -> (Value, Value) {
    verify_jwt_with(token, jwks, project_id, |text| {
        read_json(text.as_bytes(), precise_number)
            .unwrap_or_else(|e| panic!("a JWT part is not JSON ({e}): {text}"))
    })
}

/// [`verify_jwt`], reading the header and payload with `read`.
fn verify_jwt_with(
    token: &str,
    jwks: &Value,
    project_id: &str,
    read: impl Fn(&str) -> Value,
) -> (Value, Value) {
    let (kid, key) = decoding_key(jwks);
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        panic!("the JWT is not three parts: {token}");
    };
    let message = format!("{header}.{payload}");
    let verified =
        jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, Algorithm::RS256)
            .unwrap_or_else(|e| panic!("the JWT's signature cannot be checked: {e}"));
    assert!(verified, "the JWT's signature does not verify: {token}");
    let decode = |part: &str| {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .unwrap_or_else(|e| panic!("a JWT part is not base64url: {e}"));
        let text = String::from_utf8(bytes).expect("a UTF-8 JWT part");
        read(&text)
    };
    let (header, payload) = (decode(header), decode(payload));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"].as_str(), Some(kid.as_str()));
    assert_eq!(payload["iss"], format!("stytch.com/{project_id}"));
    assert_eq!(payload["aud"], json!([project_id]));
    let header = json!({"alg": "RS256", "typ": header["typ"], "kid": header["kid"]});
    (header, payload)
}

/// JSON with every number as the string `"number TEXT"`, so that two answers compare by the
/// exact text of their numbers (under `number-precision = exact-text` a body holds `1e400`,
/// which no serde value can).
fn exact_json(bytes: &[u8]) -> Value {
    read_json(bytes, |number| {
        Value::String(match number {
            migrate_model::Number::Text(t) => format!("number {t}"),
            migrate_model::Number::Double(x) => format!("number {x:?}"),
        })
    })
    .unwrap_or_else(|e| {
        let text = String::from_utf8_lossy(bytes);
        panic!("the answer is not JSON ({e}): {text}")
    })
}

/// Reads JSON with the model's parser (iterative, any depth, last duplicate wins), each
/// number as `number` makes it.
fn read_json(
    bytes: &[u8],
    number: impl Fn(&migrate_model::Number) -> Value + Copy,
) -> Result<Value, String> {
    use migrate_model::parse::{parse, ParseOptions};
    use migrate_model::policy::{DuplicateKeys, LoneSurrogate, NestingLimit};
    use migrate_model::Json;
    fn convert(v: &Json, number: impl Fn(&migrate_model::Number) -> Value + Copy) -> Value {
        match v {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => number(n),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(|v| convert(v, number)).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), convert(v, number)))
                    .collect(),
            ),
        }
    }
    let options = ParseOptions {
        duplicate_keys: DuplicateKeys::LastWins,
        lone_surrogate: LoneSurrogate::BadRequest,
        nesting_limit: NestingLimit::Unlimited,
    };
    parse(bytes, options)
        .map(|json| convert(&json, number))
        .map_err(|e| e.to_string())
}

/// A number as serde_json holds it, converted correctly rounded (serde_json's own reader,
/// without its `float_roundtrip` feature, can be one unit in the last place off).
fn precise_number(number: &migrate_model::Number) -> Value {
    let double = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match number {
        migrate_model::Number::Text(t) => t
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| t.parse::<u64>().map(Value::from))
            .unwrap_or_else(|_| t.parse::<f64>().map_or(Value::Null, double)),
        migrate_model::Number::Double(x) => double(*x),
    }
}

fn body_json(resp: &HttpResponse) -> Value {
    let text = std::str::from_utf8(&resp.body).expect("a UTF-8 body");
    read_json(text.as_bytes(), precise_number)
        .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {text}"))
}

/// Checks `actual` against an expected value with placeholders at `slots`: each slot by its
/// constraint, everything else by value.
fn check_with_slots(
    what: &str,
    expected: &Value,
    actual: &Value,
    slots: &[Slot],
) -> Result<(), String> {
    let mut expected = expected.clone();
    for slot in slots {
        let got = actual.pointer(&slot.pointer);
        let ok = match (slot.constraint, got) {
            (Constraint::Opaque(_), Some(Value::String(s))) => !s.is_empty(),
            (Constraint::Optional(_), None) => true,
            (Constraint::Optional(_), Some(Value::String(s))) => !s.is_empty(),
            (Constraint::AnyString, Some(Value::String(_))) => true,
            (Constraint::SchemaOnly, Some(_)) => true,
            (Constraint::OneOf(allowed), Some(Value::String(s))) => allowed.contains(&s.as_str()),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "{what}: slot {} does not meet {:?}: {got:?}",
                slot.pointer, slot.constraint
            ));
        }
        match got {
            Some(v) => {
                if let Some(place) = expected.pointer_mut(&slot.pointer) {
                    *place = v.clone();
                }
            }
            None => {
                // An optional field the implementation left out.
                let (parent, key) = slot.pointer.rsplit_once('/').unwrap_or(("", ""));
                if let Some(Value::Object(o)) = expected.pointer_mut(parent) {
                    o.remove(key);
                }
            }
        }
    }
    if json_eq(&expected, actual) {
        Ok(())
    } else {
        Err(format!(
            "{what} differs:\n expected {}\n actual   {}",
            expected, actual
        ))
    }
}

/// Runs one case on a fresh copy of its world.
fn run(imp: &mut Sample, case: &Case) -> HttpResponse {
    imp.load_world(&world_of(case.world)).expect("world loads");
    imp.call(&case.body, Some(case.now))
        .expect("the sample answers")
}

/// Compares the correct sample's answer with the model's.
fn check_case(sample: &mut Sample, jwks: &Value, case: &Case) -> Result<(), String> {
    let world = world_of(case.world);
    let model = Model::new(world.clone()).map_err(|e| e.to_string())?;
    let evaluation = model
        .migrate(case.now, &Policy::default(), &case.body)
        .map_err(|e| e.to_string())?;
    let resp = run(sample, case);
    let body = body_json(&resp);
    match &evaluation.outcome {
        Outcome::Error(expected) => {
            if resp.status != expected.status_code()
                || body["error_type"] != expected.error_type.name()
            {
                return Err(format!(
                    "expected {} {}, got {} {}",
                    expected.status_code(),
                    expected.error_type.name(),
                    resp.status,
                    body
                ));
            }
            for field in ["request_id", "error_message", "error_url"] {
                if !body[field].is_string() {
                    return Err(format!("the error envelope lacks {field}: {body}"));
                }
            }
            if body["status_code"] != json!(resp.status)
                || body.as_object().map(|o| o.len()) != Some(5)
            {
                return Err(format!("bad error envelope: {body}"));
            }
            Ok(())
        }
        Outcome::Success(expected) => {
            if resp.status != 200 {
                return Err(format!("expected success, got {} {}", resp.status, body));
            }
            // The facts the brief names explicitly.
            if !json_eq(
                &body["member_session"]["custom_claims"],
                &model_claims(&expected.custom_claims),
            ) {
                return Err(format!(
                    "custom_claims: expected {:?}, got {}",
                    expected.custom_claims, body["member_session"]["custom_claims"]
                ));
            }
            let violations: Vec<String> = schema()
                .errors(&body)
                .into_iter()
                .map(|(at, e)| format!("{at} {e}"))
                .collect();
            if !violations.is_empty() {
                return Err(format!("violates the official schema: {violations:?}"));
            }
            // Then the whole body, slots by constraint.
            check_with_slots(
                "body",
                &expected.body.to_serde(),
                &body,
                &ExpectedSuccess::body_slots(),
            )?;
            if body["session_token"] == json!(expected.external_session_token) {
                return Err("the session token is the external one".into());
            }
            let (header, payload) = verify_jwt(
                body["session_jwt"].as_str().unwrap_or_default(),
                jwks,
                &world.project_id,
            );
            check_with_slots(
                "JWT header",
                &expected.jwt.header.to_serde(),
                &header,
                &ExpectedJwt::header_slots(),
            )?;
            check_with_slots(
                "JWT payload",
                &expected.jwt.payload.to_serde(),
                &payload,
                &ExpectedJwt::payload_slots(),
            )?;
            if payload["exp"].as_i64() != payload["iat"].as_i64().map(|iat| iat + 300) {
                return Err(format!("exp != iat + 300: {payload}"));
            }
            if payload["https://stytch.com/session"]["id"]
                != body["member_session"]["member_session_id"]
            {
                return Err("the session id differs between body and JWT".into());
            }
            Ok(())
        }
    }
}

/// The official `MigrateResponse` schema.
fn schema() -> &'static Validator {
    static VALIDATOR: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let spec: Value =
            serde_json::from_str(migrate_model::OFFICIAL_SCHEMAS).expect("the official schemas");
        let schema = json!({
            "$ref": "#/components/schemas/api_b2b_session_v1_MigrateResponse",
            "components": spec["components"],
        });
        Validator::new(schema).expect("a usable schema")
    })
}

/// The model's exact final claims as serde_json.
fn model_claims(claims: &migrate_model::Object) -> Value {
    migrate_model::Json::Object(claims.clone()).to_serde()
}

/// What an answer says, without the values chosen at random: compared between mutants.
fn fingerprint(resp: &HttpResponse, jwks: &Value, world: &World) -> Value {
    let body = exact_json(&resp.body);
    if resp.status != 200 {
        return json!({"status": resp.status, "error_type": body["error_type"]});
    }
    let body = body.clone();
    let mut b = body.clone();
    b["request_id"] = json!("<request_id>");
    if !b["session_token"]
        .as_str()
        .unwrap_or_default()
        .starts_with("tok-")
    {
        b["session_token"] = json!("<new token>");
    }
    b["member_session"]["member_session_id"] = json!("<session id>");
    let (_, mut payload) = verify_jwt_with(
        body["session_jwt"].as_str().unwrap_or_default(),
        jwks,
        &world.project_id,
        |text| exact_json(text.as_bytes()),
    );
    if let Some(id) = payload.pointer_mut(migrate_model::JWT_SESSION_ID_POINTER) {
        *id = json!("<session id>");
    }
    b["session_jwt"] = payload;
    json!({"status": resp.status, "body": b})
}

// ---------------------------------------------------------------------------------------
// Tests

#[test]
fn capabilities_declare_the_default_profile_and_a_jwks() {
    let caps = Sample::new().capabilities();
    assert!(caps.controllable_clock);
    assert_eq!(caps.profile, Policy::default());
    let jwks = caps.jwks.expect("a JWKS");
    let jwk = &jwks["keys"][0];
    for field in ["n", "e", "kid"] {
        let s = jwk[field].as_str().expect(field);
        assert!(!s.is_empty() && !s.contains('=') && !s.contains('+') && !s.contains('/'));
    }
    // One key per process.
    assert_eq!(
        Sample::with_bug(Bug::ShallowMerge).capabilities().jwks,
        Some(jwks)
    );
}

#[test]
fn worlds_are_valid() {
    for w in [W::Main, W::Small, W::Pitfall] {
        Model::new(world_of(w)).expect("a valid world");
    }
}

#[test]
fn correct_sample_agrees_with_the_model() {
    let mut sample = Sample::new();
    let jwks = sample.capabilities().jwks.expect("a JWKS");
    assert!(!schema().is_valid(&json!({"status_code": 200})));
    let cases = cases();
    assert!(cases.len() >= 40);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check_case(&mut sample, &jwks, case)
                .err()
                .map(|e| format!("{}: {e}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn truncated_bodies_never_panic_and_agree_on_the_error() {
    let mut sample = Sample::new();
    let mut failures = Vec::new();
    for case in cases().iter().filter(|c| c.body.len() < 400) {
        let world = world_of(case.world);
        let model = Model::new(world.clone()).expect("valid world");
        sample.load_world(&world).expect("world loads");
        for len in 0..case.body.len() {
            let body = &case.body[..len];
            let expected = model
                .migrate(case.now, &Policy::default(), body)
                .expect("model");
            let resp = sample.call(body, Some(case.now)).expect("answer");
            let got = body_json(&resp);
            let ok = match &expected.outcome {
                Outcome::Error(e) => {
                    resp.status == e.status_code() && got["error_type"] == e.error_type.name()
                }
                Outcome::Success(_) => resp.status == 200,
            };
            if !ok {
                failures.push(format!(
                    "{} truncated to {len}: got {} {}",
                    case.name, resp.status, got["error_type"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn success_activates_and_failure_changes_nothing() {
    let mut sample = Sample::new();
    sample.load_world(&main_world()).expect("world loads");
    let failing = main_body("tok-pat", "acme", r#""session_duration_minutes":4"#);
    assert_eq!(
        sample.call(&failing, Some(NOW)).expect("answer").status,
        400
    );
    assert_eq!(
        sample.member_status("member-test-pat"),
        Some(MemberStatus::Pending)
    );
    let too_big = main_body(
        "tok-pat",
        "acme",
        &format!(
            r#""session_custom_claims":{{"pad":"{}"}}"#,
            "x".repeat(5000)
        ),
    );
    assert_eq!(
        sample.call(&too_big, Some(NOW)).expect("answer").status,
        400
    );
    assert_eq!(
        sample.member_status("member-test-pat"),
        Some(MemberStatus::Pending)
    );
    let ok = main_body("tok-pat", "acme", "");
    let resp = sample.call(&ok, Some(NOW)).expect("answer");
    assert_eq!(resp.status, 200);
    assert_eq!(body_json(&resp)["member"]["status"], "active");
    assert_eq!(
        sample.member_status("member-test-pat"),
        Some(MemberStatus::Active)
    );
    // Again, as an active member; fresh opaque values each time.
    let again = sample.call(&ok, Some(NOW)).expect("answer");
    assert_eq!(again.status, 200);
    let (a, b) = (body_json(&resp), body_json(&again));
    for pointer in [
        "/request_id",
        "/session_token",
        "/member_session/member_session_id",
    ] {
        assert_ne!(a.pointer(pointer), b.pointer(pointer), "{pointer}");
    }
}

#[test]
fn real_clock_is_used_without_now() {
    let mut sample = Sample::new();
    sample.load_world(&main_world()).expect("world loads");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let resp = sample.call(&ada(""), None).expect("answer");
    assert_eq!(resp.status, 200);
    let jwks = sample.capabilities().jwks.expect("jwks");
    let body = body_json(&resp);
    let (_, payload) = verify_jwt(
        body["session_jwt"].as_str().expect("jwt"),
        &jwks,
        &main_world().project_id,
    );
    let iat = payload["iat"].as_i64().expect("iat");
    assert!(
        (before..before + 60).contains(&iat),
        "iat {iat}, before {before}"
    );
}

#[test]
fn every_bug_is_caught_by_some_case() {
    let cases = cases();
    let jwks = Sample::new().capabilities().jwks.expect("a JWKS");
    // A mutant is judged against the correct sample under the same profile (the one it is
    // wrong under), so that only its bug can make the difference.
    let mut references: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    assert!(Bug::ALL.len() >= 17);
    let mut uncaught = Vec::new();
    // The hand-written cases here aim at the default profile's rules; the mutants wrong only
    // under another choice of one flag are each exposed by their own request in
    // emulator/tests/profiles.rs, and caught by the properties in tests/harness.rs.
    for &bug in Bug::ALL.iter().filter(|b| b.setting().is_none()) {
        let reference = references
            .entry(bug.profile().settings())
            .or_insert_with(|| {
                let mut correct = Sample::with_profile(bug.profile());
                cases
                    .iter()
                    .map(|case| fingerprint(&run(&mut correct, case), &jwks, &world_of(case.world)))
                    .collect()
            });
        let mut mutant = Sample::with_bug(bug);
        let caught: Vec<&str> = cases
            .iter()
            .zip(reference.iter())
            .filter(|(case, expected)| {
                fingerprint(&run(&mut mutant, case), &jwks, &world_of(case.world)) != **expected
            })
            .map(|(case, _)| case.name.as_str())
            .collect();
        if caught.is_empty() {
            uncaught.push(bug.name());
        } else {
            eprintln!(
                "{:<28} caught by {} case(s), e.g. {}",
                bug.name(),
                caught.len(),
                caught[0]
            );
        }
    }
    assert!(uncaught.is_empty(), "bugs no case catches: {uncaught:?}");
}

#[test]
fn extreme_clocks_do_not_panic() {
    let mut sample = Sample::new();
    sample.load_world(&main_world()).expect("world loads");
    for now in [i64::MIN, -1, 0, 253_402_300_799, i64::MAX - 300, i64::MAX] {
        let resp = sample.call(&ada(""), Some(now)).expect("answer");
        assert!(matches!(resp.status, 200 | 500), "{now}: {}", resp.status);
        body_json(&resp);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Bodies mutated byte by byte: the sample never panics and agrees with the model on the
    /// status and error type.
    #[test]
    fn mutated_bodies_agree_with_the_model(
        pick in 0usize..1000,
        edits in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY, 0u8..3), 1..4),
    ) {
        let cases = cases();
        let case = &cases[pick % cases.len()];
        let mut body = case.body.clone();
        for (at, byte, op) in edits {
            let at = at % (body.len() + 1);
            match op {
                0 if at < body.len() => body[at] = byte,
                1 => body.insert(at, byte),
                _ if at < body.len() => { body.remove(at); }
                _ => {}
            }
        }
        let world = world_of(case.world);
        let model = Model::new(world.clone()).expect("valid world");
        let expected = model.migrate(case.now, &Policy::default(), &body).expect("model");
        let mut sample = Sample::new();
        sample.load_world(&world).expect("world loads");
        let resp = sample.call(&body, Some(case.now)).expect("answer");
        let got = body_json(&resp);
        match &expected.outcome {
            Outcome::Error(e) => {
                proptest::prop_assert_eq!(resp.status, e.status_code());
                proptest::prop_assert_eq!(got["error_type"].as_str(), Some(e.error_type.name()));
            }
            Outcome::Success(s) => {
                proptest::prop_assert_eq!(resp.status, 200);
                proptest::prop_assert!(json_eq(
                    &got["member_session"]["custom_claims"],
                    &model_claims(&s.custom_claims)
                ));
            }
        }
    }
}
