//! Checks any implementation of Stytch's B2B session Migrate call against the reference model.
//!
//! - [`adapter`]: the [`Implementation`] trait an implementer writes (or [`http`] and
//!   [`subprocess`] for an implementation in any language; [`public_api`] for a server
//!   without the control routes, seeded through its public API);
//! - [`gen`]: the proptest strategies, one per [`gen::Property`];
//! - [`compare`]: the comparator;
//! - [`runner`]: runs the suite against an adapter and returns the [`runner::Report`];
//! - [`testing`]: the same from another crate's `cargo test`;
//! - [`vectors`]: the published test vectors;
//! - [`schema`]: JSON Schema validation that turns on no `serde_json` feature;
//! - [`pitfalls`]: the coverage boundaries of the pitfall catalogue (`PITFALLS.md`);
//! - [`jwks`]: the JWKS an in-process implementation declares, from its signing key;
//! - [`deadline`]: a timeout on each call of an in-process implementation;
//! - [`summary`] and [`junit`]: reports for people and for CI systems; [`report`]: the JSON
//!   report's schema, and merging the reports of a sharded run.
//!
//! The suite names no implementation: the sample implementation and the bug zoo live in
//! `migrate-emulator`, and the `migrate-conformance` command (package
//! `migrate-conformance-cli`) wires them to the suite.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod adapter;
pub mod compare;
pub mod deadline;
pub mod gen;
pub mod http;
pub mod junit;
pub mod jwks;
pub mod pitfalls;
pub mod public_api;
pub mod report;
pub mod runner;
pub mod schema;
pub mod subprocess;
pub mod summary;
pub mod testing;
pub mod vectors;

pub use adapter::{AdapterError, Capabilities, HttpResponse, Implementation};
pub use runner::{run, Report, RunConfig};

/// The reference model, re-exported so that one dependency is enough: the trait's
/// [`World`], the [`Policy`] a target declares, and everything else in `migrate-model`.
pub use migrate_model as model;
pub use migrate_model::{
    Flag, Member, MemberStatus, Organization, Policy, UserInfoBody, UserInfoReply, World,
};
