//! An implementer's crate, reduced to the part that matters here: its implementation of the
//! Migrate call. This one is the emulator's engine; yours would be your own service. The
//! adapter that connects it to the suite lives in `tests/conformance.rs`, so the suite stays
//! a dev-dependency.

pub use migrate_emulator::engine::Engine as MyImplementation;
