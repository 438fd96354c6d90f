//! The claims functions on their own: `merge`, `merge_into_empty`, `drop_reserved`, `size`,
//! `size_within`, `jcs` and `go_json`, checking the merge laws (see
//! `migrate_fuzz::invariants::check_claims`; the input is two JSON texts, see `claims_input`).
#![no_main]

use libfuzzer_sys::{fuzz_target, Corpus};
use migrate_fuzz::invariants::{check_claims, claims_input};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Some(input) = claims_input(data) else {
        return Corpus::Reject;
    };
    if let Err(why) = check_claims(input) {
        panic!(
            "claims law broken: {why}\n  input: {:?}",
            String::from_utf8_lossy(data)
        );
    }
    Corpus::Keep
});
