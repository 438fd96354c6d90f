//! Structure-aware: an arbitrary world, policy, clock and request (see `migrate_fuzz::case`),
//! with the same invariants as the raw target, and determinism (the same call twice gives
//! the same evaluation). Worlds the model rejects are skipped.
#![no_main]

use libfuzzer_sys::{fuzz_target, Corpus};
use migrate_fuzz::case::decode;
use migrate_fuzz::invariants::{check_call, describe_policy};
use migrate_model::Model;

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(case) = decode(data, true) else {
        return Corpus::Reject;
    };
    let Ok(model) = Model::new(case.world.clone()) else {
        return Corpus::Reject;
    };
    let report = |why: String| -> ! {
        panic!(
            "invariant broken\n  world: {}\n  policy: {}\n  now: {}\n  body: {:?}\n  {why}",
            serde_json::to_string(&case.world).unwrap_or_default(),
            describe_policy(&case.policy),
            case.now,
            String::from_utf8_lossy(&case.body)
        )
    };
    match check_call(&model, case.now, &case.policy, &case.body) {
        Ok(first) => {
            let again = model.migrate(case.now, &case.policy, &case.body);
            if again.as_ref() != Ok(&first) {
                report("the same call twice gave different evaluations".into());
            }
        }
        Err(why) => report(why),
    }
    Corpus::Keep
});
