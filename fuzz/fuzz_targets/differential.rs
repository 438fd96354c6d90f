//! Differential: the sample implementation against the model through the comparator the
//! conformance runner uses. Cases are structure-aware (see `migrate_fuzz::case`) under the
//! sample's profile, the default policy; any difference is a crash whose message is the
//! differences, both answers and the case as JSON.
#![no_main]

use std::sync::Mutex;

use libfuzzer_sys::{fuzz_target, Corpus};
use migrate_fuzz::case::decode;
use migrate_fuzz::differential::{Differential, Verdict};

static SAMPLE: Mutex<Option<Differential>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(case) = decode(data, false) else {
        return Corpus::Reject;
    };
    let mut guard = SAMPLE.lock().unwrap_or_else(|e| e.into_inner());
    let differential = guard.get_or_insert_with(Differential::default);
    match differential.check(&case) {
        Verdict::Skipped => Corpus::Reject,
        Verdict::Agreed => Corpus::Keep,
        Verdict::Differs(report) => panic!("{report}"),
    }
});
