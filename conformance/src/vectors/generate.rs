//! `vectors generate` and `vectors verify`: from the curated cases and the saved
//! counterexamples to the vector files, byte for byte the same on every run.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use migrate_model::{canonical, Evaluation, Flag, Json, Model, Outcome, Policy, Rule, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::cases::{self, Curated, FAMILIES};
use super::format::{
    AcrossCalls, Alternative, Constraint, Constraints, Expected, ExpectedErrorJson,
    ExpectedSuccessJson, FlagNote, Group, Vector, VectorFile, DATA_VERSION, FORMAT,
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

/// The generated files.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// The vector files: `(file name, contents)`, in family order.
    pub files: Vec<(String, String)>,
    /// The schemas and the manifest: `(path relative to fixtures/, contents)`.
    pub support: Vec<(String, String)>,
}

/// `fixtures/MANIFEST.json`: versions, counts and provenance of the data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The format of every file ([`FORMAT`]).
    pub format: String,
    /// The data version ([`DATA_VERSION`]).
    pub data_version: u32,
    /// SHA-256 (hex) over the vector files in the order listed, then the schema files
    /// (`schemas/migrate-request`, `schemas/migrate-response`, `schemas/error`, the format's
    /// `vectors.schema.json`), each as its path, a newline and its contents: what the data
    /// version stands for.
    pub data_sha256: String,
    /// The commit of this repository whose generator wrote the data (`git rev-parse HEAD`;
    /// generation refuses uncommitted changes outside `fixtures/` when the data changes).
    pub generator_commit: String,
    /// Each vector file.
    pub files: Vec<ManifestFile>,
    /// Vectors in all files.
    pub total_vectors: usize,
}

/// One file in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// The file name.
    pub file: String,
    /// Its family.
    pub family: String,
    /// Worlds (groups) in it.
    pub groups: usize,
    /// Vectors in it.
    pub vectors: usize,
}

/// The manifest's file name in `fixtures/`.
pub const MANIFEST_FILE: &str = "MANIFEST.json";

/// Builds the schemas and the manifest for `files`. `previous` is the manifest on disk:
/// when the data (the vector files and the schemas) is unchanged, its commit is kept; when
/// it changed, the data version must have been raised above the previous one, and `commit`
/// must name the commit that generates it.
fn support_files(
    files: &[(String, String)],
    previous: Option<&Manifest>,
    commit: Result<String, String>,
) -> Result<Vec<(String, String)>, String> {
    let families: Vec<&str> = FAMILIES.iter().map(|(f, _)| *f).collect();
    let mut schemas = Vec::new();
    for (path, value) in super::schemas::schema_files(&families)? {
        let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
        schemas.push((path.to_owned(), text + "\n"));
    }
    let mut hasher = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for (name, text) in files.iter().chain(&schemas) {
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
        hasher.update(text.as_bytes());
    }
    let mut listed = Vec::new();
    let mut total = 0;
    for (name, text) in files {
        let file = super::load(name, text)?;
        let vectors: usize = file.groups.iter().map(|g| g.vectors.len()).sum();
        total += vectors;
        listed.push(ManifestFile {
            file: name.clone(),
            family: file.family,
            groups: file.groups.len(),
            vectors,
        });
    }
    let digest: String = hasher
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let generator_commit = match previous {
        Some(p) if p.data_sha256 == digest => p.generator_commit.clone(),
        Some(p) if p.data_version >= DATA_VERSION => {
            return Err(format!(
                "the vector data or its schemas changed, but the data version did not go up: raise DATA_VERSION (now {DATA_VERSION}, last published {}) in conformance/src/vectors/format.rs and say what changed under a '## data version {}' heading in fixtures/CHANGELOG.md",
                p.data_version,
                p.data_version + 1
            ))
        }
        _ => commit.map_err(|why| {
            format!("the data changed, so MANIFEST.json must name the commit that generates it: {why}")
        })?,
    };
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        data_version: DATA_VERSION,
        data_sha256: digest,
        generator_commit,
        files: listed,
        total_vectors: total,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    schemas.push((MANIFEST_FILE.to_owned(), text + "\n"));
    Ok(schemas)
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

/// Where the final claims sit in a success body.
pub const CLAIMS_POINTER: &str = "/member_session/custom_claims";

/// What the expected body holds at [`CLAIMS_POINTER`].
pub const CLAIMS_PLACEHOLDER: &str = "{{custom_claims}}";

/// What a consumer can check of an outcome.
pub fn expected_of(outcome: &Outcome) -> Expected {
    match outcome {
        Outcome::Error(e) => Expected::Error(ExpectedErrorJson {
            status: e.status_code(),
            error_type: e.error_type.name().to_owned(),
            acceptable: e.acceptable.iter().map(|t| t.name().to_owned()).collect(),
        }),
        Outcome::Success(s) => {
            // The claims are stated once, exactly, as `custom_claims_jcs`; the body and the
            // payload point to it (a JSON value here would hold numbers as doubles).
            let mut body = s.body.clone();
            if let Some(claims) = body.pointer_mut(CLAIMS_POINTER) {
                *claims = Json::String(CLAIMS_PLACEHOLDER.to_owned());
            }
            let mut jwt_payload = s.jwt.payload.clone();
            if let Some(payload) = jwt_payload.as_object_mut() {
                for key in s.custom_claims.keys() {
                    payload.remove(key);
                }
            }
            // What is left holds no claim number: its serde form is exact.
            let (body, jwt_payload) = (body.to_serde(), jwt_payload.to_serde());
            Expected::Success(Box::new(ExpectedSuccessJson {
                status: 200,
                body,
                jwt_header: s.jwt.header.to_serde(),
                jwt_payload,
                custom_claims_jcs: canonical::jcs(&Json::Object(s.custom_claims.clone())),
            }))
        }
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
            // Listing fewer would break the promise that unlisted flags do not matter.
            if relevant.len() > MAX_FLAGS {
                return Err(format!(
                    "the outcome depends on more than {MAX_FLAGS} flags ({}): split the case",
                    relevant
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        // Two flags may matter only together (the Go measure and the 4000-byte limit: each
        // alone keeps a 4001-byte Go / 3991-byte JCS map within its limit): flip every pair
        // of unlisted flags from the default too.
        if !added {
            let base = ev.eval(&BTreeMap::new())?;
            let unlisted: Vec<Flag> = Flag::ALL
                .iter()
                .copied()
                .filter(|f| !relevant.contains(f))
                .collect();
            'pairs: for (i, first) in unlisted.iter().enumerate() {
                for second in &unlisted[i + 1..] {
                    for a in &first.choices()[1..] {
                        for b in &second.choices()[1..] {
                            let pair = BTreeMap::from([(*first, *a), (*second, *b)]);
                            if ev.eval(&pair)? != base {
                                relevant.extend([*first, *second]);
                                added = true;
                                break 'pairs;
                            }
                        }
                    }
                }
            }
        }
        if !added {
            break;
        }
    }
    relevant.sort();
    Ok(relevant)
}

/// The request as a JSON value when it may be written inline: its bytes are exactly the
/// compact serialization of its value with the keys in the order written (what JavaScript's
/// `JSON.stringify`, Python's `json.dumps` with `separators=(",", ":"),
/// ensure_ascii=False` and serde_json write), it is an object without duplicate keys, its
/// numbers are integers within ±2^53, no object has a key that is a decimal integer
/// (JavaScript orders those first), and no value sits deeper than 32 levels (the body is
/// level 1). Anything else is published as base64. The value returned has its keys sorted;
/// the caller publishes those bytes (the same meaning, and the order every serializer keeps).
fn inline_request(body: &[u8]) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let ordered = Ordered::deserialize(&mut de).ok()?;
    de.end().ok()?;
    if !matches!(ordered, Ordered::Object(_)) || serde_json::to_vec(&ordered).ok()? != body {
        return None;
    }
    let mut stack = vec![(&ordered, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > 32 {
            return None;
        }
        match v {
            Ordered::Number(n) if !safe_integer(n) => return None,
            Ordered::Number(_) => {}
            Ordered::Array(a) => stack.extend(a.iter().map(|c| (c, depth + 1))),
            Ordered::Object(o) => {
                let mut keys = BTreeSet::new();
                for (k, c) in o {
                    let integer_like = !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit());
                    if integer_like || !keys.insert(k) {
                        return None;
                    }
                    stack.push((c, depth + 1));
                }
            }
            Ordered::Other(_) => {}
        }
    }
    serde_json::from_slice(body).ok()
}

/// A JSON value that keeps its keys in the order written (duplicates too), to compare a
/// body with its re-serialization.
enum Ordered {
    Number(serde_json::Number),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
    /// Null, booleans and strings.
    Other(Value),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::Null))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::Bool(b)))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(i.into()))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(u.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Ordered, E> {
                Err(E::custom("not an integer"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::String(s.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Ordered::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Ordered::Number(n) => n.serialize(s),
            Ordered::Other(v) => v.serialize(s),
            Ordered::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// The constraint tables of the format (the same in every file).
pub fn constraints() -> Constraints {
    let describe = |slots: Vec<migrate_model::Slot>| -> BTreeMap<String, Constraint> {
        slots
            .into_iter()
            .map(|s| {
                let c = match s.constraint {
                    migrate_model::Constraint::Opaque(o) => Constraint::Opaque {
                        placeholder: o.placeholder().to_owned(),
                    },
                    migrate_model::Constraint::Optional(o) => Constraint::Optional {
                        placeholder: o.placeholder().to_owned(),
                    },
                    migrate_model::Constraint::AnyString => Constraint::AnyString,
                    migrate_model::Constraint::SchemaOnly => Constraint::Schema {
                        schema: super::schemas::RESPONSE_FILE.to_owned(),
                    },
                    migrate_model::Constraint::OneOf(values) => Constraint::OneOf {
                        values: values.iter().map(|v| (*v).to_owned()).collect(),
                    },
                };
                (s.pointer, c)
            })
            .collect()
    };
    let mut body = describe(migrate_model::ExpectedSuccess::body_slots());
    body.insert(CLAIMS_POINTER.to_owned(), Constraint::CustomClaims);
    let mut jwt_payload = describe(migrate_model::ExpectedJwt::payload_slots());
    jwt_payload.insert(String::new(), Constraint::CustomClaimsTopLevel);
    // Key ids are shared by design; every other value an implementation chooses is new on
    // each call (the runner's `Seen`).
    let across_calls = [
        migrate_model::Opaque::RequestId,
        migrate_model::Opaque::SessionToken,
        migrate_model::Opaque::SessionJwt,
        migrate_model::Opaque::MemberSessionId,
        migrate_model::Opaque::JwtId,
    ]
    .iter()
    .map(|o| AcrossCalls::Unique {
        placeholder: o.placeholder().to_owned(),
    })
    .chain(std::iter::once(AcrossCalls::DiffersFromRequest {
        pointer: "/session_token".to_owned(),
        request_pointer: "/session_token".to_owned(),
    }))
    .collect();
    Constraints {
        body,
        jwt_header: describe(migrate_model::ExpectedJwt::header_slots()),
        jwt_payload,
        error: describe(migrate_model::ExpectedError::slots()),
        across_calls,
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
    /// The schemas as shipped in `fixtures/schemas/` (one path for every check).
    fn new() -> Result<Self, String> {
        let families: Vec<&str> = FAMILIES.iter().map(|(f, _)| *f).collect();
        let files = super::schemas::schema_files(&families)?;
        let build = |path: &str| {
            let (_, schema) = files
                .iter()
                .find(|(p, _)| *p == path)
                .ok_or_else(|| format!("no schema {path}"))?;
            crate::schema::Validator::new(schema.clone())
        };
        Ok(Official {
            request: build(super::schemas::REQUEST_FILE)?,
            response: build(super::schemas::RESPONSE_FILE)?,
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
    // An inline request is published with its keys sorted (as serde_json writes a value);
    // the outcomes are those of exactly the bytes a consumer then sends. Key order does not
    // change the meaning of a body without duplicate keys.
    let request = inline_request(&c.body);
    let body = match &request {
        Some(value) => serde_json::to_vec(value).map_err(|e| e.to_string())?,
        None => c.body.clone(),
    };
    let mut ev = Evaluator {
        model,
        now: c.now,
        body: &body,
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
    // Every expected success body has the official shape (with any claims in place of the
    // pointer to `custom_claims_jcs`), and so has the request of a success under the default
    // profile, once its top-level nulls are removed (`null` stands for "absent" in the
    // vectors of the null rules, and the official schema has no nullable fields).
    for e in std::iter::once(&expected).chain(by_flags.iter().map(|a| &a.expected)) {
        if let Expected::Success(s) = e {
            let mut shaped = s.body.clone();
            if let Some(claims) = shaped.pointer_mut(CLAIMS_POINTER) {
                *claims = json!({});
            }
            if let Some((at, error)) = official.response.errors(&shaped).first() {
                return Err(format!(
                    "{}: the expected body violates the official schema at {at}: {error}",
                    c.id
                ));
            }
        }
    }
    if let (true, Expected::Success(_)) = (published, &expected) {
        // As the default profile reads it (the last of duplicate keys wins).
        let options = migrate_model::parse::ParseOptions::from(&Policy::default());
        let mut sent = migrate_model::parse::parse(&body, options)
            .map_err(|e| format!("{}: {e}", c.id))?
            .to_serde();
        if let Some(members) = sent.as_object_mut() {
            members.retain(|_, v| !v.is_null());
        }
        if let Some((at, error)) = official.request.errors(&sent).first() {
            return Err(format!(
                "{}: a successful request violates the official schema at {at}: {error}",
                c.id
            ));
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
            None => Some(base64::engine::general_purpose::STANDARD.encode(&body)),
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
        data_version: DATA_VERSION,
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

/// An integer within ±2^53: every JSON library, doubles included, holds it exactly.
fn safe_integer(n: &serde_json::Number) -> bool {
    n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53)
        || n.as_u64().is_some_and(|u| u <= 1 << 53)
}

/// A world's numbers are integers within ±2^53, so that a consumer's JSON library (doubles
/// in JavaScript) carries the world unchanged, as `fixtures/README.md` promises.
fn world_numbers_are_safe(world: &World) -> Result<(), String> {
    let value = serde_json::to_value(world).map_err(|e| e.to_string())?;
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Number(n) if !safe_integer(n) => {
                return Err(format!(
                    "the number {n} would not survive every JSON library"
                ))
            }
            Value::Array(a) => stack.extend(a),
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    Ok(())
}

/// Generates every file from the curated lists and the saved counterexamples. `previous`
/// is the manifest on disk, if any, and `commit` the commit of the generator's sources (or
/// why there is none), needed only when the data changed (see [`Manifest`]).
pub fn generate(
    saved: &[SavedCase],
    previous: Option<&Manifest>,
    commit: Result<String, String>,
) -> Result<Generated, String> {
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
        for g in &groups {
            world_numbers_are_safe(&g.world)
                .map_err(|e| format!("{family}.json, world {}: {e}", g.name))?;
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
            data_version: DATA_VERSION,
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
    let support = support_files(&files, previous, commit)?;
    Ok(Generated { files, support })
}
