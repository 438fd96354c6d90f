//! Targets by name, as the command line names them.
//!
//! - `emulator` — the default: the embedded `migrate-emulator` on an ephemeral loopback port,
//!   checked over real HTTP with its control routes;
//! - `sample` — the same implementation in-process, without HTTP;
//! - `bugzoo:NAME` — a mutant of the sample with one realistic bug, in-process
//!   (`migrate-conformance bugzoo --list` names them);
//! - `http://HOST:PORT` — any implementation served over HTTP with the control routes of
//!   [`migrate_conformance::http`] (`--secret` gives its project secret);
//! - `cmd:PROGRAM ARG...` — any implementation speaking the subprocess protocol of
//!   [`migrate_conformance::subprocess`] (split on whitespace).
//!
//! With [`Setup::PublicApi`], an `http://` target (or the embedded emulator, started without
//! its control routes) is seeded through its public organization and member API instead
//! ([`migrate_conformance::public_api`]).

use std::time::Duration;

use std::sync::Arc;

use migrate_conformance::deadline::Deadline;
use migrate_conformance::http::{Http, HttpOptions};
use migrate_conformance::public_api::{PublicApi, UserInfoStub};
use migrate_conformance::subprocess::{Subprocess, SubprocessOptions};
use migrate_conformance::{AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_emulator::config::Settings;
use migrate_emulator::Emulator;
use migrate_model::{Policy, World};

use crate::sample::{Bug, Sample};

/// The default target.
pub const DEFAULT_TARGET: &str = "emulator";

/// What every target form is, for `--help` and errors.
pub const TARGET_FORMS: &str = "`emulator` (the embedded emulator over HTTP, the default), `sample` (in-process), `bugzoo:NAME`, `http://HOST:PORT` and `cmd:PROGRAM ARG...`";

/// How each world gets into an HTTP target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Setup {
    /// `PUT /_conformance/world` (the control routes).
    #[default]
    Control,
    /// The public organization and member API, with a UserInfo stub on loopback.
    PublicApi,
}

/// How to reach a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetOptions {
    /// The project secret of an `http://` target.
    pub secret: Option<String>,
    /// The most one call may take on an `http://`, `cmd:` or `emulator` target.
    pub timeout: Duration,
    /// How worlds are loaded into an HTTP target.
    pub setup: Setup,
    /// The target's project id, for [`Setup::PublicApi`].
    pub project_id: Option<String>,
    /// Where the UserInfo stub of [`Setup::PublicApi`] listens for an `http://` target.
    pub userinfo_listen: String,
    /// Policy settings (`FLAG=CHOICE,...`): the profile the embedded emulator, the sample or
    /// a mutant runs under (over the mutant's own profile); for an `http://` or `cmd:`
    /// target, the choices it must declare.
    pub profile: Option<String>,
}

/// Where the UserInfo stub listens by default: a fixed port, so that a target can be
/// configured with its URL before the run.
pub const DEFAULT_USERINFO_LISTEN: &str = "127.0.0.1:18901";

impl Default for TargetOptions {
    fn default() -> Self {
        TargetOptions {
            secret: None,
            timeout: Duration::from_secs(10),
            setup: Setup::Control,
            project_id: None,
            userinfo_listen: DEFAULT_USERINFO_LISTEN.to_owned(),
            profile: None,
        }
    }
}

/// Opens the target named `name`.
pub fn open(name: &str, options: &TargetOptions) -> Result<Box<dyn Implementation>, AdapterError> {
    let target = open_target(name, options)?;
    // Our own targets (the emulator, the sample, a mutant) are built with the settings; any
    // other target must already run under them. Either way it must now declare them: one of
    // ours that dropped a setting would otherwise be judged, and pass, under the profile it
    // really runs.
    if let Some(settings) = &options.profile {
        require_declared(target.as_ref(), settings)?;
    }
    Ok(target)
}

/// `base` with the `--profile` settings applied over it.
fn profile_over(base: Policy, options: &TargetOptions) -> Result<Policy, AdapterError> {
    match &options.profile {
        None => Ok(base),
        Some(settings) => base
            .with_settings(settings)
            .map_err(|e| AdapterError::new(format!("--profile: {e}"))),
    }
}

/// Fails unless `target` declares every choice of `settings` (a target that is not ours
/// runs under the profile it declares; `--profile` only states what that must be).
fn require_declared(target: &dyn Implementation, settings: &str) -> Result<(), AdapterError> {
    let wanted = Policy::parse_settings(settings)
        .map_err(|e| AdapterError::new(format!("--profile: {e}")))?;
    let declared = target.capabilities().profile;
    let differs: Vec<String> = wanted
        .iter()
        .filter(|(flag, choice)| declared.get(*flag) != *choice)
        .map(|(flag, choice)| {
            format!(
                "{} is {} there, not {choice}",
                flag.name(),
                declared.get(*flag)
            )
        })
        .collect();
    if differs.is_empty() {
        Ok(())
    } else {
        Err(AdapterError::new(format!(
            "the target declares another profile than --profile asks for: {}; the suite checks a target under the profile it declares",
            differs.join(", ")
        )))
    }
}

fn open_target(
    name: &str,
    options: &TargetOptions,
) -> Result<Box<dyn Implementation>, AdapterError> {
    if options.setup == Setup::PublicApi {
        return open_public(name, options);
    }
    if name == "emulator" {
        let profile = profile_over(Policy::default(), options)?;
        return Ok(Box::new(EmbeddedEmulator::start_with(
            options.timeout,
            profile,
        )?));
    }
    if name == "sample" {
        let profile = profile_over(Policy::default(), options)?;
        return in_process(Sample::with_profile(profile), options);
    }
    if let Some(bug) = name.strip_prefix("bugzoo:") {
        let bug = Bug::from_name(bug).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            AdapterError::new(format!(
                "no mutant named {bug:?}; mutants are: {}",
                names.join(", ")
            ))
        })?;
        let profile = profile_over(bug.profile(), options)?;
        return in_process(Sample::with_bug(bug).under(profile), options);
    }
    if let Some(command) = name.strip_prefix("cmd:") {
        let mut words = command.split_whitespace().map(str::to_owned);
        let program = words.next().ok_or_else(|| {
            AdapterError::new("cmd: needs a program, as in cmd:./my-impl --stdio")
        })?;
        let args: Vec<String> = words.collect();
        let sub_options = SubprocessOptions {
            timeout: options.timeout,
            ..SubprocessOptions::default()
        };
        return Ok(Box::new(Subprocess::spawn_with(
            &program,
            &args,
            sub_options,
        )?));
    }
    if name.starts_with("http://") {
        let http_options = HttpOptions {
            secret: options.secret.clone(),
            timeout: options.timeout,
            ..HttpOptions::default()
        };
        return Ok(Box::new(Http::connect_with(name, http_options)?));
    }
    Err(AdapterError::new(format!(
        "unknown target {name:?}; targets are {TARGET_FORMS}"
    )))
}

/// An in-process target on a thread of its own, each call bounded by `--timeout` as over
/// HTTP: a mutant that loops forever fails its case instead of hanging the run.
fn in_process(
    sample: Sample,
    options: &TargetOptions,
) -> Result<Box<dyn Implementation>, AdapterError> {
    Ok(Box::new(Deadline::new(sample, options.timeout)?))
}

fn open_public(
    name: &str,
    options: &TargetOptions,
) -> Result<Box<dyn Implementation>, AdapterError> {
    let http_options = HttpOptions {
        secret: options.secret.clone(),
        timeout: options.timeout,
        ..HttpOptions::default()
    };
    if name == "emulator" {
        // The emulator without control routes, its UserInfo URL pointing at the stub.
        let stub = Arc::new(UserInfoStub::start("127.0.0.1:0")?);
        let settings = Settings {
            userinfo_url: Some(stub.url().to_owned()),
            profile: profile_over(Policy::default(), options)?,
            ..Settings::default()
        };
        let server = Emulator::start(settings).map_err(AdapterError::new)?;
        let http_options = HttpOptions {
            secret: Some(server.secret().to_owned()),
            ..http_options
        };
        let api = PublicApi::connect(&server.url(), http_options, server.project_id(), stub)?;
        return Ok(Box::new(EmbeddedPublic {
            api,
            _server: server,
        }));
    }
    if !name.starts_with("http://") {
        return Err(AdapterError::new(format!(
            "--setup public-api seeds an http:// target or the embedded emulator, not {name:?}"
        )));
    }
    let project_id = options.project_id.as_deref().ok_or_else(|| {
        AdapterError::new("--setup public-api needs --project-id: the project the target serves (its calls authenticate as project_id:secret)")
    })?;
    if options.secret.is_none() {
        return Err(AdapterError::new(
            "--setup public-api needs --secret (or MIGRATE_CONFORMANCE_SECRET): the project's secret",
        ));
    }
    let stub = Arc::new(UserInfoStub::start(&options.userinfo_listen)?);
    eprintln!(
        "UserInfo stub listening at {}: the target must call it as its UserInfo endpoint",
        stub.url()
    );
    Ok(Box::new(PublicApi::connect(
        name,
        http_options,
        project_id,
        stub,
    )?))
}

/// The embedded emulator without control routes, seeded through its public API.
#[derive(Debug)]
pub struct EmbeddedPublic {
    api: PublicApi,
    _server: Emulator,
}

impl Implementation for EmbeddedPublic {
    fn capabilities(&self) -> Capabilities {
        self.api.capabilities()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.api.load_world(world)
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        self.api.call(body, now)
    }

    fn renamed(&self, world: &World, body: &[u8]) -> Option<(World, Vec<u8>)> {
        self.api.renamed(world, body)
    }
}

/// The embedded emulator with its control routes, reached over real HTTP. The server stops
/// when this is dropped.
#[derive(Debug)]
pub struct EmbeddedEmulator {
    http: Http,
    _server: Emulator,
}

impl EmbeddedEmulator {
    /// Starts the emulator on an ephemeral loopback port and connects to it.
    pub fn start(timeout: Duration) -> Result<EmbeddedEmulator, AdapterError> {
        EmbeddedEmulator::start_with(timeout, Policy::default())
    }

    /// [`EmbeddedEmulator::start`] under another policy profile.
    pub fn start_with(
        timeout: Duration,
        profile: Policy,
    ) -> Result<EmbeddedEmulator, AdapterError> {
        let settings = Settings {
            control: true,
            profile,
            ..Settings::default()
        };
        let server = Emulator::start(settings).map_err(AdapterError::new)?;
        let http = Http::connect_with(
            &server.url(),
            HttpOptions {
                secret: Some(server.secret().to_owned()),
                timeout,
                ..HttpOptions::default()
            },
        )?;
        Ok(EmbeddedEmulator {
            http,
            _server: server,
        })
    }

    /// The emulator's base URL.
    pub fn url(&self) -> &str {
        self.http.base()
    }
}

impl Implementation for EmbeddedEmulator {
    fn capabilities(&self) -> Capabilities {
        self.http.capabilities()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        self.http.load_world(world)
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        self.http.call(body, now)
    }
}
