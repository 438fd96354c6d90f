//! Groups 1 to 3: the model against the floor (a generic parse), against a generic writer,
//! and against a peer (schema validation), each on the same inputs in the same run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use migrate_benches::{bodies, merge_inputs, model, request_validator, NOW};
use migrate_model::{canonical, claims, Json, Policy};
use serde_json::Value;

/// Group 1: `Model::migrate` (parse, every step, the whole expected outcome) against
/// `serde_json::from_slice::<Value>` of the same bytes.
fn migrate_vs_parse(c: &mut Criterion) {
    let model = model();
    let policy = Policy::default();
    let mut group = c.benchmark_group("g1-migrate-vs-parse");
    for (name, body) in bodies() {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("serde_json-parse", name),
            &body,
            |b, body| b.iter(|| serde_json::from_slice::<Value>(black_box(body)).map(black_box)),
        );
        group.bench_with_input(BenchmarkId::new("model-migrate", name), &body, |b, body| {
            b.iter(|| model.migrate(NOW, &policy, black_box(body)).map(black_box))
        });
    }
    group.finish();
}

/// Group 2: the claims merge plus the canonical size of the result, against
/// `serde_json::to_vec` of the merged map.
fn claims_vs_to_vec(c: &mut Criterion) {
    let policy = Policy::default();
    let (template, update) = merge_inputs();
    let mut merged = template.clone();
    claims::merge(
        &mut merged,
        update.clone(),
        policy.empty_object_after_delete,
    );
    let merged = Json::Object(merged).to_serde();
    let mut group = c.benchmark_group("g2-claims-vs-to_vec");
    group.bench_function(BenchmarkId::new("serde_json-to_vec", "4k+4k"), |b| {
        b.iter(|| serde_json::to_vec(black_box(&merged)).map(black_box))
    });
    // The inputs are consumed (the merge takes the update and writes into the template), so
    // each iteration gets fresh copies made outside the timing.
    group.bench_function(BenchmarkId::new("merge+size", "4k+4k"), |b| {
        b.iter_batched(
            || (template.clone(), update.clone()),
            |(mut target, update)| {
                claims::merge(&mut target, update, policy.empty_object_after_delete);
                let target = Json::Object(target);
                black_box(canonical::size(&target, policy.claims_size_measure));
                target
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Group 3: a peer, the `jsonschema` crate validating the same bytes against the official
/// `MigrateRequest` schema (parse into a `Value`, then validate: shape only), against the
/// model's full evaluation.
fn model_vs_jsonschema(c: &mut Criterion) {
    let model = model();
    let policy = Policy::default();
    let validator = request_validator();
    let mut group = c.benchmark_group("g3-model-vs-jsonschema");
    for (name, body) in bodies() {
        group.bench_with_input(BenchmarkId::new("jsonschema", name), &body, |b, body| {
            b.iter(|| {
                serde_json::from_slice::<Value>(black_box(body))
                    .map(|v| black_box(validator.is_valid(&v)))
            })
        });
        let value: Value = serde_json::from_slice(&body).expect("the bodies are JSON");
        group.bench_with_input(
            BenchmarkId::new("jsonschema-validate-only", name),
            &value,
            |b, value| b.iter(|| black_box(validator.is_valid(black_box(value)))),
        );
        group.bench_with_input(BenchmarkId::new("model-migrate", name), &body, |b, body| {
            b.iter(|| model.migrate(NOW, &policy, black_box(body)).map(black_box))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Two shared, noisy cores: modest times, and the report quotes medians.
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(40);
    targets = migrate_vs_parse, claims_vs_to_vec, model_vs_jsonschema
}
criterion_main!(benches);
