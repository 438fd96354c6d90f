//! Raw request bytes against a fixed, rich world: the model never panics, and every outcome
//! (under the default policy, under every other choice, and under a mix picked by a hash of
//! the body) keeps the invariants of `migrate_fuzz::invariants::check_outcome`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use migrate_fuzz::invariants::{check_raw, raw_world};
use migrate_model::Model;

static MODEL: OnceLock<Model> = OnceLock::new();

fuzz_target!(|body: &[u8]| {
    let model = MODEL.get_or_init(|| Model::new(raw_world()).expect("the raw world is valid"));
    if let Err(why) = check_raw(model, body) {
        panic!(
            "invariant broken\n  body: {:?}\n  {why}",
            String::from_utf8_lossy(body)
        );
    }
});
