//! `migrate-conformance`: check an implementation of `POST /v1/b2b/sessions/migrate` against
//! the reference model.

use std::collections::BTreeSet;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_conformance::gen::{CaseJson, Property};
use migrate_conformance::runner::{check_case, run, RunConfig, Seen};
use migrate_conformance::summary::{render, shell_command, Reproduce};
use migrate_conformance_cli::bugzoo::{kill_matrix, render as render_matrix};
use migrate_conformance_cli::sample::{Bug, Sample};
use migrate_conformance_cli::targets::{
    open, Setup, TargetOptions, DEFAULT_TARGET, DEFAULT_USERINFO_LISTEN,
};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the properties against a target; exits 1 on any failure.
    Check {
        #[command(flatten)]
        target: TargetArgs,
        /// Pass even when no JWT signature could be verified (the target declares no JWKS
        /// and serves none).
        #[arg(long)]
        no_signature_check: bool,
        /// Cases per property.
        #[arg(long, default_value_t = 200)]
        cases: u32,
        /// The seed; the same seed gives the same cases.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Run only this property (repeatable); `--property list` lists them.
        #[arg(long = "property", value_name = "NAME")]
        properties: Vec<String>,
        /// Run only shard K of N of each property's cases (`--shard 2/4`): N jobs with the
        /// same seed and K = 1..=N together run exactly the unsharded cases.
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<(u32, u32)>,
        /// Run every case even after a failure, and report each kind of failure (the rule its
        /// first difference breaks) with its own minimal case.
        #[arg(long)]
        keep_going: bool,
        /// Write each minimal failing case to DIR as a vector file (the `fixtures/` format),
        /// ready for `vectors run FILE` or to join the published vectors.
        #[arg(long, value_name = "DIR")]
        failures_dir: Option<PathBuf>,
        /// Print the report as JSON instead of the summary (its schema:
        /// conformance/report.schema.json).
        #[arg(long)]
        json: bool,
        /// Also write the result as JUnit XML (one test case per property) to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// No progress lines on standard error.
        #[arg(long)]
        quiet: bool,
    },
    /// Run every mutant of the sample against the properties and the vectors and print the
    /// kill matrix; exits 1 if any mutant survives either.
    Bugzoo {
        /// Print the mutants' names, one per line, and nothing else.
        #[arg(long)]
        list: bool,
        /// Cases per property for each mutant.
        #[arg(long, default_value_t = 200)]
        cases: u32,
        /// The seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Replay one saved case (as printed for a failure) against a target.
    Replay {
        /// The case file: `world`, `now`, and `request` or `request_base64`.
        file: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// JSON reports: merge the reports of a sharded check.
    Report {
        #[command(subcommand)]
        action: ReportCommand,
    },
    /// Test vectors: generate, verify, run, harvest.
    Vectors {
        #[command(subcommand)]
        action: VectorsCommand,
    },
    /// Serve the sample (or a mutant) over the subprocess protocol on stdin/stdout.
    ServeStdio {
        /// `sample` or `bugzoo:NAME`.
        #[arg(long, default_value = "sample")]
        target: String,
    },
}

/// Which implementation to check, and how to reach it.
#[derive(Debug, clap::Args)]
struct TargetArgs {
    /// `emulator` (the default: the embedded emulator on an ephemeral loopback port, over
    /// real HTTP), `sample` (the same implementation in-process), `bugzoo:NAME` (a mutant),
    /// `http://HOST:PORT` (any server with the control routes, such as
    /// `migrate-emulator --control`), or `cmd:PROGRAM ARG...` (the subprocess protocol).
    #[arg(long, default_value = DEFAULT_TARGET)]
    target: String,
    /// The project secret an `http://` target checks (HTTP Basic, with the world's project
    /// id).
    #[arg(long, env = "MIGRATE_CONFORMANCE_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The most one call may take on any target, in seconds; a call that takes longer is a
    /// transport failure (an in-process target is then not called again).
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    timeout: f64,
    /// How each world gets into an `http://` target (or the emulator): `control` through
    /// `PUT /_conformance/world`, or `public-api` through the public organization and member
    /// API, with a UserInfo stub on loopback the target must be configured with (worlds
    /// the public API cannot create are skipped and counted). See conformance/TARGETS.md.
    #[arg(long, value_enum, default_value_t = Setup::Control)]
    setup: Setup,
    /// The target's project id (`--setup public-api` with an `http://` target).
    #[arg(long, env = "MIGRATE_CONFORMANCE_PROJECT_ID")]
    project_id: Option<String>,
    /// Where the UserInfo stub of `--setup public-api` listens (the target's UserInfo URL
    /// is http://ADDR/userinfo).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_USERINFO_LISTEN)]
    userinfo_listen: String,
    /// The policy profile, as `FLAG=CHOICE,...` (flags in model/SPEC.md section 2; the rest
    /// keep their defaults): the embedded emulator, `sample` and `bugzoo:NAME` run under it
    /// (a mutant's own profile underneath); an `http://` or `cmd:` target must declare these
    /// choices, since the suite checks a target under the profile it declares.
    #[arg(long, value_name = "FLAG=CHOICE,...", value_parser = parse_profile)]
    profile: Option<String>,
}

/// Checks a `--profile` value (every flag and choice known).
fn parse_profile(text: &str) -> Result<String, String> {
    migrate_model::Policy::parse_settings(text)
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

impl TargetArgs {
    fn open(&self) -> Result<Box<dyn migrate_conformance::Implementation>, UsageError> {
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 86_400.0) {
            return Err(UsageError(format!(
                "--timeout {} must be a number of seconds in (0, 86400]",
                self.timeout
            )));
        }
        let options = TargetOptions {
            secret: self.secret.clone(),
            timeout: std::time::Duration::from_secs_f64(self.timeout),
            setup: self.setup,
            project_id: self.project_id.clone(),
            userinfo_listen: self.userinfo_listen.clone(),
            profile: self.profile.clone(),
        };
        open(&self.target, &options).map_err(|e| UsageError(e.message))
    }

    /// The arguments that name this target again, quoted for the shell. The secret itself
    /// is never printed: it comes from MIGRATE_CONFORMANCE_SECRET.
    fn reproduce(&self) -> String {
        let timeout = self.timeout.to_string();
        let mut words = vec!["--target", self.target.as_str()];
        if let Some(profile) = &self.profile {
            words.extend(["--profile", profile.as_str()]);
        }
        if self.timeout != 10.0 {
            words.extend(["--timeout", timeout.as_str()]);
        }
        if self.setup == Setup::PublicApi {
            words.extend(["--setup", "public-api"]);
            if let Some(project) = &self.project_id {
                words.extend(["--project-id", project.as_str()]);
            }
            if self.userinfo_listen != DEFAULT_USERINFO_LISTEN {
                words.extend(["--userinfo-listen", self.userinfo_listen.as_str()]);
            }
        }
        let mut line = shell_command(&words);
        if self.secret.is_some() {
            line.push_str(" --secret \"$MIGRATE_CONFORMANCE_SECRET\"");
        }
        line
    }
}

impl TargetArgs {
    /// The reproduce lines for this target, with curl commands where it speaks HTTP: an
    /// `http://` target directly, the embedded emulator through `migrate-emulator --control`
    /// started by hand (its port is gone when the run ends).
    fn reproduce_with_curl(&self) -> Reproduce {
        let mut r = Reproduce::target(&self.reproduce());
        if self.setup == Setup::PublicApi {
            // The world lives in the target under other ids: the case replays through the
            // command, not through the control routes or the vectors.
            r.no_vector_replay = true;
        } else if self.target.starts_with("http://") {
            r.http_base = Some(self.target.clone());
            r.http_note =
                Some("with curl (the target keeps its state between the two calls):".into());
            r.secret = self
                .secret
                .is_some()
                .then(|| "\"$MIGRATE_CONFORMANCE_SECRET\"".to_owned());
        } else if self.target == DEFAULT_TARGET {
            r.http_base = Some("http://127.0.0.1:8080".into());
            r.http_note = Some(
                "with curl, after starting `migrate-emulator --control --listen 127.0.0.1:8080`:"
                    .into(),
            );
            r.secret = Some(migrate_emulator::config::DEFAULT_SECRET.to_owned());
        }
        r
    }
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Add up the `check --shard K/N --json` reports of one run (every shard once) into the
    /// report of the whole run; print its summary (or `--json`) and exit 1 unless it passed.
    Merge {
        /// The shards' JSON reports.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the merged report as JSON instead of the summary.
        #[arg(long)]
        json: bool,
        /// Also write the merged result as JUnit XML to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Pass even when no JWT signature was verified.
        #[arg(long)]
        no_signature_check: bool,
    },
}

#[derive(Debug, Subcommand)]
enum VectorsCommand {
    /// Write the vector files from the curated cases and the saved counterexamples.
    Generate {
        /// The fixtures directory.
        #[arg(long, default_value = "fixtures")]
        dir: PathBuf,
    },
    /// Regenerate in memory; fail on any difference from the files; print coverage.
    Verify {
        /// The fixtures directory.
        #[arg(long, default_value = "fixtures")]
        dir: PathBuf,
    },
    /// Replay vector files against a target under its declared profile.
    Run {
        /// Vector files (default: every file compiled into this binary).
        files: Vec<PathBuf>,
        /// Also write the result as JUnit XML (one test case per vector) to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Run only the vector with this id (repeatable), as in `--id duration/value-4`.
        #[arg(long = "id", value_name = "ID")]
        ids: Vec<String>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Save the bug zoo's minimal counterexamples as regression cases.
    Harvest {
        /// The fixtures directory.
        #[arg(long, default_value = "fixtures")]
        dir: PathBuf,
        /// Cases per property.
        #[arg(long, default_value_t = 200)]
        cases: u32,
        /// The seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

/// Writes each kind of failure of `report` to `dir` as a vector file of its own; a file
/// that cannot be written is a warning (the report is already printed, and the run fails on
/// its failures anyway).
fn write_failures(report: &migrate_conformance::Report, dir: &std::path::Path, target: &str) {
    use migrate_conformance::summary::failure_file_name;
    for p in &report.properties {
        for (n, f) in p.failures().enumerate() {
            let file_name = failure_file_name(report.seed, report.shard, p.property, n + 1);
            let comment = format!(
                "check {target} --seed {} --property {}: breaks {}",
                report.seed,
                p.property,
                f.rules.join(", ")
            );
            let written = migrate_conformance::vectors::generate::write_case_file(
                dir, &file_name, &comment, &f.case,
            );
            if let Err(e) = written {
                eprintln!("warning: {e}");
            }
        }
    }
}

/// `K/N` with 1 <= K <= N.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not K/N"))?;
    let k: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("{k:?} is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{text:?}: need 1 <= K <= N"));
    }
    Ok((k, n))
}

/// A failure of the tool itself (bad arguments, unreadable files): exit 2.
struct UsageError(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(UsageError(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn properties_from(names: &[String]) -> Result<Vec<Property>, UsageError> {
    let all: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
    names
        .iter()
        .map(|n| {
            Property::from_name(n).ok_or_else(|| {
                UsageError(format!(
                    "unknown property {n:?}; properties are: {}",
                    all.join(", ")
                ))
            })
        })
        .collect()
}

fn execute(command: Command) -> Result<bool, UsageError> {
    match command {
        Command::Check {
            target,
            no_signature_check,
            cases,
            seed,
            properties,
            shard,
            keep_going,
            failures_dir,
            json,
            junit,
            quiet,
        } => {
            if properties.iter().any(|p| p == "list") {
                for p in Property::ALL {
                    println!("{}", p.name());
                }
                return Ok(true);
            }
            let config = RunConfig {
                cases,
                seed,
                properties: properties_from(&properties)?,
                progress: !quiet && !json,
                shard,
                keep_going,
                ..RunConfig::default()
            };
            if let Some(dir) = &failures_dir {
                std::fs::create_dir_all(dir).map_err(|e| {
                    UsageError(format!(
                        "cannot create --failures-dir {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            let mut imp = target.open()?;
            let name = &target.target;
            if config.progress {
                eprintln!("migrate-conformance check: target {name}, {cases} cases per property, seed {seed}");
            }
            let report = run(&mut imp, name, &config);
            let mut reproduce = target.reproduce_with_curl();
            reproduce.keep_going = keep_going;
            reproduce.failures_dir.clone_from(&failures_dir);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print!("{}", render(&report, &reproduce));
            }
            if let Some(dir) = &failures_dir {
                write_failures(&report, dir, &target.reproduce());
            }
            if let Some(path) = &junit {
                let suite = migrate_conformance::junit::properties(&report, &target.reproduce());
                write_junit(path, &[suite])?;
            }
            if report.passed() && !report.signatures_checked && !no_signature_check {
                eprintln!("failing the run: no JWT signature was verified; give the target's JWKS (capabilities or the standard route), or pass --no-signature-check");
            }
            Ok(report.verdict(no_signature_check))
        }
        Command::Bugzoo { list, cases, seed } => {
            if list {
                for bug in Bug::ALL {
                    println!("{}", bug.name());
                }
                return Ok(true);
            }
            let config = RunConfig {
                cases,
                seed,
                ..RunConfig::default()
            };
            eprintln!(
                "migrate-conformance bugzoo: {} mutants, {cases} cases per property, seed {seed}",
                Bug::ALL.len()
            );
            let rows = kill_matrix(&config, true);
            print!("{}", render_matrix(&rows));
            Ok(rows.iter().all(|r| r.caught() && r.caught_by_vectors()))
        }
        Command::Replay { file, target } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
            let value: Value = migrate_conformance::vectors::parse_deep(&text)
                .map_err(|e| UsageError(format!("{} is not JSON: {e}", file.display())))?;
            let case_json = CaseJson::from_replay(&value)
                .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
            let case = case_json.into_case().map_err(UsageError)?;
            let mut imp = target.open()?;
            let caps = imp.capabilities();
            let result =
                check_case(&mut imp, &caps, &case, &mut Seen::default()).map_err(UsageError)?;
            println!(
                "expected: {}",
                serde_json::to_string_pretty(&result.expected_json()).unwrap_or_default()
            );
            println!(
                "actual:   {}",
                serde_json::to_string_pretty(&result.actual_json()).unwrap_or_default()
            );
            if result.differences.is_empty() {
                println!("PASSED: no differences");
            } else {
                println!("FAILED: {} differences", result.differences.len());
                for d in &result.differences {
                    println!("  {d}");
                }
            }
            Ok(result.differences.is_empty())
        }
        Command::Vectors { action } => vectors(action),
        Command::Report {
            action:
                ReportCommand::Merge {
                    files,
                    json,
                    junit,
                    no_signature_check,
                },
        } => {
            let reports = files
                .iter()
                .map(|p| {
                    let text = std::fs::read_to_string(p)
                        .map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))?;
                    migrate_conformance::report::from_json(&text)
                        .map_err(|e| UsageError(format!("{}: {e}", p.display())))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let report = migrate_conformance::report::merge(reports).map_err(UsageError)?;
            let target = shell_command(&["--target", report.target.as_str()]);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print!("{}", render(&report, &Reproduce::target(&target)));
            }
            if let Some(path) = &junit {
                let suite = migrate_conformance::junit::properties(&report, &target);
                write_junit(path, &[suite])?;
            }
            Ok(report.verdict(no_signature_check))
        }
        Command::ServeStdio { target } => {
            let mut imp = servable(&target)?;
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            migrate_conformance::subprocess::serve(
                &mut imp,
                BufReader::new(stdin.lock()),
                stdout.lock(),
            )
            .map_err(|e| UsageError(format!("serving: {e}")))?;
            std::io::stdout()
                .flush()
                .map_err(|e| UsageError(e.to_string()))?;
            Ok(true)
        }
    }
}

fn vectors(action: VectorsCommand) -> Result<bool, UsageError> {
    use migrate_conformance::vectors::{self, generate};
    let err = |e: String| UsageError(e);
    match action {
        VectorsCommand::Generate { dir } => {
            let saved = vectors::read_saved(&dir).map_err(err)?;
            let previous = vectors::read_manifest(&dir).map_err(err)?;
            let generated =
                generate::generate(&saved, previous.as_ref(), source_commit(&dir)).map_err(err)?;
            let files = parse_generated(&generated)?;
            vectors::check_ids(&dir, &files).map_err(err)?;
            vectors::check_changelog(&dir).map_err(err)?;
            for (name, text) in generated.files.iter().chain(&generated.support) {
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| UsageError(format!("creating {}: {e}", parent.display())))?;
                }
                std::fs::write(&path, text)
                    .map_err(|e| UsageError(format!("writing {}: {e}", path.display())))?;
            }
            print!("{}", vectors::coverage(&files));
            println!(
                "wrote {} vector files, {} schemas and the manifest to {}",
                generated.files.len(),
                generated.support.len() - 1,
                dir.display()
            );
            Ok(true)
        }
        VectorsCommand::Verify { dir } => {
            let saved = vectors::read_saved(&dir).map_err(err)?;
            let previous = vectors::read_manifest(&dir).map_err(err)?;
            // The commit is the one recorded: verification regenerates, it does not re-date.
            let commit = Err("the files on disk are not what generation writes; run `migrate-conformance vectors generate`".to_owned());
            let generated = generate::generate(&saved, previous.as_ref(), commit).map_err(err)?;
            let files = parse_generated(&generated)?;
            vectors::check_ids(&dir, &files).map_err(err)?;
            vectors::check_changelog(&dir).map_err(err)?;
            let schema = read_format_schema(&dir)?;
            let mut drift = Vec::new();
            for (name, text) in &generated.support {
                let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
                if on_disk != *text {
                    drift.push(name.clone());
                }
            }
            for (name, text) in &generated.files {
                let path = dir.join(name);
                let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
                if on_disk != *text {
                    drift.push(name.clone());
                }
                let value = vectors::parse_deep(&on_disk)
                    .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
                let first = schema
                    .errors(&value)
                    .into_iter()
                    .next()
                    .map(|(at, e)| format!("at {at}: {e}"));
                if let Some(e) = first {
                    return Err(UsageError(format!(
                        "{} violates vectors.schema.json {e}",
                        path.display()
                    )));
                }
            }
            print!("{}", vectors::coverage(&files));
            if drift.is_empty() {
                println!("verified: the {} vector files, the schemas and the manifest match their regeneration byte for byte, the files validate against vectors.schema.json, and the change log and retired ids agree", generated.files.len());
                Ok(true)
            } else {
                println!("DRIFT: {} differ from their regeneration; run `migrate-conformance vectors generate`", drift.join(", "));
                Ok(false)
            }
        }
        VectorsCommand::Run {
            files,
            junit,
            ids,
            target,
        } => {
            let loaded = if files.is_empty() {
                vectors::embedded_files().map_err(err)?
            } else {
                files
                    .iter()
                    .map(|p| {
                        let text = std::fs::read_to_string(p)
                            .map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))?;
                        vectors::load(&p.display().to_string(), &text).map_err(err)
                    })
                    .collect::<Result<Vec<_>, _>>()?
            };
            let loaded = only_ids(loaded, &ids)?;
            if target.setup == Setup::PublicApi {
                return Err(UsageError("vectors run needs a target that holds each vector's world as given (the control routes); --setup public-api renames organization and member ids, which the vectors' expectations name".into()));
            }
            let mut imp = target.open()?;
            let target = &target.target;
            if !imp.capabilities().controllable_clock {
                eprintln!("note: {target} does not take the clock from the suite: each vector's timestamps are checked against the real time of its call");
            }
            let started = std::time::Instant::now();
            let results = vectors::run_files(&mut imp, &loaded);
            if let Some(path) = &junit {
                use migrate_conformance::junit::{TestCase, TestSuite, Verdict};
                let cases = results
                    .iter()
                    .map(|r| TestCase {
                        name: r.id.clone(),
                        verdict: if r.differences.is_empty() {
                            Verdict::Passed
                        } else {
                            let lines: Vec<String> =
                                r.differences.iter().map(ToString::to_string).collect();
                            Verdict::Failed(lines.join("\n"))
                        },
                    })
                    .collect();
                let suite = TestSuite {
                    name: "vectors".into(),
                    seconds: started.elapsed().as_secs_f64(),
                    cases,
                };
                write_junit(path, &[suite])?;
            }
            let failed: Vec<_> = results
                .iter()
                .filter(|r| !r.differences.is_empty())
                .collect();
            for r in &failed {
                println!("FAILED {}", r.id);
                for d in &r.differences {
                    println!("  {d}");
                }
            }
            println!(
                "{}: {} passed, {} failed",
                if failed.is_empty() {
                    "PASSED"
                } else {
                    "FAILED"
                },
                results.len() - failed.len(),
                failed.len()
            );
            Ok(failed.is_empty())
        }
        VectorsCommand::Harvest { dir, cases, seed } => {
            let config = RunConfig {
                cases,
                seed,
                ..RunConfig::default()
            };
            let rows = kill_matrix(&config, true);
            let mut saved = vectors::read_saved(&dir).map_err(err)?;
            let mut added = 0;
            for row in &rows {
                for (property, case) in &row.counterexamples {
                    let id = format!("regressions/{}--{property}", row.mutant);
                    if saved.iter().any(|s| s.id == id) {
                        continue;
                    }
                    saved.push(generate::SavedCase {
                        id,
                        comment: format!("minimal case with which the {property} property caught the mutant {} ({})", row.mutant, row.bug),
                        case: case.clone(),
                    });
                    added += 1;
                }
            }
            saved.sort_by(|a, b| a.id.cmp(&b.id));
            let path = dir.join(vectors::SAVED_CASES);
            let mut text =
                serde_json::to_string_pretty(&saved).map_err(|e| UsageError(e.to_string()))?;
            text.push('\n');
            std::fs::write(&path, text)
                .map_err(|e| UsageError(format!("writing {}: {e}", path.display())))?;
            println!(
                "{added} new counterexamples saved to {} ({} in all)",
                path.display(),
                saved.len()
            );
            Ok(true)
        }
    }
}

/// The vectors of `files` whose ids are in `ids` (all of them when `ids` is empty); an id
/// that names no vector is an error.
fn only_ids(
    mut files: Vec<migrate_conformance::vectors::format::VectorFile>,
    ids: &[String],
) -> Result<Vec<migrate_conformance::vectors::format::VectorFile>, UsageError> {
    if ids.is_empty() {
        return Ok(files);
    }
    let mut found = BTreeSet::new();
    for file in &mut files {
        for group in &mut file.groups {
            group.vectors.retain(|v| ids.contains(&v.id));
            found.extend(group.vectors.iter().map(|v| v.id.clone()));
        }
        file.groups.retain(|g| !g.vectors.is_empty());
    }
    let missing: Vec<&str> = ids
        .iter()
        .filter(|id| !found.contains(*id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(UsageError(format!(
            "no vector has the id {}; ids look like duration/value-4 (the file's stem, then the name)",
            missing.join(", ")
        )));
    }
    Ok(files)
}

fn write_junit(
    path: &std::path::Path,
    suites: &[migrate_conformance::junit::TestSuite],
) -> Result<(), UsageError> {
    let xml = migrate_conformance::junit::render(suites)
        .map_err(|e| UsageError(format!("cannot write JUnit XML: {e}")))?;
    std::fs::write(path, xml).map_err(|e| UsageError(format!("writing {}: {e}", path.display())))
}

/// The commit whose sources generate the data in `dir`: `HEAD`, provided nothing tracked
/// outside `dir` has uncommitted changes (otherwise the commit would not be the generator).
fn source_commit(dir: &std::path::Path) -> Result<String, String> {
    let git = |args: &[&str]| -> Result<String, String> {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let prefix = git(&["rev-parse", "--show-prefix"])?;
    let fixtures = format!(":(top,exclude){prefix}");
    let dirty = git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ":(top)",
        &fixtures,
    ])?;
    if !dirty.is_empty() {
        return Err(format!(
            "commit the generator's changes first (uncommitted: {})",
            dirty.lines().map(str::trim).collect::<Vec<_>>().join(", ")
        ));
    }
    git(&["rev-parse", "HEAD"])
}

fn parse_generated(
    generated: &migrate_conformance::vectors::generate::Generated,
) -> Result<Vec<migrate_conformance::vectors::format::VectorFile>, UsageError> {
    generated
        .files
        .iter()
        .map(|(name, text)| migrate_conformance::vectors::load(name, text).map_err(UsageError))
        .collect()
}

fn read_format_schema(
    dir: &std::path::Path,
) -> Result<migrate_conformance::schema::Validator, UsageError> {
    let path = dir.join("vectors.schema.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let schema: Value =
        serde_json::from_str(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    migrate_conformance::schema::Validator::new(schema)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

/// The sample or one of its mutants, for `serve-stdio`.
fn servable(target: &str) -> Result<Box<dyn migrate_conformance::Implementation>, UsageError> {
    match target.strip_prefix("bugzoo:") {
        None if target == "sample" => Ok(Box::new(Sample::new())),
        Some(name) => Ok(Box::new(Sample::with_bug(
            Bug::from_name(name).ok_or_else(|| UsageError(format!("no mutant named {name:?}")))?,
        ))),
        None => Err(UsageError(
            "serve-stdio serves `sample` or `bugzoo:NAME`".into(),
        )),
    }
}
