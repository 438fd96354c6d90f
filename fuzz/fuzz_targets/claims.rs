//! The claims functions on their own: `merge`, `merge_into_empty`, `drop_reserved`, `size`,
//! `size_within`, `jcs` and `go_json`, checking the merge laws (see
//! `migrate_fuzz::invariants::check_claims`).
//!
//! An input in the seeds' layout (`claims_input`: a choices byte, a limit byte, the target's
//! JSON text, NUL, the update's JSON text) is taken as it is; any other input is read as
//! structure (`arbitrary`): the two bytes, then two generated JSON objects with the keys,
//! numbers and strings of `migrate_fuzz::body`. So every input reaches the code under test,
//! and the target explores from an empty corpus as well as from its seeds.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::{fuzz_target, Corpus};
use migrate_fuzz::body::object_text;
use migrate_fuzz::invariants::{check_claims, claims_input, ClaimsInput};

/// The claims input `data` builds through `arbitrary`, in the seeds' layout.
fn structured(data: &[u8]) -> Option<(Vec<u8>, ClaimsInput)> {
    let mut u = Unstructured::new(data);
    let mut bytes = vec![u8::arbitrary(&mut u).ok()?, u8::arbitrary(&mut u).ok()?];
    bytes.extend_from_slice(object_text(&mut u, 4).ok()?.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(object_text(&mut u, 4).ok()?.as_bytes());
    let input = claims_input(&bytes)?;
    Some((bytes, input))
}

fuzz_target!(|data: &[u8]| -> Corpus {
    let (bytes, input) = match claims_input(data) {
        Some(input) => (data.to_vec(), input),
        None => match structured(data) {
            Some(built) => built,
            None => return Corpus::Reject,
        },
    };
    if let Err(why) = check_claims(input) {
        panic!(
            "claims law broken: {why}\n  input (seed layout): {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    Corpus::Keep
});
