//! Evaluates one Migrate request against a world and prints the model's expected outcome.
//!
//! ```text
//! cargo run -p migrate-model --example evaluate -- \
//!     --world model/examples/world.json --now 1700000000 \
//!     --policy reserved-claims=reject model/examples/request.json
//! ```
//!
//! The request file is sent as raw bytes (`-` reads standard input). The output is JSON: the
//! outcome, and the rules the call exercised.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use migrate_model::{Json, Model, Outcome, Policy, World};
use serde_json::json;

/// Print what the reference model expects for one request.
#[derive(Debug, Parser)]
struct Args {
    /// The world as JSON (project, organizations, members, UserInfo replies).
    #[arg(long)]
    world: PathBuf,
    /// The clock, in Unix seconds.
    #[arg(long, default_value_t = 1_700_000_000)]
    now: i64,
    /// A policy choice as FLAG=CHOICE (repeatable); unset flags take their default.
    #[arg(long = "policy", value_name = "FLAG=CHOICE")]
    policy: Vec<String>,
    /// The raw request body (`-` for standard input).
    request: PathBuf,
}

fn run(args: Args) -> Result<Json, String> {
    let world_text = std::fs::read_to_string(&args.world)
        .map_err(|e| format!("cannot read the world {}: {e}", args.world.display()))?;
    let world: World = serde_json::from_str(&world_text)
        .map_err(|e| format!("the world {} is not valid: {e}", args.world.display()))?;
    let mut policy = Policy::default();
    for setting in &args.policy {
        let (flag, choice) = setting
            .split_once('=')
            .ok_or_else(|| format!("--policy {setting:?} must be FLAG=CHOICE"))?;
        policy
            .set_by_name(flag, choice)
            .map_err(|e| e.to_string())?;
    }
    let body = if args.request.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        buf
    } else {
        std::fs::read(&args.request)
            .map_err(|e| format!("cannot read the request {}: {e}", args.request.display()))?
    };
    let model = Model::new(world).map_err(|e| e.to_string())?;
    let eval = model
        .migrate(args.now, &policy, &body)
        .map_err(|e| e.to_string())?;
    let rules: Vec<&str> = eval.trace.rules().map(|r| r.id()).collect();
    Ok(match &eval.outcome {
        Outcome::Error(e) => Json::from_serde(&json!({
            "outcome": "error",
            "status_code": e.status_code(),
            "error_type": e.error_type,
            "acceptable": e.acceptable,
            "rule": e.rule.id(),
            "message": e.message,
            "rules": rules,
        })),
        Outcome::Success(s) => {
            // Built as the model's JSON, so exact-text claim numbers print exactly.
            let jwt = [("header", &s.jwt.header), ("payload", &s.jwt.payload)];
            let fields = [
                ("outcome", Json::String("success".into())),
                ("body", s.body.clone()),
                (
                    "jwt",
                    Json::Object(jwt.map(|(k, v)| (k.to_owned(), v.clone())).into()),
                ),
                ("rules", Json::from_serde(&json!(rules))),
            ];
            Json::Object(fields.map(|(k, v)| (k.to_owned(), v)).into())
        }
    })
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(out) => {
            println!("{}", out.to_text());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
