//! The kill matrix: every mutant of the sample against every property.

use std::fmt::Write as _;

use serde::Serialize;

use migrate_conformance::gen::CaseJson;
use migrate_conformance::runner::{run, RunConfig};
use migrate_conformance::vectors::{embedded_files, run_files};

use crate::sample::{Bug, Sample};

/// One mutant's row.
#[derive(Clone, Debug, Serialize)]
pub struct KillRow {
    /// The mutant's name.
    pub mutant: &'static str,
    /// The bug it carries.
    pub bug: &'static str,
    /// The policy profile it runs under, as settings (`""`: the default profile).
    pub profile: String,
    /// The properties that caught it, each with the number of cases it took.
    pub caught_by: Vec<(&'static str, u32)>,
    /// The vectors it fails, and the first of them.
    pub vectors_failed: usize,
    /// The id of the first vector it fails.
    pub first_failing_vector: Option<String>,
    /// The minimal counterexample of each catching property.
    #[serde(skip)]
    pub counterexamples: Vec<(&'static str, CaseJson)>,
}

impl KillRow {
    /// Whether any property caught the mutant.
    pub fn caught(&self) -> bool {
        !self.caught_by.is_empty()
    }

    /// Whether any vector caught the mutant.
    pub fn caught_by_vectors(&self) -> bool {
        self.vectors_failed > 0
    }
}

/// Runs every property against every mutant; `progress` prints one line per mutant.
pub fn kill_matrix(config: &RunConfig, progress: bool) -> Vec<KillRow> {
    let quiet = RunConfig {
        progress: false,
        ..config.clone()
    };
    // Unloadable embedded vectors count as none (the vector tests report why).
    let vector_files = embedded_files().unwrap_or_default();
    Bug::ALL
        .iter()
        .map(|bug| {
            let mut mutant = Sample::with_bug(*bug);
            let report = run(&mut mutant, &format!("bugzoo:{}", bug.name()), &quiet);
            let caught_by: Vec<(&'static str, u32)> = report
                .properties
                .iter()
                .filter(|p| p.failure.is_some())
                .map(|p| (p.property, p.cases))
                .collect();
            let counterexamples = report
                .properties
                .iter()
                .filter_map(|p| p.failure.as_ref().map(|f| (p.property, f.case.clone())))
                .collect();
            let results = run_files(&mut Sample::with_bug(*bug), &vector_files);
            let failing: Vec<&str> = results
                .iter()
                .filter(|r| !r.differences.is_empty())
                .map(|r| r.id.as_str())
                .collect();
            if progress {
                eprintln!(
                    "  {:<28} properties: {}, vectors: {} failed",
                    bug.name(),
                    if caught_by.is_empty() {
                        "survived"
                    } else {
                        "caught"
                    },
                    failing.len()
                );
            }
            KillRow {
                mutant: bug.name(),
                bug: bug.describe(),
                profile: bug.profile().settings(),
                caught_by,
                vectors_failed: failing.len(),
                first_failing_vector: failing.first().map(|s| (*s).to_owned()),
                counterexamples,
            }
        })
        .collect()
}

/// The kill matrix as a table: properties and vectors separately.
pub fn render(rows: &[KillRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:<10} {:<16} properties that caught it (cases until caught)",
        "mutant", "properties", "vectors failed"
    );
    for row in rows {
        let mut by: Vec<String> = row
            .caught_by
            .iter()
            .map(|(p, n)| format!("{p}: {n}"))
            .collect();
        if !row.profile.is_empty() {
            by.push(format!("[under {}]", row.profile));
        }
        let _ = writeln!(
            out,
            "{:<28} {:<10} {:<16} {}",
            row.mutant,
            if row.caught() { "caught" } else { "SURVIVED" },
            row.vectors_failed,
            if !row.caught() {
                format!("- ({}) {}", row.bug, by.join(", "))
            } else {
                by.join(", ")
            }
        );
    }
    let caught = rows.iter().filter(|r| r.caught()).count();
    let by_vectors = rows.iter().filter(|r| r.caught_by_vectors()).count();
    let _ = writeln!(
        out,
        "\n{caught} of {n} mutants caught by the properties, {by_vectors} of {n} by the vectors",
        n = rows.len()
    );
    out
}
