//! The JSON report (`check --json`): its schema, reading it back, and merging the reports
//! of a sharded run.
//!
//! A large check runs as `n` jobs, `check --shard k/n --json > shard-k.json` for
//! `k = 1..=n`, all with the same seed and case count; [`merge`] adds them up into the report
//! of the unsharded run (the same cases, so the same verdict and coverage).

use std::collections::BTreeMap;
use std::time::Duration;

use migrate_model::parse::{parse_with_stats, ParseOptions};
use migrate_model::policy::{LoneSurrogate, NestingLimit};
use migrate_model::Rule;
use serde::Deserialize;
use serde_json::Value;

use crate::compare::Difference;
use crate::gen::{CaseJson, Property};
use crate::runner::{
    Coverage, Failure, PropertyReport, Report, TransportFailures, Unsupported, REPORT_FORMAT,
};

/// The deepest nesting [`from_json`] reads.
pub const MAX_REPORT_DEPTH: usize = 1024;

/// `conformance/report.schema.json`: the JSON Schema (2020-12) of a [`Report`] as JSON.
pub const REPORT_SCHEMA: &str = include_str!("../report.schema.json");

/// The schema's violations by `report`, each as `at POINTER: message` (empty: valid).
pub fn schema_violations(report: &Value) -> Vec<String> {
    let schema: Value = match serde_json::from_str(REPORT_SCHEMA) {
        Ok(s) => s,
        Err(e) => return vec![format!("the report schema is not JSON: {e}")],
    };
    match crate::schema::Validator::new(schema) {
        Ok(v) => v
            .errors(report)
            .into_iter()
            .map(|(at, e)| format!("at {at}: {e}"))
            .collect(),
        Err(e) => vec![format!("the report schema does not compile: {e}")],
    }
}

#[derive(Deserialize)]
struct ReportIn {
    format: String,
    target: String,
    seed: u64,
    cases_per_property: u32,
    shard: Option<(u32, u32)>,
    properties: Vec<PropertyIn>,
    coverage: CoverageIn,
    signatures_checked: bool,
    elapsed: f64,
}

#[derive(Deserialize)]
struct PropertyIn {
    property: String,
    cases: u32,
    failure: Option<FailureIn>,
    #[serde(default)]
    more_failures: Vec<FailureIn>,
    transport: Option<TransportFailures>,
    #[serde(default)]
    unsupported: Option<Unsupported>,
    skipped: Option<String>,
}

#[derive(Deserialize)]
struct FailureIn {
    case: CaseJson,
    expected: Value,
    actual: Value,
    differences: Vec<DifferenceIn>,
    rules: Vec<String>,
    count: u32,
}

#[derive(Deserialize)]
struct DifferenceIn {
    path: String,
    expected: Value,
    actual: Value,
    #[serde(default)]
    absent: Option<crate::compare::Side>,
    note: String,
    rule: Option<String>,
}

#[derive(Deserialize)]
struct CoverageIn {
    rules: BTreeMap<String, u64>,
    outcomes: BTreeMap<String, u64>,
    boundaries: BTreeMap<String, u64>,
}

fn rule_id(id: &str) -> Result<&'static str, String> {
    if id == "adapter" {
        return Ok("adapter");
    }
    Rule::from_id(id)
        .map(Rule::id)
        .ok_or_else(|| format!("{id:?} is not a rule id of this version of the suite"))
}

fn failure_of(f: FailureIn) -> Result<Failure, String> {
    Ok(Failure {
        case: f.case,
        expected: f.expected,
        actual: f.actual,
        differences: f
            .differences
            .into_iter()
            .map(|d| {
                Ok(Difference {
                    path: d.path,
                    expected: d.expected,
                    actual: d.actual,
                    absent: d.absent,
                    note: d.note,
                    rule: d.rule.as_deref().map(rule_id).transpose()?,
                })
            })
            .collect::<Result<_, String>>()?,
        rules: f
            .rules
            .iter()
            .map(|r| rule_id(r))
            .collect::<Result<_, _>>()?,
        count: f.count,
    })
}

/// Reads a report that `check --json` printed: checked against [`REPORT_SCHEMA`], then
/// every property, rule and boundary name checked against this version of the suite.
pub fn from_json(text: &str) -> Result<Report, String> {
    // Reports nest as deep as the cases they hold (a little over 128 levels); a file nested
    // far deeper is refused before the recursive parse that would exhaust the stack.
    let lenient = ParseOptions {
        lone_surrogate: LoneSurrogate::Replace,
        nesting_limit: NestingLimit::Unlimited,
        ..ParseOptions::default()
    };
    let (_, stats) =
        parse_with_stats(text.as_bytes(), lenient).map_err(|e| format!("not JSON: {e}"))?;
    if stats.max_depth > MAX_REPORT_DEPTH {
        return Err(format!(
            "nests {} levels deep; a report nests at most {MAX_REPORT_DEPTH}",
            stats.max_depth
        ));
    }
    let value: Value = crate::vectors::parse_deep(text)?;
    if let Some(first) = schema_violations(&value).first() {
        return Err(format!("not a migrate-conformance report: {first}"));
    }
    let r: ReportIn = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if r.format != REPORT_FORMAT {
        return Err(format!("format {:?}, expected {REPORT_FORMAT}", r.format));
    }
    let properties = r
        .properties
        .into_iter()
        .map(|p| {
            let property = Property::from_name(&p.property)
                .ok_or_else(|| format!("unknown property {:?}", p.property))?
                .name();
            Ok(PropertyReport {
                property,
                cases: p.cases,
                failure: p.failure.map(failure_of).transpose()?,
                more_failures: p
                    .more_failures
                    .into_iter()
                    .map(failure_of)
                    .collect::<Result<_, String>>()?,
                transport: p.transport,
                unsupported: p.unsupported,
                skipped: p.skipped,
            })
        })
        .collect::<Result<_, String>>()?;
    let mut coverage = Coverage::default();
    for (id, n) in r.coverage.rules {
        coverage.rules.insert(rule_id(&id)?, n);
    }
    coverage.outcomes = r.coverage.outcomes;
    for (name, n) in r.coverage.boundaries {
        let b = crate::runner::all_boundaries()
            .find(|b| *b == name)
            .ok_or_else(|| format!("unknown boundary {name:?}"))?;
        coverage.boundaries.insert(b, n);
    }
    Ok(Report {
        format: REPORT_FORMAT,
        target: r.target,
        seed: r.seed,
        cases_per_property: r.cases_per_property,
        shard: r.shard,
        properties,
        coverage,
        signatures_checked: r.signatures_checked,
        elapsed: Duration::try_from_secs_f64(r.elapsed).unwrap_or_default(),
    })
}

/// The kind of a failure: the rule its first difference breaks.
fn kind(f: &Failure) -> Option<&'static str> {
    f.differences.first().map(|d| d.rule.unwrap_or("adapter"))
}

/// The report of the whole run from the reports of its `n` shards (each exactly once, in
/// any order): cases, failures, transport failures and coverage added up; the failures of
/// one kind found by several shards reported once with their counts summed; signatures
/// checked only if every shard checked them; the elapsed time of the longest shard.
pub fn merge(mut shards: Vec<Report>) -> Result<Report, String> {
    let Some(first) = shards.first() else {
        return Err("no report to merge".into());
    };
    let (seed, cases, n) = match first.shard {
        Some((_, n)) => (first.seed, first.cases_per_property, n),
        None => {
            return Err(format!(
                "{} is not a shard (it ran without --shard)",
                first.target
            ))
        }
    };
    let names: Vec<&str> = first.properties.iter().map(|p| p.property).collect();
    for r in &shards {
        let Some((rk, rn)) = r.shard else {
            return Err("one report ran without --shard".into());
        };
        if !(1..=rn).contains(&rk) {
            return Err(format!("shard {rk}/{rn} does not exist"));
        }
        if r.seed != seed || r.cases_per_property != cases || rn != n {
            return Err(format!(
                "the shards come from different runs: seed {seed}, {cases} cases, {n} shards vs seed {}, {} cases, {rn} shards",
                r.seed, r.cases_per_property
            ));
        }
        let these: Vec<&str> = r.properties.iter().map(|p| p.property).collect();
        if these != names {
            return Err(format!(
                "the shards ran different properties: {names:?} vs {these:?}"
            ));
        }
    }
    shards.sort_by_key(|r| r.shard.map(|(k, _)| k));
    let ks: Vec<u32> = shards
        .iter()
        .filter_map(|r| r.shard.map(|(k, _)| k))
        .collect();
    let missing: Vec<String> = (1..=n)
        .filter(|k| !ks.contains(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!("shards missing: {}", missing.join(", ")));
    }
    if ks.windows(2).any(|w| w[0] == w[1]) {
        return Err("a shard is given twice".into());
    }
    let mut targets: Vec<&str> = Vec::new();
    for r in &shards {
        if !targets.contains(&r.target.as_str()) {
            targets.push(&r.target);
        }
    }
    let mut merged = Report {
        format: REPORT_FORMAT,
        target: targets.join(" + "),
        seed,
        cases_per_property: cases,
        shard: None,
        properties: Vec::new(),
        coverage: Coverage::default(),
        signatures_checked: shards.iter().all(|r| r.signatures_checked),
        elapsed: shards.iter().map(|r| r.elapsed).max().unwrap_or_default(),
    };
    for (i, name) in names.iter().enumerate() {
        let mut p = PropertyReport {
            property: name,
            cases: 0,
            failure: None,
            more_failures: Vec::new(),
            transport: None,
            unsupported: None,
            skipped: None,
        };
        let mut failures: Vec<Failure> = Vec::new();
        for r in &shards {
            let s = &r.properties[i];
            p.cases += s.cases;
            for f in s.failures() {
                match failures.iter_mut().find(|g| kind(g) == kind(f)) {
                    Some(g) => g.count += f.count,
                    None => failures.push(f.clone()),
                }
            }
            if let Some(t) = &s.transport {
                match &mut p.transport {
                    Some(m) => m.count += t.count,
                    None => p.transport = Some(t.clone()),
                }
            }
            if let Some(u) = &s.unsupported {
                match &mut p.unsupported {
                    Some(m) => m.count += u.count,
                    None => p.unsupported = Some(u.clone()),
                }
            }
            if p.skipped.is_none() {
                p.skipped.clone_from(&s.skipped);
            }
        }
        let mut failures = failures.into_iter();
        p.failure = failures.next();
        p.more_failures = failures.collect();
        merged.properties.push(p);
    }
    for r in &shards {
        merged.coverage.merge(&r.coverage);
    }
    Ok(merged)
}
