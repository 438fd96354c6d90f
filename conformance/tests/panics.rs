//! A panic in the implementation is reported once, with its minimal case and its place, not
//! printed by the panic hook at every shrinking step. Its own test binary: the panic hook is
//! process-wide.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use migrate_conformance::gen::Property;
use migrate_conformance::{run, AdapterError, Capabilities, HttpResponse, Implementation};
use migrate_conformance::{Policy, RunConfig, World};

/// Answers every call with a panic.
struct Panics;

impl Implementation for Panics {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            controllable_clock: true,
            profile: Policy::default(),
            jwks: None,
        }
    }
    fn load_world(&mut self, _: &World) -> Result<(), AdapterError> {
        Ok(())
    }
    fn call(&mut self, _: &[u8], _: Option<i64>) -> Result<HttpResponse, AdapterError> {
        panic!("boom in the implementation")
    }
}

#[test]
fn a_panicking_implementation_is_reported_once_with_its_place() {
    // Counts what reaches the panic hook the user had.
    let printed = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&printed);
    std::panic::set_hook(Box::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    let config = RunConfig {
        cases: 20,
        properties: vec![Property::Duration],
        ..RunConfig::default()
    };
    let report = run(&mut Panics, "panics", &config);
    let failure = report.properties[0].failure.as_ref().expect("a failure");
    let note = &failure.differences[0].note;
    assert!(
        note.contains("panicked: boom in the implementation (at "),
        "{note}"
    );
    assert!(note.contains("tests/panics.rs:"), "{note}");
    assert_eq!(
        printed.load(Ordering::SeqCst),
        0,
        "the hook printed a caught panic"
    );
    // A panic outside a call to the implementation still reaches the user's hook.
    let outside = std::panic::catch_unwind(|| panic!("elsewhere"));
    assert!(outside.is_err());
    assert_eq!(printed.load(Ordering::SeqCst), 1);
}
