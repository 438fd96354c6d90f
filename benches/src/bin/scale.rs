//! Group 5: the cost per case of one run of N cases through the runner against the
//! in-process sample, and the process's peak memory.
//!
//! ```sh
//! cargo build --release -p migrate-benches --bin scale
//! /usr/bin/time -v target/release/scale 100000
//! ```
//!
//! Runs `N / 10` cases of each of the ten properties (seed 0), prints one line, and saves it as
//! JSON in `target/bench-scale/scale-N.json` for `bench-report`. The peak resident set it
//! prints is the kernel's `VmHWM` for this process, the figure `/usr/bin/time -v` reports as
//! "Maximum resident set size".

use std::time::Instant;

use migrate_benches::{peak_rss_kib, run_config};
use migrate_conformance::{run, Implementation};
use migrate_conformance_cli::sample::Sample;
use serde_json::json;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let cases: u32 = match args.next() {
        Some(n) => n
            .parse()
            .map_err(|e| format!("usage: scale [CASES] [OUT_DIR]: {n:?}: {e}"))?,
        None => 1000,
    };
    let out_dir = args.next().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-scale").to_owned()
    });
    let per_property = (cases / 10).max(1);
    let config = run_config(per_property);
    // The sample's signing key is generated at first use: keep that out of the timing.
    let mut sample = Sample::new();
    let _ = sample.capabilities();
    let rss_before = peak_rss_kib();
    let started = Instant::now();
    let report = run(&mut sample, "sample", &config);
    let seconds = started.elapsed().as_secs_f64();
    if !report.passed() {
        return Err("the sample failed the suite; see `migrate-conformance check`".into());
    }
    let ran = report.cases();
    let result = json!({
        "cases": ran,
        "seconds": seconds,
        "us_per_case": seconds * 1e6 / ran as f64,
        "cases_per_second": ran as f64 / seconds,
        "peak_rss_kib": peak_rss_kib(),
        "peak_rss_kib_before_run": rss_before,
    });
    println!("{result}");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{out_dir}: {e}"))?;
    let path = format!("{out_dir}/scale-{ran}.json");
    std::fs::write(&path, result.to_string()).map_err(|e| format!("{path}: {e}"))?;
    Ok(())
}
