//! Turns a structure-aware input (of `model_structured` or `differential`) into a regression
//! case for `fuzz/regressions/cases/` (see `fuzz/regressions/README.md`).
//!
//! ```sh
//! cargo run --example to_case -- TARGET INPUT "what it caught" > regressions/cases/NAME.json
//! ```

use base64::Engine as _;
use migrate_fuzz::case::decode;
use migrate_fuzz::invariants::{CaseParts, RegressionCase};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [target, input, comment] = args.as_slice() else {
        return Err("usage: to_case TARGET INPUT COMMENT".into());
    };
    let data = std::fs::read(input)?;
    let case = decode(&data, target != "differential").map_err(|e| e.to_string())?;
    let (request, request_base64) = match String::from_utf8(case.body.clone()) {
        Ok(text) => (Some(text), None),
        Err(_) => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(&case.body)),
        ),
    };
    let regression = RegressionCase {
        comment: comment.clone(),
        target: target.clone(),
        policy: case.policy,
        case: CaseParts {
            world: case.world,
            now: case.now,
            request,
            request_base64,
        },
    };
    println!("{}", serde_json::to_string_pretty(&regression)?);
    Ok(())
}
