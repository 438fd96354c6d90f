//! The kill matrix: every mutant of the sample against every property.

use std::fmt::Write as _;

use serde::Serialize;

use crate::runner::{run, RunConfig};
use crate::sample::{Bug, Sample};

/// One mutant's row.
#[derive(Clone, Debug, Serialize)]
pub struct KillRow {
    /// The mutant's name.
    pub mutant: &'static str,
    /// The bug it carries.
    pub bug: &'static str,
    /// The properties that caught it, each with the number of cases it took.
    pub caught_by: Vec<(&'static str, u32)>,
}

impl KillRow {
    /// Whether any property caught the mutant.
    pub fn caught(&self) -> bool {
        !self.caught_by.is_empty()
    }
}

/// Runs every property against every mutant; `progress` prints one line per mutant.
pub fn kill_matrix(config: &RunConfig, progress: bool) -> Vec<KillRow> {
    let quiet = RunConfig {
        progress: false,
        ..config.clone()
    };
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
            if progress {
                eprintln!(
                    "  {:<28} {}",
                    bug.name(),
                    if caught_by.is_empty() {
                        "survived"
                    } else {
                        "caught"
                    }
                );
            }
            KillRow {
                mutant: bug.name(),
                bug: bug.describe(),
                caught_by,
            }
        })
        .collect()
}

/// The kill matrix as a table.
pub fn render(rows: &[KillRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:<8} caught by (property: cases until caught)",
        "mutant", "caught"
    );
    for row in rows {
        let by: Vec<String> = row
            .caught_by
            .iter()
            .map(|(p, n)| format!("{p}: {n}"))
            .collect();
        let _ = writeln!(
            out,
            "{:<28} {:<8} {}",
            row.mutant,
            if row.caught() { "yes" } else { "NO" },
            if by.is_empty() {
                format!("- ({})", row.bug)
            } else {
                by.join(", ")
            }
        );
    }
    let caught = rows.iter().filter(|r| r.caught()).count();
    let _ = writeln!(out, "\n{caught} of {} mutants caught", rows.len());
    out
}
