//! Group 7: the emulator's migrate throughput with 8 concurrent keep-alive clients, against
//! bare RS256 signing throughput with the same key on the same 8 threads.
//!
//! - `emulator-8-clients`: `CALLS` successful migrate calls (a 120-minute session with
//!   custom claims) spread over 8 threads, each with its own keep-alive `ureq` agent, against
//!   an emulator on a loopback port in this process;
//! - `sign-8-threads`: the same number of RS256 signatures of the same JWT payload, with the
//!   emulator's own key and signing function, spread over 8 threads: the cost no server of
//!   this shape can avoid.
//!
//! The goal is sign-8-threads / emulator-8-clients >= 0.7: the server spends no more than
//! about 40% on top of its signatures. Signing outside the engine's lock is what lets the
//! calls sign in parallel.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use migrate_emulator::config::Config;
use migrate_emulator::engine::keys;
use migrate_emulator::Emulator;

const CONFIG: &str = r#"
[userinfo.tokens]
"tok-load" = { email = "load@acme.test" }
[[organizations]]
organization_id = "organization-test-load"
slug = "load"
[[organizations.members]]
email = "load@acme.test"
"#;

const BODY: &str = r#"{"session_token":"tok-load","organization_id":"organization-test-load","session_duration_minutes":120,"session_custom_claims":{"plan":"pro","nested":{"a":1}}}"#;

/// Calls (or signatures) per iteration.
const CALLS: usize = 400;
/// Client (or signing) threads.
const THREADS: usize = 8;

fn throughput(c: &mut Criterion) {
    let settings = Config::from_toml(CONFIG)
        .and_then(Config::settings)
        .expect("the configuration is valid");
    let server = Emulator::start(settings).expect("the emulator starts");
    let url = format!("{}/v1/b2b/sessions/migrate", server.url());
    let authorization = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", server.project_id(), server.secret()))
    );
    let agents: Vec<ureq::Agent> = (0..THREADS)
        .map(|_| {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .proxy(None)
                .build()
                .into()
        })
        .collect();
    let call = |agent: &ureq::Agent| -> Vec<u8> {
        let mut response = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Authorization", &authorization)
            .send(BODY)
            .expect("the emulator answers");
        assert_eq!(response.status(), 200);
        response.body_mut().read_to_vec().expect("a body")
    };
    // The baseline signs the payload of a real answer's JWT.
    let answer: serde_json::Value =
        serde_json::from_slice(&call(&agents[0])).expect("a JSON answer");
    let jwt = answer["session_jwt"].as_str().expect("a JWT");
    let payload = URL_SAFE_NO_PAD
        .decode(jwt.split('.').nth(1).expect("a payload"))
        .expect("base64url");

    let mut group = c.benchmark_group("g7-throughput");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function(BenchmarkId::new("emulator-8-clients", CALLS), |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for agent in &agents {
                    let call = &call;
                    scope.spawn(move || {
                        for _ in 0..CALLS / THREADS {
                            call(agent);
                        }
                    });
                }
            })
        })
    });
    group.bench_function(BenchmarkId::new("sign-8-threads", CALLS), |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for _ in 0..THREADS {
                    let payload = &payload;
                    scope.spawn(move || {
                        for _ in 0..CALLS / THREADS {
                            keys::sign_payload(payload).expect("signs");
                        }
                    });
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
