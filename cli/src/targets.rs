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

use std::time::Duration;

use migrate_conformance::http::{Http, HttpOptions};
use migrate_conformance::subprocess::{Subprocess, SubprocessOptions};
use migrate_conformance::{AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_emulator::config::Settings;
use migrate_emulator::Emulator;
use migrate_model::World;

use crate::sample::{Bug, Sample};

/// The default target.
pub const DEFAULT_TARGET: &str = "emulator";

/// What every target form is, for `--help` and errors.
pub const TARGET_FORMS: &str = "`emulator` (the embedded emulator over HTTP, the default), `sample` (in-process), `bugzoo:NAME`, `http://HOST:PORT` and `cmd:PROGRAM ARG...`";

/// How to reach a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetOptions {
    /// The project secret of an `http://` target.
    pub secret: Option<String>,
    /// The most one call may take on an `http://`, `cmd:` or `emulator` target.
    pub timeout: Duration,
}

impl Default for TargetOptions {
    fn default() -> Self {
        TargetOptions {
            secret: None,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Opens the target named `name`.
pub fn open(name: &str, options: &TargetOptions) -> Result<Box<dyn Implementation>, AdapterError> {
    if name == "emulator" {
        return Ok(Box::new(EmbeddedEmulator::start(options.timeout)?));
    }
    if name == "sample" {
        return Ok(Box::new(Sample::new()));
    }
    if let Some(bug) = name.strip_prefix("bugzoo:") {
        let bug = Bug::from_name(bug).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            AdapterError::new(format!(
                "no mutant named {bug:?}; mutants are: {}",
                names.join(", ")
            ))
        })?;
        return Ok(Box::new(Sample::with_bug(bug)));
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
        let settings = Settings {
            control: true,
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
