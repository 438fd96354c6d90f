//! Group 6: the suite over real HTTP against the embedded emulator, against a plain keep-alive
//! client loop sending the same requests to the same server, and against the same suite
//! in-process.
//!
//! On the cases one recorded run generates (seed 0, `CASES` of each property):
//!
//! - `check-over-http`: `run()` against the emulator on a loopback port (target `emulator`);
//! - `keep-alive-loop`: one keep-alive `ureq` agent sending, for each case, the same world
//!   (`PUT /_conformance/world`) and the same body (`POST /v1/b2b/sessions/migrate`) to a
//!   second emulator, and reading each answer: the transport and the server alone;
//! - `check-in-process`: `run()` against the same engine in-process (target `sample`).
//!
//! The goal is keep-alive-loop / check-over-http >= 0.5: the suite's own work and its HTTP
//! adapter cost no more than the bare HTTP exchanges.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use migrate_benches::{record_run, run_config};
use migrate_conformance::run;
use migrate_conformance_cli::sample::Sample;
use migrate_conformance_cli::targets::EmbeddedEmulator;
use migrate_emulator::config::Settings;
use migrate_emulator::Emulator;

/// Cases of each of the ten properties per run.
const CASES: u32 = 10;

fn http_vs_loop(c: &mut Criterion) {
    let config = run_config(CASES);
    let log = record_run(CASES);
    let cases = log.len() as u64;
    let mut group = c.benchmark_group("g6-http");
    group.throughput(Throughput::Elements(cases));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));

    let mut target = EmbeddedEmulator::start(Duration::from_secs(10)).expect("the emulator starts");
    group.bench_function(BenchmarkId::new("check-over-http", cases), |b| {
        b.iter(|| {
            let report = run(&mut target, "emulator", &config);
            assert!(report.passed());
            report
        })
    });

    let server = Emulator::start(Settings {
        control: true,
        ..Settings::default()
    })
    .expect("the emulator starts");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let world_url = format!("{}/_conformance/world", server.url());
    let migrate_url = format!("{}/v1/b2b/sessions/migrate", server.url());
    let requests: Vec<(Vec<u8>, String, String, &[u8])> = log
        .iter()
        .map(|r| {
            let auth = format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", r.case.world.project_id, server.secret()))
            );
            (
                serde_json::to_vec(&r.case.world).expect("a world serializes"),
                auth,
                r.case.now.to_string(),
                r.case.body.as_slice(),
            )
        })
        .collect();
    group.bench_function(BenchmarkId::new("keep-alive-loop", cases), |b| {
        b.iter(|| {
            for (world, auth, now, body) in &requests {
                let loaded = agent
                    .put(&world_url)
                    .header("Content-Type", "application/json")
                    .send(&world[..])
                    .expect("the world loads");
                assert!(loaded.status().is_success());
                let mut answer = agent
                    .post(&migrate_url)
                    .header("Content-Type", "application/json")
                    .header("X-Conformance-Now", now.as_str())
                    .header("Authorization", auth.as_str())
                    .send(*body)
                    .expect("an answer");
                let bytes = answer.body_mut().read_to_vec().expect("a body");
                std::hint::black_box(bytes);
            }
        })
    });

    group.bench_function(BenchmarkId::new("check-in-process", cases), |b| {
        b.iter(|| {
            let report = run(&mut Sample::new(), "sample", &config);
            assert!(report.passed());
            report
        })
    });
    group.finish();
}

criterion_group!(benches, http_vs_loop);
criterion_main!(benches);
