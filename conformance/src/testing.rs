//! Running the suite from another crate's `cargo test`.
//!
//! Add the suite as a dev-dependency, declare a test target without the default harness, and
//! hand it a constructor for your adapter (`conformance/README.md` has the whole walk-through,
//! and `conformance/example-crate` is such a crate):
//!
//! ```toml
//! [dev-dependencies]
//! migrate-conformance = "0.1"
//!
//! [[test]]
//! name = "conformance"
//! harness = false
//! ```
//!
//! ```text
//! // tests/conformance.rs
//! fn main() {
//!     migrate_conformance::testing::Suite::new(|| Box::new(MyAdapter::new()))
//!         .expected_failures(include_str!("expected-failures.txt"))
//!         .run()
//! }
//! ```
//!
//! Each property becomes a test (`conformance::duration`, ...), each test vector one more
//! (`vectors::duration/value-4`, ...), and `conformance::signatures` checks that the
//! implementation declares the JWKS its JWTs verify under. `cargo test NAME` filters as usual.
//!
//! A failing property prints each kind of failure once: the rules it breaks (and the policy
//! flag whose other choice would make the answer legal, if one would), the differences, the
//! request, a one-line account of the world, and two commands: one that reruns the property,
//! one that replays the saved minimal case. The case is saved as a vector file under
//! `target/<profile>/migrate-conformance-failures/` (or `MIGRATE_CONFORMANCE_FAILURES_DIR`).
//!
//! Settings, from the builder, then the environment, then the test arguments (the last wins):
//!
//! | builder | environment | argument | |
//! |---|---|---|---|
//! | [`Suite::cases`] | `MIGRATE_CONFORMANCE_CASES` | `--cases N` | cases per property (default 100; 0 is refused) |
//! | [`Suite::seed`] | `MIGRATE_CONFORMANCE_SEED` | `--seed N` | the seed (default 0) |
//! | | `MIGRATE_CONFORMANCE_FAILURES_DIR` | | where minimal cases are saved |
//! | | `MIGRATE_CONFORMANCE_REPLAY` | | extra files to run (`:`-separated, `;` on Windows): vector files, or cases as printed |
//! | [`Suite::expected_failures`] | `MIGRATE_CONFORMANCE_EXPECTED_FAILURES` | | a file that replaces the declared expected failures |
//!
//! **Expected failures** (known gaps, with reasons): see [`Suite::expected_failures`]. A
//! listed failure passes as expected and is counted at the end; a listed property or vector
//! that passes fails (remove it from the list), and so does a listed rule that no test broke
//! (when the whole suite ran).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use libtest_mimic::{Arguments, Failed, Trial};
use migrate_model::{Policy, Rule, World};
use serde_json::Value;

use crate::adapter::{HttpResponse, Implementation};
use crate::compare::{legal_under, Difference};
use crate::gen::{CaseJson, Property};
use crate::runner::{check_case, run, Coverage, Failure, RunConfig, Seen};
use crate::summary::{failure_file_name, render_coverage, shell_command};
use crate::vectors::{self, format::VectorFile};

/// Builds a fresh implementation for each test.
pub type Factory = Arc<dyn Fn() -> Box<dyn Implementation> + Send + Sync>;

/// The default cases per property in this mode.
pub const DEFAULT_CASES: u32 = 100;

/// The suite as a `cargo test` harness; see the module docs.
pub struct Suite {
    factory: Factory,
    cases: u32,
    seed: u64,
    expected: Vec<(String, String)>,
    expected_errors: Vec<String>,
    no_signature_check: Option<String>,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("cases", &self.cases)
            .field("seed", &self.seed)
            .field("expected", &self.expected)
            .field("no_signature_check", &self.no_signature_check)
            .finish_non_exhaustive()
    }
}

/// What an expected-failure entry names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    Property(Property),
    Vector(String),
    Rule(&'static str),
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Property(p) => write!(f, "conformance::{}", p.name()),
            Entry::Vector(id) => write!(f, "vectors::{id}"),
            Entry::Rule(id) => write!(f, "rule {id}"),
        }
    }
}

/// The declared expected failures, checked against what exists.
#[derive(Clone, Debug, Default)]
struct Expected {
    reasons: BTreeMap<Entry, String>,
}

impl Expected {
    fn property(&self, p: Property) -> Option<&String> {
        self.reasons.get(&Entry::Property(p))
    }

    fn vector(&self, id: &str) -> Option<&String> {
        self.reasons.get(&Entry::Vector(id.to_owned()))
    }

    /// The listed rules of `differences`, when every difference names a listed rule.
    fn rules_of(&self, differences: &[Difference]) -> Option<BTreeSet<&'static str>> {
        let mut rules = BTreeSet::new();
        for d in differences {
            let rule = d
                .rule
                .filter(|r| self.reasons.contains_key(&Entry::Rule(r)))?;
            rules.insert(rule);
        }
        (!rules.is_empty()).then_some(rules)
    }
}

/// What the trials saw, for the summary at the end.
#[derive(Debug, Default)]
struct Tally {
    coverage: Option<Coverage>,
    /// Entry -> the tests whose failures it covered.
    occurred: BTreeMap<Entry, BTreeSet<String>>,
}

type Shared = Arc<Mutex<Tally>>;

fn lock(tally: &Shared) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where the run's settings came from, and how to name the test binary in commands.
#[derive(Clone, Debug)]
struct Context {
    config: RunConfig,
    failures_dir: PathBuf,
    package: Option<String>,
    test_target: Option<String>,
}

impl Context {
    /// `cargo test -p PKG --test TARGET --` followed by `rest`, quoted for the shell.
    fn cargo_test(&self, rest: &[&str]) -> String {
        let mut words = vec!["cargo", "test"];
        if let Some(p) = &self.package {
            words.extend(["-p", p]);
        }
        if let Some(t) = &self.test_target {
            words.extend(["--test", t]);
        }
        words.push("--");
        words.extend(rest);
        shell_command(&words)
    }

    fn rerun_property(&self, property: &str) -> String {
        let (seed, cases) = (self.config.seed.to_string(), self.config.cases.to_string());
        self.cargo_test(&[
            "--exact",
            &format!("conformance::{property}"),
            "--seed",
            &seed,
            "--cases",
            &cases,
        ])
    }

    fn replay_file(&self, path: &Path, test: &str) -> String {
        format!(
            "MIGRATE_CONFORMANCE_REPLAY={} {}",
            shell_command(&[&path.display().to_string()]),
            self.cargo_test(&["--exact", test])
        )
    }
}

impl Suite {
    /// The suite over implementations built by `factory` (one per test).
    pub fn new(factory: impl Fn() -> Box<dyn Implementation> + Send + Sync + 'static) -> Suite {
        Suite {
            factory: Arc::new(factory),
            cases: DEFAULT_CASES,
            seed: 0,
            expected: Vec::new(),
            expected_errors: Vec::new(),
            no_signature_check: None,
        }
    }

    /// Cases per property (the environment and the test arguments still override it).
    pub fn cases(mut self, cases: u32) -> Suite {
        self.cases = cases;
        self
    }

    /// The seed (the environment and the test arguments still override it).
    pub fn seed(mut self, seed: u64) -> Suite {
        self.seed = seed;
        self
    }

    /// Declares known gaps, one per line: an id, then whitespace, then the reason (required).
    /// Blank lines and lines starting with `#` are ignored. The id is a property
    /// (`claims-size` or `conformance::claims-size`), a vector id (`duration/value-4` or
    /// `vectors::duration/value-4`), or a rule id of `model/SPEC.md` (`claims.size.limit`):
    ///
    /// ```text
    /// # tests/expected-failures.txt
    /// claims.merge.deep          nested objects are replaced, not merged (ticket 123)
    /// vectors::duration/value-minus0  we read -0 as a float
    /// ```
    ///
    /// A failure is expected when its test is listed, or when every difference it shows
    /// breaks a listed rule. An unknown id, or a line without a reason, fails the run before
    /// any test starts. Call it once per file; the entries add up.
    pub fn expected_failures(mut self, text: &str) -> Suite {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, reason) = line
                .split_once(char::is_whitespace)
                .map_or((line, ""), |(id, reason)| (id, reason.trim()));
            if reason.is_empty() {
                self.expected_errors.push(format!(
                    "expected failures, line {}: {id:?} has no reason (write why after the id)",
                    n + 1
                ));
            } else {
                self.expected.push((id.to_owned(), reason.to_owned()));
            }
        }
        self
    }

    /// Declares one known gap (see [`Suite::expected_failures`]).
    pub fn expect_failure(mut self, id: &str, reason: &str) -> Suite {
        self.expected.push((id.to_owned(), reason.to_owned()));
        self
    }

    /// Runs without checking JWT signatures, for an implementation that cannot declare its
    /// JWKS; `conformance::signatures` is then reported as ignored, with `reason`. Without
    /// this, an implementation that declares no JWKS fails that test.
    pub fn no_signature_check(mut self, reason: &str) -> Suite {
        self.no_signature_check = Some(reason.to_owned());
        self
    }

    /// Runs the tests as libtest would and exits with its status: 101 when a test failed
    /// (a listed property or vector that passed among them), 2 on a usage error, 1 when the
    /// only problem is a listed rule that no test broke.
    pub fn run(self) -> ! {
        let mut this = self;
        if let Some(path) = std::env::var_os("MIGRATE_CONFORMANCE_EXPECTED_FAILURES") {
            let path = PathBuf::from(path);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    this.expected.clear();
                    this.expected_errors.clear();
                    this = this.expected_failures(&text);
                }
                Err(e) => usage_error(&format!(
                    "MIGRATE_CONFORMANCE_EXPECTED_FAILURES: cannot read {}: {e}",
                    path.display()
                )),
            }
        }
        let (args, overrides) = match split_args(std::env::args()) {
            Ok(split) => split,
            Err(e) => usage_error(&e),
        };
        let args = Arguments::from_iter(args);
        let context = match this.context(&overrides) {
            Ok(c) => c,
            Err(e) => usage_error(&e),
        };
        let extra = match replay_files() {
            Ok(files) => files,
            Err(e) => usage_error(&e),
        };
        let embedded = vectors::embedded().into_iter().map(|(name, text)| {
            let file = format!("fixtures/{name} (compiled into migrate-conformance)");
            vectors::load(name, text).map(|f| (file, f))
        });
        let mut files: Vec<(String, VectorFile)> = match embedded.collect() {
            Ok(files) => files,
            Err(e) => usage_error(&format!("the embedded vectors do not load: {e}")),
        };
        let mut cases = Vec::new();
        for item in extra {
            match item {
                Replay::Vectors(name, file) => files.push((name, file)),
                Replay::Case(name, case) => cases.push((name, case)),
            }
        }
        let expected = match this.check_expected(&files) {
            Ok(e) => Arc::new(e),
            Err(e) => usage_error(&e),
        };
        let tally: Shared = Arc::default();
        let mut trials = Vec::new();
        trials.extend(property_trials(&this.factory, &context, &expected, &tally));
        trials.push(signature_trial(
            &this.factory,
            this.no_signature_check.clone(),
        ));
        trials.extend(vector_trials(&this.factory, &files, &expected, &tally));
        trials.extend(replay_trials(&this.factory, cases));
        // Listed rules are judged stale only in a run of every test, with the declared seed
        // and at least the declared cases (another seed or fewer cases may not reach them).
        let judge_stale = if args.filter.is_some() || !args.skip.is_empty() || args.ignored {
            Err("only some tests ran")
        } else if context.config.seed != this.seed || context.config.cases < this.cases {
            Err("the seed or the cases differ from the declared ones")
        } else {
            Ok(())
        };
        let listing = args.list;
        // Under `--format json` standard output is libtest's JSON; the summary goes to stderr.
        let to_stderr = matches!(args.format, Some(libtest_mimic::FormatSetting::Json));
        let conclusion = libtest_mimic::run(&args, trials);
        if listing {
            conclusion.exit();
        }
        let summary = summary(&context, &expected, &lock(&tally), judge_stale);
        if to_stderr {
            eprintln!("{}", summary.text);
        } else {
            println!("{}", summary.text);
        }
        let stale = summary.stale;
        if stale && !conclusion.has_failed() {
            std::process::exit(1);
        }
        conclusion.exit()
    }

    fn context(&self, overrides: &Overrides) -> Result<Context, String> {
        let env = |name: &str| -> Result<Option<u64>, String> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}={v:?} is not a non-negative integer")),
                Err(_) => Ok(None),
            }
        };
        let cases = overrides
            .cases
            .or(env("MIGRATE_CONFORMANCE_CASES")?)
            .unwrap_or(u64::from(self.cases));
        let cases = u32::try_from(cases).map_err(|_| format!("{cases} cases is too many"))?;
        if cases == 0 {
            return Err("0 cases per property would run nothing and pass: give at least 1".into());
        }
        let seed = overrides
            .seed
            .or(env("MIGRATE_CONFORMANCE_SEED")?)
            .unwrap_or(self.seed);
        let exe = std::env::current_exe().ok();
        let failures_dir = match std::env::var_os("MIGRATE_CONFORMANCE_FAILURES_DIR") {
            Some(dir) => PathBuf::from(dir),
            // target/<profile>/deps/<binary> -> target/<profile>/migrate-conformance-failures
            None => exe
                .as_deref()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .map_or_else(std::env::temp_dir, Path::to_path_buf)
                .join("migrate-conformance-failures"),
        };
        Ok(Context {
            config: RunConfig {
                cases,
                seed,
                keep_going: true,
                ..RunConfig::default()
            },
            failures_dir,
            package: std::env::var("CARGO_PKG_NAME").ok(),
            test_target: exe.as_deref().and_then(test_target_name).map(|stem| {
                let manifest = std::env::var_os("CARGO_MANIFEST_DIR").and_then(|dir| {
                    std::fs::read_to_string(Path::new(&dir).join("Cargo.toml")).ok()
                });
                spelled_as_in_manifest(&stem, manifest.as_deref())
            }),
        })
    }

    fn check_expected(&self, files: &[(String, VectorFile)]) -> Result<Expected, String> {
        let mut errors = self.expected_errors.clone();
        let ids: BTreeSet<&str> = files
            .iter()
            .flat_map(|(_, f)| f.groups.iter().flat_map(|g| &g.vectors))
            .map(|v| v.id.as_str())
            .collect();
        let mut expected = Expected::default();
        for (id, reason) in &self.expected {
            let bare = id.trim_start_matches("conformance::");
            let entry = if let Some(p) = Property::ALL.iter().find(|p| p.name() == bare) {
                Entry::Property(*p)
            } else if let Some(rule) = Rule::from_id(id) {
                Entry::Rule(rule.id())
            } else if ids.contains(id.trim_start_matches("vectors::")) {
                Entry::Vector(id.trim_start_matches("vectors::").to_owned())
            } else {
                errors.push(format!(
                    "expected failure {id:?} names no property, vector id or rule id of this version of the suite"
                ));
                continue;
            };
            if let Some(previous) = expected.reasons.insert(entry, reason.clone()) {
                errors.push(format!(
                    "expected failure {id:?} is listed twice (first: {previous})"
                ));
            }
        }
        if errors.is_empty() {
            Ok(expected)
        } else {
            Err(errors.join("\n"))
        }
    }
}

/// Runs the suite as a test binary and exits with libtest's status: [`Suite::new`]`(factory)`
/// with nothing declared.
pub fn main(factory: impl Fn() -> Box<dyn Implementation> + Send + Sync + 'static) -> ! {
    Suite::new(factory).run()
}

fn usage_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

/// `--seed` and `--cases` given after `--`.
#[derive(Clone, Copy, Debug, Default)]
struct Overrides {
    seed: Option<u64>,
    cases: Option<u64>,
}

/// Takes the suite's own arguments out of the command line; the rest is libtest's.
fn split_args(args: impl Iterator<Item = String>) -> Result<(Vec<String>, Overrides), String> {
    let mut rest = Vec::new();
    let mut overrides = Overrides::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            "--seed" => &mut overrides.seed,
            "--cases" => &mut overrides.cases,
            _ => {
                rest.push(arg);
                continue;
            }
        };
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{name} needs a value"))?;
        *slot = Some(
            value
                .parse()
                .map_err(|_| format!("{name} {value:?} is not a non-negative integer"))?,
        );
    }
    Ok((rest, overrides))
}

/// `conformance-0123456789abcdef` -> `conformance`.
fn test_target_name(exe: &Path) -> Option<String> {
    let stem = exe.file_stem()?.to_str()?;
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(name.to_owned())
        }
        _ => Some(stem.to_owned()),
    }
}

/// Cargo names a test binary after its target with `-` turned into `_`; `--test` wants the
/// target's own spelling, which the manifest has (`name = "my-tests"`).
fn spelled_as_in_manifest(stem: &str, manifest: Option<&str>) -> String {
    let names = manifest
        .into_iter()
        .flat_map(str::lines)
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "name").then(|| value.trim().trim_matches('"').to_owned())
        });
    names
        .into_iter()
        .find(|name| name.replace('-', "_") == stem)
        .unwrap_or_else(|| stem.to_owned())
}

enum Replay {
    Vectors(String, VectorFile),
    Case(String, CaseJson),
}

/// The files of `MIGRATE_CONFORMANCE_REPLAY`.
fn replay_files() -> Result<Vec<Replay>, String> {
    let Some(paths) = std::env::var_os("MIGRATE_CONFORMANCE_REPLAY") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for path in std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()) {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("MIGRATE_CONFORMANCE_REPLAY: cannot read {name}: {e}"))?;
        let value = vectors::parse_deep(&text)
            .map_err(|e| format!("MIGRATE_CONFORMANCE_REPLAY: {name} is not JSON: {e}"))?;
        if value.get("format").is_some() {
            out.push(Replay::Vectors(
                name.clone(),
                vectors::load(&name, &text)
                    .map_err(|e| format!("MIGRATE_CONFORMANCE_REPLAY: {e}"))?,
            ));
        } else {
            let case = CaseJson::from_replay(&value)
                .map_err(|e| format!("MIGRATE_CONFORMANCE_REPLAY: {name}: {e}"))?;
            out.push(Replay::Case(name, case));
        }
    }
    Ok(out)
}

/// One trial per property.
fn property_trials(
    factory: &Factory,
    context: &Context,
    expected: &Arc<Expected>,
    tally: &Shared,
) -> Vec<Trial> {
    Property::ALL
        .iter()
        .map(|&property| {
            let (factory, expected, tally) =
                (Arc::clone(factory), Arc::clone(expected), Arc::clone(tally));
            let context = Context {
                config: RunConfig {
                    properties: vec![property],
                    ..context.config.clone()
                },
                ..context.clone()
            };
            let name = format!("conformance::{}", property.name());
            let listed = expected.property(property).is_some();
            let trial = Trial::test(name.clone(), move || {
                run_property(&factory, &context, property, &expected, &tally, &name)
            });
            if listed {
                trial.with_kind("expected failure")
            } else {
                trial
            }
        })
        .collect()
}

fn run_property(
    factory: &Factory,
    context: &Context,
    property: Property,
    expected: &Expected,
    tally: &Shared,
    name: &str,
) -> Result<(), Failed> {
    let mut imp = factory();
    let profile = imp.capabilities().profile;
    let report = run(&mut imp, "this implementation", &context.config);
    {
        let mut t = lock(tally);
        match &mut t.coverage {
            Some(c) => c.merge(&report.coverage),
            None => t.coverage = Some(report.coverage.clone()),
        }
    }
    let Some(p) = report.properties.first() else {
        return Err(Failed::from("the property did not run"));
    };
    for f in p.failures() {
        record_listed_rules(tally, expected, &f.differences, name);
    }
    if let Some(reason) = expected.property(property) {
        if p.passed() {
            return Err(Failed::from(format!(
                "listed as an expected failure ({reason}), but it passed: remove it from the list"
            )));
        }
        lock(tally)
            .occurred
            .entry(Entry::Property(property))
            .or_default()
            .insert(name.to_owned());
        return Ok(());
    }
    let mut blocks = Vec::new();
    for (n, f) in p.failures().enumerate() {
        match expected.rules_of(&f.differences) {
            Some(_) => {}
            None => blocks.push(render_property_failure(
                context,
                property.name(),
                n + 1,
                f,
                &profile,
            )),
        }
    }
    if let Some(t) = &p.transport {
        blocks.push(format!(
            "{} cases failed at the transport level; the first: {}",
            t.count, t.first
        ));
    }
    if let Some(why) = &p.skipped {
        blocks.push(why.clone());
    }
    if p.cases == 0 {
        blocks.push(match &p.unsupported {
            Some(u) => format!(
                "no case ran: {} cases skipped, the first: {}",
                u.count, u.first
            ),
            None => "no case ran".to_owned(),
        });
    }
    if blocks.is_empty() {
        Ok(())
    } else {
        Err(Failed::from(blocks.join("\n\n")))
    }
}

/// Notes each listed rule that `differences` break, whether or not the failure is expected as
/// a whole: a listed rule is stale only when no test broke it at all.
fn record_listed_rules(
    tally: &Shared,
    expected: &Expected,
    differences: &[Difference],
    test: &str,
) {
    let mut t = lock(tally);
    for rule in differences.iter().filter_map(|d| d.rule) {
        if expected.reasons.contains_key(&Entry::Rule(rule)) {
            t.occurred
                .entry(Entry::Rule(rule))
                .or_default()
                .insert(test.to_owned());
        }
    }
}

/// One kind of failure of a property, for a person at a terminal.
fn render_property_failure(
    context: &Context,
    property: &str,
    n: usize,
    f: &Failure,
    profile: &Policy,
) -> String {
    let mut out = String::new();
    let kind = if n > 1 {
        format!(" of failure kind {n}")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "=== {property}: minimal counterexample{kind} ({} failing case{})",
        f.count,
        if f.count == 1 { "" } else { "s" }
    );
    let _ = writeln!(out, "  breaks: {}", f.rules.join(", "));
    for d in &f.differences {
        let _ = writeln!(out, "  {d}");
    }
    if let Ok(case) = f.case.clone().into_case() {
        if let Some(response) = response_of(&f.actual) {
            let flips = legal_under(&case.world, case.now, &case.body, &response, profile);
            if let Some(line) = legal_line(&flips) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    let _ = writeln!(out, "  now: {}", f.case.now);
    match (&f.case.request, &f.case.request_base64) {
        (Some(text), _) => {
            let _ = writeln!(out, "  request: {}", clip(text));
        }
        (None, Some(b64)) => {
            let _ = writeln!(out, "  request (not UTF-8, base64): {}", clip(b64));
        }
        (None, None) => {}
    }
    let _ = writeln!(out, "  world: {}", describe_world(&f.case.world));
    let _ = writeln!(
        out,
        "  actual: {}",
        clip(&serde_json::to_string(&f.actual).unwrap_or_default())
    );
    let file_name = failure_file_name(context.config.seed, None, property, n);
    let comment = format!(
        "cargo test conformance::{property} --seed {}: breaks {}",
        context.config.seed,
        f.rules.join(", ")
    );
    let saved = std::fs::create_dir_all(&context.failures_dir)
        .map_err(|e| format!("cannot create {}: {e}", context.failures_dir.display()))
        .and_then(|()| {
            vectors::generate::write_case_file(&context.failures_dir, &file_name, &comment, &f.case)
        });
    let _ = writeln!(
        out,
        "  rerun the property: {}",
        context.rerun_property(property)
    );
    match saved {
        Ok(path) => {
            let id = format!("vectors::failures/{}", file_name.trim_end_matches(".json"));
            let _ = writeln!(
                out,
                "  the case, with the world in full: {}",
                path.display()
            );
            let _ = write!(
                out,
                "  replay the case:    {}",
                context.replay_file(&path, &id)
            );
        }
        Err(e) => {
            // Not saved: the case goes to the output instead, in the replay file form.
            let _ = writeln!(out, "  ({e}; the case follows, to save and replay)");
            let _ = write!(
                out,
                "{}",
                serde_json::to_string(&f.case).unwrap_or_default()
            );
        }
    }
    out
}

/// The line that names the single policy changes under which the answer would be right.
fn legal_line(flips: &[(migrate_model::Flag, &'static str)]) -> Option<String> {
    if flips.is_empty() {
        return None;
    }
    let flips: Vec<String> = flips
        .iter()
        .map(|(flag, choice)| format!("{}={choice}", flag.name()))
        .collect();
    Some(format!(
        "  legal under another policy: {}; if that is your implementation's deliberate choice, declare it in Capabilities::profile",
        flips.join(" or ")
    ))
}

/// The response a failure recorded (`{status, body}`, the body as JSON or as text).
fn response_of(actual: &Value) -> Option<HttpResponse> {
    let status = u16::try_from(actual.get("status")?.as_u64()?).ok()?;
    let body = match actual.get("body")? {
        Value::String(text) => text.clone().into_bytes(),
        json => serde_json::to_vec(json).ok()?,
    };
    Some(HttpResponse { status, body })
}

/// A world in one line: what is in it, not every field.
fn describe_world(world: &World) -> String {
    let orgs: Vec<String> = world
        .organizations
        .iter()
        .map(|o| {
            let members: Vec<String> = o
                .members
                .iter()
                .map(|m| format!("{} {} {}", m.member_id, m.email, m.status.name()))
                .collect();
            format!(
                "{} (slug {:?}{}) [{}]",
                o.organization_id,
                o.slug,
                o.external_id
                    .as_ref()
                    .map(|e| format!(", external id {e:?}"))
                    .unwrap_or_default(),
                members.join("; ")
            )
        })
        .collect();
    crate::compare::truncate_to(MAX_WORLD_LINE, &format!(
        "project {} (max {} min), claims template {}, organizations: {}; UserInfo knows {} token(s)",
        world.project_id,
        world.project_max_session_minutes,
        serde_json::to_string(&world.claims_template).unwrap_or_default(),
        if orgs.is_empty() {
            "none".to_owned()
        } else {
            orgs.join(", ")
        },
        world.userinfo.len()
    ))
}

/// The longest world line: a world is printed once per failure, in full unless huge.
const MAX_WORLD_LINE: usize = 4000;

fn clip(s: &str) -> String {
    crate::compare::truncate_to(600, s)
}

/// `conformance::signatures`: the implementation declares a JWKS, so every signature is
/// verified; ignored (with the reason) when the user opted out.
fn signature_trial(factory: &Factory, opted_out: Option<String>) -> Trial {
    let factory = Arc::clone(factory);
    let trial = Trial::test("conformance::signatures", move || {
        let imp = factory();
        let Some(jwks) = imp.capabilities().jwks else {
            return Err(Failed::from(
                "the implementation declares no JWKS, so no JWT signature was verified: set Capabilities::jwks (migrate_conformance::jwks::from_private_pem builds it from the signing key), or call Suite::no_signature_check(reason)",
            ));
        };
        let keys = jwks.get("keys").and_then(Value::as_array);
        match keys {
            Some(keys) if !keys.is_empty() => Ok(()),
            _ => Err(Failed::from(format!(
                "the declared JWKS has no keys: {}",
                clip(&jwks.to_string())
            ))),
        }
    });
    match opted_out {
        Some(reason) => trial
            .with_ignored_flag(true)
            .with_kind(format!("not checked: {reason}")),
        None => trial,
    }
}

/// One trial per vector: the embedded ones and those of `MIGRATE_CONFORMANCE_REPLAY`.
fn vector_trials(
    factory: &Factory,
    files: &[(String, VectorFile)],
    expected: &Arc<Expected>,
    tally: &Shared,
) -> Vec<Trial> {
    let mut trials = Vec::new();
    for (file_name, file) in files {
        for group in &file.groups {
            let world = Arc::new(group.world.clone());
            for vector in &group.vectors {
                let (factory, world, expected, tally) = (
                    Arc::clone(factory),
                    Arc::clone(&world),
                    Arc::clone(expected),
                    Arc::clone(tally),
                );
                let (vector, file_name) = (vector.clone(), file_name.clone());
                let name = format!("vectors::{}", vector.id);
                let listed = expected.vector(&vector.id).is_some();
                let trial = Trial::test(name.clone(), move || {
                    let mut imp = factory();
                    let result =
                        vectors::run_vector(&mut imp, &world, &vector, &mut Seen::default());
                    record_listed_rules(&tally, &expected, &result.differences, &name);
                    if let Some(reason) = expected.vector(&vector.id) {
                        if result.differences.is_empty() {
                            return Err(Failed::from(format!(
                                "listed as an expected failure ({reason}), but it passed: remove it from the list"
                            )));
                        }
                        lock(&tally)
                            .occurred
                            .entry(Entry::Vector(vector.id.clone()))
                            .or_default()
                            .insert(name.clone());
                        return Ok(());
                    }
                    if result.differences.is_empty() {
                        return Ok(());
                    }
                    if expected.rules_of(&result.differences).is_some() {
                        return Ok(());
                    }
                    let profile = imp.capabilities().profile;
                    Err(Failed::from(render_vector_failure(
                        &file_name, &world, &vector, &result, &profile,
                    )))
                });
                trials.push(if listed {
                    trial.with_kind("expected failure")
                } else {
                    trial
                });
            }
        }
    }
    trials
}

fn render_vector_failure(
    file_name: &str,
    world: &World,
    vector: &vectors::format::Vector,
    result: &vectors::VectorResult,
    profile: &Policy,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "=== vector {} ({})", vector.id, vector.comment);
    let _ = writeln!(
        out,
        "  file: {file_name}; rules: {}",
        vector.rules.join(", ")
    );
    for d in &result.differences {
        let _ = writeln!(out, "  {d}");
    }
    if let (Some(response), Ok(body)) = (&result.response, vectors::request_bytes(vector)) {
        let flips = legal_under(world, vector.now, &body, response, profile);
        if let Some(line) = legal_line(&flips) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out, "  now: {}", vector.now);
    match vectors::request_bytes(vector) {
        Ok(bytes) => match std::str::from_utf8(&bytes) {
            Ok(text) => {
                let _ = writeln!(out, "  request: {}", clip(text));
            }
            Err(_) => {
                let _ = writeln!(
                    out,
                    "  request (not UTF-8, base64): {}",
                    clip(vector.request_base64.as_deref().unwrap_or_default())
                );
            }
        },
        Err(e) => {
            let _ = writeln!(out, "  request: unreadable ({e})");
        }
    }
    let _ = write!(out, "  world: {}", describe_world(world));
    out
}

/// One trial per case file of `MIGRATE_CONFORMANCE_REPLAY` (`replay::<file>`).
fn replay_trials(factory: &Factory, cases: Vec<(String, CaseJson)>) -> Vec<Trial> {
    cases
        .into_iter()
        .map(|(file_name, case)| {
            let factory = Arc::clone(factory);
            Trial::test(format!("replay::{file_name}"), move || {
                let case = case.clone().into_case().map_err(Failed::from)?;
                let mut imp = factory();
                let caps = imp.capabilities();
                let result = check_case(&mut imp, &caps, &case, &mut Seen::default())
                    .map_err(Failed::from)?;
                if result.differences.is_empty() {
                    return Ok(());
                }
                let mut out = format!("=== replay of {file_name}\n");
                for d in &result.differences {
                    let _ = writeln!(out, "  {d}");
                }
                let _ = write!(
                    out,
                    "  actual: {}",
                    clip(&serde_json::to_string(&result.actual_json()).unwrap_or_default())
                );
                Err(Failed::from(out))
            })
        })
        .collect()
}

/// The text printed after libtest's, and whether a listed rule is stale.
struct Summary {
    text: String,
    stale: bool,
}

/// The summary after libtest's: settings, coverage, expected failures, and the listed rules no
/// test broke (judged only when `judge_stale` is `Ok`).
fn summary(
    context: &Context,
    expected: &Expected,
    tally: &Tally,
    judge_stale: Result<(), &str>,
) -> Summary {
    let mut out = format!(
        "\nmigrate-conformance: seed {}, {} cases per property (--seed N --cases N after --, or MIGRATE_CONFORMANCE_SEED / _CASES)",
        context.config.seed, context.config.cases
    );
    if let Some(coverage) = &tally.coverage {
        out.push_str(&render_coverage(coverage));
    }
    let mut stale = false;
    if !expected.reasons.is_empty() {
        let _ = writeln!(out, "expected failures:");
        for (entry, reason) in &expected.reasons {
            match tally.occurred.get(entry) {
                Some(tests) => {
                    let tests: Vec<&str> = tests.iter().map(String::as_str).collect();
                    let _ = writeln!(
                        out,
                        "  {entry}: as expected ({reason}) in {}",
                        tests.join(", ")
                    );
                }
                None if judge_stale.is_ok() && matches!(entry, Entry::Rule(_)) => {
                    stale = true;
                    let _ = writeln!(
                        out,
                        "  {entry}: listed ({reason}) but no test broke it: remove it from the list"
                    );
                }
                None => {}
            }
        }
        if let Err(why) = judge_stale {
            let _ = writeln!(
                out,
                "  (listed rules that no test broke are not judged: {why})"
            );
        }
    }
    Summary { text: out, stale }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> impl Iterator<Item = String> {
        v.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_suites_arguments_are_taken_out_of_libtests() {
        let (rest, o) = split_args(strings(&[
            "bin",
            "--seed",
            "7",
            "duration",
            "--cases=3",
            "--exact",
        ]))
        .unwrap();
        assert_eq!(rest, ["bin", "duration", "--exact"]);
        assert_eq!((o.seed, o.cases), (Some(7), Some(3)));
        assert!(split_args(strings(&["bin", "--seed"]))
            .unwrap_err()
            .contains("needs a value"));
        assert!(split_args(strings(&["bin", "--cases", "x"])).is_err());
    }

    #[test]
    fn the_test_target_is_the_binary_name_without_its_hash() {
        let name = |p: &str| test_target_name(Path::new(p));
        assert_eq!(
            name("/t/debug/deps/conformance-0123456789abcdef").as_deref(),
            Some("conformance")
        );
        assert_eq!(
            name("/t/debug/deps/my-tests-0123456789abcdef").as_deref(),
            Some("my-tests")
        );
        assert_eq!(name("/t/debug/my-tests").as_deref(), Some("my-tests"));
        let manifest =
            "[package]\nname = \"my-crate\"\n\n[[test]]\nname = \"my-tests\"\nharness = false\n";
        assert_eq!(
            spelled_as_in_manifest("my_tests", Some(manifest)),
            "my-tests"
        );
        assert_eq!(spelled_as_in_manifest("other", Some(manifest)), "other");
        assert_eq!(spelled_as_in_manifest("conformance", None), "conformance");
    }

    #[test]
    fn expected_failure_lines_need_an_id_and_a_reason() {
        let suite = Suite::new(|| unreachable!()).expected_failures(
            "# comment\n\nclaims.merge.deep  nested objects replaced\nduration\nnot-a-thing because\n",
        );
        let err = suite.check_expected(&[]).unwrap_err();
        assert!(err.contains("line 4: \"duration\" has no reason"), "{err}");
        assert!(err.contains("\"not-a-thing\" names no property"), "{err}");
        let ok = Suite::new(|| unreachable!())
            .expected_failures(
                "claims.merge.deep  nested objects replaced\nconformance::duration  why\n",
            )
            .check_expected(&[])
            .unwrap();
        assert_eq!(ok.reasons.len(), 2);
        assert!(ok.property(Property::Duration).is_some());
    }

    #[test]
    fn a_failure_is_expected_only_when_every_difference_breaks_a_listed_rule() {
        let expected = Suite::new(|| unreachable!())
            .expect_failure("claims.merge.deep", "r")
            .check_expected(&[])
            .unwrap();
        let d = |rule: Option<&'static str>| Difference {
            path: "/x".into(),
            expected: Value::Null,
            actual: Value::Null,
            absent: None,
            note: String::new(),
            rule,
        };
        assert!(expected.rules_of(&[d(Some("claims.merge.deep"))]).is_some());
        assert!(expected
            .rules_of(&[d(Some("claims.merge.deep")), d(Some("session.expiry"))])
            .is_none());
        assert!(expected.rules_of(&[d(None)]).is_none());
        assert!(expected.rules_of(&[]).is_none());
    }
}
