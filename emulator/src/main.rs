//! `migrate-emulator`: a local Stytch-compatible B2B server for the session Migrate flow.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use migrate_emulator::config::{check_userinfo_url, Config};
use migrate_emulator::engine::{Bug, Engine};
use migrate_emulator::server::{serve, AppState};
use migrate_model::Policy;

/// A local Stytch-compatible B2B server for the session Migrate flow. Point an official
/// Stytch SDK at it (see the README) to test login code offline.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// The TOML configuration (see emulator/emulator.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address to listen on. Loopback by default: the emulator is for this machine.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Turn on the test-control routes (`/_conformance/*`) that the conformance suite uses to
    /// replace the state and set the clock.
    #[arg(long)]
    control: bool,
    /// The project id (overrides the file).
    #[arg(long)]
    project_id: Option<String>,
    /// The project secret (overrides the file).
    #[arg(long)]
    secret: Option<String>,
    /// The external UserInfo URL (overrides the file).
    #[arg(long, value_name = "URL")]
    userinfo_url: Option<String>,
    /// Serve a mutant of the implementation (`migrate-conformance bugzoo --list` names them);
    /// it runs under the profile it is wrong under, with `--profile` applied over that.
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
    /// The policy profile as `FLAG=CHOICE,...` (flags and choices in model/SPEC.md section
    /// 2), applied over the file's `[profile]`.
    #[arg(long, value_name = "FLAG=CHOICE,...")]
    profile: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let mut config = match &cli.config {
        None => Config::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    if cli.project_id.is_some() {
        config.project_id = cli.project_id;
    }
    if cli.secret.is_some() {
        config.secret = cli.secret;
    }
    if let Some(url) = cli.userinfo_url {
        check_userinfo_url(&url).map_err(|e| e.to_string())?;
        config.userinfo.url = Some(url);
    }
    let mut settings = config.settings().map_err(|e| e.to_string())?;
    settings.control = cli.control;
    let over = |base: Policy| match &cli.profile {
        None => Ok(base),
        Some(text) => base
            .with_settings(text)
            .map_err(|e| format!("--profile: {e}")),
    };
    let engine = match &cli.bug {
        None => {
            settings.profile = over(settings.profile)?;
            Engine::with_profile(settings.profile)
        }
        Some(name) => {
            let bug = Bug::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
                format!(
                    "no mutant named {name:?}; mutants are: {}",
                    names.join(", ")
                )
            })?;
            let mut engine = Engine::with_bug(bug);
            settings.profile = over(bug.profile())?;
            engine.set_profile(settings.profile);
            engine
        }
    };
    let project_id = settings.world.project_id.clone();
    let control = settings.control;
    let organizations = settings.world.organizations.len();
    let state = Arc::new(AppState::new(engine, settings)?);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&cli.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the address: {e}"))?;
        eprintln!(
            "migrate-emulator: listening on http://{addr} (project {project_id}, {organizations} organizations{})",
            if control { ", control routes on" } else { "" }
        );
        if control {
            eprintln!("  check it: migrate-conformance check --target http://{addr} --secret SECRET");
        }
        serve(listener, state, shutdown_signal())
            .await
            .map_err(|e| format!("serving: {e}"))
    })?;
    eprintln!("migrate-emulator: stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the calls under way");
}
