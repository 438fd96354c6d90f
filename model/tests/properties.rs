//! Laws of the model, checked with proptest over generated requests, claims and policies.

mod common;

use common::{world, NOW};
use migrate_model::canonical::{jcs, size};
use migrate_model::claims::{merge, merge_into_empty};
use migrate_model::parse::{parse, ParseOptions};
use migrate_model::policy::{EmptyObjectAfterDelete, NestingLimit, ReservedClaims};
use migrate_model::request::{is_reserved, is_stytch_namespaced};
use migrate_model::{Flag, Json, Model, Object, Outcome, Policy};
use proptest::prelude::*;
use proptest::sample::select;

// ---- Generators -------------------------------------------------------------------------

/// Keys biased to where bugs live: reserved names, Stytch's namespace, near misses.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(vec!["a", "b", "c", "role", "plan", "", "é", "\u{1F600}", "<&>"]).prop_map(String::from),
        1 => select(vec![
            "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "ISS",
            "https://stytch.com/session", "https://stytch.com/", "https://stytch.com",
            "https://stytch.community/x",
        ])
        .prop_map(String::from),
    ]
}

/// JSON number texts biased to the boundaries of doubles and integers.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "0",
            "-0",
            "-0.0",
            "1",
            "60",
            "60.0",
            "6e1",
            "1e400",
            "-1e400",
            "1e-400",
            "5e-324",
            "9007199254740993",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "123456789012345678901234567890",
            "0.1",
            "1E21",
            "1e-7",
        ])
        .prop_map(String::from),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(|x| format!("{x:e}")),
    ]
}

fn string_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z<>&\u{e9}\u{2028} ]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        select(vec![
            r#""\u00e9""#,
            r#""\ud83d\ude02""#,
            r#""\ud800""#,
            r#""a\"b\\c\n""#
        ])
        .prop_map(String::from),
        (0usize..5000).prop_map(|n| format!("\"{}\"", "x".repeat(n))),
    ]
}

/// Arbitrary JSON text (possibly with lone surrogates, and deep when asked).
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        number_text(),
        string_text(),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key(), inner), 0..6).prop_map(|entries| {
                let fields: Vec<String> = entries
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap_or_default()))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

/// An object text.
fn object_text() -> impl Strategy<Value = String> {
    prop::collection::vec((key(), json_text()), 0..6).prop_map(|entries| {
        let fields: Vec<String> = entries
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap_or_default()))
            .collect();
        format!("{{{}}}", fields.join(","))
    })
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::collection::vec(any::<bool>(), Flag::ALL.len()).prop_map(|bits| {
        let mut p = Policy::default();
        for (flag, other) in Flag::ALL.iter().zip(bits) {
            if other {
                let _ = p.set(*flag, flag.choices()[1]);
            }
        }
        p
    })
}

/// A request body: the four fields, each sometimes absent, malformed or at a boundary.
fn request() -> impl Strategy<Value = Vec<u8>> {
    let token = select(vec![
        "\"tok-ada\"",
        "\"tok-pat\"",
        "\"tok-dee\"",
        "\"tok-bob-lower\"",
        "\"tok-nobody\"",
        "\"tok-unreachable\"",
        "\"tok-unverified\"",
        "\"tok-dup-email\"",
        "\"tok-lone\"",
        "\"\"",
        "null",
        "7",
    ]);
    let org = select(vec![
        "\"organization-test-acme\"",
        "\"acme\"",
        "\"ACME\"",
        "\"ext-acme\"",
        "\"Delta\"",
        "\"organization-test-beta\"",
        "\"nope\"",
        "\"\"",
        "[]",
    ]);
    let duration = prop_oneof![
        select(vec![
            "0",
            "-0",
            "4",
            "5",
            "60",
            "527040",
            "527041",
            "2147483647",
            "2147483648",
            "-2147483649",
            "60.0",
            "6e1",
            "60.5",
            "\"60\"",
            "null",
            "1e400",
        ])
        .prop_map(String::from),
        number_text(),
    ];
    let claims = prop_oneof![3 => object_text(), 1 => json_text()];
    (
        prop::option::of(token),
        prop::option::of(org),
        prop::option::of(duration),
        prop::option::of(claims),
        prop::option::of(json_text()),
    )
        .prop_map(|(t, o, d, c, extra)| {
            let mut fields = Vec::new();
            if let Some(t) = t {
                fields.push(format!("\"session_token\":{t}"));
            }
            if let Some(o) = o {
                fields.push(format!("\"organization_id\":{o}"));
            }
            if let Some(d) = d {
                fields.push(format!("\"session_duration_minutes\":{d}"));
            }
            if let Some(c) = c {
                fields.push(format!("\"session_custom_claims\":{c}"));
            }
            if let Some(x) = extra {
                fields.push(format!("\"extra\":{x}"));
            }
            format!("{{{}}}", fields.join(",")).into_bytes()
        })
}

fn model_with_template(template: &str) -> Option<Model> {
    let mut w = world();
    w.claims_template = serde_json::from_str(template).ok()?;
    Model::new(w).ok()
}

/// Parses claims text leniently into an object (None when it is not an object).
fn claims_object(text: &str) -> Option<Object> {
    let opts = ParseOptions {
        lone_surrogate: migrate_model::policy::LoneSurrogate::Replace,
        ..Default::default()
    };
    parse(text.as_bytes(), opts).ok()?.take_object()
}

/// Paths (as key lists) where the update held `null`, following object-over-object merges.
fn null_paths_absent(result: &Object, update: &Object) -> bool {
    update.iter().all(|(k, v)| match v {
        Json::Null => !result.contains_key(k),
        Json::Object(u) => match result.get(k) {
            Some(Json::Object(r)) => null_paths_absent(r, u),
            _ => true,
        },
        _ => true,
    })
}

fn empty_policy() -> impl Strategy<Value = EmptyObjectAfterDelete> {
    select(EmptyObjectAfterDelete::ALL.to_vec())
}

// ---- Laws of the merge ------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merging_the_empty_update_is_the_identity(t in object_text(), empty in empty_policy()) {
        if let Some(t) = claims_object(&t) {
            // A target as the model holds one: merged onto {} already (no nulls).
            let target = merge_into_empty(t, empty);
            let mut merged = target.clone();
            merge(&mut merged, Object::new(), empty);
            prop_assert_eq!(jcs(&Json::Object(merged)), jcs(&Json::Object(target)));
        }
    }

    #[test]
    fn applying_an_update_twice_equals_applying_it_once(
        t in object_text(), u in object_text(), empty in empty_policy()
    ) {
        if let (Some(t), Some(u)) = (claims_object(&t), claims_object(&u)) {
            let mut once = merge_into_empty(t, empty);
            merge(&mut once, u.clone(), empty);
            let mut twice = once.clone();
            merge(&mut twice, u, empty);
            prop_assert_eq!(jcs(&Json::Object(twice)), jcs(&Json::Object(once)));
        }
    }

    #[test]
    fn no_key_whose_update_value_was_null_survives(
        t in object_text(), u in object_text(), empty in empty_policy()
    ) {
        if let (Some(t), Some(u)) = (claims_object(&t), claims_object(&u)) {
            let mut result = merge_into_empty(t, empty);
            merge(&mut result, u.clone(), empty);
            prop_assert!(null_paths_absent(&result, &u));
        }
    }

    #[test]
    fn jcs_and_go_sizes_differ_only_by_escapes_and_negative_zero(t in object_text()) {
        if let Some(mut t) = claims_object(&t) {
            for v in t.values_mut() {
                v.for_each_number_mut(|n| *n = migrate_model::Number::Double(n.to_f64()));
            }
            let v = Json::Object(t);
            prop_assert!(
                size(&v, migrate_model::canonical::SizeMeasure::GoJson)
                    >= size(&v, migrate_model::canonical::SizeMeasure::Jcs)
            );
        }
    }
}

// ---- Laws of a whole call ---------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn every_call_is_deterministic_and_every_success_keeps_the_invariants(
        body in request(),
        policy in policy(),
        template in prop_oneof![Just("{}".to_string()), Just(r#"{"plan":"pro","o":{"a":1},"iss":"t","n":null}"#.to_string())],
    ) {
        let Some(model) = model_with_template(&template) else { return Ok(()) };
        let first = model.migrate(NOW, &policy, &body).expect("valid world and clock");
        let again = model.migrate(NOW, &policy, &body).expect("valid world and clock");
        prop_assert_eq!(&first, &again);
        match &first.outcome {
            Outcome::Success(s) => {
                let claims = Json::Object(s.custom_claims.clone());
                prop_assert!(size(&claims, policy.claims_size_measure) <= policy.claims_limit_bytes());
                prop_assert_eq!(s.expires_at - s.started_at, s.duration_minutes * 60);
                prop_assert!((5..=527_040).contains(&s.duration_minutes));
                prop_assert_eq!(s.jwt.expires_at - s.jwt.issued_at, 300);
                prop_assert_eq!(&s.jwt.payload["exp"], &serde_json::json!(NOW + 300));
                prop_assert_eq!(&s.jwt.payload["sub"], &serde_json::json!(s.member_id));
                common::assert_schema_valid(&s.body.to_serde());
                if policy.reserved_claims == ReservedClaims::Ignore {
                    for k in s.custom_claims.keys() {
                        prop_assert!(!is_reserved(k) && !is_stytch_namespaced(k), "{} reached the claims", k);
                    }
                }
                prop_assert_eq!(
                    &s.jwt.payload["iss"],
                    &serde_json::json!("stytch.com/project-test-11111111")
                );
            }
            Outcome::Error(e) => {
                prop_assert!(e.accepts(e.error_type));
                prop_assert!(!e.acceptable.is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512), policy in policy()) {
        let model = Model::new(world()).expect("valid world");
        let eval = model.migrate(NOW, &policy, &body).expect("valid world and clock");
        prop_assert!(eval.outcome.error().is_some() || eval.outcome.success().is_some());
    }

    #[test]
    fn damaged_requests_never_panic(body in request(), cut in any::<prop::sample::Index>(), byte in any::<u8>(), policy in policy()) {
        let model = Model::new(world()).expect("valid world");
        // Truncated, and with one byte replaced.
        let mut damaged = body.clone();
        damaged.truncate(cut.index(body.len() + 1));
        prop_assert!(model.migrate(NOW, &policy, &damaged).is_ok());
        let mut damaged = body.clone();
        if !damaged.is_empty() {
            let i = cut.index(damaged.len());
            damaged[i] = byte;
        }
        prop_assert!(model.migrate(NOW, &policy, &damaged).is_ok());
    }
}

// ---- Extreme inputs ---------------------------------------------------------------------

fn both_nesting_policies() -> [Policy; 2] {
    let unlimited = Policy {
        nesting_limit: NestingLimit::Unlimited,
        ..Default::default()
    };
    [Policy::default(), unlimited]
}

#[test]
fn ten_megabyte_bodies_do_not_panic() {
    let model = Model::new(world()).expect("valid world");
    let ten_mb = 10 * 1024 * 1024;
    let bodies = [
        // A long string in the claims.
        format!(
            r#"{{"session_token":"tok-ada","organization_id":"acme","session_custom_claims":{{"k":"{}"}}}}"#,
            "x".repeat(ten_mb)
        ),
        // Deep arrays in the claims and in an unknown field; deep objects ending in null.
        format!(
            r#"{{"session_token":"tok-ada","organization_id":"acme","session_custom_claims":{{"k":{}{}}}}}"#,
            "[".repeat(ten_mb / 2),
            "]".repeat(ten_mb / 2)
        ),
        format!(
            r#"{{"session_token":"tok-ada","organization_id":"acme","x":{}1{}}}"#,
            "[".repeat(ten_mb / 2),
            "]".repeat(ten_mb / 2)
        ),
        format!(
            r#"{{"session_token":"tok-ada","organization_id":"acme","session_duration_minutes":5,"session_custom_claims":{}null{}}}"#,
            r#"{"a":"#.repeat(ten_mb / 5),
            "}".repeat(ten_mb / 5)
        ),
        // An unclosed ten-megabyte nest.
        "[".repeat(ten_mb),
    ];
    for body in &bodies {
        for policy in both_nesting_policies() {
            let eval = model
                .migrate(NOW, &policy, body.as_bytes())
                .expect("evaluates");
            assert!(matches!(
                eval.outcome,
                Outcome::Error(_) | Outcome::Success(_)
            ));
        }
    }
}

#[test]
fn a_deep_chain_of_nulls_collapses_under_remove_and_is_too_large_under_keep() {
    let model = Model::new(world()).expect("valid world");
    let depth = 100_000;
    let body = format!(
        r#"{{"session_token":"tok-ada","organization_id":"acme","session_duration_minutes":5,"session_custom_claims":{{"z":1,"a":{}null{}}}}}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    );
    let mut policy = Policy {
        nesting_limit: NestingLimit::Unlimited,
        ..Default::default()
    };
    let keep = model
        .migrate(NOW, &policy, body.as_bytes())
        .expect("evaluates");
    assert_eq!(
        keep.outcome.error().map(|e| e.error_type),
        Some(migrate_model::ErrorType::CustomClaimsTooLarge)
    );
    policy.empty_object_after_delete = EmptyObjectAfterDelete::Remove;
    let remove = model
        .migrate(NOW, &policy, body.as_bytes())
        .expect("evaluates");
    let claims = remove
        .outcome
        .success()
        .map(|s| jcs(&Json::Object(s.custom_claims.clone())));
    assert_eq!(claims.as_deref(), Some(r#"{"z":1}"#));
}

#[test]
fn huge_numbers_do_not_panic() {
    let model = Model::new(world()).expect("valid world");
    let digits = "9".repeat(1_000_000);
    for duration in [
        digits.clone(),
        format!("-{digits}"),
        format!("0.{digits}"),
        "1e99999999999999999999999999".to_string(),
        "1e-99999999999999999999999999".to_string(),
        format!("1{digits}e-1000000"),
    ] {
        let body = format!(
            r#"{{"session_token":"tok-ada","organization_id":"acme","session_duration_minutes":{duration},"session_custom_claims":{{"n":{duration}}}}}"#
        );
        for policy in both_nesting_policies() {
            for integral in ["bad_request", "accept"] {
                let mut policy = policy;
                policy
                    .set_by_name("integral-float", integral)
                    .expect("valid");
                assert!(model.migrate(NOW, &policy, body.as_bytes()).is_ok());
            }
        }
    }
}
