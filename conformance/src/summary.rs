//! Human-readable reports: the run summary, minimal counterexamples, the kill matrix.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::json;

use crate::http::NOW_HEADER;
use crate::runner::{Coverage, Failure, Report};

/// How a failure can be reproduced: what the lines printed under it say.
#[derive(Clone, Debug, Default)]
pub struct Reproduce {
    /// The target's arguments as the command line takes them, already quoted for the shell
    /// (`--target NAME` and any `--secret` or `--timeout`).
    pub target_args: String,
    /// For a target reachable over HTTP with the control routes: the base URL that curl
    /// commands are sent to.
    pub http_base: Option<String>,
    /// What the curl commands put for the secret (shell text such as
    /// `"$MIGRATE_CONFORMANCE_SECRET"`); `None` sends no credentials.
    pub secret: Option<String>,
    /// A line printed before the curl commands (how to start the server they are sent to).
    pub http_note: Option<String>,
    /// The directory each minimal case is written to as a vector file (`--failures-dir`).
    pub failures_dir: Option<PathBuf>,
    /// The cases per property of the run, repeated in the reproduce line when not the
    /// default 200 (a case found late in a long run is not among the first 200).
    pub cases: Option<u32>,
    /// The shard of the run, repeated in the reproduce line.
    pub shard: Option<(u32, u32)>,
    /// Whether the run kept going after failures (`--keep-going`, repeated in the reproduce
    /// line: without it only the first kind of failure shows).
    pub keep_going: bool,
    /// The target cannot replay vector files (its worlds are seeded under other ids), so no
    /// `vectors run` line is suggested for a saved case.
    pub no_vector_replay: bool,
}

impl Reproduce {
    /// Only the target's arguments.
    pub fn target(target_args: &str) -> Reproduce {
        Reproduce {
            target_args: target_args.to_owned(),
            ..Reproduce::default()
        }
    }
}

/// The file name of a property's `n`th kind of failure (from 1) under `--failures-dir`: the
/// seed and shard in it, so that the runs and shards of one directory do not overwrite each
/// other's files.
pub fn failure_file_name(seed: u64, shard: Option<(u32, u32)>, property: &str, n: usize) -> String {
    match shard {
        Some((k, of)) => format!("seed{seed}-shard{k}of{of}-{property}-{n}.json"),
        None => format!("seed{seed}-{property}-{n}.json"),
    }
}

/// The families rules are grouped in, by id prefix.
const FAMILIES: &[&str] = &[
    "body", "request", "duration", "claims", "org", "userinfo", "member", "session", "response",
    "jwt", "error", "world",
];

/// The summary of a run: each property, coverage by rule family, outcomes, boundaries, and
/// each failure's minimal counterexample.
pub fn render(report: &Report, reproduce: &Reproduce) -> String {
    let reproduce = &Reproduce {
        cases: Some(report.cases_per_property),
        shard: report.shard,
        ..reproduce.clone()
    };
    let mut out = String::new();
    let _ = writeln!(out, "{:<18} {:>7}  result", "property", "cases");
    for p in &report.properties {
        let mut result = match (&p.failure, &p.skipped) {
            (_, Some(why)) => format!("SKIPPED ({why})"),
            (None, None) if p.transport.is_none() => "passed".to_owned(),
            (None, None) => "FAILED".to_owned(),
            (Some(f), None) if p.more_failures.is_empty() => format!(
                "FAILED ({} differences in the minimal case; rules {})",
                f.differences.len(),
                f.rules.join(", ")
            ),
            (Some(_), None) => {
                let failing: u32 = p.failures().map(|f| f.count).sum();
                format!(
                    "FAILED ({} kinds of failure in {failing} cases)",
                    p.more_failures.len() + 1
                )
            }
        };
        if let Some(u) = &p.unsupported {
            if p.cases == 0 && result == "passed" {
                result = "NOT RUN".to_owned();
            }
            let _ = write!(
                result,
                "; {} cases skipped (world not seedable), the first: {}",
                u.count, u.first
            );
        }
        if let Some(t) = &p.transport {
            let _ = write!(
                result,
                "; {} transport failures, the first: {}",
                t.count, t.first
            );
        }
        let _ = writeln!(out, "{:<18} {:>7}  {result}", p.property, p.cases);
    }

    out.push_str(&render_coverage(&report.coverage));

    for p in &report.properties {
        for (n, f) in p.failures().enumerate() {
            let _ = writeln!(
                out,
                "\n{}",
                render_failure(p.property, n + 1, f, report.seed, reproduce)
            );
        }
    }
    if !report.signatures_checked {
        let _ = writeln!(
            out,
            "\nJWT signatures were NOT checked: the target declares no JWKS and serves none at GET /v1/b2b/sessions/jwks/{{project_id}}"
        );
    }
    let secs = report.elapsed.as_secs_f64();
    let cases = report.cases();
    let rate = if secs > 0.0 { cases as f64 / secs } else { 0.0 };
    let verdict = if report.passed() { "PASSED" } else { "FAILED" };
    let _ = writeln!(
        out,
        "\n{verdict}: {} of {} properties passed; {cases} cases in {secs:.2} s ({rate:.0} cases/s), seed {}",
        report.properties.iter().filter(|p| p.passed()).count(),
        report.properties.len(),
        report.seed
    );
    out
}

/// Coverage by rule family, the rules never exercised, outcomes and boundaries.
pub fn render_coverage(coverage: &Coverage) -> String {
    let mut out = String::new();
    let mut families: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut never = Vec::new();
    for (id, count) in &coverage.rules {
        let family = id.split('.').next().unwrap_or(id);
        let entry = families.entry(family).or_default();
        entry.1 += 1;
        if *count > 0 {
            entry.0 += 1;
        } else {
            never.push(*id);
        }
    }
    let _ = writeln!(out, "\ncoverage by rule family (rules exercised / rules):");
    let line: Vec<String> = FAMILIES
        .iter()
        .filter_map(|f| families.get(f).map(|(hit, all)| format!("{f} {hit}/{all}")))
        .collect();
    let _ = writeln!(out, "  {}", line.join(", "));
    if !never.is_empty() {
        let _ = writeln!(out, "  never exercised: {}", never.join(", "));
    }
    let outcomes: Vec<String> = coverage
        .outcomes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(out, "outcomes: {}", outcomes.join(", "));
    let boundaries: Vec<String> = coverage
        .boundaries
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let _ = writeln!(out, "boundaries (cases): {}", boundaries.join(", "));
    let missed: Vec<&str> = coverage
        .boundaries
        .iter()
        .filter(|(_, v)| **v == 0)
        .map(|(k, _)| *k)
        .collect();
    if !missed.is_empty() {
        let _ = writeln!(out, "  boundaries never hit: {}", missed.join(", "));
    }
    out
}

/// `words` as one shell command line, each word quoted where the shell needs it.
pub fn shell_command(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| shlex::try_quote(w).map_or_else(|_| format!("{w:?}"), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One failure, the `n`th kind (from 1) of its property: the rules it breaks, the
/// differences, how to reproduce it (the command, curl commands for an HTTP target), then the
/// case as JSON ready to save and replay, or the file it was saved to.
pub fn render_failure(
    property: &str,
    n: usize,
    f: &Failure,
    seed: u64,
    reproduce: &Reproduce,
) -> String {
    let mut out = String::new();
    let of_cases = if f.count > 1 {
        format!(" ({} failing cases of this kind)", f.count)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "=== {property}: minimal counterexample{}{of_cases}",
        if n > 1 {
            format!(" of failure kind {n}")
        } else {
            String::new()
        }
    );
    let _ = writeln!(out, "  breaks: {}", f.rules.join(", "));
    for d in &f.differences {
        let _ = writeln!(out, "  {d}");
    }
    let target = &reproduce.target_args;
    let mut options = match reproduce.cases {
        Some(n) if n != 200 => format!(" --cases {n}"),
        _ => String::new(),
    };
    if let Some((k, of)) = reproduce.shard {
        let _ = write!(options, " --shard {k}/{of}");
    }
    if reproduce.keep_going {
        options.push_str(" --keep-going");
    }
    let _ = writeln!(
        out,
        "  reproduce: migrate-conformance check {target} --seed {seed}{options} --property {property}"
    );
    if let Some(base) = &reproduce.http_base {
        if let Some(note) = &reproduce.http_note {
            let _ = writeln!(out, "  {note}");
        }
        for line in curl_commands(f, base, reproduce.secret.as_deref()) {
            let _ = writeln!(out, "    {line}");
        }
    }
    match &reproduce.failures_dir {
        Some(dir) => {
            let path = dir.join(failure_file_name(seed, reproduce.shard, property, n));
            let path = path.display().to_string();
            let _ = write!(out, "  saved as a vector file: {path}");
            if !reproduce.no_vector_replay {
                let _ = write!(
                    out,
                    "\n  replay it: {} {target}",
                    shell_command(&["migrate-conformance", "vectors", "run", &path])
                );
            }
        }
        None => {
            let case = json!({
                "world": f.case.world,
                "now": f.case.now,
                "request": f.case.request,
                "request_base64": f.case.request_base64,
                "expected": f.expected,
                "actual": f.actual,
            });
            let _ = writeln!(
                out,
                "  or save the case below and run: migrate-conformance replay CASE.json {target}"
            );
            let _ = write!(
                out,
                "{}",
                serde_json::to_string_pretty(&case).unwrap_or_default()
            );
        }
    }
    out
}

/// The curl commands that replay a failing case against an HTTP target with the control
/// routes: load the world, then send the request (its exact bytes) at the case's clock.
pub fn curl_commands(f: &Failure, base: &str, secret: Option<&str>) -> Vec<String> {
    let base = base.trim_end_matches('/');
    let world = serde_json::to_string(&f.case.world).unwrap_or_default();
    let load = shell_command(&[
        "curl",
        "-sS",
        "-X",
        "PUT",
        &format!("{base}/_conformance/world"),
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &world,
    ]);
    let mut call = shell_command(&[
        "curl",
        "-sS",
        "-X",
        "POST",
        &format!("{base}/v1/b2b/sessions/migrate"),
        "-H",
        "Content-Type: application/json",
        "-H",
        &format!("{NOW_HEADER}: {}", f.case.now),
    ]);
    if let Some(secret) = secret {
        // The secret is shell text (a variable), so it is not quoted again.
        let user = shlex::try_quote(&format!("{}:", f.case.world.project_id))
            .map(|q| q.into_owned())
            .unwrap_or_default();
        let _ = write!(call, " -u {user}{secret}");
    }
    let bytes = match (&f.case.request, &f.case.request_base64) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    let inline = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| shlex::try_quote(text).ok());
    let call = match inline {
        Some(quoted) => format!("{call} --data-binary {quoted}"),
        // Bytes a shell word cannot hold (NUL, invalid UTF-8) go through base64.
        None => format!(
            "printf '%s' {} | base64 -d | {call} --data-binary @-",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        ),
    };
    vec![load, call]
}
