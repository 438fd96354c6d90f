//! Reads criterion's saved estimates (and the scale runs' results) and prints the ratios of
//! the seven groups against their goals as a Markdown table.
//!
//! ```sh
//! cargo bench -p migrate-benches
//! cargo run --release -p migrate-benches --bin scale -- 1000   # and 10000, 100000
//! cargo run -p migrate-benches --bin bench-report [TARGET_DIR]
//! ```
//!
//! Every figure is criterion's median (`new/estimates.json`, `median.point_estimate`).
//! `TARGET_DIR` defaults to the workspace's `target/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The bodies of groups 1 and 3, in table order.
const BODIES: &[&str] = &[
    "minimal-success",
    "claims-4k-success",
    "validation-error",
    "userinfo-failure",
];

/// Group 1's goal for each body (issue #14): the model's evaluation over a plain parse of
/// the same bytes.
fn migrate_vs_parse_goal(body: &str) -> f64 {
    match body {
        "minimal-success" => 10.0,
        "claims-4k-success" => 3.0,
        _ => 2.0,
    }
}

/// The run sizes of group 5.
const SCALES: &[u64] = &[1_000, 10_000, 100_000];

/// Group 5's flatness goal: the cost per case of the longest run over that of the shortest.
const FLAT_WITHIN: f64 = 1.25;

/// Group 5's memory goal, in MiB.
const PEAK_MIB: f64 = 200.0;

struct Report {
    criterion: PathBuf,
    scale: PathBuf,
    out: String,
    missing: Vec<String>,
}

impl Report {
    /// The median of one benchmark, in nanoseconds per iteration.
    fn median(&mut self, id: &str) -> Option<f64> {
        let path = self.criterion.join(id).join("new/estimates.json");
        let value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|v| v.pointer("/median/point_estimate")?.as_f64());
        if value.is_none() {
            self.missing.push(path.display().to_string());
        }
        value
    }

    /// The median of the one parameter recorded for `group/bench` (such as the case count,
    /// which depends on the recorded run).
    fn median_of_only(&mut self, group_bench: &str) -> Option<f64> {
        let dir = self.criterion.join(group_bench);
        let params: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().join("new/estimates.json").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        match params.as_slice() {
            [one] => self.median(&format!("{group_bench}/{one}")),
            _ => {
                self.missing
                    .push(format!("{} (one parameter expected)", dir.display()));
                None
            }
        }
    }

    fn row(&mut self, cells: &[String]) {
        let _ = writeln!(self.out, "| {} |", cells.join(" | "));
    }

    fn scale_result(&mut self, cases: u64) -> Option<Value> {
        let path = self.scale.join(format!("scale-{cases}.json"));
        let value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok());
        if value.is_none() {
            self.missing.push(path.display().to_string());
        }
        value
    }
}

fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn verdict(met: bool) -> String {
    if met { "met" } else { "**missed**" }.to_owned()
}

fn main() {
    let target = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    let mut r = Report {
        criterion: target.join("criterion"),
        scale: target.join("bench-scale"),
        out: String::new(),
        missing: Vec::new(),
    };
    r.row(&[
        "group".into(),
        "input".into(),
        "ours (median)".into(),
        "baseline (median)".into(),
        "ratio".into(),
        "goal".into(),
        "verdict".into(),
    ]);
    r.row(&vec!["---".to_owned(); 7]);

    // Group 1: the whole evaluation against a generic parse of the same bytes.
    for body in BODIES {
        let ours = r.median(&format!("g1-migrate-vs-parse/model-migrate/{body}"));
        let base = r.median(&format!("g1-migrate-vs-parse/serde_json-parse/{body}"));
        if let (Some(ours), Some(base)) = (ours, base) {
            let ratio = ours / base;
            let goal = migrate_vs_parse_goal(body);
            r.row(&[
                "1 migrate vs parse".into(),
                (*body).into(),
                format!("{} `Model::migrate`", time(ours)),
                format!("{} `serde_json::from_slice::<Value>`", time(base)),
                format!("{ratio:.2}"),
                format!("<= {goal:.1}"),
                verdict(ratio <= goal),
            ]);
        }
    }

    // Group 2: claims merge plus canonical size against writing the merged map.
    let ours = r.median("g2-claims-vs-to_vec/merge+size/4k+4k");
    let base = r.median("g2-claims-vs-to_vec/serde_json-to_vec/4k+4k");
    if let (Some(ours), Some(base)) = (ours, base) {
        let ratio = ours / base;
        r.row(&[
            "2 claims vs to_vec".into(),
            "4 KB template + 4 KB update".into(),
            format!("{} merge + size", time(ours)),
            format!("{} `serde_json::to_vec`", time(base)),
            format!("{ratio:.2}"),
            "<= 2.0".into(),
            verdict(ratio <= 2.0),
        ]);
    }

    // Group 3: the peer (parse + schema validation) over the model's full evaluation.
    for body in BODIES {
        let ours = r.median(&format!("g3-model-vs-jsonschema/model-migrate/{body}"));
        let peer = r.median(&format!("g3-model-vs-jsonschema/jsonschema/{body}"));
        if let (Some(ours), Some(peer)) = (ours, peer) {
            let speedup = peer / ours;
            r.row(&[
                "3 model vs jsonschema".into(),
                (*body).into(),
                format!("{} `Model::migrate`", time(ours)),
                format!("{} parse + `is_valid`", time(peer)),
                format!("{speedup:.2}"),
                ">= 2.0 (peer / model)".into(),
                verdict(speedup >= 2.0),
            ]);
        }
    }

    // Group 4: the runner's overhead over the model's cost, per case.
    let cases = 100.0;
    let a = r.median("g4-runner/runner-with-sample/100");
    let b = r.median("g4-runner/sample-alone/100");
    let c = r.median("g4-runner/model-alone/100");
    let replay = r.median("g4-runner/runner-with-replay/100");
    if let (Some(a), Some(b), Some(c)) = (a, b, c) {
        let overhead = (a - b) / c;
        r.row(&[
            "4 runner overhead".into(),
            "100 generated cases (10 per property)".into(),
            format!(
                "(a) {} runner + sample, (b) {} sample alone, per case",
                time(a / cases),
                time(b / cases)
            ),
            format!("(c) {} model alone, per case", time(c / cases)),
            format!("(a - b) / c = {overhead:.2}"),
            "<= 3.0".into(),
            verdict(overhead <= 3.0),
        ]);
        if let Some(no_jwks) = r.median("g4-runner/runner-with-replay-no-jwks/100") {
            let ratio = no_jwks / c;
            r.row(&[
                "4 runner overhead (without signature checks)".into(),
                "the same, no JWKS declared".into(),
                format!("{} runner + replay, per case", time(no_jwks / cases)),
                format!("{} model alone, per case", time(c / cases)),
                format!("{ratio:.2}"),
                "(information)".into(),
                String::new(),
            ]);
        }
        if let Some(replay) = replay {
            let ratio = replay / c;
            r.row(&[
                "4 runner overhead (cross-check)".into(),
                "the same cases, answers replayed".into(),
                format!("{} runner + replay, per case", time(replay / cases)),
                format!("{} model alone, per case", time(c / cases)),
                format!("{ratio:.2}"),
                "<= 3.0".into(),
                verdict(ratio <= 3.0),
            ]);
        }
    }

    // Group 6: check over HTTP against a plain keep-alive loop sending the same calls.
    let check = r.median_of_only("g6-http/check-over-http");
    let lp = r.median_of_only("g6-http/keep-alive-loop");
    if let (Some(check), Some(lp)) = (check, lp) {
        let ratio = lp / check;
        r.row(&[
            "6 check over HTTP".into(),
            "10 generated cases per property, against the emulator".into(),
            format!("{} `check`", time(check)),
            format!("{} keep-alive loop, same calls", time(lp)),
            format!("loop / check = {ratio:.2}"),
            ">= 0.5".into(),
            verdict(ratio >= 0.5),
        ]);
    }

    // Group 7: the emulator's throughput against bare signing with the same key and threads.
    let emulator = r.median("g7-throughput/emulator-8-clients/400");
    let sign = r.median("g7-throughput/sign-8-threads/400");
    if let (Some(emulator), Some(sign)) = (emulator, sign) {
        let ratio = sign / emulator;
        r.row(&[
            "7 emulator throughput".into(),
            "400 successful migrate calls, 8 clients".into(),
            format!("{} emulator", time(emulator)),
            format!("{} RS256 signing, 8 threads", time(sign)),
            format!("sign / emulator = {ratio:.2}"),
            ">= 0.7".into(),
            verdict(ratio >= 0.7),
        ]);
    }

    // Group 5: cost per case over the run's length, and peak memory.
    let results: Vec<(u64, Option<Value>)> =
        SCALES.iter().map(|&n| (n, r.scale_result(n))).collect();
    let per_case = |v: &Option<Value>| v.as_ref()?.get("us_per_case")?.as_f64();
    for (n, v) in &results {
        if let Some(us) = per_case(v) {
            let rss = v
                .as_ref()
                .and_then(|v| v.get("peak_rss_kib")?.as_f64())
                .map_or("?".to_owned(), |k| format!("{:.0} MiB", k / 1024.0));
            r.row(&[
                "5 scale".into(),
                format!("{n} cases"),
                format!("{us:.0} µs per case"),
                format!("peak RSS {rss}"),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    if let (Some(first), Some(last)) = (per_case(&results[0].1), per_case(&results[2].1)) {
        let ratio = last / first;
        r.row(&[
            "5 scale: flat".into(),
            "100k vs 1k cases".into(),
            format!("{last:.0} µs per case"),
            format!("{first:.0} µs per case"),
            format!("{ratio:.2}"),
            format!("<= {FLAT_WITHIN}"),
            verdict(ratio <= FLAT_WITHIN),
        ]);
    }
    if let Some(kib) = results[2]
        .1
        .as_ref()
        .and_then(|v| v.get("peak_rss_kib")?.as_f64())
    {
        let mib = kib / 1024.0;
        r.row(&[
            "5 scale: memory".into(),
            "100k cases".into(),
            format!("{mib:.0} MiB peak RSS"),
            String::new(),
            String::new(),
            format!("< {PEAK_MIB:.0} MiB"),
            verdict(mib < PEAK_MIB),
        ]);
    }

    print!("{}", r.out);
    if !r.missing.is_empty() {
        eprintln!("not measured yet (run the benches and the scale runs first):");
        for m in &r.missing {
            eprintln!("  {m}");
        }
    }
}
