//! Published test vectors: the format ([`mod@format`]), their generation from curated cases
//! ([`cases`], [`generate`], [`schemas`]), and replaying them against any target.
//!
//! The format's specification is `fixtures/README.md` (shipped in this package as
//! `fixtures/README.md`): everything a consumer in any language needs, with nothing left to
//! this rustdoc.
//!
//! The vector files under `fixtures/` are also compiled into this crate ([`embedded`]), so
//! the cargo-test integration and the kill matrix never depend on the working directory.

pub mod cases;
pub mod format;
pub mod generate;
pub mod notes;
pub mod schemas;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use migrate_model::parse::{parse, ParseOptions};
use migrate_model::policy::{LoneSurrogate, NestingLimit};
use migrate_model::{
    ErrorType, Evaluation, ExpectedError, ExpectedJwt, ExpectedSuccess, Flag, Json, MemberStatus,
    Outcome, Policy, Rule, Trace, World,
};
use serde_json::Value;

use self::format::{Expected, Vector, VectorFile, FORMAT};
use self::generate::SavedCase;
use crate::adapter::{HttpResponse, Implementation};
use crate::compare::Difference;
use crate::gen::Case;
use crate::runner::{check_case_against, CaseResult, Seen};

macro_rules! embed {
    ($($name:literal),+ $(,)?) => {
        /// The vector files compiled into the crate: `(file name, contents)`.
        pub fn embedded() -> Vec<(&'static str, &'static str)> {
            vec![$(($name, include_str!(concat!("../../fixtures/", $name)))),+]
        }
    };
}

embed!(
    "request-shape.json",
    "duration.json",
    "claims-merge.json",
    "claims-reserved.json",
    "claims-size.json",
    "organization.json",
    "userinfo.json",
    "member.json",
    "session.json",
    "precedence.json",
    "pitfalls.json",
    "regressions.json",
);

/// The saved counterexamples file, relative to the fixtures directory.
pub const SAVED_CASES: &str = "cases/counterexamples.json";

/// Retired ids, one per line, relative to the fixtures directory.
pub const RETIRED_IDS: &str = "retired-ids.txt";

/// Reads and checks a vector file.
pub fn load(name: &str, text: &str) -> Result<VectorFile, String> {
    // Expected bodies can nest deeper than serde_json's default limit of 128 (claims at the
    // request's own limit sit a few levels down in the body), so the limit is lifted here.
    let file: VectorFile = parse_deep(text)
        .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
        .map_err(|e| format!("{name}: {e}"))?;
    if file.format != FORMAT {
        return Err(format!(
            "{name}: format {:?}, expected {FORMAT:?}",
            file.format
        ));
    }
    let mut ids = BTreeSet::new();
    for v in file.groups.iter().flat_map(|g| &g.vectors) {
        if !v.id.starts_with(&format!("{}/", file.family)) {
            return Err(format!(
                "{name}: vector {} is not in family {}",
                v.id, file.family
            ));
        }
        if !ids.insert(&v.id) {
            return Err(format!("{name}: duplicate id {}", v.id));
        }
        if v.request.is_some() == v.request_base64.is_some() {
            return Err(format!(
                "{name}: {} must have exactly one of request and request_base64",
                v.id
            ));
        }
        for flag in &v.flags {
            if Flag::from_name(flag).is_none() {
                return Err(format!("{name}: {} names an unknown flag {flag:?}", v.id));
            }
        }
        if let Some(rule) = v.rules.iter().find(|r| Rule::from_id(r).is_none()) {
            return Err(format!("{name}: {} names an unknown rule {rule:?}", v.id));
        }
        by_flags_complete(v).map_err(|e| format!("{name}: {}: {e}", v.id))?;
    }
    // The comparator implements the format's constraints; a file that states others (from
    // another data version, or edited) would be judged by rules it does not state.
    if file.constraints != generate::constraints() {
        return Err(format!(
            "{name}: its constraints differ from the ones of format {FORMAT} that this runner implements (data version {} of the file, {} of the runner)",
            file.data_version,
            format::DATA_VERSION
        ));
    }
    Ok(file)
}

/// `by_flags` has exactly one entry for every combination of non-default choices of the
/// vector's flags (the empty one is `expected`), and nothing else.
fn by_flags_complete(v: &Vector) -> Result<(), String> {
    let mut want: BTreeSet<BTreeMap<String, String>> = BTreeSet::from([BTreeMap::new()]);
    for name in &v.flags {
        let flag = Flag::from_name(name).ok_or_else(|| format!("unknown flag {name:?}"))?;
        let mut next = BTreeSet::new();
        for combo in &want {
            next.insert(combo.clone());
            for choice in &flag.choices()[1..] {
                let mut with = combo.clone();
                with.insert(name.clone(), (*choice).to_owned());
                next.insert(with);
            }
        }
        want = next;
    }
    want.remove(&BTreeMap::new());
    let mut have = BTreeSet::new();
    for a in &v.by_flags {
        if !have.insert(a.when.clone()) {
            return Err(format!("by_flags lists {:?} twice", a.when));
        }
        if !want.contains(&a.when) {
            return Err(format!(
                "by_flags has {:?}, which is not a combination of non-default choices of its flags",
                a.when
            ));
        }
    }
    if let Some(missing) = want.iter().find(|w| !have.contains(*w)) {
        return Err(format!("by_flags has no entry for {missing:?}"));
    }
    Ok(())
}

/// Parses JSON text without serde_json's recursion limit (vector files nest past 128), with
/// exact numbers ([`migrate_model::json::to_serde_exact`]).
pub fn parse_deep(text: &str) -> Result<Value, String> {
    migrate_model::json::to_serde_exact(text.as_bytes())
}

/// Every embedded file, loaded.
pub fn embedded_files() -> Result<Vec<VectorFile>, String> {
    embedded()
        .into_iter()
        .map(|(name, text)| load(name, text))
        .collect()
}

/// A vector's request bytes.
pub fn request_bytes(v: &Vector) -> Result<Vec<u8>, String> {
    match (&v.request, &v.request_base64) {
        (Some(value), None) => serde_json::to_vec(value).map_err(|e| e.to_string()),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("{}: request_base64: {e}", v.id)),
        _ => Err(format!(
            "{}: needs exactly one of request and request_base64",
            v.id
        )),
    }
}

/// The outcome a vector expects of an implementation with this profile.
pub fn expected_for<'v>(v: &'v Vector, profile: &Policy) -> Result<&'v Expected, String> {
    let default = Policy::default();
    let when: BTreeMap<String, String> = v
        .flags
        .iter()
        .filter_map(|name| Flag::from_name(name))
        .filter(|f| profile.get(*f) != default.get(*f))
        .map(|f| (f.name().to_owned(), profile.get(f).to_owned()))
        .collect();
    if when.is_empty() {
        return Ok(&v.expected);
    }
    v.by_flags
        .iter()
        .find(|a| a.when == when)
        .map(|a| &a.expected)
        .ok_or_else(|| format!("{}: no outcome for the profile's choices {when:?}", v.id))
}

/// The expected outcome as the comparator takes it.
/// The vector's expectation as the comparator's input. The vector's rules stand in for the
/// model's trace (they name what each difference breaks); an error is attributed to the
/// first of them.
fn evaluation_of(expected: &Expected, body: &[u8], rules: &[String]) -> Result<Evaluation, String> {
    let rules: Vec<Rule> = rules.iter().filter_map(|r| Rule::from_id(r)).collect();
    let mut trace = Trace::default();
    for rule in &rules {
        trace.hit(*rule);
    }
    let outcome = match expected {
        Expected::Error(e) => {
            let parse_type = |t: &str| {
                ErrorType::from_name(t).ok_or_else(|| format!("unknown error type {t:?}"))
            };
            Outcome::Error(ExpectedError {
                error_type: parse_type(&e.error_type)?,
                acceptable: e
                    .acceptable
                    .iter()
                    .map(|t| parse_type(t))
                    .collect::<Result<_, _>>()?,
                rule: rules
                    .iter()
                    .copied()
                    .find(|r| *r != Rule::WorldValid)
                    .unwrap_or(Rule::ErrorEnvelope),
                message: "see the vector".into(),
            })
        }
        Expected::Success(s) => {
            let lenient = ParseOptions {
                lone_surrogate: LoneSurrogate::Replace,
                nesting_limit: NestingLimit::Unlimited,
                ..Default::default()
            };
            let custom_claims = parse(s.custom_claims_jcs.as_bytes(), lenient)
                .map_err(|e| format!("custom_claims_jcs: {e}"))?
                .take_object()
                .unwrap_or_default();
            let token = parse(body, lenient)
                .ok()
                .and_then(|mut b| b.take_object())
                .and_then(|o| match o.get("session_token") {
                    Some(Json::String(t)) => Some(t.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let text = |p: &str| {
                s.body
                    .pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let int = |p: &str| {
                s.jwt_payload
                    .pointer(p)
                    .and_then(Value::as_i64)
                    .unwrap_or_default()
            };
            // The claims go back where the vector points to them, exactly.
            let mut body = Json::from_serde(&s.body);
            if let Some(at) = body.pointer_mut(generate::CLAIMS_POINTER) {
                *at = Json::Object(custom_claims.clone());
            }
            let mut payload = Json::from_serde(&s.jwt_payload);
            if let Some(fields) = payload.as_object_mut() {
                fields.extend(custom_claims.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Outcome::Success(Box::new(ExpectedSuccess {
                member_id: text("/member_id"),
                member_status_before: MemberStatus::Active,
                organization_id: text("/member_session/organization_id"),
                organization_slug: text("/member_session/organization_slug"),
                external_session_token: token,
                duration_minutes: 0,
                started_at: int("/iat"),
                expires_at: 0,
                custom_claims,
                body,
                jwt: ExpectedJwt {
                    header: Json::from_serde(&s.jwt_header),
                    payload,
                    issued_at: int("/iat"),
                    expires_at: int("/exp"),
                },
            }))
        }
    };
    Ok(Evaluation { outcome, trace })
}

/// One vector's result against a target.
#[derive(Clone, Debug)]
pub struct VectorResult {
    /// The vector's id.
    pub id: String,
    /// The differences (empty: passed).
    pub differences: Vec<Difference>,
    /// What the target answered, when it answered.
    pub response: Option<HttpResponse>,
}

/// Replays one vector against `imp`, judged under `imp`'s declared profile.
pub fn run_vector(
    imp: &mut dyn Implementation,
    world: &World,
    v: &Vector,
    seen: &mut Seen,
) -> VectorResult {
    let caps = imp.capabilities();
    let fail = |note: String| VectorResult {
        id: v.id.clone(),
        response: None,
        differences: vec![Difference {
            path: String::new(),
            expected: Value::Null,
            actual: Value::Null,
            absent: None,
            note,
            rule: None,
        }],
    };
    let body = match request_bytes(v) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let expected =
        match expected_for(v, &caps.profile).and_then(|e| evaluation_of(e, &body, &v.rules)) {
            Ok(e) => e,
            Err(e) => return fail(e),
        };
    let case = Case {
        world: world.clone(),
        now: v.now,
        body,
    };
    // A target with a real clock answers at the time of the call, not at the vector's `now`:
    // the model moves the expectation to that time (only the timestamps change).
    let at_call_time = |held: &World, held_body: &[u8], now: i64| {
        if held != world || held_body != case.body.as_slice() {
            return Err("this target renames the world it is given (seeded through its public API), so the vectors' fixed expectations do not apply; run them against a target with the control routes".to_owned());
        }
        if now == v.now {
            return Ok(expected.clone());
        }
        migrate_model::Model::new(world.clone())
            .map_err(|e| e.to_string())?
            .migrate(now, &caps.profile, &case.body)
            .map_err(|e| e.to_string())
    };
    match check_case_against(imp, &caps, &case, seen, at_call_time) {
        Ok(CaseResult {
            unsupported: Some(why),
            ..
        }) => fail(format!(
            "not run: the target cannot hold this vector's world: {why}"
        )),
        Ok(r) => VectorResult {
            id: v.id.clone(),
            differences: r.differences,
            response: r.response,
        },
        Err(e) => fail(e),
    }
}

/// Replays every vector of `files` against `imp`.
pub fn run_files(imp: &mut dyn Implementation, files: &[VectorFile]) -> Vec<VectorResult> {
    let mut seen = Seen::default();
    let mut results = Vec::new();
    for file in files {
        for group in &file.groups {
            for v in &group.vectors {
                results.push(run_vector(imp, &group.world, v, &mut seen));
            }
        }
    }
    results
}

/// Reads the saved counterexamples (none when the file does not exist).
pub fn read_saved(dir: &Path) -> Result<Vec<SavedCase>, String> {
    let path = dir.join(SAVED_CASES);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_deep(&text)
            .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The ids that may never come back.
pub fn read_retired(dir: &Path) -> Result<BTreeSet<String>, String> {
    Ok(retired_lines(dir)?.into_iter().map(|(_, id)| id).collect())
}

/// The manifest on disk (none when the file does not exist).
pub fn read_manifest(dir: &Path) -> Result<Option<generate::Manifest>, String> {
    let path = dir.join(generate::MANIFEST_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The change log of the data, relative to the fixtures directory.
pub const CHANGELOG: &str = "CHANGELOG.md";

/// Checks the change log and the retired ids against each other: the change log has a
/// `## data version N` section for every version up to the current
/// [`format::DATA_VERSION`], every line of the retired-ids file is one well-formed id,
/// listed once, and each retired id is named (as a whole word) in the change log, which
/// says why it went.
pub fn check_changelog(dir: &Path) -> Result<(), String> {
    let path = dir.join(CHANGELOG);
    let log = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    for version in 1..=format::DATA_VERSION {
        let heading = format!("## data version {version}");
        if !log
            .lines()
            .any(|l| l.trim_end() == heading || l.starts_with(&format!("{heading} ")))
        {
            return Err(format!(
                "{} has no '{heading}' section: say what changed in each data version",
                path.display()
            ));
        }
    }
    let retired_path = dir.join(RETIRED_IDS);
    let mut seen = BTreeSet::new();
    for (line, id) in retired_lines(dir)? {
        let well_formed = id.split_once('/').is_some_and(|(family, name)| {
            let ok = |s: &str, first_letter: bool| {
                s.bytes().next().is_some_and(|b| {
                    b.is_ascii_lowercase() || (!first_letter && b.is_ascii_digit())
                }) && s
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            };
            ok(family, true) && ok(name, false)
        });
        if !well_formed {
            return Err(format!(
                "{}:{line}: {id:?} is not a vector id (family/name)",
                retired_path.display()
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(format!(
                "{}:{line}: {id} is listed twice",
                retired_path.display()
            ));
        }
        if !mentions(&log, &id) {
            return Err(format!(
                "{id} is retired ({}) but {} does not say why",
                retired_path.display(),
                path.display()
            ));
        }
    }
    Ok(())
}

/// Whether `text` names `id` as a whole word (not as the prefix of a longer id).
fn mentions(text: &str, id: &str) -> bool {
    let part_of_id = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '/';
    text.match_indices(id).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        !before.is_some_and(part_of_id) && !after.is_some_and(part_of_id)
    })
}

/// The retired-ids file's ids with their line numbers (comments and blank lines skipped).
fn retired_lines(dir: &Path) -> Result<Vec<(usize, String)>, String> {
    let path = dir.join(RETIRED_IDS);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n, l.to_owned()))
        .collect())
}

/// Checks that no current id is retired and that every id of the files on disk survives in
/// the regenerated ones unless it was retired.
pub fn check_ids(dir: &Path, generated: &[VectorFile]) -> Result<(), String> {
    let retired = read_retired(dir)?;
    let new_ids: BTreeSet<&str> = generated
        .iter()
        .flat_map(|f| {
            f.groups
                .iter()
                .flat_map(|g| g.vectors.iter().map(|v| v.id.as_str()))
        })
        .collect();
    if let Some(id) = new_ids.iter().find(|id| retired.contains(**id)) {
        return Err(format!(
            "{id} is retired (fixtures/{RETIRED_IDS}) and may not be reused"
        ));
    }
    // Every file that was published: the ones this crate knows and the ones the manifest on
    // disk lists (a family may have been dropped). Ids are read from any format version.
    let mut names: BTreeSet<String> = embedded().iter().map(|(n, _)| (*n).to_owned()).collect();
    if let Some(manifest) = read_manifest(dir)? {
        names.extend(manifest.files.into_iter().map(|f| f.file));
    }
    for name in names {
        let path = dir.join(&name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        for id in published_ids(&text).map_err(|e| format!("{}: {e}", path.display()))? {
            if !new_ids.contains(id.as_str()) && !retired.contains(&id) {
                return Err(format!(
                    "{id} would disappear: ids are never removed silently; add it to fixtures/{RETIRED_IDS} and say why in fixtures/{CHANGELOG} to retire it"
                ));
            }
        }
    }
    Ok(())
}

/// The vector ids of a published file of any format version (`groups[].vectors[].id`).
fn published_ids(text: &str) -> Result<Vec<String>, String> {
    let value = parse_deep(text)?;
    let groups = value
        .get("groups")
        .and_then(Value::as_array)
        .ok_or("no groups: not a vector file")?;
    Ok(groups
        .iter()
        .filter_map(|g| g.get("vectors").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.get("id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect())
}

/// Coverage of a set of vector files: counts per file, rules, flag choices, boundaries.
pub fn coverage(files: &[VectorFile]) -> String {
    let mut out = String::new();
    let mut total = 0;
    let _ = writeln!(out, "vectors per file:");
    for f in files {
        let n: usize = f.groups.iter().map(|g| g.vectors.len()).sum();
        total += n;
        let _ = writeln!(out, "  {:<22} {n:>4}", format!("{}.json", f.family));
    }
    let _ = writeln!(out, "  {:<22} {total:>4}", "total");
    let vectors: Vec<(&World, &Vector)> = files
        .iter()
        .flat_map(|f| {
            f.groups
                .iter()
                .flat_map(|g| g.vectors.iter().map(move |v| (&g.world, v)))
        })
        .collect();

    let cited: BTreeSet<&str> = vectors
        .iter()
        .flat_map(|(_, v)| v.rules.iter().map(String::as_str))
        .collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.id())
        .filter(|id| !cited.contains(id))
        .collect();
    let _ = writeln!(
        out,
        "rules with a vector: {}/{}{}",
        Rule::ALL.len() - missing.len(),
        Rule::ALL.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!("; without: {}", missing.join(", "))
        }
    );

    let _ = writeln!(
        out,
        "vectors per flag choice (a listed flag covers each of its choices):"
    );
    for flag in Flag::ALL {
        let n = vectors
            .iter()
            .filter(|(_, v)| v.flags.iter().any(|f| f == flag.name()))
            .count();
        let _ = writeln!(
            out,
            "  {:<28} {n:>4} ({})",
            flag.name(),
            flag.choices().join(" / ")
        );
    }

    let _ = writeln!(out, "boundaries (vectors on each side):");
    for (label, count) in boundary_counts(&vectors) {
        let _ = writeln!(out, "  {label:<44} {count:>4}");
    }
    out
}

/// Vectors per boundary, each side listed.
pub fn boundary_counts(vectors: &[(&World, &Vector)]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let duration_sides = ["4", "5", "527040", "527041", "2147483647", "2147483648"];
    for side in duration_sides {
        counts.insert(format!("duration = {side}"), 0);
    }
    let measures = [
        ("jcs", "4096"),
        ("jcs", "4000"),
        ("go-json", "4096"),
        ("go-json", "4000"),
    ];
    for (m, l) in measures {
        for side in ["limit", "limit + 1"] {
            counts.insert(format!("claims size = {side} ({m}, {l})"), 0);
        }
    }
    for side in ["128", "129"] {
        counts.insert(format!("nesting = {side}"), 0);
    }
    for (world, v) in vectors {
        let Ok(body) = request_bytes(v) else { continue };
        let case = Case {
            world: (*world).clone(),
            now: v.now,
            body,
        };
        for (m, l) in measures {
            let mut policy = Policy::default();
            let _ = policy.set_by_name("claims-size-measure", m);
            let _ = policy.set_by_name("claims-size-limit", l);
            for b in crate::runner::boundaries(&case, &policy) {
                let key = match b {
                    "claims size = limit" => format!("claims size = limit ({m}, {l})"),
                    "claims size = limit + 1" => format!("claims size = limit + 1 ({m}, {l})"),
                    _ if m == "jcs" && l == "4096" => match b {
                        "duration = 4" | "duration = 5" | "duration = 527040"
                        | "duration = 527041" | "nesting = 128" | "nesting = 129" => b.to_owned(),
                        "duration = int32 max" => "duration = 2147483647".to_owned(),
                        "duration = int32 max + 1" => "duration = 2147483648".to_owned(),
                        _ => continue,
                    },
                    _ => continue,
                };
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    counts.into_iter().collect()
}
