//! Checks any implementation of Stytch's B2B session Migrate call against the reference model.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod adapter;
pub mod sample;

pub use adapter::{AdapterError, Capabilities, HttpResponse, Implementation};
