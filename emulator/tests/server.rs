//! The emulator over real HTTP: credentials, routes, the error envelope, hostile bodies, the
//! organization and member API, and the UserInfo call to a real HTTP endpoint.

mod common;

use common::{settings, start, Client, UserInfoStub};
use migrate_emulator::Emulator;
use serde_json::{json, Value};

fn ada() -> Value {
    json!({"session_token": "tok-ada", "organization_id": "organization-test-acme"})
}

// ---- Credentials ------------------------------------------------------------------------

#[test]
fn migrate_succeeds_with_the_project_credentials() {
    let emulator = start();
    let answer = Client::of(&emulator).migrate(&ada());
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["member_id"], "member-test-ada");
    assert_eq!(
        answer.body["member_session"]["custom_claims"],
        json!({"plan": "free"})
    );
}

#[test]
fn every_bad_credential_is_401_unauthorized_credentials() {
    let emulator = start();
    let project = emulator.project_id().to_owned();
    let cases: Vec<(&str, Option<(&str, &str)>)> = vec![
        ("no Authorization header", None),
        ("a wrong secret", Some((&project, "secret-test-wrong"))),
        ("an empty secret", Some((&project, ""))),
        (
            "another project",
            Some(("project-test-other", emulator.secret())),
        ),
        (
            "the secret with a suffix",
            Some((&project, "secret-test-emulator-testsX")),
        ),
    ];
    for (what, credentials) in cases {
        let answer = Client::new(&emulator.url(), credentials).migrate(&ada());
        assert_eq!(answer.status, 401, "{what}: {}", answer.body);
        assert_eq!(answer.error_type(), "unauthorized_credentials", "{what}");
    }
    for header in ["Bearer abc", "Basic !!!not-base64", "Basic", "Digest x"] {
        let mut client = Client::of(&emulator);
        client.auth = Some(header.to_owned());
        let answer = client.migrate(&ada());
        assert_eq!(answer.status, 401, "{header}");
        assert_eq!(answer.error_type(), "unauthorized_credentials", "{header}");
    }
}

#[test]
fn credentials_are_checked_before_the_body() {
    let emulator = start();
    let answer = Client::new(&emulator.url(), None).send(
        "POST",
        "/v1/b2b/sessions/migrate",
        Some(b"not json"),
    );
    assert_eq!(answer.status, 401);
}

#[test]
fn the_management_routes_need_credentials_and_the_jwks_does_not() {
    let emulator = start();
    let anonymous = Client::new(&emulator.url(), None);
    for (method, path) in [
        ("POST", "/v1/b2b/organizations"),
        ("GET", "/v1/b2b/organizations/organization-test-acme"),
        (
            "POST",
            "/v1/b2b/organizations/organization-test-acme/members",
        ),
        (
            "GET",
            "/v1/b2b/organizations/organization-test-acme/member?member_id=member-test-ada",
        ),
        ("POST", "/v1/b2b/organizations/members/search"),
        (
            "GET",
            "/v1/b2b/organizations/members/dangerously_get/member-test-ada",
        ),
    ] {
        let answer = anonymous.send(method, path, Some(b"{}"));
        assert_eq!(answer.status, 401, "{method} {path}");
        assert_eq!(answer.error_type(), "unauthorized_credentials");
    }
    let jwks = anonymous.get(&format!("/v1/b2b/sessions/jwks/{}", emulator.project_id()));
    assert_eq!(jwks.status, 200, "{}", jwks.body);
}

// ---- Routes and the envelope --------------------------------------------------------------

#[test]
fn unknown_routes_and_methods_answer_in_the_envelope() {
    let emulator = start();
    let client = Client::of(&emulator);
    for path in [
        "/",
        "/v1/b2b/sessions",
        "/v1/b2b/sessions/migrate/extra",
        "/v2/x",
        "/_conformance/world",
    ] {
        let answer = client.get(path);
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.error_type(), "route_not_found", "{path}");
    }
    for (method, path) in [
        ("GET", "/v1/b2b/sessions/migrate"),
        ("PUT", "/v1/b2b/sessions/migrate"),
        ("DELETE", "/v1/b2b/organizations"),
        ("POST", "/v1/b2b/sessions/jwks/x"),
    ] {
        let answer = client.send(method, path, None);
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.error_type(), "method_not_allowed", "{method} {path}");
    }
}

#[test]
fn a_query_string_or_trailing_slash_reaches_the_route() {
    let emulator = start();
    let client = Client::of(&emulator);
    for path in [
        "/v1/b2b/sessions/migrate/",
        "/v1/b2b/sessions/migrate?session_token=ignored",
        "/v1/b2b/sessions/migrate/?a=b",
    ] {
        let answer = client.post(path, &ada());
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    }
}

#[test]
fn errors_of_the_call_are_stytch_envelopes() {
    let emulator = start();
    let client = Client::of(&emulator);
    let cases = [
        (json!({"organization_id": "acme"}), 400, "bad_request"),
        (
            json!({"session_token": "tok-ada", "organization_id": "nope"}),
            404,
            "organization_not_found",
        ),
        (
            json!({"session_token": "tok-nobody", "organization_id": "acme"}),
            400,
            "migrate_from_external_email_does_not_exist",
        ),
        (
            json!({"session_token": "tok-unknown", "organization_id": "acme"}),
            400,
            "migrate_from_external_unexpected_response",
        ),
        (
            json!({"session_token": "tok-ada", "organization_id": "acme", "session_duration_minutes": 4}),
            400,
            "invalid_session_duration_minutes",
        ),
    ];
    for (body, status, error_type) in cases {
        let answer = client.migrate(&body);
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        assert_eq!(answer.error_type(), error_type, "{body}");
    }
}

// ---- Hostile bodies -----------------------------------------------------------------------

#[test]
fn hostile_bodies_get_a_clean_4xx_envelope_and_the_server_lives_on() {
    let emulator = start();
    let client = Client::of(&emulator);
    let ten_megabytes = {
        let mut body = br#"{"session_token":"tok-ada","organization_id":"acme","x":""#.to_vec();
        body.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
        body.extend_from_slice(b"\"}");
        body
    };
    let deep = {
        let mut body = br#"{"session_token":"tok-ada","organization_id":"acme","x":"#.to_vec();
        body.extend(std::iter::repeat_n(b'[', 100_000));
        body.extend(std::iter::repeat_n(b']', 100_000));
        body.push(b'}');
        body
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("10 MB", ten_megabytes, 413, "request_too_large"),
        ("100 000 levels deep", deep, 400, "bad_request"),
        (
            "invalid UTF-8",
            b"{\"session_token\":\"\xff\xfe\"}".to_vec(),
            400,
            "bad_request",
        ),
        (
            "a byte order mark",
            b"\xef\xbb\xbf{}".to_vec(),
            400,
            "bad_request",
        ),
        ("empty", Vec::new(), 400, "bad_request"),
        (
            "not JSON",
            b"session_token=tok-ada".to_vec(),
            400,
            "bad_request",
        ),
        (
            "a NUL byte",
            b"{\"session_token\":\"a\0\"}".to_vec(),
            400,
            "bad_request",
        ),
    ];
    for (what, body, status, error_type) in cases {
        let answer = client.send("POST", "/v1/b2b/sessions/migrate", Some(&body));
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_eq!(answer.error_type(), error_type, "{what}");
    }
    // The same hostile bodies on the management routes.
    for path in [
        "/v1/b2b/organizations",
        "/v1/b2b/organizations/members/search",
    ] {
        let mut deep = vec![b'['; 100_000];
        deep.extend(std::iter::repeat_n(b']', 100_000));
        let answer = client.send("POST", path, Some(&deep));
        assert_eq!(answer.status, 400, "{path}");
        assert_eq!(answer.error_type(), "bad_request");
    }
    assert_eq!(
        client.migrate(&ada()).status,
        200,
        "the server still answers"
    );
}

// ---- The JWKS -------------------------------------------------------------------------------

#[test]
fn the_jwks_has_every_field_the_official_schema_requires_and_verifies_the_jwt() {
    let emulator = start();
    let client = Client::of(&emulator);
    let jwks = client.get(&format!("/v1/b2b/sessions/jwks/{}", emulator.project_id()));
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.body["status_code"], 200);
    assert!(jwks.body["request_id"].is_string());
    let key = &jwks.body["keys"][0];
    for field in [
        "kty", "use", "key_ops", "alg", "kid", "x5c", "x5tS256", "n", "e",
    ] {
        assert!(!key[field].is_null(), "the key lacks {field}: {key}");
    }
    assert_eq!(key["key_ops"], json!(["verify"]));
    // x5c holds a certificate over the same key, and x5tS256 is its thumbprint.
    {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        use base64::Engine as _;
        use sha2::Digest as _;
        let certificate = STANDARD
            .decode(key["x5c"][0].as_str().expect("a certificate"))
            .expect("standard base64");
        let modulus = URL_SAFE_NO_PAD
            .decode(key["n"].as_str().expect("n"))
            .expect("base64url");
        assert!(
            certificate.windows(modulus.len()).any(|w| w == modulus),
            "the certificate is over another key"
        );
        assert_eq!(
            key["x5tS256"].as_str(),
            Some(
                URL_SAFE_NO_PAD
                    .encode(sha2::Sha256::digest(&certificate))
                    .as_str()
            )
        );
    }

    let session_jwt = client.migrate(&ada()).body["session_jwt"]
        .as_str()
        .expect("a JWT")
        .to_owned();
    let header = jsonwebtoken::decode_header(&session_jwt).expect("a header");
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().expect("n"),
        key["e"].as_str().expect("e"),
    )
    .expect("an RSA key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[emulator.project_id()]);
    validation.set_issuer(&[format!("stytch.com/{}", emulator.project_id())]);
    let claims = jsonwebtoken::decode::<Value>(&session_jwt, &decoding, &validation)
        .expect("the JWT verifies against the JWKS");
    assert_eq!(claims.claims["sub"], "member-test-ada");
    assert_eq!(claims.claims["plan"], "free");

    let other = client.get("/v1/b2b/sessions/jwks/project-test-other");
    assert_eq!(other.status, 404);
    assert_eq!(other.error_type(), "project_not_found");
}

// ---- Organizations and members ----------------------------------------------------------------

#[test]
fn organizations_and_members_are_set_up_through_the_api_and_then_migrate() {
    let emulator = start();
    let client = Client::of(&emulator);
    let created = client.post(
        "/v1/b2b/organizations",
        &json!({"organization_name": "Globex", "organization_slug": "globex"}),
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let organization_id = created.body["organization"]["organization_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let got = client.get(&format!("/v1/b2b/organizations/{organization_id}"));
    assert_eq!(got.body["organization"]["organization_slug"], "globex");

    // Members are created by organization id, or by slug as the API allows.
    let member = client.post(
        "/v1/b2b/organizations/globex/members",
        &json!({"email_address": "hank@globex.test", "name": "Hank", "create_member_as_pending": true,
                "external_id": "hank-ext", "trusted_metadata": {"tier": 2}}),
    );
    assert_eq!(member.status, 200, "{}", member.body);
    assert_eq!(member.body["member"]["status"], "pending");
    assert_eq!(
        member.body["member"]["trusted_metadata"],
        json!({"tier": 2})
    );
    let by_external_id = client.get(&format!(
        "/v1/b2b/organizations/{organization_id}/member?member_id=hank-ext"
    ));
    assert_eq!(
        by_external_id.body["member"]["name"], "Hank",
        "{}",
        by_external_id.body
    );
    let twice = client.post(
        "/v1/b2b/organizations/globex/members",
        &json!({"email_address": "other@globex.test", "external_id": "hank-ext"}),
    );
    assert_eq!(twice.error_type(), "duplicate_member_external_id");
    let member_id = member.body["member_id"].as_str().expect("an id").to_owned();
    let by_email = client.get(&format!(
        "/v1/b2b/organizations/{organization_id}/member?email_address=HANK@globex.test&organization_id=ignored"
    ));
    assert_eq!(
        by_email.body["member_id"],
        member_id.as_str(),
        "{}",
        by_email.body
    );
    let by_id = client.get(&format!(
        "/v1/b2b/organizations/members/dangerously_get/{member_id}"
    ));
    assert_eq!(by_id.body["member"]["email_address"], "hank@globex.test");
    let search = client.post(
        "/v1/b2b/organizations/members/search",
        &json!({"organization_ids": [organization_id], "query": {"operator": "AND", "operands": [
            {"filter_name": "member_emails", "filter_value": ["hank@globex.test"]}]}}),
    );
    assert_eq!(search.status, 200, "{}", search.body);
    assert_eq!(search.body["members"][0]["member_id"], member_id.as_str());
    assert_eq!(search.body["results_metadata"]["total"], 1);
}

#[test]
fn members_are_invited_and_deleted_and_organizations_deleted_through_the_api() {
    let emulator = start();
    let client = Client::of(&emulator);
    let created = client.post(
        "/v1/b2b/organizations",
        &json!({"organization_name": "Initech", "organization_slug": "initech"}),
    );
    let organization_id = created.body["organization"]["organization_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let invited = client.post(
        "/v1/b2b/magic_links/email/invite",
        &json!({"organization_id": organization_id, "email_address": "peter@initech.test", "roles": ["viewer"]}),
    );
    assert_eq!(invited.status, 200, "{}", invited.body);
    assert_eq!(invited.body["member"]["status"], "invited");
    assert_eq!(
        invited.body["member"]["roles"][0]["role_id"], "viewer",
        "{}",
        invited.body
    );
    let no_org = client.post(
        "/v1/b2b/magic_links/email/invite",
        &json!({"email_address": "x@initech.test"}),
    );
    assert_eq!(no_org.error_type(), "bad_request");

    // A deleted member stays, as `deleted`, and its email is free again.
    let member = client.post(
        &format!("/v1/b2b/organizations/{organization_id}/members"),
        &json!({"email_address": "milton@initech.test"}),
    );
    let member_id = member.body["member_id"].as_str().expect("an id").to_owned();
    let deleted = client.send(
        "DELETE",
        &format!("/v1/b2b/organizations/{organization_id}/members/{member_id}"),
        None,
    );
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body["member_id"], member_id.as_str());
    let again = client.send(
        "DELETE",
        &format!("/v1/b2b/organizations/{organization_id}/members/{member_id}"),
        None,
    );
    assert_eq!(again.error_type(), "member_not_found");
    let by_id = client.get(&format!(
        "/v1/b2b/organizations/members/dangerously_get/{member_id}"
    ));
    assert_eq!(by_id.body["member"]["status"], "deleted");
    let reused = client.post(
        &format!("/v1/b2b/organizations/{organization_id}/members"),
        &json!({"email_address": "MILTON@initech.test"}),
    );
    assert_eq!(reused.status, 200, "{}", reused.body);

    // A deleted organization is gone, with its slug; the ones after it are found still.
    let later = client.post(
        "/v1/b2b/organizations",
        &json!({"organization_name": "Hooli", "organization_slug": "hooli", "organization_external_id": "hooli-ext"}),
    );
    let later_id = later.body["organization"]["organization_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let gavin = client.post(
        "/v1/b2b/organizations/hooli/members",
        &json!({"email_address": "gavin@hooli.test"}),
    );
    let gavin_id = gavin.body["member_id"].as_str().expect("an id").to_owned();
    let gone = client.send(
        "DELETE",
        &format!("/v1/b2b/organizations/{organization_id}"),
        None,
    );
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(gone.body["organization_id"], organization_id.as_str());
    let get = client.get(&format!("/v1/b2b/organizations/{organization_id}"));
    assert_eq!(get.error_type(), "organization_not_found");
    let twice = client.send(
        "DELETE",
        &format!("/v1/b2b/organizations/{organization_id}"),
        None,
    );
    assert_eq!(twice.error_type(), "organization_not_found");
    let slug_free = client.post(
        "/v1/b2b/organizations",
        &json!({"organization_name": "Initech", "organization_slug": "initech"}),
    );
    assert_eq!(slug_free.status, 200, "{}", slug_free.body);
    for path in [
        format!("/v1/b2b/organizations/{later_id}/member?member_id={gavin_id}"),
        "/v1/b2b/organizations/hooli/member?email_address=gavin@hooli.test".to_owned(),
        format!("/v1/b2b/organizations/hooli-ext/member?member_id={gavin_id}"),
        format!("/v1/b2b/organizations/members/dangerously_get/{gavin_id}"),
    ] {
        let found = client.get(&path);
        assert_eq!(found.status, 200, "{path}: {}", found.body);
        assert_eq!(
            found.body["member"]["organization_id"],
            later_id.as_str(),
            "{path}"
        );
    }
}

#[test]
fn the_api_refuses_what_stytch_refuses() {
    let emulator = start();
    let client = Client::of(&emulator);
    let orgs = "/v1/b2b/organizations";
    let cases = [
        (
            orgs.to_owned(),
            json!({"organization_slug": "x-y"}),
            400,
            "bad_request",
        ),
        (
            orgs.to_owned(),
            json!({"organization_name": "A", "organization_slug": "ACME"}),
            400,
            "organization_slug_already_used",
        ),
        (
            orgs.to_owned(),
            json!({"organization_name": "A", "organization_slug": "a"}),
            400,
            "invalid_organization_slug",
        ),
        (
            orgs.to_owned(),
            json!({"organization_name": "A", "organization_slug": "a b"}),
            400,
            "invalid_organization_slug",
        ),
        (
            orgs.to_owned(),
            json!({"organization_name": "A", "organization_external_id": "ext-acme"}),
            400,
            "organization_external_id_already_used",
        ),
        (
            orgs.to_owned(),
            json!({"organization_name": 7}),
            400,
            "bad_request",
        ),
        (
            format!("{orgs}/acme/members"),
            json!({"email_address": "not-an-email"}),
            400,
            "invalid_email",
        ),
        (
            format!("{orgs}/acme/members"),
            json!({"email_address": "Ada@ACME.test"}),
            400,
            "duplicate_member_email",
        ),
        (
            format!("{orgs}/acme/members"),
            json!({}),
            400,
            "bad_request",
        ),
        (
            format!("{orgs}/nowhere/members"),
            json!({"email_address": "a@b.test"}),
            404,
            "organization_not_found",
        ),
    ];
    for (path, body, status, error_type) in cases {
        let answer = client.post(&path, &body);
        assert_eq!(answer.status, status, "{path} {body}: {}", answer.body);
        assert_eq!(answer.error_type(), error_type, "{path} {body}");
    }
    let missing = client.get("/v1/b2b/organizations/acme/member?member_id=member-test-nobody");
    assert_eq!(missing.error_type(), "member_not_found");
    let no_key = client.get("/v1/b2b/organizations/acme/member");
    assert_eq!(no_key.error_type(), "bad_request");
    let no_org = client.get("/v1/b2b/organizations/organization-test-nowhere");
    assert_eq!(no_org.error_type(), "organization_not_found");
}

#[test]
fn a_pending_member_becomes_active_on_migrate() {
    let emulator = start();
    let client = Client::of(&emulator);
    let answer =
        client.migrate(&json!({"session_token": "tok-pat", "organization_id": "ext-acme"}));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["member"]["status"], "active");
    let stored = client.get("/v1/b2b/organizations/acme/member?member_id=member-test-pat");
    assert_eq!(stored.body["member"]["status"], "active");
}

// ---- UserInfo over real HTTP ------------------------------------------------------------------

fn with_userinfo(stub: &UserInfoStub, timeout_ms: u64) -> Emulator {
    Emulator::start(settings(|config| {
        config.userinfo.url = Some(stub.url());
        config.userinfo.timeout_ms = Some(timeout_ms);
        config.userinfo.max_body_bytes = Some(1024 * 1024);
    }))
    .expect("starts")
}

#[test]
fn userinfo_is_called_over_http_with_the_bearer_token() {
    let stub = UserInfoStub::start();
    let emulator = with_userinfo(&stub, 2_000);
    let client = Client::of(&emulator);
    let answer =
        client.migrate(&json!({"session_token": "user:Ada@acme.test", "organization_id": "acme"}));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["member_id"], "member-test-ada");
}

#[test]
fn each_userinfo_failure_maps_to_the_models_outcome() {
    let stub = UserInfoStub::start();
    let emulator = with_userinfo(&stub, 1_000);
    let client = Client::of(&emulator);
    let cases = [
        ("status:500", "migrate_from_external_unexpected_response"),
        ("status:401", "migrate_from_external_unexpected_response"),
        ("status:204", "migrate_from_external_unexpected_response"),
        ("text", "migrate_from_external_unexpected_response"),
        ("slow", "migrate_from_external_unexpected_response"),
        ("huge", "migrate_from_external_unexpected_response"),
        (
            "user:not-an-email",
            "migrate_from_external_missing_userinfo",
        ),
        (
            "user:nobody@acme.test",
            "migrate_from_external_email_does_not_exist",
        ),
    ];
    for (token, error_type) in cases {
        let answer = client.migrate(&json!({"session_token": token, "organization_id": "acme"}));
        assert_eq!(answer.status, 400, "{token}: {}", answer.body);
        assert_eq!(answer.error_type(), error_type, "{token}");
    }
}

#[test]
fn an_unreachable_userinfo_endpoint_is_an_unexpected_response() {
    // Bind a port, then free it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let emulator = Emulator::start(settings(|config| {
        config.userinfo.url = Some(format!("http://127.0.0.1:{port}/userinfo"));
    }))
    .expect("starts");
    let answer = Client::of(&emulator).migrate(&ada());
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.error_type(),
        "migrate_from_external_unexpected_response"
    );
}

// ---- Configuration ------------------------------------------------------------------------

#[test]
fn bad_configurations_are_clear_errors() {
    use migrate_emulator::config::Config;
    let cases = [
        ("project_max_session_minutes = 4", "outside 5..=527040"),
        ("secret = \"\"", "secret"),
        ("max_request_bytes = 10", "1 MiB"),
        ("[userinfo]\nurl = \"ftp://idp.test/userinfo\"", "http://"),
        ("[userinfo]\nurl = \"not a url\"", "not a URL"),
        ("unknown_key = 1", "unknown field"),
        (
            "[[organizations]]\nslug = \"a\"\n[[organizations]]\nslug = \"a\"",
            "slug",
        ),
    ];
    for (toml, expected) in cases {
        let message = match Config::from_toml(toml).map(Config::settings) {
            Err(e) => e.to_string(),
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(settings)) => match Emulator::start(settings) {
                Err(e) => e,
                Ok(_) => panic!("{toml:?} was accepted"),
            },
        };
        assert!(message.contains(expected), "{toml:?}: {message}");
    }
}

#[test]
fn the_example_configuration_is_valid() {
    let text = include_str!("../emulator.example.toml");
    let settings = migrate_emulator::config::Config::from_toml(text)
        .and_then(migrate_emulator::config::Config::settings)
        .expect("the example configuration is valid");
    let emulator = Emulator::start(settings).expect("starts");
    let answer = Client::of(&emulator).migrate(&json!({
        "session_token": "external-token-ada",
        "organization_id": "acme",
    }));
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[test]
fn organization_slugs_are_derived_from_the_name_when_none_is_given() {
    let emulator = start();
    let client = Client::of(&emulator);
    let long = "Z".repeat(200);
    for (name, slug) in [
        ("Globex Corp & Sons!", "globex-corp-sons"),
        ("  --Hello--World!!  ", "hello-world"),
        ("Ab", "ab"),
        (long.as_str(), &"z".repeat(128)),
    ] {
        let created = client.post("/v1/b2b/organizations", &json!({"organization_name": name}));
        assert_eq!(created.status, 200, "{name}: {}", created.body);
        assert_eq!(
            created.body["organization"]["organization_slug"], slug,
            "{name}"
        );
    }
    // Fewer than two letters or digits: a generated slug, unique per organization.
    let mut generated = Vec::new();
    for name in ["X", "!!!"] {
        let created = client.post("/v1/b2b/organizations", &json!({"organization_name": name}));
        assert_eq!(created.status, 200, "{name}: {}", created.body);
        let slug = created.body["organization"]["organization_slug"]
            .as_str()
            .expect("a slug")
            .to_owned();
        assert!(
            slug.starts_with("organization-") && slug.len() == 21,
            "{name}: {slug}"
        );
        generated.push(slug);
    }
    assert_ne!(generated[0], generated[1]);
}

#[test]
fn members_are_read_and_searched_by_the_right_field() {
    let emulator = start();
    let client = Client::of(&emulator);
    let acme = "organization-test-acme";
    // Pat is the second member: a read by email must not answer with the first one.
    let pat = client.get(&format!(
        "/v1/b2b/organizations/{acme}/member?email_address=PAT@acme.test"
    ));
    assert_eq!(pat.status, 200, "{}", pat.body);
    assert_eq!(pat.body["member_id"], "member-test-pat");
    let search = |query: Value| {
        let mut body = json!({"organization_ids": [acme]});
        body.as_object_mut()
            .expect("an object")
            .extend(query.as_object().expect("an object").clone());
        let answer = client.post("/v1/b2b/organizations/members/search", &body);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| m["member_id"].as_str().expect("an id").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        search(json!({"query": {"operator": "AND", "operands": [
            {"filter_name": "member_emails", "filter_value": ["pat@acme.test"]}]}})),
        ["member-test-pat"]
    );
    assert_eq!(search(json!({})), ["member-test-ada", "member-test-pat"]);
    assert_eq!(search(json!({"limit": 1})), ["member-test-ada"]);
}

#[test]
fn member_metadata_must_be_an_object_or_null() {
    let emulator = start();
    let client = Client::of(&emulator);
    let members = "/v1/b2b/organizations/organization-test-acme/members";
    for (i, metadata) in [json!(null), json!({"tier": 1})].into_iter().enumerate() {
        for field in ["trusted_metadata", "untrusted_metadata"] {
            let email = format!("{field}-{i}@acme.test");
            let created = client.post(members, &json!({"email_address": email, field: metadata}));
            assert_eq!(created.status, 200, "{field}: {metadata}: {}", created.body);
        }
    }
    for metadata in [json!(5), json!("x"), json!([1])] {
        for field in ["trusted_metadata", "untrusted_metadata"] {
            let created = client.post(
                members,
                &json!({"email_address": "bad@acme.test", field: metadata}),
            );
            assert_eq!(created.status, 400, "{field}: {metadata}: {}", created.body);
            assert_eq!(created.error_type(), "bad_request", "{field}: {metadata}");
        }
    }
}

#[test]
fn the_control_route_refuses_a_world_no_project_could_hold() {
    let mut with_control = settings(|_| {});
    with_control.control = true;
    let emulator = Emulator::start(with_control).expect("starts");
    let client = Client::of(&emulator);
    let mut deep = json!(1);
    for _ in 0..129 {
        deep = json!({ "a": deep });
    }
    let mut world: Value = serde_json::from_str(migrate_model::testworld::RICH_WORLD_JSON)
        .expect("the rich world is JSON");
    world["claims_template"] = deep;
    let put = |world: &Value| {
        client.send(
            "PUT",
            "/_conformance/world",
            Some(world.to_string().as_bytes()),
        )
    };
    let refused = put(&world);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.error_type(), "bad_request");
    world["claims_template"] = json!({"plan": "free"});
    let loaded = put(&world);
    assert_eq!(loaded.status, 204, "{}", loaded.body);
}
