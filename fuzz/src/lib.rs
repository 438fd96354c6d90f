//! Shared pieces of the fuzz targets (see `fuzz/README.md`).
//!
//! - [`invariants`]: what every outcome must satisfy, the claims laws, the raw-bytes target's
//!   world, and the replay of committed regressions (also compiled into the stable test
//!   `model/tests/fuzz_regressions.rs`);
//! - [`case`]: structure-aware inputs (world, policy, clock, body) from fuzzer bytes;
//! - [`body`]: request bodies generated field by field;
//! - [`differential`]: the sample implementation against the model through the conformance
//!   runner's comparator.

pub mod body;
pub mod case;
pub mod differential;
pub mod invariants;
