//! `--setup public-api`: the emulator without control routes, seeded through its public
//! organization and member API, with the suite's UserInfo stub as its UserInfo endpoint.

use std::sync::Arc;

use migrate_conformance::gen::Property;
use migrate_conformance::http::HttpOptions;
use migrate_conformance::public_api::{PublicApi, UserInfoStub};
use migrate_conformance::runner::{run, Report, RunConfig};
use migrate_conformance_cli::targets::{open, Setup, TargetOptions};
use migrate_emulator::config::Settings;
use migrate_emulator::engine::{Bug, Engine};
use migrate_emulator::Emulator;

fn config(cases: u32, properties: &[Property]) -> RunConfig {
    RunConfig {
        cases,
        properties: properties.to_vec(),
        ..RunConfig::default()
    }
}

/// The emulator (or a mutant) without control routes, and the adapter seeding it.
fn public_target(engine: Engine) -> (PublicApi, Emulator) {
    let stub = Arc::new(UserInfoStub::start("127.0.0.1:0").expect("a stub"));
    let settings = Settings {
        userinfo_url: Some(stub.url().to_owned()),
        ..Settings::default()
    };
    let server = Emulator::start_with(engine, settings, "127.0.0.1:0").expect("an emulator");
    let options = HttpOptions {
        secret: Some(server.secret().to_owned()),
        ..HttpOptions::default()
    };
    let api =
        PublicApi::connect(&server.url(), options, server.project_id(), stub).expect("connects");
    (api, server)
}

#[test]
fn the_emulator_passes_through_its_public_api_and_unseedable_worlds_are_counted() {
    let options = TargetOptions {
        setup: Setup::PublicApi,
        ..TargetOptions::default()
    };
    let mut target = open("emulator", &options).expect("opens");
    let report: Report = run(&mut target, "emulator", &config(40, &[]));
    assert!(report.passed(), "{:#?}", report.properties);
    assert!(
        report.signatures_checked,
        "the JWKS comes from the standard route"
    );
    for p in &report.properties {
        assert!(
            p.cases > 0,
            "{} ran no case: {:?}",
            p.property,
            p.unsupported
        );
    }
    // Worlds with a claims template cannot be made through the API: counted, with why.
    let merge = report
        .properties
        .iter()
        .find(|p| p.property == "claims-merge")
        .expect("claims-merge ran");
    let skipped = merge.unsupported.as_ref().expect("template worlds skipped");
    assert!(
        skipped.count > 0 && skipped.first.contains("claims template"),
        "{skipped:?}"
    );
    assert_eq!(merge.cases + skipped.count, 40);
}

#[test]
fn mutants_are_caught_through_the_public_api() {
    for (bug, property) in [
        ("duration-min-off-by-one", Property::Duration),
        ("email-case-sensitive", Property::Member),
        ("deleted-member-accepted", Property::Member),
        ("member-stays-pending", Property::Member),
        ("reserved-claim-passed", Property::ClaimsReserved),
        ("jwt-exp-session-expiry", Property::Session),
    ] {
        let bug = Bug::from_name(bug).expect("a mutant");
        let (mut api, _server) = public_target(Engine::with_bug(bug));
        let report = run(&mut api, bug.name(), &config(200, &[property]));
        let p = &report.properties[0];
        assert!(p.failure.is_some(), "{} was not caught: {p:#?}", bug.name());
        assert!(p.transport.is_none(), "{p:#?}");
    }
}

fn refusal(target: &str, options: &TargetOptions) -> String {
    match open(target, options) {
        Ok(_) => panic!("{target} opened"),
        Err(e) => e.message,
    }
}

#[test]
fn setup_public_api_needs_a_project_and_a_secret_for_an_http_target() {
    let options = TargetOptions {
        setup: Setup::PublicApi,
        userinfo_listen: "127.0.0.1:0".into(),
        ..TargetOptions::default()
    };
    let no_project = refusal("http://127.0.0.1:9", &options);
    assert!(no_project.contains("--project-id"), "{no_project}");
    let with_project = TargetOptions {
        project_id: Some("project-test-1".into()),
        ..options.clone()
    };
    let no_secret = refusal("http://127.0.0.1:9", &with_project);
    assert!(no_secret.contains("--secret"), "{no_secret}");
    let not_http = refusal("sample", &options);
    assert!(not_http.contains("http://"), "{not_http}");
}

#[test]
fn a_world_is_seeded_again_only_after_a_migrate_may_have_changed_it() {
    use migrate_conformance::Implementation;
    let (mut api, server) = public_target(Engine::new());
    let world =
        migrate_conformance::gen::world(migrate_model::MemberStatus::Pending, 527_040, "{}");
    let request = br#"{"session_token":"tok-ada","organization_id":"organization-test-acme"}"#;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", server.project_id(), server.secret())
        )
    );
    let status_of_ada = |api: &PublicApi| {
        let (renamed, _) = api.renamed(&world, request).expect("seeded");
        let org = &renamed.organizations[0].organization_id;
        let url = format!(
            "{}/v1/b2b/organizations/{org}/member?email_address=ada@acme.test",
            server.url()
        );
        let mut reply = agent
            .get(&url)
            .header("Authorization", &auth)
            .call()
            .expect("answers");
        let body: serde_json::Value =
            serde_json::from_str(&reply.body_mut().read_to_string().expect("a body"))
                .expect("JSON");
        body["member"]["status"].as_str().unwrap_or("").to_owned()
    };
    api.load_world(&world).expect("seeds");
    let (first, body) = api.renamed(&world, request).expect("seeded");
    assert_eq!(status_of_ada(&api), "pending");
    // A failed call changes nothing: the same world is kept, under the same ids.
    let failed = api.call(b"{}", None).expect("answers");
    assert_eq!(failed.status, 400);
    api.load_world(&world).expect("kept");
    assert_eq!(api.renamed(&world, request).expect("seeded").0, first);
    // A success activates ada: the next case gets the world seeded afresh, ada pending again.
    let migrated = api.call(&body, None).expect("answers");
    assert_eq!(migrated.status, 200);
    assert_eq!(status_of_ada(&api), "active");
    api.load_world(&world).expect("seeds again");
    let (second, _) = api.renamed(&world, request).expect("seeded");
    assert_ne!(
        second.organizations[0].organization_id,
        first.organizations[0].organization_id
    );
    assert_eq!(status_of_ada(&api), "pending");
}
