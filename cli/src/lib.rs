//! The `migrate-conformance` command's library: it wires the suite (`migrate-conformance`) to
//! the implementations that ship with it (`migrate-emulator`).
//!
//! - [`sample`]: the emulator's engine behind the suite's [`Implementation`] trait, in-process;
//! - `targets`: every target the command line can name (feature `emulator`, on by default);
//! - [`bugzoo`]: the kill matrix of the engine's mutants.
//!
//! [`Implementation`]: migrate_conformance::Implementation
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bugzoo;
pub mod sample;
#[cfg(feature = "emulator")]
pub mod targets;
