//! `vectors generate` and `vectors verify`: from the curated cases and the saved
//! counterexamples to the vector files, byte for byte the same on every run.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use migrate_model::{canonical, Evaluation, Flag, Json, Model, Outcome, Policy, Rule, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::cases::{self, Curated, FAMILIES};
use super::format::{
    Alternative, Constraints, Expected, ExpectedErrorJson, ExpectedSuccessJson, FlagNote, Group,
    Vector, VectorFile, FORMAT,
};
use super::notes::flag_meaning;
use crate::gen::CaseJson;

/// A minimal counterexample saved from proptest or fuzzing, kept in
/// `fixtures/cases/counterexamples.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedCase {
    /// `regressions/name`.
    pub id: String,
    /// Where it came from and what it caught.
    pub comment: String,
    /// The case.
    pub case: CaseJson,
}

/// The generated files: `(file name, contents)`, in family order.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// The files.
    pub files: Vec<(String, String)>,
}

/// The largest number of flags a vector may depend on (2^6 outcomes at most).
const MAX_FLAGS: usize = 6;

fn policy_with(choices: &BTreeMap<Flag, &'static str>) -> Policy {
    let mut p = Policy::default();
    for (flag, choice) in choices {
        // Names come from the flag table, so this cannot fail.
        let _ = p.set(*flag, choice);
    }
    p
}

/// What a consumer can check of an outcome.
pub fn expected_of(outcome: &Outcome) -> Expected {
    match outcome {
        Outcome::Error(e) => Expected::Error(ExpectedErrorJson {
            status: e.status_code(),
            error_type: e.error_type.name().to_owned(),
            acceptable: e.acceptable.iter().map(|t| t.name().to_owned()).collect(),
        }),
        Outcome::Success(s) => Expected::Success(Box::new(ExpectedSuccessJson {
            status: 200,
            body: s.body.clone(),
            jwt_header: s.jwt.header.clone(),
            jwt_payload: s.jwt.payload.clone(),
            custom_claims_jcs: canonical::jcs(&Json::Object(s.custom_claims.clone())),
        })),
    }
}

struct Evaluator<'a> {
    model: &'a Model,
    now: i64,
    body: &'a [u8],
    cache: BTreeMap<Vec<(Flag, &'static str)>, (Expected, Evaluation)>,
}

impl Evaluator<'_> {
    fn eval(&mut self, choices: &BTreeMap<Flag, &'static str>) -> Result<Expected, String> {
        let key: Vec<(Flag, &'static str)> = choices.iter().map(|(f, c)| (*f, *c)).collect();
        if let Some((e, _)) = self.cache.get(&key) {
            return Ok(e.clone());
        }
        let eval = self
            .model
            .migrate(self.now, &policy_with(choices), self.body)
            .map_err(|e| e.to_string())?;
        let expected = expected_of(&eval.outcome);
        self.cache.insert(key, (expected.clone(), eval));
        Ok(expected)
    }
}

/// Every combination of non-default choices of `flags` (the empty one first).
fn combinations(flags: &[Flag]) -> Vec<BTreeMap<Flag, &'static str>> {
    let mut out = vec![BTreeMap::new()];
    for flag in flags {
        let choices = flag.choices();
        let mut next = Vec::new();
        for combo in &out {
            next.push(combo.clone());
            for choice in &choices[1..] {
                let mut with = combo.clone();
                with.insert(*flag, *choice);
                next.push(with);
            }
        }
        out = next;
    }
    out
}

/// The flags whose choice changes the outcome, found by flipping each flag from every
/// combination of the flags found so far, until nothing new turns up.
fn relevant_flags(ev: &mut Evaluator<'_>) -> Result<Vec<Flag>, String> {
    let mut relevant: Vec<Flag> = Vec::new();
    loop {
        let mut added = false;
        for combo in combinations(&relevant) {
            let base = ev.eval(&combo)?;
            for flag in Flag::ALL {
                if relevant.contains(flag) {
                    continue;
                }
                for choice in &flag.choices()[1..] {
                    let mut flipped = combo.clone();
                    flipped.insert(*flag, *choice);
                    if ev.eval(&flipped)? != base && !relevant.contains(flag) {
                        relevant.push(*flag);
                        added = true;
                    }
                }
            }
            if relevant.len() >= MAX_FLAGS {
                break;
            }
        }
        if !added || relevant.len() >= MAX_FLAGS {
            break;
        }
    }
    relevant.sort();
    Ok(relevant)
}

/// Whether a body's meaning survives re-serialization by any JSON library: valid JSON, an
/// object, no duplicate keys, no lone surrogates, integers only within ±2^53, and exactly
/// the compact serialization of its value.
fn plain_request(body: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(body).ok()?;
    if !value.is_object() || serde_json::to_vec(&value).ok()? != body {
        return None;
    }
    // Deeply nested bodies go as bytes, kind to readers with small recursion limits.
    let mut stack = vec![(&value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > 32 {
            return None;
        }
        match v {
            Value::Number(n) => {
                let small = n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53)
                    || n.as_u64().is_some_and(|u| u <= 1 << 53);
                if !small {
                    return None;
                }
            }
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, depth + 1))),
            Value::Object(o) => stack.extend(o.values().map(|c| (c, depth + 1))),
            _ => {}
        }
    }
    // Duplicate keys would have been merged by the parse and broken the byte comparison.
    Some(value)
}

fn constraints() -> Constraints {
    let describe = |slots: Vec<migrate_model::Slot>| -> BTreeMap<String, String> {
        slots
            .into_iter()
            .map(|s| {
                let text = match s.constraint {
                    migrate_model::Constraint::Opaque(o) => format!(
                        "opaque {}: a non-empty string the implementation chooses",
                        o.placeholder()
                    ),
                    migrate_model::Constraint::Optional(o) => format!(
                        "optional {}: absent, or a non-empty string",
                        o.placeholder()
                    ),
                    migrate_model::Constraint::AnyString => "any string".to_owned(),
                    migrate_model::Constraint::SchemaOnly => {
                        "any value the official schema allows (the world does not determine it)"
                            .to_owned()
                    }
                    migrate_model::Constraint::OneOf(values) => {
                        format!("one of: {}", values.join(", "))
                    }
                };
                (s.pointer, text)
            })
            .collect()
    };
    let mut body = describe(migrate_model::ExpectedSuccess::body_slots());
    body.insert(
        "(all)".into(),
        "the same placeholder in two places is the same value; request ids, session tokens and session ids are unique per call; the new session_token differs from the request's".into(),
    );
    Constraints {
        body,
        jwt_header: describe(migrate_model::ExpectedJwt::header_slots()),
        jwt_payload: describe(migrate_model::ExpectedJwt::payload_slots()),
        error: describe(migrate_model::ExpectedError::slots()),
    }
}

fn notes() -> BTreeMap<String, FlagNote> {
    Flag::ALL
        .iter()
        .map(|f| {
            let choices: Vec<String> = f.choices().iter().map(|c| c.to_string()).collect();
            (
                f.name().to_owned(),
                FlagNote {
                    meaning: flag_meaning(*f).to_owned(),
                    default: choices[0].clone(),
                    choices,
                },
            )
        })
        .collect()
}

/// Validators of the official request and response schemas.
struct Official {
    request: crate::schema::Validator,
    response: crate::schema::Validator,
}

impl Official {
    fn new() -> Result<Self, String> {
        let spec: Value =
            serde_json::from_str(migrate_model::OFFICIAL_SCHEMAS).map_err(|e| e.to_string())?;
        let build = |name: &str| {
            let schema = json!({"$ref": format!("#/components/schemas/{name}"), "components": spec["components"]});
            crate::schema::Validator::new(schema)
        };
        Ok(Official {
            request: build("api_b2b_session_v1_MigrateRequest")?,
            response: build("api_b2b_session_v1_MigrateResponse")?,
        })
    }
}

fn vector_of(c: &Curated, model: &Model, official: &Official) -> Result<Vector, String> {
    vector_with(c, model, official, true)
}

/// `vector_of`, where `published` also demands that a successful request has the official
/// request schema (as the published files promise; a saved failure may not).
fn vector_with(
    c: &Curated,
    model: &Model,
    official: &Official,
    published: bool,
) -> Result<Vector, String> {
    let mut ev = Evaluator {
        model,
        now: c.now,
        body: &c.body,
        cache: BTreeMap::new(),
    };
    let flags = relevant_flags(&mut ev)?;
    let expected = ev.eval(&BTreeMap::new())?;
    let mut by_flags = Vec::new();
    for combo in combinations(&flags).into_iter().skip(1) {
        let outcome = ev.eval(&combo)?;
        by_flags.push(Alternative {
            when: combo
                .iter()
                .map(|(f, c)| (f.name().to_owned(), c.to_string()))
                .collect(),
            expected: outcome,
        });
    }
    // The listed rules must be ones the model exercised for this body.
    let traced: BTreeSet<Rule> = ev
        .cache
        .values()
        .flat_map(|(_, e)| e.trace.rules())
        .collect();
    // world.valid is checked when the model is built, never in a call's trace.
    for rule in c.rules.iter().filter(|r| **r != Rule::WorldValid) {
        if !traced.contains(rule) {
            return Err(format!(
                "{}: the model does not exercise {} for this case",
                c.id,
                rule.id()
            ));
        }
    }
    let request = plain_request(&c.body);
    // Successful requests and every expected success body have the official shape.
    for e in std::iter::once(&expected).chain(by_flags.iter().map(|a| &a.expected)) {
        if let Expected::Success(s) = e {
            if let Some((at, error)) = official.response.errors(&s.body).first() {
                return Err(format!(
                    "{}: the expected body violates the official schema at {at}: {error}",
                    c.id
                ));
            }
            if let Some(r) = request.as_ref().filter(|_| published) {
                if let Some((at, error)) = official.request.errors(r).first() {
                    return Err(format!(
                        "{}: a successful request violates the official schema at {at}: {error}",
                        c.id
                    ));
                }
            }
        }
    }
    Ok(Vector {
        id: c.id.clone(),
        rules: c.rules.iter().map(|r| r.id().to_owned()).collect(),
        comment: c.comment.clone(),
        flags: flags.iter().map(|f| f.name().to_owned()).collect(),
        now: c.now,
        request_base64: match &request {
            Some(_) => None,
            None => Some(base64::engine::general_purpose::STANDARD.encode(&c.body)),
        },
        request,
        expected,
        by_flags,
    })
}

/// The saved counterexamples as curated cases of the `regressions` family, each with its
/// own world (named after the case).
fn regressions(saved: &[SavedCase]) -> Result<Vec<(Curated, World)>, String> {
    saved
        .iter()
        .map(|s| {
            let case = s.case.clone().into_case()?;
            let model = Model::new(case.world.clone()).map_err(|e| format!("{}: {e}", s.id))?;
            let eval = model
                .migrate(case.now, &Policy::default(), &case.body)
                .map_err(|e| format!("{}: {e}", s.id))?;
            // A regression is about whatever decided its outcome.
            let rule = match &eval.outcome {
                Outcome::Error(e) => e.rule,
                Outcome::Success(_) => Rule::ResponseShape,
            };
            Ok((
                Curated {
                    id: s.id.clone(),
                    rules: vec![rule],
                    comment: s.comment.clone(),
                    world: "",
                    now: case.now,
                    body: case.body,
                },
                case.world,
            ))
        })
        .collect()
}

/// Writes a minimal failing case as the vector file `dir/file_name` (see [`case_file`]; the
/// vector id is the file name without `.json`). The error names the path.
pub fn write_case_file(
    dir: &std::path::Path,
    file_name: &str,
    comment: &str,
    case: &CaseJson,
) -> Result<std::path::PathBuf, String> {
    let path = dir.join(file_name);
    let name = file_name.trim_end_matches(".json");
    case_file(name, comment, case)
        .and_then(|file| serde_json::to_string_pretty(&file).map_err(|e| e.to_string()))
        .and_then(|text| std::fs::write(&path, text + "\n").map_err(|e| e.to_string()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// One case as a vector file of its own, family `failures`, id `failures/NAME`: the
/// format of `fixtures/`, so that `vectors run FILE` replays it and the case can join
/// `fixtures/cases/counterexamples.json`. The vector lists the rule that decided the
/// model's outcome, and its outcome under every combination of the flags that matter.
pub fn case_file(name: &str, comment: &str, case: &CaseJson) -> Result<VectorFile, String> {
    let official = Official::new()?;
    let case = case.clone().into_case()?;
    let model = Model::new(case.world.clone()).map_err(|e| format!("{name}: {e}"))?;
    let eval = model
        .migrate(case.now, &Policy::default(), &case.body)
        .map_err(|e| format!("{name}: {e}"))?;
    let rule = match &eval.outcome {
        Outcome::Error(e) => e.rule,
        Outcome::Success(_) => Rule::ResponseShape,
    };
    // The deciding rule first (a replay takes the error's rule from it), then every other
    // rule the case exercised, so that a replay names the same rule as the run did.
    let rules = std::iter::once(rule)
        .chain(eval.trace.rules().filter(|r| *r != rule))
        .collect();
    let curated = Curated {
        id: format!("failures/{name}"),
        rules,
        comment: comment.to_owned(),
        world: "",
        now: case.now,
        body: case.body,
    };
    let vector = vector_with(&curated, &model, &official, false)?;
    Ok(VectorFile {
        format: FORMAT.to_owned(),
        family: "failures".to_owned(),
        description:
            "A minimal failing case written by `migrate-conformance check --failures-dir`."
                .to_owned(),
        notes: notes(),
        constraints: constraints(),
        groups: vec![Group {
            name: "world".to_owned(),
            world: case.world,
            vectors: vec![vector],
        }],
    })
}

/// Generates every file from the curated lists and the saved counterexamples.
pub fn generate(saved: &[SavedCase]) -> Result<Generated, String> {
    let official = Official::new()?;
    let worlds = cases::worlds();
    let models: BTreeMap<&str, Model> = worlds
        .iter()
        .map(|(name, w)| {
            Model::new(w.clone())
                .map(|m| (*name, m))
                .map_err(|e| format!("world {name}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut seen_ids = BTreeSet::new();
    let mut files = Vec::new();
    for (family, description) in FAMILIES {
        let mut groups: Vec<Group> = Vec::new();
        if *family == "regressions" {
            // Counterexamples that share a world share a group.
            for (c, world) in regressions(saved)? {
                let model = Model::new(world.clone()).map_err(|e| e.to_string())?;
                let vector = vector_of(&c, &model, &official)?;
                match groups.iter_mut().find(|g| g.world == world) {
                    Some(g) => g.vectors.push(vector),
                    None => groups.push(Group {
                        name: format!("world-{}", groups.len() + 1),
                        world,
                        vectors: vec![vector],
                    }),
                }
            }
        } else {
            for (name, world) in &worlds {
                let group_cases: Vec<Curated> = cases::family(family)
                    .into_iter()
                    .filter(|c| c.world == *name)
                    .collect();
                if group_cases.is_empty() {
                    continue;
                }
                let model = &models[name];
                let vectors = group_cases
                    .iter()
                    .map(|c| vector_of(c, model, &official))
                    .collect::<Result<Vec<_>, _>>()?;
                groups.push(Group {
                    name: (*name).to_owned(),
                    world: world.clone(),
                    vectors,
                });
            }
        }
        for v in groups.iter().flat_map(|g| &g.vectors) {
            if !v.id.starts_with(&format!("{family}/")) {
                return Err(format!(
                    "{} is in the {family} file but not named for it",
                    v.id
                ));
            }
            if !seen_ids.insert(v.id.clone()) {
                return Err(format!("duplicate vector id {}", v.id));
            }
        }
        let file = VectorFile {
            format: FORMAT.to_owned(),
            family: (*family).to_owned(),
            description: (*description).to_owned(),
            notes: notes(),
            constraints: constraints(),
            groups,
        };
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
        text.push('\n');
        files.push((format!("{family}.json"), text));
    }
    Ok(Generated { files })
}
