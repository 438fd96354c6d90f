//! Runs one bench workload in a loop, for a profiler: the counts are then per workload, and
//! valgrind's callgrind counts instructions repeatably even on a busy machine.
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_DEBUG=true cargo build --release -p migrate-benches --bin profile
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/profile claims-4k-success 200
//! callgrind_annotate cg.out | head -40
//! ```
//!
//! Workloads: the names of `migrate_benches::bodies()` (a `Model::migrate` call each),
//! `serde:NAME` (`serde_json::from_slice` of that body), `merge` (group 2's merge and size),
//! `to_vec` (group 2's baseline) and `runner-replay` (group 4's runner against replayed
//! answers: ITERATIONS runs of 100 cases, after one recorded run against the sample) and
//! `runner-replay-no-jwks` (the same without signature checks).

use std::hint::black_box;

use migrate_benches::{bodies, merge_inputs, model, record_run, run_config, Replay, NOW};
use migrate_model::{canonical, claims, Json, Policy};
use serde_json::Value;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: profile WORKLOAD [ITERATIONS]";
    let workload = args.next().ok_or(usage)?;
    let iterations: usize = match args.next() {
        Some(n) => n.parse().map_err(|e| format!("{usage}: {e}"))?,
        None => 1000,
    };
    let policy = Policy::default();
    let body_named = |name: &str| {
        bodies()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b)
            .ok_or_else(|| format!("no workload {name:?}"))
    };
    match workload.as_str() {
        "runner-replay" | "runner-replay-no-jwks" => {
            let log = record_run(10);
            replay_runs(&log, workload == "runner-replay", iterations)?;
        }
        "merge" | "to_vec" => {
            let (template, update) = merge_inputs();
            if workload == "to_vec" {
                let mut merged = template.clone();
                claims::merge(&mut merged, update, policy.empty_object_after_delete);
                let merged = Json::Object(merged).to_serde();
                for _ in 0..iterations {
                    black_box(serde_json::to_vec(black_box(&merged)).map_err(|e| e.to_string())?);
                }
            } else {
                for _ in 0..iterations {
                    let (mut target, update) = (template.clone(), update.clone());
                    claims::merge(&mut target, update, policy.empty_object_after_delete);
                    let target = Json::Object(target);
                    black_box(canonical::size(&target, policy.claims_size_measure));
                }
            }
        }
        name => {
            if let Some(name) = name.strip_prefix("serde:") {
                let body = body_named(name)?;
                for _ in 0..iterations {
                    let _ = black_box(serde_json::from_slice::<Value>(black_box(&body)));
                }
            } else {
                let body = body_named(name)?;
                let model = model();
                for _ in 0..iterations {
                    let _ = black_box(model.migrate(NOW, &policy, black_box(&body)));
                }
            }
        }
    }
    Ok(())
}

/// The replayed runs alone (not inlined, so that `valgrind --toggle-collect=profile::replay_runs`
/// counts them without the recorded run and its key generation).
#[inline(never)]
fn replay_runs(
    log: &[migrate_benches::Recorded],
    with_jwks: bool,
    iterations: usize,
) -> Result<(), String> {
    for _ in 0..iterations {
        let mut replay = if with_jwks {
            Replay::new(log)
        } else {
            Replay::without_jwks(log)
        };
        let report = migrate_conformance::run(&mut replay, "replay", &run_config(10));
        if !report.passed() {
            return Err("the replay failed".into());
        }
    }
    Ok(())
}
