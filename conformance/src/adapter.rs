//! The one thing an implementer writes: an [`Implementation`] adapter.
//!
//! The runner gives the implementation a world before each case, then one raw request body
//! (and, when the implementation's clock is controllable, the time to use), and reads back
//! the HTTP status and the raw response body. Everything else — comparison, shrinking,
//! coverage — happens on the suite's side, so an adapter stays a few dozen lines whether it
//! wraps Rust code in-process, an HTTP server in any language, or a subprocess.

use std::fmt;

use migrate_model::{Policy, World};
use serde::{Deserialize, Serialize};

/// An implementation of `POST /v1/b2b/sessions/migrate` under test.
///
/// A panic inside any method is caught by the runner and reported as a failure of that case.
pub trait Implementation {
    /// What the implementation declares about itself. Called once per run.
    fn capabilities(&self) -> Capabilities;

    /// Replaces the implementation's whole state with `world` (the project, its
    /// organizations and members, the claims template, the project's maximum session
    /// duration, and what its UserInfo endpoint answers for each token). Called before each
    /// case.
    fn load_world(&mut self, world: &World) -> Result<(), AdapterError>;

    /// Performs one call. `now` is the Unix time (whole seconds) the call must take as the
    /// current time when [`Capabilities::controllable_clock`] is true, and `None` otherwise.
    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError>;
}

impl<T: Implementation + ?Sized> Implementation for Box<T> {
    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }
    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        (**self).load_world(world)
    }
    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        (**self).call(body, now)
    }
}

/// What an implementation declares.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Whether the implementation takes `now` from the runner. If not, the runner brackets
    /// each call with the real time and checks the timestamps against that window.
    #[serde(default)]
    pub controllable_clock: bool,
    /// The choice the implementation makes for each policy flag (its profile). The model
    /// judges it under exactly these choices.
    #[serde(default)]
    pub profile: Policy,
    /// The implementation's JWKS (`{"keys": [...]}` as served at
    /// `GET /v1/b2b/sessions/jwks/{project_id}`); when given, JWT signatures are verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
}

/// An HTTP response as the implementation produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The raw body.
    pub body: Vec<u8>,
}

/// An adapter that could not do what the runner asked (the transport failed, the world could
/// not be loaded, ...). It fails the case; it is not a verdict on the semantics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterError(pub String);

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AdapterError {}

impl From<String> for AdapterError {
    fn from(s: String) -> Self {
        AdapterError(s)
    }
}

impl From<&str> for AdapterError {
    fn from(s: &str) -> Self {
        AdapterError(s.to_owned())
    }
}
