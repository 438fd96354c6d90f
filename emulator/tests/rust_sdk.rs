//! The official Rust SDK (`stytch` on crates.io), unmodified, against the emulator over plain
//! HTTP: organizations and members set up through it, migrate into its typed
//! `MigrateResponse`, the JWKS into its typed `GetJWKSResponse` (whose JWK has no optional
//! field), and errors into its typed `ErrorResponse`.

mod common;

use serde_json::json;
use stytch::b2b::{organizations, organizations_members, sessions};

/// A B2B client for the emulator: the SDK's own constructor for a custom base URL.
fn client(url: &str, project_id: &str, secret: &str) -> stytch::b2b::client::Client {
    let base = reqwest::Url::parse(&format!("{url}/")).expect("a URL");
    let http = stytch::client::Client::new_with_base_url(
        project_id,
        secret,
        base,
        stytch::client::Vertical::B2B,
    )
    .expect("a client");
    stytch::b2b::client::Client::new_with_http_client(http.clone(), http)
}

/// The SDK's typed error response, or a failure that says what came instead.
fn typed_error<T: std::fmt::Debug>(result: stytch::Result<T>) -> stytch::ErrorResponse {
    match result {
        Err(stytch::Error::Response(e)) => e,
        other => panic!("expected a typed Stytch error response, got {other:?}"),
    }
}

#[tokio::test]
async fn the_rust_sdk_sets_up_migrates_and_reads_the_jwks() {
    let emulator = common::start();
    let sdk = client(&emulator.url(), emulator.project_id(), emulator.secret());

    let organization = sdk
        .organizations
        .create(organizations::CreateRequest {
            organization_name: "Initech".into(),
            organization_slug: Some("initech".into()),
            ..Default::default()
        })
        .await
        .expect("organizations.create parses")
        .organization;
    let member = sdk
        .organizations
        .members
        .create(organizations_members::CreateRequest {
            organization_id: organization.organization_id.clone(),
            // The UserInfo directory of the test configuration gives this address for tok-nobody.
            email_address: "nobody@acme.test".into(),
            ..Default::default()
        })
        .await
        .expect("members.create parses");
    let fetched = sdk
        .organizations
        .members
        .get(organizations_members::GetRequest {
            organization_id: organization.organization_id.clone(),
            member_id: Some(member.member_id.clone()),
            email_address: None,
        })
        .await
        .expect("members.get parses");
    assert_eq!(fetched.member.email_address, "nobody@acme.test");

    let migrated = sdk
        .sessions
        .migrate(sessions::MigrateRequest {
            session_token: "tok-nobody".into(),
            organization_id: organization.organization_id.clone(),
            session_duration_minutes: Some(120),
            session_custom_claims: Some(json!({"plan": "pro", "nested": {"a": 1}})),
        })
        .await
        .expect("migrate parses into MigrateResponse");
    assert_eq!(migrated.status_code.as_u16(), 200);
    assert_eq!(migrated.member_id, member.member_id);
    let session = migrated.member_session.expect("a member session");
    assert_eq!(
        (session.expires_at - session.started_at).num_minutes(),
        120,
        "{session:?}"
    );
    assert_eq!(
        session.custom_claims,
        Some(json!({"plan": "pro", "nested": {"a": 1}}))
    );

    let jwks = sdk
        .sessions
        .get_jwks(sessions::GetJWKSRequest {
            project_id: emulator.project_id().into(),
        })
        .await
        .expect("get_jwks parses into GetJWKSResponse");
    let key = jwks.keys.first().expect("a key");
    let header = jsonwebtoken::decode_header(&migrated.session_jwt).expect("a JWT header");
    assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_components(&key.n, &key.e).expect("an RSA key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[emulator.project_id()]);
    validation.set_issuer(&[format!("stytch.com/{}", emulator.project_id())]);
    let payload =
        jsonwebtoken::decode::<serde_json::Value>(&migrated.session_jwt, &decoding, &validation)
            .expect("the session JWT verifies with the SDK-parsed key")
            .claims;
    assert_eq!(payload["sub"], member.member_id.as_str());
    assert_eq!(payload["nested"], json!({"a": 1}));
}

#[tokio::test]
async fn the_rust_sdk_gets_typed_errors() {
    let emulator = common::start();
    let wrong = client(&emulator.url(), emulator.project_id(), "secret-test-wrong");
    let e = typed_error(
        wrong
            .sessions
            .migrate(sessions::MigrateRequest {
                session_token: "tok-ada".into(),
                organization_id: "acme".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(e.status_code.as_u16(), 401);
    assert_eq!(e.error_type, "unauthorized_credentials");

    let sdk = client(&emulator.url(), emulator.project_id(), emulator.secret());
    let e = typed_error(
        sdk.sessions
            .migrate(sessions::MigrateRequest {
                session_token: "tok-ada".into(),
                organization_id: "organization-test-nowhere".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(e.status_code.as_u16(), 404);
    assert_eq!(e.error_type, "organization_not_found");
    assert!(e.error_url.contains("404"), "{}", e.error_url);
}
