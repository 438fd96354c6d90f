//! One named test per rule of `SPEC.md`, written as data through `check`: the rule the case
//! must exercise, the case, and the outcome. Policy rules are checked under each choice.

mod common;

use common::*;
use migrate_model::ErrorType::*;
use migrate_model::Rule;
use serde_json::json;

// ---- Step 1: the body ------------------------------------------------------------------

#[test]
fn body_must_be_a_json_object() {
    for body in [&b"[]"[..], b"\"x\"", b"42", b"null", b"true"] {
        check(Rule::BodyTopLevelObject, raw_body(body), err(BadRequest));
    }
    check(
        Rule::BodyTopLevelObject,
        ada(json!({})),
        member_is("member-ada"),
    );
}

#[test]
fn invalid_utf8_anywhere_is_bad_request() {
    check(
        Rule::BodyUtf8,
        raw_body(b"{\"session_token\":\"tok-ada\",\"organization_id\":\"organization-test-acme\",\"x\":\"\xff\"}"),
        err(BadRequest),
    );
    // An overlong encoding and a raw (unescaped) surrogate are invalid UTF-8 too.
    check(
        Rule::BodyUtf8,
        raw_body(b"{\"x\":\"\xC0\xAF\"}"),
        err(BadRequest),
    );
    check(
        Rule::BodyUtf8,
        raw_body(b"{\"x\":\"\xED\xA0\x80\"}"),
        err(BadRequest),
    );
}

#[test]
fn byte_order_mark_is_bad_request() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(ada(json!({})).body.as_slice());
    check(Rule::BodyBom, raw_body(&body), err(BadRequest));
}

#[test]
fn json_grammar_violations_are_bad_request() {
    let good = r#"{"session_token":"tok-ada","organization_id":"organization-test-acme""#;
    for bad in [
        "".to_string(),
        "{".to_string(),
        good.to_string(),                    // truncated
        format!("{good},}}"),                // trailing comma
        format!("{good}}} x"),               // trailing bytes
        format!("{good}}}{{}}"),             // two documents
        format!("{good},\"d\":01}}"),        // leading zero
        format!("{good},\"d\":1.}}"),        // no fraction digit
        format!("{good},\"d\":+1}}"),        // plus sign
        format!("{good},\"d\":NaN}}"),       // not JSON
        format!("{good},\"d\":'x'}}"),       // single quotes
        format!("{good},\"d\":\"a\tb\"}}"),  // raw control character
        format!("{good},\"d\":\"\\x41\"}}"), // invalid escape
        format!("{good},\"d\":\"\\u12\"}}"), // short \u escape
        format!("{good},\"d\":tru}}"),       // broken literal
        format!("{good},// c\n\"d\":1}}"),   // comment
    ] {
        check(
            Rule::BodyJsonGrammar,
            raw_body(bad.as_bytes()),
            err(BadRequest),
        );
    }
    // Insignificant whitespace of all four kinds is fine.
    check(
        Rule::BodyJsonGrammar,
        raw_body(format!(" \t\r\n{good} \t\r\n}} \n").as_bytes()),
        ok(),
    );
}

#[test]
fn escaped_lone_surrogate_is_bad_request_or_replaced() {
    let body = br#"{"session_token":"tok-ada","organization_id":"organization-test-acme","session_custom_claims":{"k":"a\ud800b","l":"\udc00","m":"\ud800\u0041"}}"#;
    check(Rule::BodyLoneSurrogate, raw_body(body), err(BadRequest));
    check(
        Rule::BodyLoneSurrogate,
        raw_body(body).flag("lone-surrogate", "replace"),
        claims(json!({"k": "a\u{FFFD}b", "l": "\u{FFFD}", "m": "\u{FFFD}A"})),
    );
    // A proper pair is one character under both choices.
    check(
        Rule::ClaimsMergeAddOverwrite,
        claims_text(r#"{"k":"\ud83d\ude02"}"#),
        claims(json!({"k": "\u{1F602}"})),
    );
}

#[test]
fn nesting_of_128_levels_is_fine_and_129_is_bad_request() {
    // The top-level object is level 1; the claims object level 2; 126 arrays make 128.
    let deep = |arrays: usize| format!("{}{}", "[".repeat(arrays), "]".repeat(arrays));
    check(
        Rule::BodyJsonGrammar,
        claims_text(&format!(r#"{{"a":{}}}"#, deep(126))),
        ok(),
    );
    check(
        Rule::BodyNestingLimit,
        claims_text(&format!(r#"{{"a":{}}}"#, deep(127))),
        err(BadRequest),
    );
    // Without a limit the same body parses; its claims are small enough to pass.
    check(
        Rule::ClaimsSizeLimit,
        claims_text(&format!(r#"{{"a":{}}}"#, deep(127))).flag("nesting-limit", "none"),
        ok(),
    );
}

#[test]
fn deep_nesting_in_an_unknown_field_counts_too() {
    let body = format!(
        r#"{{"session_token":"tok-ada","organization_id":"organization-test-acme","x":{}{}}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    check(
        Rule::BodyNestingLimit,
        raw_body(body.as_bytes()),
        err(BadRequest),
    );
    check(
        Rule::BodyUnknownFieldsIgnored,
        raw_body(body.as_bytes()).flag("nesting-limit", "none"),
        ok(),
    );
}

#[test]
fn duplicate_keys_last_wins_or_bad_request() {
    let body = br#"{"session_token":"tok-nobody","organization_id":"organization-test-acme","session_token":"tok-ada"}"#;
    check(
        Rule::BodyDuplicateKeys,
        raw_body(body),
        member_is("member-ada"),
    );
    check(
        Rule::BodyDuplicateKeys,
        raw_body(body).flag("duplicate-keys", "bad_request"),
        err(BadRequest),
    );
    // Keys are compared after unescaping: "a" and "\u0061" are the same key.
    let nested = br#"{"session_token":"tok-ada","organization_id":"organization-test-acme","session_custom_claims":{"a":1,"\u0061":2}}"#;
    check(
        Rule::BodyDuplicateKeys,
        raw_body(nested),
        claims(json!({"a": 2})),
    );
    check(
        Rule::BodyDuplicateKeys,
        raw_body(nested).flag("duplicate-keys", "bad_request"),
        err(BadRequest),
    );
}

#[test]
fn discarded_duplicate_gets_no_semantic_check_but_lexical_checks_apply() {
    // The discarded duration "60" (a string) is never examined.
    let body = br#"{"session_token":"tok-ada","organization_id":"organization-test-acme","session_duration_minutes":"60","session_duration_minutes":5}"#;
    check(Rule::BodyDuplicateKeys, raw_body(body), minutes(5));
    // A lone surrogate in a discarded value still fails the lexical check.
    let body = br#"{"session_token":"\ud800","session_token":"tok-ada","organization_id":"organization-test-acme"}"#;
    check(Rule::BodyLexicalWholeText, raw_body(body), err(BadRequest));
}

#[test]
fn lexical_checks_cover_unknown_fields() {
    let body = br#"{"session_token":"tok-ada","organization_id":"organization-test-acme","extra":"\udfff"}"#;
    check(Rule::BodyLoneSurrogate, raw_body(body), err(BadRequest));
    check(Rule::BodyLexicalWholeText, raw_body(body), err(BadRequest));
}

#[test]
fn unknown_fields_are_ignored_whatever_they_hold() {
    check(
        Rule::BodyUnknownFieldsIgnored,
        ada(json!({"session_jwt": "x", "extra": {"deep": [1, null]}})),
        ok(),
    );
    // A number no double can hold is fine in an unknown field.
    check(
        Rule::BodyUnknownFieldsIgnored,
        raw_body(br#"{"session_token":"tok-ada","organization_id":"organization-test-acme","big":1e400,"tiny":-1e-400}"#),
        ok(),
    );
}

#[test]
fn field_names_match_exactly() {
    check(
        Rule::BodyFieldNamesExact,
        req(json!({"Session_Token": "tok-ada", "organization_id": "organization-test-acme"})),
        err(BadRequest),
    );
    // A differently cased duration is unknown, so the default applies.
    check(
        Rule::BodyFieldNamesExact,
        ada(json!({"Session_Duration_Minutes": 5})),
        minutes(60),
    );
}

// ---- Steps 2 and 3: the token and the organization ---------------------------------------

#[test]
fn session_token_must_be_a_non_empty_string() {
    let bad = [
        json!({"organization_id": "acme"}),
        json!({"session_token": "", "organization_id": "acme"}),
        json!({"session_token": null, "organization_id": "acme"}),
        json!({"session_token": 1, "organization_id": "acme"}),
        json!({"session_token": ["tok-ada"], "organization_id": "acme"}),
    ];
    for body in bad {
        check(Rule::RequestSessionToken, req(body), err(BadRequest));
    }
}

#[test]
fn session_token_is_not_trimmed() {
    // " tok-ada" is another token, unknown to UserInfo (401).
    check(
        Rule::UserinfoUnknownToken,
        req(json!({"session_token": " tok-ada", "organization_id": "acme"})),
        err(MigrateFromExternalUnexpectedResponse),
    );
    // Whitespace is non-empty, so it is not bad_request.
    check(
        Rule::RequestSessionToken,
        req(json!({"session_token": " ", "organization_id": "acme"})),
        err(MigrateFromExternalUnexpectedResponse),
    );
}

#[test]
fn organization_id_must_be_a_non_empty_string() {
    for value in [json!(null), json!(""), json!(7), json!({}), json!(true)] {
        check(
            Rule::RequestOrganizationId,
            req(json!({"session_token": "tok-ada", "organization_id": value})),
            err(BadRequest),
        );
    }
    check(
        Rule::RequestOrganizationId,
        req(json!({"session_token": "tok-ada"})),
        err(BadRequest),
    );
    // Not trimmed: " acme" names no organization.
    check(
        Rule::OrgNotFound,
        req(json!({"session_token": "tok-ada", "organization_id": " acme"})),
        err(OrganizationNotFound),
    );
}

// ---- Step 4: the duration ---------------------------------------------------------------

#[test]
fn absent_duration_means_60_minutes() {
    check(Rule::DurationDefault, ada(json!({})), minutes(60));
}

#[test]
fn null_duration_is_absent_or_bad_request() {
    check(Rule::DurationNull, duration_text("null"), minutes(60));
    check(
        Rule::DurationNull,
        duration_text("null").flag("null-duration", "bad_request"),
        err(BadRequest),
    );
}

#[test]
fn duration_must_be_a_number() {
    for text in [r#""60""#, "true", "[60]", r#"{"m":60}"#] {
        check(Rule::DurationType, duration_text(text), err(BadRequest));
    }
}

#[test]
fn integral_float_duration_is_bad_request_or_accepted() {
    for text in ["60.0", "6e1", "6E1", "600e-1", "6.0e1"] {
        check(
            Rule::DurationIntegralFloat,
            duration_text(text),
            err(BadRequest),
        );
        check(
            Rule::DurationIntegralFloat,
            duration_text(text).flag("integral-float", "accept"),
            minutes(60),
        );
    }
    // A fraction stays bad_request under both choices.
    for text in ["60.5", "60.00000000000000001", "5e-1"] {
        check(
            Rule::DurationIntegralFloat,
            duration_text(text),
            err(BadRequest),
        );
        check(
            Rule::DurationIntegralFloat,
            duration_text(text).flag("integral-float", "accept"),
            err(BadRequest),
        );
    }
    // 1e10 is an integer beyond int32 under accept.
    check(
        Rule::DurationInt32Overflow,
        duration_text("1e10").flag("integral-float", "accept"),
        err(InvalidSessionDurationMinutes),
    );
}

#[test]
fn negative_zero_duration_is_the_integer_zero() {
    check(
        Rule::DurationNegativeZero,
        duration_text("-0"),
        err(InvalidSessionDurationMinutes),
    );
    check(
        Rule::DurationNegativeZero,
        duration_text("-0").flag("zero-duration", "absent"),
        minutes(60),
    );
}

#[test]
fn zero_duration_is_invalid_or_absent() {
    check(
        Rule::DurationZero,
        duration_text("0"),
        err(InvalidSessionDurationMinutes),
    );
    check(
        Rule::DurationZero,
        duration_text("0").flag("zero-duration", "absent"),
        minutes(60),
    );
}

#[test]
fn duration_boundaries_5_and_527040() {
    check(
        Rule::DurationRange,
        duration_text("4"),
        err(InvalidSessionDurationMinutes),
    );
    check(Rule::DurationRange, duration_text("5"), minutes(5));
    check(
        Rule::DurationRange,
        duration_text("527040"),
        minutes(527_040),
    );
    check(
        Rule::DurationRange,
        duration_text("527041"),
        err(InvalidSessionDurationMinutes),
    );
    check(
        Rule::DurationRange,
        duration_text("-5"),
        err(InvalidSessionDurationMinutes),
    );
}

#[test]
fn int32_extremes_and_overflow() {
    for text in ["2147483647", "-2147483648"] {
        check(
            Rule::DurationRange,
            duration_text(text),
            err(InvalidSessionDurationMinutes),
        );
        check(
            Rule::DurationRange,
            duration_text(text).flag("int32-overflow", "bad_request"),
            err(InvalidSessionDurationMinutes),
        );
    }
    for text in ["2147483648", "-2147483649", "99999999999999999999999"] {
        check(
            Rule::DurationInt32Overflow,
            duration_text(text),
            err(InvalidSessionDurationMinutes),
        );
        check(
            Rule::DurationInt32Overflow,
            duration_text(text).flag("int32-overflow", "bad_request"),
            err(BadRequest),
        );
    }
}

#[test]
fn duration_above_project_max_is_invalid_session_duration() {
    check(
        Rule::DurationProjectMax,
        duration_text("30").project_max(30),
        minutes(30),
    );
    check(
        Rule::DurationProjectMax,
        duration_text("31").project_max(30),
        err(InvalidSessionDuration),
    );
    // The range check comes first: 527041 is out of range whatever the project allows.
    check(
        Rule::DurationRange,
        duration_text("527041").project_max(30),
        err(InvalidSessionDurationMinutes),
    );
}

#[test]
fn default_above_project_max_is_capped_or_rejected() {
    check(
        Rule::DurationDefaultAboveProjectMax,
        ada(json!({})).project_max(30),
        minutes(30),
    );
    check(
        Rule::DurationDefaultAboveProjectMax,
        ada(json!({}))
            .project_max(30)
            .flag("default-above-project-max", "reject"),
        err(InvalidSessionDuration),
    );
    // null is absent, so the cap applies to it too.
    check(
        Rule::DurationDefaultAboveProjectMax,
        duration_text("null").project_max(5),
        minutes(5),
    );
    // With a maximum of exactly 60 the default fits.
    check(
        Rule::DurationDefault,
        ada(json!({})).project_max(60),
        minutes(60),
    );
}

// ---- Step 5: the claims -----------------------------------------------------------------

#[test]
fn claims_must_be_an_object_or_null() {
    for text in ["[]", r#""{}""#, "1", "true"] {
        check(Rule::ClaimsType, claims_text(text), err(BadRequest));
    }
    check(
        Rule::SessionCustomClaimsPresent,
        claims_text("null"),
        claims(json!({})),
    );
    check(Rule::ClaimsType, claims_text("{}"), claims(json!({})));
}

#[test]
fn claims_without_duration_apply_or_are_ignored() {
    let body = || ada(json!({"session_custom_claims": {"k": 1}}));
    check(Rule::ClaimsWithoutDuration, body(), claims(json!({"k": 1})));
    check(
        Rule::ClaimsWithoutDuration,
        body().flag("claims-without-duration", "ignore"),
        claims(json!({})),
    );
    // Ignored unread: even a reserved key under reject passes.
    check(
        Rule::ClaimsWithoutDuration,
        ada(json!({"session_custom_claims": {"iss": "x"}}))
            .flag("claims-without-duration", "ignore")
            .flag("reserved-claims", "reject"),
        claims(json!({})),
    );
    // The template still applies.
    check(
        Rule::ClaimsWithoutDuration,
        body()
            .template(json!({"t": true}))
            .flag("claims-without-duration", "ignore"),
        claims(json!({"t": true})),
    );
    // With a duration the claims apply under both choices.
    check(
        Rule::ClaimsMergeAddOverwrite,
        ada(json!({"session_duration_minutes": 5, "session_custom_claims": {"k": 1}}))
            .flag("claims-without-duration", "ignore"),
        claims(json!({"k": 1})),
    );
    // Absent is absent even when step 4 fails (the default exceeds the project maximum):
    // the claims are not examined, so only the duration error is acceptable.
    check(
        Rule::ClaimsWithoutDuration,
        ada(json!({"session_custom_claims": {"iss": 1}}))
            .project_max(30)
            .flag("default-above-project-max", "reject")
            .flag("reserved-claims", "reject")
            .flag("claims-without-duration", "ignore")
            .flag("error-precedence", "any-applicable"),
        errs(InvalidSessionDuration, &[InvalidSessionDuration]),
    );
    // 0 under zero-duration = absent counts as no duration.
    check(
        Rule::ClaimsWithoutDuration,
        ada(json!({"session_duration_minutes": 0, "session_custom_claims": {"k": 1}}))
            .flag("zero-duration", "absent")
            .flag("claims-without-duration", "ignore"),
        claims(json!({})),
    );
    // The type is still checked.
    check(
        Rule::ClaimsType,
        ada(json!({"session_custom_claims": [1]})).flag("claims-without-duration", "ignore"),
        err(BadRequest),
    );
}

#[test]
fn claims_numbers_are_doubles_or_exact_text() {
    // Overflow to infinity is unrepresentable; the largest double is fine.
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(r#"{"n":1e400}"#),
        err(UnableToRepresentCustomClaimsJson),
    );
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(r#"{"n":-1.7976931348623158e308}"#),
        claims(json!({"n": -1.7976931348623157e308})),
    );
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(r#"{"n":1e400}"#).flag("number-precision", "exact-text"),
        ok_with(|s| {
            assert_eq!(
                migrate_model::canonical::jcs(&migrate_model::Json::Object(
                    s.custom_claims.clone()
                )),
                r#"{"n":1e400}"#
            )
        }),
    );
    // Underflow becomes 0; precision loss is silent; 2^53+1 rounds to 2^53.
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(r#"{"u":1e-400,"p":9007199254740993,"s":5e-324}"#),
        claims(json!({"u": 0, "p": 9007199254740992_u64, "s": 5e-324})),
    );
    // Deep inside the value, and inside a reserved key's value, it still counts.
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(r#"{"iss":{"a":[1e999]}}"#),
        err(UnableToRepresentCustomClaimsJson),
    );
}

#[test]
fn exact_text_numbers_stay_exact_in_the_body_the_jwt_and_the_claims() {
    // Request claims and template claims alike: every place the claims appear holds the
    // number's text, not its double (`1e400` has none; 2^53+1 and `-0` would change).
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(
            r#"{"big":1e400,"odd":9007199254740993,"nz":-0,"dec":1.50,"deep":{"a":[1e400]}}"#,
        )
        .template(
            json!({"t_odd": 9_007_199_254_740_993_u64, "t_big": 18_446_744_073_709_551_615_u64}),
        )
        .flag("number-precision", "exact-text"),
        ok_with(|s| {
            let expected = [
                ("big", "1e400"),
                ("odd", "9007199254740993"),
                ("nz", "-0"),
                ("dec", "1.50"),
                ("deep", r#"{"a":[1e400]}"#),
                ("t_odd", "9007199254740993"),
                ("t_big", "18446744073709551615"),
            ];
            for (key, text) in expected {
                let places = [
                    ("custom_claims", s.custom_claims.get(key)),
                    (
                        "body",
                        s.body
                            .pointer(&format!("/member_session/custom_claims/{key}")),
                    ),
                    ("JWT payload", s.jwt.payload.get(key)),
                ];
                for (place, value) in places {
                    let value = value.unwrap_or_else(|| panic!("{key} missing from the {place}"));
                    assert_eq!(value.to_text(), text, "{key} in the {place}");
                }
            }
        }),
    );
}

#[test]
fn reserved_claims_are_ignored_or_rejected() {
    for key in ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] {
        check(
            Rule::ClaimsReserved,
            ada(json!({"session_custom_claims": {key: "x", "ok": 1}})),
            claims(json!({"ok": 1})),
        );
        check(
            Rule::ClaimsReserved,
            ada(json!({"session_custom_claims": {key: "x"}})).flag("reserved-claims", "reject"),
            err(ReservedClaimsInCustomClaims),
        );
    }
    // Even a null value is refused under reject.
    check(
        Rule::ClaimsReserved,
        ada(json!({"session_custom_claims": {"exp": null}})).flag("reserved-claims", "reject"),
        err(ReservedClaimsInCustomClaims),
    );
}

#[test]
fn ignored_reserved_claims_never_override_the_jwt() {
    let eval = check(
        Rule::ClaimsReserved,
        ada(
            json!({"session_custom_claims": {"exp": 1, "sub": "evil", "https://stytch.com/session": {}}}),
        ),
        claims(json!({})),
    );
    let s = eval.outcome.success().expect("success");
    assert_eq!(s.jwt.payload["sub"], "member-ada");
    assert_eq!(s.jwt.payload["exp"], common::NOW + 300);
    assert_eq!(
        s.jwt.payload["https://stytch.com/session"]["id"],
        "{{member_session_id}}"
    );
}

#[test]
fn stytch_namespace_is_treated_like_reserved() {
    for key in [
        "https://stytch.com/session",
        "https://stytch.com/",
        "https://stytch.com/x/y",
    ] {
        check(
            Rule::ClaimsStytchNamespace,
            ada(json!({"session_custom_claims": {key: 1, "k": 2}})),
            claims(json!({"k": 2})),
        );
        check(
            Rule::ClaimsStytchNamespace,
            ada(json!({"session_custom_claims": {key: 1}})).flag("reserved-claims", "reject"),
            err(StytchClaimsInCustomClaims),
        );
    }
    // A reserved key is reported before a namespaced one.
    check(
        Rule::ClaimsReserved,
        ada(json!({"session_custom_claims": {"https://stytch.com/a": 1, "iat": 2}}))
            .flag("reserved-claims", "reject"),
        err(ReservedClaimsInCustomClaims),
    );
}

#[test]
fn reserved_names_count_only_exactly_and_at_the_top_level() {
    let ordinary = json!({
        "ISS": 1,
        "https://stytch.com": 2,
        "https://stytch.community/x": 3,
        "HTTPS://STYTCH.COM/x": 4,
        "nested": {"iss": 5, "https://stytch.com/session": 6},
    });
    for choice in ["ignore", "reject"] {
        check(
            Rule::ClaimsReservedTopLevelOnly,
            ada(json!({"session_custom_claims": ordinary})).flag("reserved-claims", choice),
            claims(ordinary.clone()),
        );
    }
}

// ---- Step 9: template and merge ---------------------------------------------------------

#[test]
fn template_gives_the_initial_claims() {
    check(
        Rule::ClaimsTemplateBase,
        ada(json!({})).template(json!({"plan": "pro", "n": 1})),
        claims(json!({"plan": "pro", "n": 1})),
    );
    check(
        Rule::ClaimsTemplateBase,
        ada(json!({"session_custom_claims": {"n": 2, "k": true}}))
            .template(json!({"plan": "pro", "n": 1})),
        claims(json!({"plan": "pro", "n": 2, "k": true})),
    );
}

#[test]
fn template_reserved_keys_are_dropped_under_both_choices() {
    for choice in ["ignore", "reject"] {
        check(
            Rule::ClaimsTemplateReservedDropped,
            ada(json!({}))
                .template(json!({"iss": "t", "https://stytch.com/organization": 1, "k": 1}))
                .flag("reserved-claims", choice),
            claims(json!({"k": 1})),
        );
    }
}

#[test]
fn template_nulls_are_dropped() {
    check(
        Rule::ClaimsTemplateNullsDropped,
        ada(json!({})).template(json!({"a": null, "b": {"c": null, "d": 1}})),
        claims(json!({"b": {"d": 1}})),
    );
    check(
        Rule::ClaimsTemplateNullsDropped,
        ada(json!({}))
            .template(json!({"a": null, "b": {"c": null}}))
            .flag("empty-object-after-delete", "remove"),
        claims(json!({})),
    );
}

#[test]
fn a_new_value_adds_or_overwrites() {
    check(
        Rule::ClaimsMergeAddOverwrite,
        ada(json!({"session_custom_claims": {"a": 2, "b": "x", "c": {"d": 1}}}))
            .template(json!({"a": 1, "c": 7})),
        claims(json!({"a": 2, "b": "x", "c": {"d": 1}})),
    );
}

#[test]
fn null_deletes_a_top_level_key() {
    check(
        Rule::ClaimsMergeNullDeletes,
        ada(json!({"session_custom_claims": {"a": null, "missing": null}}))
            .template(json!({"a": 1, "b": 2})),
        claims(json!({"b": 2})),
    );
}

#[test]
fn nested_objects_merge_deeply() {
    check(
        Rule::ClaimsMergeDeep,
        ada(json!({"session_custom_claims": {"o": {"b": 2, "n": {"y": 2}}}}))
            .template(json!({"o": {"a": 1, "n": {"x": 1}}})),
        claims(json!({"o": {"a": 1, "b": 2, "n": {"x": 1, "y": 2}}})),
    );
}

#[test]
fn null_deletes_nested_key() {
    check(
        Rule::ClaimsMergeNullDeletesNested,
        ada(json!({"session_custom_claims": {"o": {"a": null, "n": {"x": null}}}}))
            .template(json!({"o": {"a": 1, "b": 2, "n": {"x": 1, "y": 2}}})),
        claims(json!({"o": {"b": 2, "n": {"y": 2}}})),
    );
}

#[test]
fn arrays_are_replaced_whole_and_nulls_in_them_are_values() {
    check(
        Rule::ClaimsMergeArraysReplaced,
        ada(json!({"session_custom_claims": {"a": [null, {"x": null}], "b": []}}))
            .template(json!({"a": [1, 2, 3], "b": [4]})),
        claims(json!({"a": [null, {"x": null}], "b": []})),
    );
    // An object over an array replaces it and is merged into {}.
    check(
        Rule::ClaimsMergeIntoEmpty,
        ada(json!({"session_custom_claims": {"a": {"x": null, "y": 1}}}))
            .template(json!({"a": [1]})),
        claims(json!({"a": {"y": 1}})),
    );
}

#[test]
fn object_with_nothing_to_merge_into_loses_its_nulls() {
    check(
        Rule::ClaimsMergeIntoEmpty,
        ada(json!({"session_custom_claims": {"new": {"a": null, "b": {"c": null, "d": 1}}}}))
            .template(json!({"scalar": 1})),
        claims(json!({"scalar": 1, "new": {"b": {"d": 1}}})),
    );
    check(
        Rule::ClaimsMergeIntoEmpty,
        ada(json!({"session_custom_claims": {"scalar": {"a": null}}}))
            .template(json!({"scalar": 1})),
        claims(json!({"scalar": {}})),
    );
}

#[test]
fn empty_object_after_delete_is_kept_or_removed() {
    let case = || {
        ada(json!({"session_custom_claims": {"e": {"x": null}, "f": {"g": {"h": null}}}}))
            .template(json!({"e": {"x": 1}, "f": {"g": {"h": 1}, "k": 1}}))
    };
    check(
        Rule::ClaimsMergeEmptyObjectAfterDelete,
        case(),
        claims(json!({"e": {}, "f": {"g": {}, "k": 1}})),
    );
    check(
        Rule::ClaimsMergeEmptyObjectAfterDelete,
        case().flag("empty-object-after-delete", "remove"),
        claims(json!({"f": {"k": 1}})),
    );
    // An explicit {} in the template that the update's nulls touch was not emptied by them.
    check(
        Rule::ClaimsMergeDeep,
        ada(json!({"session_custom_claims": {"t": {"x": null}}}))
            .template(json!({"t": {}}))
            .flag("empty-object-after-delete", "remove"),
        claims(json!({"t": {}})),
    );
    // Removal goes upwards; a new object of only nulls counts; an explicit {} is kept.
    check(
        Rule::ClaimsMergeEmptyObjectAfterDelete,
        ada(json!({"session_custom_claims": {"a": {"b": {"c": null}}, "n": {"m": null}, "z": {}}}))
            .template(json!({"a": {"b": {"c": 1}}, "t": {}}))
            .flag("empty-object-after-delete", "remove"),
        claims(json!({"z": {}, "t": {}})),
    );
}

// ---- Step 9: the size limit -------------------------------------------------------------

/// Claims `{"k":"xxx…"}` whose JCS size is exactly `size` bytes (`{"k":""}` is 8).
fn sized(size: usize) -> serde_json::Value {
    json!({"k": "x".repeat(size - 8)})
}

#[test]
fn claims_size_4096_is_fine_and_4097_too_large() {
    let with = |v| ada(json!({"session_custom_claims": v}));
    check(Rule::ClaimsSizeLimit, with(sized(4096)), ok());
    check(
        Rule::ClaimsSizeLimit,
        with(sized(4097)),
        err(CustomClaimsTooLarge),
    );
    check(
        Rule::ClaimsSizeLimit,
        with(sized(4000)).flag("claims-size-limit", "4000"),
        ok(),
    );
    check(
        Rule::ClaimsSizeLimit,
        with(sized(4001)).flag("claims-size-limit", "4000"),
        err(CustomClaimsTooLarge),
    );
}

#[test]
fn claims_size_is_measured_after_the_merge() {
    // Template and update are each within the limit, the union is not.
    let half = "x".repeat(2100);
    check(
        Rule::ClaimsSizeLimit,
        ada(json!({"session_custom_claims": {"b": half}})).template(json!({"a": half})),
        err(CustomClaimsTooLarge),
    );
    // A large template value deleted by the update leaves room.
    let big = "x".repeat(5000);
    check(
        Rule::ClaimsSizeLimit,
        ada(json!({"session_custom_claims": {"a": null}})).template(json!({"a": big, "b": 1})),
        claims(json!({"b": 1})),
    );
}

#[test]
fn claims_size_measure_jcs_or_go() {
    // Each '<' is 1 byte in JCS and 6 (\u003c) in Go.
    let lt = |n: usize| json!({"k": format!("{}{}", "<".repeat(n), "x".repeat(4088 - n))});
    check(
        Rule::ClaimsSizeMeasure,
        ada(json!({"session_custom_claims": lt(1)})),
        ok(),
    );
    check(
        Rule::ClaimsSizeMeasure,
        ada(json!({"session_custom_claims": lt(1)})).flag("claims-size-measure", "go-json"),
        err(CustomClaimsTooLarge),
    );
    // Exactly 4096 and 4097 under the Go measure: 4088 - 5*n + 6*n... n '<' add 5 bytes each.
    let go = |extra: usize| json!({"k": format!("{}{}", "&".repeat(2), "x".repeat(4088 - 10 + extra - 2))});
    check(
        Rule::ClaimsSizeMeasure,
        ada(json!({"session_custom_claims": go(0)})).flag("claims-size-measure", "go-json"),
        ok(),
    );
    check(
        Rule::ClaimsSizeMeasure,
        ada(json!({"session_custom_claims": go(1)})).flag("claims-size-measure", "go-json"),
        err(CustomClaimsTooLarge),
    );
}

#[test]
fn negative_zero_claim_is_0_in_jcs_and_minus_0_in_go() {
    // {"k":"xx…","z":-0}: JCS writes 0, Go -0, one byte apart at the boundary.
    let text = |pad: usize| format!(r#"{{"k":"{}","z":-0}}"#, "x".repeat(pad));
    // JCS: {"k":""} (8) + ,"z":0 (6) = 14 + pad.
    check(
        Rule::ClaimsSizeNegativeZero,
        claims_text(&text(4096 - 14)),
        ok(),
    );
    check(
        Rule::ClaimsSizeNegativeZero,
        claims_text(&text(4096 - 14)).flag("claims-size-measure", "go-json"),
        err(CustomClaimsTooLarge),
    );
    check(
        Rule::ClaimsSizeNegativeZero,
        claims_text(&text(4096 - 15)).flag("claims-size-measure", "go-json"),
        ok(),
    );
}

#[test]
fn exact_text_numbers_are_measured_as_written() {
    // "1.0000" is 6 bytes as text, 1 as a double.
    let text = |pad: usize| format!(r#"{{"k":"{}","n":1.0000}}"#, "x".repeat(pad));
    // As a double: {"k":""} (8) + ,"n":1 (6) = 14 + pad.
    check(Rule::ClaimsSizeLimit, claims_text(&text(4096 - 14)), ok());
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(&text(4096 - 14)).flag("number-precision", "exact-text"),
        err(CustomClaimsTooLarge),
    );
    check(
        Rule::ClaimsNumberPrecision,
        claims_text(&text(4096 - 19)).flag("number-precision", "exact-text"),
        ok(),
    );
}

// ---- Step 6: the organization -----------------------------------------------------------

#[test]
fn organization_by_id_slug_or_external_id() {
    let at = |org: &str| req(json!({"session_token": "tok-del", "organization_id": org}));
    check(
        Rule::OrgById,
        at("organization-test-delta"),
        member_is("member-del"),
    );
    check(Rule::OrgBySlug, at("Delta"), member_is("member-del"));
    check(
        Rule::OrgByExternalId,
        at("ext-delta"),
        member_is("member-del"),
    );
}

#[test]
fn id_wins_over_another_organizations_slug() {
    // "organization-test-beta" is beta's id and gamma's slug: the id wins in both orders.
    for order in ["id-slug-external", "id-external-slug"] {
        check(
            Rule::OrgLookupOrder,
            req(json!({"session_token": "tok-ada", "organization_id": "organization-test-beta"}))
                .flag("org-lookup-order", order),
            member_is("member-ada-beta"),
        );
    }
}

#[test]
fn slug_versus_external_id_follows_the_lookup_order() {
    // "acme" is acme's slug and beta's external id.
    let case = || req(json!({"session_token": "tok-ada", "organization_id": "acme"}));
    check(Rule::OrgLookupOrder, case(), member_is("member-ada"));
    check(
        Rule::OrgLookupOrder,
        case().flag("org-lookup-order", "id-external-slug"),
        member_is("member-ada-beta"),
    );
}

#[test]
fn slug_case_is_exact_or_ascii_insensitive() {
    let case = || req(json!({"session_token": "tok-del", "organization_id": "DELTA"}));
    check(Rule::OrgSlugCase, case(), err(OrganizationNotFound));
    check(
        Rule::OrgSlugCase,
        case().flag("slug-case", "ascii-insensitive"),
        member_is("member-del"),
    );
}

#[test]
fn ids_and_external_ids_match_exactly() {
    for value in ["ORGANIZATION-TEST-DELTA", "EXT-DELTA"] {
        for choice in ["exact", "ascii-insensitive"] {
            check(
                Rule::OrgIdsExact,
                req(json!({"session_token": "tok-del", "organization_id": value}))
                    .flag("slug-case", choice),
                err(OrganizationNotFound),
            );
        }
    }
}

#[test]
fn unknown_organization_is_not_found_with_status_404() {
    let eval = check(
        Rule::OrgNotFound,
        req(json!({"session_token": "tok-ada", "organization_id": "nope"})),
        err(OrganizationNotFound),
    );
    assert_eq!(eval.outcome.error().map(|e| e.status_code()), Some(404));
}

// ---- Step 7: UserInfo -------------------------------------------------------------------

fn token(t: &str) -> common::Case {
    req(json!({"session_token": t, "organization_id": "organization-test-acme"}))
}

#[test]
fn unreachable_userinfo_is_unexpected_response() {
    check(
        Rule::UserinfoUnreachable,
        token("tok-unreachable"),
        err(MigrateFromExternalUnexpectedResponse),
    );
}

#[test]
fn non_2xx_userinfo_is_unexpected_response() {
    for t in ["tok-500", "tok-302"] {
        check(
            Rule::UserinfoNon2xx,
            token(t),
            err(MigrateFromExternalUnexpectedResponse),
        );
    }
}

#[test]
fn unknown_token_gets_401_from_userinfo() {
    check(
        Rule::UserinfoUnknownToken,
        token("tok-never-issued"),
        err(MigrateFromExternalUnexpectedResponse),
    );
}

#[test]
fn userinfo_body_must_be_a_json_object() {
    for t in ["tok-204", "tok-html", "tok-array", "tok-bom", "tok-lone"] {
        check(
            Rule::UserinfoBody,
            token(t),
            err(MigrateFromExternalUnexpectedResponse),
        );
    }
}

#[test]
fn userinfo_body_follows_the_request_parsing_policies() {
    check(
        Rule::UserinfoBody,
        token("tok-lone").flag("lone-surrogate", "replace"),
        member_is("member-ada"),
    );
    check(
        Rule::UserinfoBody,
        token("tok-dup-email"),
        member_is("member-ada"),
    );
    check(
        Rule::UserinfoBody,
        token("tok-dup-email").flag("duplicate-keys", "bad_request"),
        err(MigrateFromExternalUnexpectedResponse),
    );
}

#[test]
fn userinfo_without_a_valid_email_is_missing_userinfo() {
    for t in [
        "tok-no-email",
        "tok-email-number",
        "tok-email-empty",
        "tok-email-two-at",
        "tok-email-no-local",
        "tok-email-no-domain",
        "tok-email-space",
        "tok-email-nbsp",
    ] {
        check(
            Rule::UserinfoEmail,
            token(t),
            err(MigrateFromExternalMissingUserinfo),
        );
    }
}

#[test]
fn unverified_email_is_accepted_or_missing_userinfo() {
    for t in ["tok-unverified", "tok-unverified-str"] {
        check(
            Rule::UserinfoEmailVerified,
            token(t),
            member_is("member-ada"),
        );
        check(
            Rule::UserinfoEmailVerified,
            token(t).flag("unverified-email", "reject"),
            err(MigrateFromExternalMissingUserinfo),
        );
    }
    // Any other value is accepted under both choices.
    check(
        Rule::UserinfoEmail,
        token("tok-verified-0").flag("unverified-email", "reject"),
        member_is("member-ada"),
    );
}

// ---- Step 8: the member -----------------------------------------------------------------

#[test]
fn email_must_match_an_existing_member() {
    check(
        Rule::MemberMustExist,
        token("tok-nobody"),
        err(MigrateFromExternalEmailDoesNotExist),
    );
}

#[test]
fn member_of_another_organization_does_not_match() {
    // zed exists only in beta.
    check(
        Rule::MemberMustExist,
        token("tok-zed"),
        err(MigrateFromExternalEmailDoesNotExist),
    );
}

#[test]
fn email_case_is_ascii_insensitive_or_exact() {
    check(
        Rule::MemberEmailCase,
        token("tok-ada-upper"),
        member_is("member-ada"),
    );
    check(
        Rule::MemberEmailCase,
        token("tok-bob-lower"),
        member_is("member-bob"),
    );
    check(
        Rule::MemberEmailCase,
        token("tok-bob-lower").flag("email-case", "exact"),
        err(MigrateFromExternalEmailDoesNotExist),
    );
    check(
        Rule::MemberMustExist,
        token("tok-bob").flag("email-case", "exact"),
        member_is("member-bob"),
    );
}

#[test]
fn member_status_allows_pending_and_invited_or_active_only() {
    for (t, id) in [("tok-pat", "member-pat"), ("tok-ivy", "member-ivy")] {
        check(Rule::MemberStatus, token(t), member_is(id));
        check(
            Rule::MemberStatus,
            token(t).flag("member-status", "active-only"),
            err(MigrateFromExternalEmailDoesNotExist),
        );
    }
    check(
        Rule::MemberMustExist,
        token("tok-ada").flag("member-status", "active-only"),
        member_is("member-ada"),
    );
}

#[test]
fn deleted_member_never_matches() {
    for choice in ["active-pending-invited", "active-only"] {
        check(
            Rule::MemberStatus,
            token("tok-dee").flag("member-status", choice),
            err(MigrateFromExternalEmailDoesNotExist),
        );
    }
}

// ---- Step 10: the session and the response ----------------------------------------------

#[test]
fn session_expires_duration_minutes_from_now() {
    check(
        Rule::SessionExpiry,
        duration_text("527040"),
        ok_with(|s| {
            assert_eq!(s.expires_at, common::NOW + 527_040 * 60);
            assert_eq!(
                s.body["member_session"]["expires_at"],
                "2024-11-14T22:13:20Z"
            );
        }),
    );
}

#[test]
fn session_starts_now_and_timestamps_are_whole_seconds_utc() {
    check(
        Rule::SessionTimestampFormat,
        duration_text("5"),
        ok_with(|s| {
            let ms = &s.body["member_session"];
            assert_eq!(ms["started_at"], "2023-11-14T22:13:20Z");
            assert_eq!(ms["last_accessed_at"], "2023-11-14T22:13:20Z");
            assert_eq!(ms["expires_at"], "2023-11-14T22:18:20Z");
        }),
    );
    check(
        Rule::SessionStartedNow,
        ada(json!({})),
        ok_with(|s| assert_eq!(s.started_at, common::NOW)),
    );
}

#[test]
fn session_records_one_imported_factor() {
    check(
        Rule::SessionAuthFactor,
        ada(json!({})),
        ok_with(|s| {
            assert_eq!(
                s.body["member_session"]["authentication_factors"],
                json!([{"type": "imported", "delivery_method": "imported_auth0", "last_authenticated_at": "2023-11-14T22:13:20Z"}])
            );
        }),
    );
}

#[test]
fn session_roles_are_the_members_role_ids_in_order() {
    check(
        Rule::SessionRoles,
        ada(json!({})),
        ok_with(|s| {
            assert_eq!(
                s.body["member_session"]["roles"],
                json!(["stytch_member", "admin"])
            );
            assert_eq!(
                s.jwt.payload["https://stytch.com/session"]["roles"],
                json!(["stytch_member", "admin"])
            );
            assert_eq!(s.body["member"]["roles"][1]["role_id"], "admin");
        }),
    );
}

#[test]
fn pending_and_invited_members_come_back_active() {
    for t in ["tok-pat", "tok-ivy"] {
        check(
            Rule::SessionMemberActive,
            token(t),
            ok_with(|s| {
                assert_ne!(s.member_status_before, migrate_model::MemberStatus::Active);
                assert_eq!(s.body["member"]["status"], "active");
            }),
        );
    }
}

#[test]
fn response_carries_member_organization_and_session() {
    check(
        Rule::ResponseShape,
        ada(json!({})),
        ok_with(|s| {
            assert_eq!(s.body["status_code"], 200);
            assert_eq!(s.body["member_id"], "member-ada");
            assert_eq!(s.body["member"]["email_address"], "ada@acme.test");
            assert_eq!(s.body["organization"]["organization_slug"], "acme");
            assert_eq!(
                s.body["organization"]["organization_external_id"],
                "ext-acme"
            );
            assert_eq!(
                s.body["member_session"]["organization_id"],
                "organization-test-acme"
            );
            assert_eq!(s.body["session_token"], "{{session_token}}");
            assert_eq!(s.external_session_token, "tok-ada");
        }),
    );
}

#[test]
fn jwt_header_is_rs256_jwt_with_a_key_id() {
    check(
        Rule::JwtHeader,
        ada(json!({})),
        ok_with(|s| {
            assert_eq!(
                s.jwt.header,
                json!({"alg": "RS256", "typ": "JWT", "kid": "{{kid}}"})
            );
            let slots = migrate_model::ExpectedJwt::header_slots();
            assert_eq!(slots[0].pointer, "/kid");
        }),
    );
}

#[test]
fn jwt_registered_claims() {
    check(
        Rule::JwtRegisteredClaims,
        ada(json!({})),
        ok_with(|s| {
            let p = &s.jwt.payload;
            assert_eq!(p["iss"], "stytch.com/project-test-11111111");
            assert_eq!(p["aud"], json!(["project-test-11111111"]));
            assert_eq!(p["sub"], "member-ada");
            assert_eq!(p["iat"], common::NOW);
            assert_eq!(p["nbf"], common::NOW);
        }),
    );
}

#[test]
fn jwt_lives_five_minutes_whatever_the_session() {
    for d in ["5", "527040"] {
        check(
            Rule::JwtLifetime,
            duration_text(d),
            ok_with(|s| assert_eq!(s.jwt.payload["exp"], common::NOW + 300)),
        );
    }
}

#[test]
fn jwt_carries_stytch_session_and_organization_claims() {
    check(
        Rule::JwtStytchClaims,
        ada(json!({})),
        ok_with(|s| {
            let session = &s.jwt.payload["https://stytch.com/session"];
            assert_eq!(session["id"], "{{member_session_id}}");
            assert_eq!(session["started_at"], "2023-11-14T22:13:20Z");
            assert_eq!(session["expires_at"], "2023-11-14T23:13:20Z");
            assert_eq!(
                session["attributes"],
                json!({"ip_address": "", "user_agent": ""})
            );
            assert_eq!(
                s.jwt.payload["https://stytch.com/organization"],
                json!({"organization_id": "organization-test-acme", "slug": "acme"})
            );
        }),
    );
}

#[test]
fn custom_claims_sit_at_the_top_level_of_the_jwt() {
    check(
        Rule::JwtCustomClaimsTopLevel,
        ada(json!({"session_custom_claims": {"role": "x", "o": {"iss": 1}}})),
        ok_with(|s| {
            assert_eq!(s.jwt.payload["role"], "x");
            assert_eq!(s.jwt.payload["o"], json!({"iss": 1}));
            assert_eq!(s.jwt.payload["iss"], "stytch.com/project-test-11111111");
        }),
    );
}

#[test]
fn empty_claims_are_present_as_an_empty_object() {
    check(
        Rule::SessionCustomClaimsPresent,
        ada(json!({})),
        ok_with(|s| assert_eq!(s.body["member_session"]["custom_claims"], json!({}))),
    );
}

// ---- Errors and precedence --------------------------------------------------------------

#[test]
fn error_status_codes() {
    let eval = check(
        Rule::ErrorEnvelope,
        ada(json!({"session_duration_minutes": 1})),
        err(InvalidSessionDurationMinutes),
    );
    let e = eval.outcome.error().expect("error");
    assert_eq!(e.status_code(), 400);
    assert_eq!(
        e.envelope()["error_type"],
        "invalid_session_duration_minutes"
    );
    assert_eq!(e.envelope()["status_code"], 400);
    for t in migrate_model::ErrorType::ALL {
        let want = if *t == OrganizationNotFound { 404 } else { 400 };
        assert_eq!(t.status_code(), want, "{t}");
    }
}

#[test]
fn several_faults_follow_the_evaluation_order_or_any_applicable() {
    // Bad duration (step 4), reserved claim under reject (step 5), unknown organization
    // (step 6), unknown token (step 7).
    let case = || {
        req(json!({
            "session_token": "tok-never-issued",
            "organization_id": "nope",
            "session_duration_minutes": 4,
            "session_custom_claims": {"iss": 1},
        }))
        .flag("reserved-claims", "reject")
    };
    check(
        Rule::ErrorPrecedence,
        case(),
        errs(
            InvalidSessionDurationMinutes,
            &[InvalidSessionDurationMinutes],
        ),
    );
    check(
        Rule::ErrorPrecedence,
        case().flag("error-precedence", "any-applicable"),
        errs(
            InvalidSessionDurationMinutes,
            &[
                InvalidSessionDurationMinutes,
                ReservedClaimsInCustomClaims,
                OrganizationNotFound,
                MigrateFromExternalUnexpectedResponse,
            ],
        ),
    );
}

#[test]
fn any_applicable_respects_step_inputs() {
    // No token: step 7 (and so step 8) has no input; the organization is still looked up.
    check(
        Rule::ErrorPrecedence,
        req(json!({"organization_id": "nope"})).flag("error-precedence", "any-applicable"),
        errs(BadRequest, &[BadRequest, OrganizationNotFound]),
    );
    // A bad body has nothing else.
    check(
        Rule::BodyJsonGrammar,
        raw_body(b"{").flag("error-precedence", "any-applicable"),
        errs(BadRequest, &[BadRequest]),
    );
    // Step 9 needs steps 1-5: a bad duration hides the oversized claims.
    check(
        Rule::DurationType,
        ada(json!({"session_duration_minutes": "5", "session_custom_claims": sized(5000)}))
            .flag("error-precedence", "any-applicable"),
        errs(BadRequest, &[BadRequest]),
    );
    // Step 8 needs steps 6 and 7: an unknown member with an unknown org reports only the org.
    check(
        Rule::ErrorPrecedence,
        req(json!({"session_token": "tok-nobody", "organization_id": "nope", "session_custom_claims": sized(5000)}))
            .flag("error-precedence", "any-applicable"),
        errs(OrganizationNotFound, &[OrganizationNotFound, CustomClaimsTooLarge]),
    );
}

#[test]
fn member_fault_precedes_claims_size() {
    check(
        Rule::ErrorPrecedence,
        req(
            json!({"session_token": "tok-nobody", "organization_id": "acme", "session_custom_claims": sized(5000)}),
        ),
        err(MigrateFromExternalEmailDoesNotExist),
    );
    // And the UserInfo fault precedes the member's.
    check(
        Rule::ErrorPrecedence,
        req(json!({"session_token": "tok-unreachable", "organization_id": "acme", "session_custom_claims": sized(5000)}))
            .flag("error-precedence", "any-applicable"),
        errs(
            MigrateFromExternalUnexpectedResponse,
            &[MigrateFromExternalUnexpectedResponse, CustomClaimsTooLarge],
        ),
    );
}

#[test]
fn failure_changes_nothing() {
    // The model is pure: evaluating a failing call and then a good one for the same pending
    // member gives the same success as the good one alone, and the member was pending before.
    let model = migrate_model::Model::new(common::world()).expect("valid world");
    let policy = migrate_model::Policy::default();
    let bad =
        br#"{"session_token":"tok-pat","organization_id":"acme","session_duration_minutes":1}"#;
    let good = br#"{"session_token":"tok-pat","organization_id":"acme"}"#;
    let alone = model
        .migrate(common::NOW, &policy, good)
        .expect("evaluates");
    let failed = model.migrate(common::NOW, &policy, bad).expect("evaluates");
    assert!(failed.trace.contains(Rule::FailureChangesNothing));
    let after = model
        .migrate(common::NOW, &policy, good)
        .expect("evaluates");
    assert_eq!(alone, after);
    assert_eq!(
        after.outcome.success().map(|s| s.member_status_before),
        Some(migrate_model::MemberStatus::Pending)
    );
}
