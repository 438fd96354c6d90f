//! The sample implementation against the model, through the conformance runner's own
//! `check_case` (the comparator `migrate-conformance check` uses), one case at a time.

use migrate_conformance::gen::Case;
use migrate_conformance::runner::{check_case, Seen};
use migrate_conformance::{Capabilities, Implementation};
use migrate_conformance_cli::sample::{Bug, Sample};
use migrate_model::Model;

use crate::case::FuzzCase;
use crate::invariants::check_outcome;

/// The sample and its declared capabilities (the RSA key is made once, at the first use).
#[derive(Debug)]
pub struct Differential {
    sample: Sample,
    caps: Capabilities,
}

/// Names a mutant of the sample (`shallow-merge`, ...; see `migrate-conformance bugzoo`) to
/// fuzz instead of the correct sample, to check that the target finds what it should.
pub const BUG_VARIABLE: &str = "MIGRATE_FUZZ_BUG";

impl Default for Differential {
    /// The correct sample, or the mutant [`BUG_VARIABLE`] names (an unknown name panics).
    fn default() -> Self {
        let sample = match std::env::var(BUG_VARIABLE) {
            Ok(name) => match Bug::from_name(&name) {
                Some(bug) => Sample::with_bug(bug),
                None => panic!("{BUG_VARIABLE}={name} names no mutant of the sample"),
            },
            Err(_) => Sample::new(),
        };
        let caps = sample.capabilities();
        Differential { sample, caps }
    }
}

/// What one case gave.
#[derive(Debug)]
pub enum Verdict {
    /// The model rejects the world: not a case.
    Skipped,
    /// The sample answered what the model expects.
    Agreed,
    /// A difference, as a readable report.
    Differs(String),
}

impl Differential {
    /// Runs `case` (under the sample's declared profile, whatever `case.policy` says).
    pub fn check(&mut self, case: &FuzzCase) -> Verdict {
        if Model::new(case.world.clone()).is_err() {
            return Verdict::Skipped;
        }
        let case = Case {
            world: case.world.clone(),
            now: case.now,
            body: case.body.clone(),
        };
        // Uniqueness of opaque values is checked within one case: inputs are independent.
        let mut seen = Seen::default();
        let result = match check_case(&mut self.sample, &self.caps, &case, &mut seen) {
            Ok(result) => result,
            Err(e) => return Verdict::Differs(report(&case, &[e], "", "")),
        };
        let mut differences: Vec<String> =
            result.differences.iter().map(ToString::to_string).collect();
        if let Err(why) = check_outcome(
            &case.world,
            case.now,
            &self.caps.profile,
            &result.evaluation,
        ) {
            differences.push(format!("model invariant: {why}"));
        }
        if differences.is_empty() {
            Verdict::Agreed
        } else {
            Verdict::Differs(report(
                &case,
                &differences,
                &result.expected_json().to_string(),
                &result.actual_json().to_string(),
            ))
        }
    }
}

fn report(case: &Case, differences: &[String], expected: &str, actual: &str) -> String {
    let case_json = serde_json::to_string_pretty(&case.to_json()).unwrap_or_default();
    let mut out = format!(
        "the sample implementation differs from the model in {} place(s):\n",
        differences.len()
    );
    for d in differences {
        out.push_str(&format!("  - {d}\n"));
    }
    out.push_str(&format!(
        "expected: {expected:.3000}\nactual:   {actual:.3000}\n"
    ));
    out.push_str(&format!(
        "the case (save it and run `migrate-conformance replay CASE.json`):\n{case_json}\n"
    ));
    out
}
