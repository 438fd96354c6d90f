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
