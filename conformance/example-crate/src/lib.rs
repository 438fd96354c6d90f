//! An implementer's crate, reduced to the part that matters here: it exposes its
//! implementation of the Migrate call. This one re-exports the suite's sample implementation;
//! yours would be your own service behind the `Implementation` trait.

pub use migrate_conformance::sample::Sample as MyImplementation;
