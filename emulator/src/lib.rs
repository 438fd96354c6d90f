//! A local Stytch-compatible B2B server for the session Migrate flow: the official SDKs, pointed
//! at it, migrate an external session, verify its JWT against the JWKS, and set up the
//! organizations and members it needs, all offline.
//!
//! - [`engine`]: the implementation of the calls (no I/O), and its mutants ([`engine::Bug`]);
//! - [`server`]: the HTTP layer (axum), and [`Emulator`], a server on a background thread that
//!   a test starts and drops;
//! - [`config`]: the TOML configuration;
//! - [`userinfo`]: the call to the external UserInfo endpoint.
//!
//! ```no_run
//! use migrate_emulator::{config::Config, Emulator};
//!
//! let settings = Config::from_toml(r#"
//!     [userinfo.tokens]
//!     "external-token" = { email = "ada@acme.test" }
//!     [[organizations]]
//!     slug = "acme"
//!     [[organizations.members]]
//!     email = "ada@acme.test"
//! "#).unwrap().settings().unwrap();
//! let emulator = Emulator::start(settings).unwrap();
//! // POST {emulator.url()}/v1/b2b/sessions/migrate with Basic project_id:secret ...
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "server")]
pub mod config;
pub mod engine;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod userinfo;

#[cfg(feature = "server")]
pub use server::Emulator;
