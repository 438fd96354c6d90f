//! Targets by name, as the command line names them.
//!
//! - `sample` — the sample implementation (the default);
//! - `bugzoo:NAME` — a mutant of the sample with one realistic bug (`migrate-conformance
//!   bugzoo --list` names them);
//! - `cmd:PROGRAM ARG...` — any implementation speaking the subprocess protocol of
//!   [`crate::subprocess`] (split on whitespace);
//! - `http://HOST:PORT` — any implementation served over HTTP with the control routes of
//!   [`crate::http`].

use migrate_conformance::subprocess::Subprocess;
use migrate_conformance::{AdapterError, Implementation};

use crate::sample::{Bug, Sample};

/// The default target.
pub const DEFAULT_TARGET: &str = "sample";

/// Opens the target named `name`; `secret` is the project secret for `http://` targets.
pub fn open(name: &str, secret: Option<&str>) -> Result<Box<dyn Implementation>, AdapterError> {
    if name == "sample" {
        return Ok(Box::new(Sample::new()));
    }
    if let Some(bug) = name.strip_prefix("bugzoo:") {
        let bug = Bug::from_name(bug).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            AdapterError(format!(
                "no mutant named {bug:?}; mutants are: {}",
                names.join(", ")
            ))
        })?;
        return Ok(Box::new(Sample::with_bug(bug)));
    }
    if let Some(command) = name.strip_prefix("cmd:") {
        let mut words = command.split_whitespace().map(str::to_owned);
        let program = words.next().ok_or_else(|| {
            AdapterError("cmd: needs a program, as in cmd:./my-impl --stdio".into())
        })?;
        let args: Vec<String> = words.collect();
        return Ok(Box::new(Subprocess::spawn(&program, &args)?));
    }
    if name.starts_with("http://") {
        return Ok(Box::new(migrate_conformance::http::Http::connect(
            name, secret,
        )?));
    }
    Err(AdapterError(format!(
        "unknown target {name:?}; targets are `sample`, `bugzoo:NAME`, `cmd:PROGRAM ARG...` and `http://HOST:PORT`"
    )))
}
