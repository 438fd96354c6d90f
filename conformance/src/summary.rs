//! Human-readable reports: the run summary, minimal counterexamples, the kill matrix.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use crate::runner::{Failure, Report};

/// The families rules are grouped in, by id prefix.
const FAMILIES: &[&str] = &[
    "body", "request", "duration", "claims", "org", "userinfo", "member", "session", "response",
    "jwt", "error", "world",
];

/// The summary of a run: each property, coverage by rule family, outcomes, boundaries, and
/// each failure's minimal counterexample.
pub fn render(report: &Report, target_for_replay: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<18} {:>7}  result", "property", "cases");
    for p in &report.properties {
        let mut result = match (&p.failure, &p.skipped) {
            (_, Some(why)) => format!("SKIPPED ({why})"),
            (None, None) if p.transport.is_none() => "passed".to_owned(),
            (None, None) => "FAILED".to_owned(),
            (Some(f), None) => format!(
                "FAILED ({} differences in the minimal case)",
                f.differences.len()
            ),
        };
        if let Some(t) = &p.transport {
            let _ = write!(
                result,
                "; {} transport failures, the first: {}",
                t.count, t.first
            );
        }
        let _ = writeln!(out, "{:<18} {:>7}  {result}", p.property, p.cases);
    }

    let mut families: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut never = Vec::new();
    for (id, count) in &report.coverage.rules {
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
    let outcomes: Vec<String> = report
        .coverage
        .outcomes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(out, "outcomes: {}", outcomes.join(", "));
    let boundaries: Vec<String> = report
        .coverage
        .boundaries
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let _ = writeln!(out, "boundaries (cases): {}", boundaries.join(", "));
    let missed: Vec<&str> = report
        .coverage
        .boundaries
        .iter()
        .filter(|(_, v)| **v == 0)
        .map(|(k, _)| *k)
        .collect();
    if !missed.is_empty() {
        let _ = writeln!(out, "  boundaries never hit: {}", missed.join(", "));
    }

    for p in &report.properties {
        if let Some(f) = &p.failure {
            let _ = writeln!(
                out,
                "\n{}",
                render_failure(p.property, f, report.seed, target_for_replay)
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

/// `words` as one shell command line, each word quoted where the shell needs it.
pub fn shell_command(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| shlex::try_quote(w).map_or_else(|_| format!("{w:?}"), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One failure: the differences, then the case as JSON ready to save and replay.
/// `target` is the target's arguments as the command line takes them (`--target NAME` and
/// any `--secret` or `--timeout`), already quoted.
pub fn render_failure(property: &str, f: &Failure, seed: u64, target: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "=== {property}: minimal counterexample");
    for d in &f.differences {
        let _ = writeln!(out, "  {d}");
    }
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
        "  reproduce: migrate-conformance check {target} --seed {seed} --property {property}"
    );
    let _ = writeln!(
        out,
        "  or save the case below and run: migrate-conformance replay CASE.json {target}"
    );
    let _ = write!(
        out,
        "{}",
        serde_json::to_string_pretty(&case).unwrap_or_default()
    );
    out
}
