//! Writes the seed corpora of every fuzz target, deterministically (same files every run).
//!
//! ```sh
//! cd fuzz && cargo run --release --example seed_corpus            # into fuzz/corpus/
//! cargo run --release --example seed_corpus -- OUT_DIR [CASES_PER_PROPERTY]
//! ```
//!
//! Sources: the test vectors under `fixtures/*.json` when they exist (every `request` and
//! `request_base64` in them), and the conformance suite's generators (`gen::Property`, a
//! fixed seed, `CASES_PER_PROPERTY` cases each, 40 by default). Each body becomes
//! `model_raw/` as it is; `model_structured/` and `differential/` as the body against the
//! variant of the rich world its case had (ada's status, the project maximum, the template;
//! see `case::seed_for`), under the default policy at the fixed clock; and, when it carries
//! custom claims, `claims/` as `[choices, limit] ++ template ++ NUL ++ claims`. Files are
//! named by an FNV-1a hash of their bytes, so duplicates collapse.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use migrate_conformance::gen::Property;
use migrate_fuzz::case::{seed, seed_for};
use migrate_model::canonical::jcs;
use migrate_model::parse::{parse, ParseOptions};
use migrate_model::policy::LoneSurrogate;
use migrate_model::World;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Every `request` (a JSON value) and `request_base64` anywhere in a vector file.
fn vector_bodies(v: &Value, out: &mut Vec<Vec<u8>>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("request") {
                    out.push(r.to_string().into_bytes());
                }
                if let Some(Value::String(b)) = m.get("request_base64") {
                    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b) {
                        out.push(bytes);
                    }
                }
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
}

/// The `session_custom_claims` object of a body, as canonical text.
fn claims_text(body: &[u8]) -> Option<String> {
    let opts = ParseOptions {
        lone_surrogate: LoneSurrogate::Replace,
        ..ParseOptions::default()
    };
    let mut request = parse(body, opts).ok()?.take_object()?;
    let claims = request.remove("session_custom_claims")?;
    claims.as_object()?;
    Some(jcs(&claims))
}

/// Ada's status, in a world shaped like the rich one.
fn ada_status(world: &World) -> Option<migrate_model::MemberStatus> {
    world
        .organizations
        .iter()
        .flat_map(|o| &o.members)
        .find(|m| m.member_id == "member-ada")
        .map(|m| m.status)
}

fn write(dir: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let path = dir.join(fnv(bytes));
    if path.exists() {
        return Ok(false);
    }
    fs::write(path, bytes).map(|()| true)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("corpus"));
    let per_property: u64 = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(40);

    // (body, world) pairs, in a fixed order; a vector file's worlds are its groups'.
    let mut cases: Vec<(Vec<u8>, Option<World>)> = Vec::new();
    let fixtures = here.join("../fixtures");
    let mut vector_files = 0;
    if let Ok(entries) = fs::read_dir(&fixtures) {
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            let Ok(v) = serde_json::from_slice::<Value>(&fs::read(&file)?) else {
                continue;
            };
            vector_files += 1;
            let groups = v.get("groups").and_then(Value::as_array);
            for group in groups.into_iter().flatten() {
                let world = group
                    .get("world")
                    .and_then(|w| serde_json::from_value::<World>(w.clone()).ok());
                let mut bodies = Vec::new();
                vector_bodies(group, &mut bodies);
                cases.extend(bodies.into_iter().map(|b| (b, world.clone())));
            }
            if groups.is_none() {
                let mut bodies = Vec::new();
                vector_bodies(&v, &mut bodies);
                cases.extend(bodies.into_iter().map(|b| (b, None)));
            }
        }
    }
    for (stream, property) in Property::ALL.iter().enumerate() {
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&(stream as u64).to_le_bytes());
        seed_bytes[8..16].copy_from_slice(b"fuzzseed");
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
        );
        let strategy = property.strategy();
        for _ in 0..per_property {
            let case = strategy
                .new_tree(&mut runner)
                .map_err(|e| e.to_string())?
                .current();
            cases.push((case.body, Some(case.world)));
        }
    }

    let targets = ["model_raw", "model_structured", "differential", "claims"];
    for t in targets {
        fs::create_dir_all(out.join(t))?;
    }
    let mut written = [0usize; 4];
    let mut claims_seen = BTreeSet::new();
    for (i, (body, world)) in cases.iter().enumerate() {
        written[0] += usize::from(write(&out.join("model_raw"), body)?);
        let structured = world
            .as_ref()
            .and_then(|w| {
                seed_for(
                    body,
                    ada_status(w)?,
                    w.project_max_session_minutes,
                    &w.claims_template,
                )
            })
            .unwrap_or_else(|| seed(body));
        let template = match world {
            Some(w) => serde_json::to_string(&w.claims_template)?,
            None => "{}".to_owned(),
        };
        written[1] += usize::from(write(&out.join("model_structured"), &structured)?);
        written[2] += usize::from(write(&out.join("differential"), &structured)?);
        if let Some(claims) = claims_text(body) {
            if claims_seen.insert((template.clone(), claims.clone())) {
                // Cycle through the 32 choice combinations; the limit byte 200.
                let mut input = vec![(i % 32) as u8, 200];
                input.extend_from_slice(template.as_bytes());
                input.push(0);
                input.extend_from_slice(claims.as_bytes());
                written[3] += usize::from(write(&out.join("claims"), &input)?);
            }
        }
    }
    println!(
        "seed corpus in {}: {} bodies ({} vector files, {} generated cases per property)",
        out.display(),
        cases.len(),
        vector_files,
        per_property
    );
    for (t, n) in targets.iter().zip(written) {
        println!("  {t:<17} {n} new files");
    }
    Ok(())
}
