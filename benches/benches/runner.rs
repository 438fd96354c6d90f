//! Group 4: the runner's own cost (generation, the model, comparison, bookkeeping) against the
//! model's evaluation alone, on the very cases the runner generates.
//!
//! The sample signs an RS256 JWT on every success, which dwarfs everything else, so the group
//! measures, per run of the same generated cases (seed 0, `CASES` of each property):
//!
//! - (a) `runner-with-sample`: `run()` end to end against the in-process sample;
//! - (b) `sample-alone`: the sample loading each case's world and answering it;
//! - (c) `model-alone`: `Model::migrate` on each case (models built outside the timing);
//! - `model-with-setup`: (c) plus the world's clone and validation (`Model::new`) per case;
//! - `runner-with-replay`: `run()` against an adapter replaying (a)'s recorded answers, which
//!   is (a) - (b) measured directly instead of as a difference of two large, noisy numbers;
//! - `runner-with-replay-no-jwks`: the same without the JWKS, so without verifying each
//!   success's RS256 signature: what the runner costs besides that cryptography.
//!
//! The report takes the runner's overhead as (a - b) / c, and the replay's time / c as a
//! cross-check.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use migrate_benches::{record_run, run_config, Replay};
use migrate_conformance::{run, Implementation};
use migrate_conformance_cli::sample::Sample;
use migrate_model::{Model, Policy};

/// Cases of each of the ten properties per run.
const CASES: u32 = 10;

fn runner_vs_model(c: &mut Criterion) {
    let config = run_config(CASES);
    let log = record_run(CASES);
    let policy = Policy::default();
    let models: Vec<Model> = log
        .iter()
        .map(|r| Model::new(r.case.world.clone()).expect("generated worlds are valid"))
        .collect();
    let cases = log.len() as u64;
    let mut group = c.benchmark_group("g4-runner");
    group.throughput(Throughput::Elements(cases));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function(BenchmarkId::new("runner-with-sample", cases), |b| {
        b.iter(|| {
            let report = run(&mut Sample::new(), "sample", &config);
            assert!(report.passed());
            report
        })
    });
    group.bench_function(BenchmarkId::new("sample-alone", cases), |b| {
        let mut sample = Sample::new();
        b.iter(|| {
            for r in &log {
                sample
                    .load_world(&r.case.world)
                    .expect("the sample loads generated worlds");
                black_box(sample.call(&r.case.body, Some(r.case.now)).map(black_box))
                    .expect("the sample answers");
            }
        })
    });
    group.bench_function(BenchmarkId::new("runner-with-replay", cases), |b| {
        b.iter(|| {
            let report = run(&mut Replay::new(&log), "replay", &config);
            assert!(report.passed());
            report
        })
    });
    group.bench_function(BenchmarkId::new("runner-with-replay-no-jwks", cases), |b| {
        b.iter(|| {
            let report = run(&mut Replay::without_jwks(&log), "replay", &config);
            assert!(report.passed());
            report
        })
    });
    group.sampling_mode(SamplingMode::Auto);
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function(BenchmarkId::new("model-alone", cases), |b| {
        b.iter(|| {
            for (r, model) in log.iter().zip(&models) {
                black_box(
                    model
                        .migrate(r.case.now, &policy, &r.case.body)
                        .map(black_box),
                )
                .expect("the clock is in range");
            }
        })
    });
    group.bench_function(BenchmarkId::new("model-with-setup", cases), |b| {
        b.iter(|| {
            for r in &log {
                let model = Model::new(r.case.world.clone()).expect("valid");
                black_box(
                    model
                        .migrate(r.case.now, &policy, &r.case.body)
                        .map(black_box),
                )
                .expect("the clock is in range");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, runner_vs_model);
criterion_main!(benches);
