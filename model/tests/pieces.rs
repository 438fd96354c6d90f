//! The public pieces on their own: parsing, canonical serialization, merge, lookups, JWT
//! payload, world validation, the policy table and the rule table.

use migrate_model::canonical::{go_json, jcs, size, SizeMeasure};
use migrate_model::claims::{merge, merge_into_empty};
use migrate_model::json::ExactInteger;
use migrate_model::lookup::{is_valid_email, resolve_organization, OrgKey};
use migrate_model::parse::{parse, ParseErrorKind, ParseOptions};
use migrate_model::policy::{DuplicateKeys, EmptyObjectAfterDelete, LoneSurrogate, NestingLimit};
use migrate_model::response::{registered_claims, rfc3339};
use migrate_model::{
    Flag, Json, MemberStatus, Model, Organization, Policy, Rule, Source, World, WorldError,
};
use serde_json::json;

fn p(text: &str) -> Json {
    parse(text.as_bytes(), ParseOptions::default()).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn obj(text: &str) -> migrate_model::Object {
    p(text).take_object().expect("an object")
}

// ---- RFC 8785 reference data ------------------------------------------------------------

macro_rules! jcs_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            let input = include_bytes!(concat!("data/jcs/input/", stringify!($name), ".json"));
            let want = include_str!(concat!("data/jcs/output/", stringify!($name), ".json"));
            // The canonical form is of the values as doubles (the default number-precision).
            let mut value = parse(input, ParseOptions::default()).expect("reference input parses");
            value.for_each_number_mut(|n| *n = migrate_model::Number::Double(n.to_f64()));
            assert_eq!(jcs(&value), want);
        }
    };
}

mod rfc8785_reference {
    use super::*;
    jcs_case!(arrays);
    jcs_case!(french);
    jcs_case!(structures);
    jcs_case!(unicode);
    jcs_case!(values);
    jcs_case!(weird);
}

#[test]
fn jcs_sorts_keys_by_utf16_and_go_by_bytes() {
    // U+1F600 is D83D DE00 in UTF-16, below U+FB33; in UTF-8 it is F0..., above EF...
    let v = p("{\"\u{FB33}\":1,\"\u{1F600}\":2}");
    assert_eq!(jcs(&v), "{\"\u{1F600}\":2,\"\u{FB33}\":1}");
    assert_eq!(go_json(&v), "{\"\u{FB33}\":1,\"\u{1F600}\":2}");
    assert_eq!(size(&v, SizeMeasure::Jcs), size(&v, SizeMeasure::GoJson));
}

#[test]
fn exact_text_numbers_are_written_as_given() {
    let v = p(r#"{"a":1.50,"b":1E400,"c":-0}"#);
    assert_eq!(jcs(&v), r#"{"a":1.50,"b":1E400,"c":-0}"#);
}

// ---- Parser -----------------------------------------------------------------------------

fn parse_err(bytes: &[u8], opts: ParseOptions) -> ParseErrorKind {
    parse(bytes, opts).expect_err("must fail").kind
}

#[test]
fn parser_reports_what_is_wrong_and_where() {
    let e = parse(b"{\"a\":tru}", ParseOptions::default()).expect_err("bad literal");
    assert_eq!(e.offset, 5);
    assert!(e.to_string().contains("byte 5"), "{e}");
    assert_eq!(
        parse_err(b"\xEF\xBB\xBF{}", ParseOptions::default()),
        ParseErrorKind::ByteOrderMark
    );
    assert_eq!(
        parse_err(b"{\"a\":\"\xFF\"}", ParseOptions::default()),
        ParseErrorKind::InvalidUtf8
    );
}

#[test]
fn parser_policies_each_way() {
    let dup = br#"{"a":1,"a":2}"#;
    assert_eq!(
        jcs(&parse(dup, ParseOptions::default()).expect("last wins")),
        r#"{"a":2}"#
    );
    let strict = ParseOptions {
        duplicate_keys: DuplicateKeys::BadRequest,
        ..Default::default()
    };
    assert_eq!(
        parse_err(dup, strict),
        ParseErrorKind::DuplicateKey("a".into())
    );

    let lone = br#"["\udc00x"]"#;
    assert_eq!(
        parse_err(lone, ParseOptions::default()),
        ParseErrorKind::LoneSurrogate
    );
    let replace = ParseOptions {
        lone_surrogate: LoneSurrogate::Replace,
        ..Default::default()
    };
    assert_eq!(
        parse(lone, replace).expect("replaced"),
        Json::Array(vec![Json::String("\u{FFFD}x".into())])
    );

    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(parse(deep(128).as_bytes(), ParseOptions::default()).is_ok());
    assert_eq!(
        parse_err(deep(129).as_bytes(), ParseOptions::default()),
        ParseErrorKind::TooDeep
    );
    let unlimited = ParseOptions {
        nesting_limit: NestingLimit::Unlimited,
        ..Default::default()
    };
    assert_eq!(
        parse(deep(1_000_000).as_bytes(), unlimited)
            .expect("no limit")
            .depth(),
        1_000_000
    );
}

#[test]
fn numbers_keep_their_text_until_the_policy_decides() {
    let v = p(r#"[60.0, -0, 1e400]"#);
    let Json::Array(items) = &v else {
        panic!("array")
    };
    let ints: Vec<ExactInteger> = items
        .iter()
        .map(|x| match x {
            Json::Number(n) => n.exact_integer(),
            _ => panic!("number"),
        })
        .collect();
    assert_eq!(
        ints,
        [
            ExactInteger::Int(60),
            ExactInteger::Int(0),
            ExactInteger::Huge { negative: false }
        ]
    );
}

// ---- Merge ------------------------------------------------------------------------------

fn merged(target: &str, update: &str, empty: EmptyObjectAfterDelete) -> String {
    let mut t = obj(target);
    merge(&mut t, obj(update), empty);
    jcs(&Json::Object(t))
}

#[test]
fn merge_cases() {
    use EmptyObjectAfterDelete::{Keep, Remove};
    let cases = [
        (r#"{"a":1}"#, r#"{"b":2}"#, Keep, r#"{"a":1,"b":2}"#),
        (r#"{"a":1}"#, r#"{"a":null}"#, Keep, r#"{}"#),
        (
            r#"{"a":{"b":1,"c":2}}"#,
            r#"{"a":{"b":null}}"#,
            Keep,
            r#"{"a":{"c":2}}"#,
        ),
        (
            r#"{"a":{"b":1}}"#,
            r#"{"a":{"b":null}}"#,
            Keep,
            r#"{"a":{}}"#,
        ),
        (r#"{"a":{"b":1}}"#, r#"{"a":{"b":null}}"#, Remove, r#"{}"#),
        (r#"{"a":[1,2]}"#, r#"{"a":[3]}"#, Keep, r#"{"a":[3]}"#),
        (
            r#"{"a":1}"#,
            r#"{"a":{"x":null,"y":[null]}}"#,
            Keep,
            r#"{"a":{"y":[null]}}"#,
        ),
        (r#"{}"#, r#"{"n":{"m":null}}"#, Keep, r#"{"n":{}}"#),
        (r#"{}"#, r#"{"n":{"m":null}}"#, Remove, r#"{}"#),
        (r#"{"t":{}}"#, r#"{"z":{}}"#, Remove, r#"{"t":{},"z":{}}"#),
    ];
    for (target, update, empty, want) in cases {
        assert_eq!(
            merged(target, update, empty),
            want,
            "{update} over {target} ({empty})"
        );
    }
}

#[test]
fn merge_into_empty_handles_arbitrary_depth() {
    // A million nested objects ending in null: nothing remains under remove.
    // (Built twice: the derived Clone recurses.)
    let n = 1_000_000;
    let chain = || {
        let mut v = Json::Null;
        for _ in 0..n {
            let mut o = migrate_model::Object::new();
            o.insert("a".into(), v);
            v = Json::Object(o);
        }
        v.take_object().expect("object")
    };
    assert!(merge_into_empty(chain(), EmptyObjectAfterDelete::Remove).is_empty());
    let kept = merge_into_empty(chain(), EmptyObjectAfterDelete::Keep);
    assert_eq!(Json::Object(kept).depth(), n);
}

// ---- Lookups, email, JWT, timestamps ----------------------------------------------------

#[test]
fn valid_emails() {
    for good in ["a@b", "ada@acme.test", "\"q\"@x", "a+b@c.d"] {
        assert!(is_valid_email(good), "{good}");
    }
    for bad in [
        "",
        "a",
        "@b",
        "a@",
        "a@@b",
        "a@b@c",
        " a@b",
        "a@b ",
        "a\u{2003}@b",
        "a@b\n",
    ] {
        assert!(!is_valid_email(bad), "{bad:?}");
    }
}

fn org(id: &str, slug: &str, ext: Option<&str>) -> Organization {
    Organization {
        organization_id: id.into(),
        slug: slug.into(),
        external_id: ext.map(Into::into),
        name: String::new(),
        members: vec![],
    }
}

#[test]
fn organization_resolution_order() {
    let orgs = [
        org("o1", "s1", Some("e1")),
        org("o2", "e1", Some("s1")),
        org("o3", "o1", None),
    ];
    let mut trace = migrate_model::Trace::default();
    let find = |value: &str, policy: &Policy, trace: &mut migrate_model::Trace| {
        resolve_organization(&orgs, value, policy, trace)
            .map(|(o, key)| (o.organization_id.clone(), key))
            .map_err(|f| f.error)
    };
    let default = Policy::default();
    let mut other = Policy::default();
    other
        .set_by_name("org-lookup-order", "id-external-slug")
        .expect("valid");
    assert_eq!(
        find("o1", &default, &mut trace),
        Ok(("o1".into(), OrgKey::Id))
    );
    assert_eq!(
        find("o1", &other, &mut trace),
        Ok(("o1".into(), OrgKey::Id))
    );
    assert_eq!(
        find("s1", &default, &mut trace),
        Ok(("o1".into(), OrgKey::Slug))
    );
    assert_eq!(
        find("s1", &other, &mut trace),
        Ok(("o2".into(), OrgKey::ExternalId))
    );
    assert_eq!(
        find("e1", &default, &mut trace),
        Ok(("o2".into(), OrgKey::Slug))
    );
    assert_eq!(
        find("e1", &other, &mut trace),
        Ok(("o1".into(), OrgKey::ExternalId))
    );
    assert_eq!(
        find("x", &default, &mut trace),
        Err(migrate_model::ErrorType::OrganizationNotFound)
    );
    assert!(trace.contains(Rule::OrgLookupOrder));
}

#[test]
fn registered_claims_of_the_jwt() {
    let claims = registered_claims("project-1", "member-1", 1_000);
    assert_eq!(
        serde_json::Value::Object(claims),
        json!({"iss": "stytch.com/project-1", "aud": ["project-1"], "sub": "member-1", "iat": 1000, "nbf": 1000, "exp": 1300})
    );
}

#[test]
fn timestamps() {
    assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
    assert_eq!(
        rfc3339(1_640_781_189).as_deref(),
        Some("2021-12-29T12:33:09Z")
    );
    assert_eq!(
        rfc3339(253_402_300_799).as_deref(),
        Some("9999-12-31T23:59:59Z")
    );
    assert_eq!(rfc3339(253_402_300_800), None);
}

// ---- World validation and the clock -----------------------------------------------------

fn small_world() -> World {
    serde_json::from_value(json!({
        "project_id": "p",
        "project_max_session_minutes": 60,
        "organizations": [
            {"organization_id": "o1", "slug": "acme", "members": [
                {"member_id": "m1", "email": "a@x", "status": "active"},
                {"member_id": "m2", "email": "A@X", "status": "deleted"}
            ]},
            {"organization_id": "o2", "slug": "beta", "external_id": "e"}
        ]
    }))
    .expect("world deserializes")
}

#[test]
fn invalid_worlds_are_rejected_before_evaluation() {
    assert!(Model::new(small_world()).is_ok());
    type Mutation = fn(&mut World);
    let mutations: Vec<(Mutation, &str)> = vec![
        (
            |w| w.project_max_session_minutes = 4,
            "project_max_session_minutes is 4",
        ),
        (|w| w.project_max_session_minutes = 527_041, "527041"),
        (
            |w| w.organizations[1].organization_id = "o1".into(),
            "two organizations have the id",
        ),
        (
            |w| w.organizations[0].external_id = Some("e".into()),
            "external id",
        ),
        (
            |w| w.organizations[1].slug = "ACME".into(),
            "equal ignoring ASCII case",
        ),
        (
            |w| w.organizations[0].members[1].status = MemberStatus::Pending,
            "two non-deleted members",
        ),
        (
            |w| {
                let mut v = json!(1);
                for _ in 0..128 {
                    v = json!([v]);
                }
                w.claims_template.insert("deep".into(), v);
            },
            "nests deeper than 128",
        ),
    ];
    for (mutate, message) in mutations {
        let mut w = small_world();
        mutate(&mut w);
        let e: WorldError = Model::new(w).expect_err("invalid world");
        assert!(e.to_string().contains(message), "{e}");
    }
}

#[test]
fn world_json_rejects_unknown_fields_and_bad_statuses() {
    let bad = serde_json::from_value::<World>(
        json!({"project_id": "p", "project_max_session_minutes": 60, "orgs": []}),
    );
    assert!(bad.is_err());
    let bad = serde_json::from_value::<World>(json!({
        "project_id": "p", "project_max_session_minutes": 60,
        "organizations": [{"organization_id": "o", "slug": "s", "members": [{"member_id": "m", "email": "e@x", "status": "banned"}]}]
    }));
    assert!(bad.expect_err("bad status").to_string().contains("banned"));
}

#[test]
fn clock_outside_the_writable_range_is_the_callers_error() {
    let model = Model::new(small_world()).expect("valid");
    let body = br#"{"session_token":"t","organization_id":"o1"}"#;
    assert!(model.migrate(-1, &Policy::default(), body).is_err());
    assert!(model.migrate(i64::MAX, &Policy::default(), body).is_err());
    assert!(model.migrate(0, &Policy::default(), body).is_ok());
}

// ---- The policy and rule tables ---------------------------------------------------------

#[test]
fn policy_names_every_flag_of_section_2a() {
    let names: Vec<&str> = Flag::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "reserved-claims",
            "claims-size-measure",
            "claims-size-limit",
            "claims-without-duration",
            "null-duration",
            "zero-duration",
            "integral-float",
            "int32-overflow",
            "default-above-project-max",
            "duplicate-keys",
            "number-precision",
            "lone-surrogate",
            "org-lookup-order",
            "slug-case",
            "email-case",
            "member-status",
            "unverified-email",
            "empty-object-after-delete",
            "nesting-limit",
            "error-precedence",
        ]
    );
    for flag in Flag::ALL {
        assert_eq!(flag.choices().len(), 2, "{}", flag.name());
        assert_eq!(Flag::from_name(flag.name()), Some(*flag));
    }
}

#[test]
fn policy_round_trips_by_name_and_as_json() {
    let mut policy = Policy::default();
    assert!(policy.non_default_flags().is_empty());
    for flag in Flag::ALL {
        let other = flag.choices()[1];
        policy.set(*flag, other).expect("valid choice");
        assert_eq!(policy.get(*flag), other);
    }
    assert_eq!(policy.non_default_flags().len(), Flag::ALL.len());
    let text = serde_json::to_string(&policy).expect("serializes");
    assert!(text.contains(r#""reserved-claims":"reject""#), "{text}");
    let back: Policy = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, policy);
    // Missing flags take their default; unknown flags and choices are errors.
    assert_eq!(
        serde_json::from_str::<Policy>("{}").expect("empty"),
        Policy::default()
    );
    assert!(serde_json::from_str::<Policy>(r#"{"reserved-claim":"reject"}"#).is_err());
    let e = Policy::default()
        .set_by_name("slug-case", "fuzzy")
        .expect_err("bad choice");
    assert_eq!(
        e.to_string(),
        r#"unknown choice "fuzzy" for policy flag slug-case; choices are: exact, ascii-insensitive"#
    );
    assert!(Policy::default().set_by_name("nope", "x").is_err());
}

#[test]
fn profiles_as_settings_text_round_trip_and_bad_ones_are_named() {
    let p = Policy::default()
        .with_settings(" slug-case=ascii-insensitive, reserved-claims=reject ,")
        .expect("valid settings");
    assert_eq!(
        p.settings(),
        "reserved-claims=reject,slug-case=ascii-insensitive"
    );
    assert_eq!(Policy::default().with_settings(&p.settings()), Ok(p));
    assert_eq!(Policy::default().settings(), "");
    assert_eq!(Policy::default().with_settings(""), Ok(Policy::default()));
    let errors = [
        ("slug-case", "\"slug-case\" is not a policy setting FLAG=CHOICE"),
        ("slug-case=fuzzy", "unknown choice \"fuzzy\" for policy flag slug-case; choices are: exact, ascii-insensitive"),
        ("nope=x", "unknown policy flag \"nope\""),
    ];
    for (text, message) in errors {
        let e = Policy::default().with_settings(text).expect_err(text);
        assert!(e.to_string().starts_with(message), "{text}: {e}");
    }
}

#[test]
fn every_policy_flag_has_a_rule() {
    for flag in Flag::ALL {
        assert!(
            Rule::ALL
                .iter()
                .any(|r| r.source() == Source::Policy(*flag)),
            "no rule is decided by {}",
            flag.name()
        );
    }
}

#[test]
fn rule_ids_are_unique_and_round_trip() {
    let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    for r in Rule::ALL {
        assert_eq!(Rule::from_id(r.id()), Some(*r));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), Rule::ALL.len());
}

#[test]
fn spec_lists_exactly_the_rule_ids() {
    let spec = include_str!("../SPEC.md");
    for r in Rule::ALL {
        assert!(
            spec.contains(&format!("`{}`", r.id())),
            "SPEC.md does not state {}",
            r.id()
        );
    }
    // Every backticked dotted id in SPEC.md is a rule.
    for (i, chunk) in spec.split('`').enumerate() {
        let looks_like_id = i % 2 == 1
            && chunk.contains('.')
            && chunk
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if looks_like_id {
            assert!(
                Rule::from_id(chunk).is_some(),
                "SPEC.md names an unknown rule `{chunk}`"
            );
        }
    }
}

#[test]
fn every_rule_has_a_named_test() {
    let tests = include_str!("rules.rs");
    let cited: std::collections::BTreeSet<&str> = tests
        .split("Rule::")
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or("")
        })
        .collect();
    for r in Rule::ALL {
        if *r == Rule::WorldValid {
            // World validation is tested above, in invalid_worlds_are_rejected_before_evaluation.
            continue;
        }
        let variant = format!("{r:?}");
        assert!(
            cited.contains(variant.as_str()),
            "no test in rules.rs checks {} (Rule::{variant})",
            r.id()
        );
    }
}

#[test]
fn every_policy_flag_is_tested_both_ways() {
    // Each rule test runs under the default policy unless it sets a flag; this checks that
    // every non-default choice is set by some test.
    let tests = include_str!("rules.rs");
    for flag in Flag::ALL {
        for choice in &flag.choices()[1..] {
            let call = format!(".flag(\"{}\", \"{}\")", flag.name(), choice);
            assert!(tests.contains(&call), "no rule test uses {call}");
        }
    }
}
