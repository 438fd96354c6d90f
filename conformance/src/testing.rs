//! Running the suite from another crate's `cargo test`.
//!
//! Add `migrate-conformance` as a dev-dependency, declare a test target without the default
//! harness, and hand it a constructor for your implementation:
//!
//! ```toml
//! [[test]]
//! name = "conformance"
//! harness = false
//! ```
//!
//! ```text
//! // tests/conformance.rs
//! fn main() {
//!     migrate_conformance::testing::main(|| Box::new(my_crate::MyImplementation::new()));
//! }
//! ```
//!
//! `conformance/example-crate` in this repository is such a crate.
//!
//! Each property becomes a separately named test (`conformance::duration`, ...) and each
//! test vector one more (`vectors::duration/value-4`, ...), which `cargo test NAME` filters as
//! usual; a failing property prints its minimal counterexample, a failing vector its
//! differences.
//! `MIGRATE_CONFORMANCE_CASES` and `MIGRATE_CONFORMANCE_SEED` change the cases per property
//! (default 100) and the seed (default 0).

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::adapter::Implementation;
use crate::gen::Property;
use crate::runner::{run, RunConfig};
use crate::summary::{render_failure, Reproduce};

/// Builds a fresh implementation for each test.
pub type Factory = Arc<dyn Fn() -> Box<dyn Implementation> + Send + Sync>;

/// The run configuration from the environment (see the module docs).
pub fn config_from_env() -> Result<RunConfig, String> {
    let read = |name: &str, default: u64| -> Result<u64, String> {
        match std::env::var(name) {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("{name}={v:?} is not a non-negative integer")),
            Err(_) => Ok(default),
        }
    };
    Ok(RunConfig {
        cases: u32::try_from(read("MIGRATE_CONFORMANCE_CASES", 100)?)
            .map_err(|_| "MIGRATE_CONFORMANCE_CASES is too large".to_owned())?,
        seed: read("MIGRATE_CONFORMANCE_SEED", 0)?,
        ..RunConfig::default()
    })
}

/// One trial per property, then one per test vector (`vectors::<id>`).
pub fn trials(factory: Factory, config: &RunConfig) -> Vec<Trial> {
    let mut trials = property_trials(Arc::clone(&factory), config);
    trials.extend(vector_trials(factory));
    trials
}

/// One trial per vector compiled into the crate; a vector file that fails to load is one
/// failing trial that says why.
pub fn vector_trials(factory: Factory) -> Vec<Trial> {
    let files = match crate::vectors::embedded_files() {
        Ok(files) => files,
        Err(e) => return vec![Trial::test("vectors::load", move || Err(Failed::from(e)))],
    };
    let mut trials = Vec::new();
    for file in files {
        for group in file.groups {
            let world = Arc::new(group.world);
            for vector in group.vectors {
                let factory = Arc::clone(&factory);
                let world = Arc::clone(&world);
                trials.push(Trial::test(format!("vectors::{}", vector.id), move || {
                    let mut imp = factory();
                    let result = crate::vectors::run_vector(
                        &mut imp,
                        &world,
                        &vector,
                        &mut crate::runner::Seen::default(),
                    );
                    if result.differences.is_empty() {
                        Ok(())
                    } else {
                        let lines: Vec<String> = result
                            .differences
                            .iter()
                            .map(|d| format!("  {d}"))
                            .collect();
                        Err(Failed::from(format!(
                            "{} ({}):\n{}",
                            vector.id,
                            vector.comment,
                            lines.join("\n")
                        )))
                    }
                }));
            }
        }
    }
    trials
}

/// One trial per property.
pub fn property_trials(factory: Factory, config: &RunConfig) -> Vec<Trial> {
    Property::ALL
        .iter()
        .map(|property| {
            let factory = Arc::clone(&factory);
            let config = RunConfig {
                properties: vec![*property],
                ..config.clone()
            };
            let name = format!("conformance::{}", property.name());
            Trial::test(name, move || {
                let mut imp = factory();
                let report = run(&mut imp, "this implementation", &config);
                let Some(p) = report.properties.first() else {
                    return Err(Failed::from("the property did not run"));
                };
                if p.failure.is_some() {
                    let reproduce = Reproduce::target("--target TARGET");
                    let blocks: Vec<String> = p
                        .failures()
                        .enumerate()
                        .map(|(n, f)| {
                            render_failure(property.name(), n + 1, f, config.seed, &reproduce)
                        })
                        .collect();
                    return Err(Failed::from(blocks.join("\n\n")));
                }
                match (&p.transport, &p.skipped) {
                    (Some(t), _) => Err(Failed::from(format!(
                        "{} cases failed at the transport level; the first: {}",
                        t.count, t.first
                    ))),
                    (None, Some(why)) => Err(Failed::from(why.clone())),
                    (None, None) if !p.passed() => Err(Failed::from(match &p.unsupported {
                        Some(u) => format!(
                            "no case ran: {} cases skipped, the first: {}",
                            u.count, u.first
                        ),
                        None => "did not pass".to_owned(),
                    })),
                    (None, None) => Ok(()),
                }
            })
        })
        .collect()
}

/// Runs the suite as a test binary and exits with libtest's status.
pub fn main(factory: impl Fn() -> Box<dyn Implementation> + Send + Sync + 'static) -> ! {
    let args = Arguments::from_args();
    let config = match config_from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    libtest_mimic::run(&args, trials(Arc::new(factory), &config)).exit()
}
