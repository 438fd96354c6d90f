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

    /// The world and the request as the implementation holds them after [`load_world`],
    /// when loading renamed things (a server that assigns its own organization and member
    /// ids, seeded through its public API); `None` (the default) when they are as given.
    /// The model judges the call on the renamed pair, and [`call`] is given the renamed
    /// request.
    ///
    /// [`load_world`]: Implementation::load_world
    /// [`call`]: Implementation::call
    fn renamed(&self, world: &World, body: &[u8]) -> Option<(World, Vec<u8>)> {
        let _ = (world, body);
        None
    }
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
    fn renamed(&self, world: &World, body: &[u8]) -> Option<(World, Vec<u8>)> {
        (**self).renamed(world, body)
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
    /// A declared `jwks` must be an object with a `keys` array; `null` counts as absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "jwks_object"
    )]
    pub jwks: Option<serde_json::Value>,
}

/// Reads a declared JWKS, refusing one the runner could not use (`"jwks": 5`, `{}`).
fn jwks_object<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    let jwks = Option::<serde_json::Value>::deserialize(d)?;
    match &jwks {
        Some(v) if !v.get("keys").is_some_and(serde_json::Value::is_array) => {
            Err(serde::de::Error::custom(format!(
                "jwks must be an object with a keys array, not {}",
                clip(&v.to_string())
            )))
        }
        _ => Ok(jwks),
    }
}

/// An HTTP response as the implementation produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The raw body.
    pub body: Vec<u8>,
}

/// An adapter that could not do what the runner asked. It fails the case; it is not a
/// verdict on the semantics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterError {
    /// What kind of failure.
    pub kind: AdapterErrorKind,
    /// What happened, for a person.
    pub message: String,
}

/// The kinds of [`AdapterError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AdapterErrorKind {
    /// The implementation could not be reached or did not answer within the bounds: a
    /// timeout, a refused or reset connection, a reply over the size cap, a subprocess that
    /// died or wrote a line outside the protocol. The runner never shrinks these and goes on
    /// with the next case.
    Transport,
    /// Anything else the adapter could not do (a world it cannot load, say).
    Adapter,
    /// The target cannot hold this world at all (a world its public API cannot create):
    /// the case is skipped and counted, not failed.
    Unsupported,
}

impl AdapterError {
    /// An [`AdapterErrorKind::Adapter`] error.
    pub fn new(message: impl Into<String>) -> AdapterError {
        AdapterError {
            kind: AdapterErrorKind::Adapter,
            message: message.into(),
        }
    }

    /// An [`AdapterErrorKind::Transport`] error.
    pub fn transport(message: impl Into<String>) -> AdapterError {
        AdapterError {
            kind: AdapterErrorKind::Transport,
            message: message.into(),
        }
    }

    /// An [`AdapterErrorKind::Unsupported`] error.
    pub fn unsupported(message: impl Into<String>) -> AdapterError {
        AdapterError {
            kind: AdapterErrorKind::Unsupported,
            message: message.into(),
        }
    }

    /// Whether this is a transport failure.
    pub fn is_transport(&self) -> bool {
        self.kind == AdapterErrorKind::Transport
    }
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AdapterError {}

impl From<String> for AdapterError {
    fn from(s: String) -> Self {
        AdapterError::new(s)
    }
}

impl From<&str> for AdapterError {
    fn from(s: &str) -> Self {
        AdapterError::new(s)
    }
}

/// At most 300 characters of `text`, with its length when cut, for messages.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}... ({} bytes)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}
