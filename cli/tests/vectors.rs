//! The published vectors: they load, match the format schema, regenerate byte for byte,
//! cover every rule, flag and boundary, pass on the sample, and catch every mutant.

use migrate_conformance::vectors::{self, embedded, embedded_files, generate, run_files};
use migrate_conformance_cli::sample::{Bug, Sample};
use migrate_model::{Flag, Rule};

#[test]
fn every_file_loads_and_matches_the_format_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../fixtures/vectors.schema.json"))
            .expect("schema is JSON");
    let validator = migrate_conformance::schema::Validator::new(schema).expect("schema compiles");
    for (name, text) in embedded() {
        let value = vectors::parse_deep(text).expect("file is JSON");
        let errors: Vec<String> = validator
            .errors(&value)
            .into_iter()
            .map(|(at, e)| format!("{e} at {at}"))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        vectors::load(name, text).expect("file loads");
    }
}

#[test]
fn the_files_are_exactly_what_generation_writes() {
    let saved: Vec<generate::SavedCase> =
        serde_json::from_str(include_str!("../../fixtures/cases/counterexamples.json"))
            .expect("saved cases");
    let manifest: generate::Manifest =
        serde_json::from_str(include_str!("../../fixtures/MANIFEST.json")).expect("manifest");
    let generated = generate::generate(
        &saved,
        Some(&manifest),
        Err("unused: the data is unchanged".into()),
    )
    .expect("generates");
    let embedded = embedded();
    assert_eq!(generated.files.len(), embedded.len());
    for ((name, text), (embedded_name, embedded_text)) in generated.files.iter().zip(embedded) {
        assert_eq!(name, embedded_name);
        assert!(
            text == embedded_text,
            "{name} drifted: run `migrate-conformance vectors generate`"
        );
    }
    for (name, text) in &generated.support {
        let on_disk = std::fs::read_to_string(format!("../fixtures/{name}")).expect("present");
        assert!(
            *text == on_disk,
            "{name} drifted: run `migrate-conformance vectors generate`"
        );
    }
    // A second generation is byte-identical.
    assert_eq!(
        generate::generate(&saved, Some(&manifest), Err("unused".into())).expect("generates"),
        generated
    );
}

#[test]
fn coverage_of_rules_flags_and_boundaries() {
    let files = embedded_files().expect("loads");
    let vectors: Vec<_> = files
        .iter()
        .flat_map(|f| {
            f.groups
                .iter()
                .flat_map(|g| g.vectors.iter().map(move |v| (&g.world, v)))
        })
        .collect();
    assert!(vectors.len() >= 400, "only {} vectors", vectors.len());
    for rule in Rule::ALL {
        assert!(
            vectors
                .iter()
                .any(|(_, v)| v.rules.iter().any(|r| r == rule.id())),
            "no vector for {}",
            rule.id()
        );
    }
    for flag in Flag::ALL {
        assert!(
            vectors
                .iter()
                .any(|(_, v)| v.flags.iter().any(|f| f == flag.name())),
            "no vector depends on {}",
            flag.name()
        );
    }
    for (boundary, count) in vectors::boundary_counts(&vectors) {
        assert!(count > 0, "no vector sits on {boundary}");
    }
}

#[test]
fn every_by_flags_entry_names_only_listed_flags_with_real_choices() {
    for file in embedded_files().expect("loads") {
        for v in file.groups.iter().flat_map(|g| &g.vectors) {
            assert_eq!(v.by_flags.len(), (1 << v.flags.len()) - 1, "{}", v.id);
            for alt in &v.by_flags {
                for (flag, choice) in &alt.when {
                    assert!(v.flags.contains(flag), "{}: {flag} is not listed", v.id);
                    let f = Flag::from_name(flag).expect("known flag");
                    assert!(
                        f.choices()[1..].contains(&choice.as_str()),
                        "{}: {flag}={choice}",
                        v.id
                    );
                }
            }
        }
    }
}

/// The vectors `sample` fails, each with its first difference.
fn failing_vectors(sample: &mut Sample) -> Vec<String> {
    let files = embedded_files().expect("loads");
    run_files(sample, &files)
        .into_iter()
        .filter(|r| !r.differences.is_empty())
        .map(|r| format!("{}: {}", r.id, r.differences[0]))
        .collect()
}

#[test]
fn the_sample_passes_every_vector() {
    let failed = failing_vectors(&mut Sample::new());
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn with_a_real_clock_the_vectors_are_judged_at_the_time_of_each_call() {
    let failed = failing_vectors(&mut Sample::new().with_real_clock());
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn every_mutant_fails_some_vector() {
    let files = embedded_files().expect("loads");
    for bug in Bug::ALL {
        let failed = run_files(&mut Sample::with_bug(*bug), &files)
            .iter()
            .filter(|r| !r.differences.is_empty())
            .count();
        assert!(failed > 0, "{} passes every vector", bug.name());
    }
}

/// Each entry of the pitfall catalogue (conformance/PITFALLS.md) names its mutant and its
/// vector `pitfalls/<mutant>`; that vector alone catches that mutant, and every vector of the
/// family belongs to an entry.
#[test]
fn each_pitfall_vector_catches_its_own_mutant() {
    let catalogue = include_str!("../../conformance/PITFALLS.md");
    let entries: Vec<&str> = catalogue
        .lines()
        .filter_map(|line| line.strip_prefix("| ["))
        .filter_map(|rest| rest.split_once(']').map(|(name, _)| name))
        .collect();
    assert!(entries.len() >= 40, "{} catalogue entries", entries.len());
    let files = embedded_files().expect("loads");
    let mut family: Vec<String> = files
        .iter()
        .flat_map(|f| f.groups.iter().flat_map(|g| g.vectors.iter()))
        .map(|v| v.id.clone())
        .filter(|id| id.starts_with("pitfalls/"))
        .collect();
    let mut named: Vec<String> = entries.iter().map(|e| format!("pitfalls/{e}")).collect();
    family.sort();
    named.sort();
    assert_eq!(
        family, named,
        "the family and the catalogue's summary disagree"
    );
    let mut missed = Vec::new();
    for entry in &entries {
        let bug = Bug::from_name(entry).unwrap_or_else(|| panic!("no mutant named {entry}"));
        let own = format!("pitfalls/{entry}");
        let caught = run_files(&mut Sample::with_bug(bug), &files)
            .iter()
            .any(|r| r.id == own && !r.differences.is_empty());
        if !caught {
            missed.push(own);
        }
    }
    assert!(missed.is_empty(), "pass on their own mutant: {missed:?}");
}

#[test]
fn the_format_schema_refuses_what_the_format_forbids() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../fixtures/vectors.schema.json"))
            .expect("schema is JSON");
    let validator = migrate_conformance::schema::Validator::new(schema).expect("schema compiles");
    let (_, text) = embedded()
        .into_iter()
        .find(|(name, _)| *name == "duration.json")
        .expect("duration.json");
    let file = vectors::parse_deep(text).expect("JSON");
    assert!(validator.is_valid(&file));
    let first = "/groups/0/vectors/0";
    let broken = |pointer: &str, value: serde_json::Value| {
        let mut f = file.clone();
        *f.pointer_mut(pointer).expect("pointer exists") = value;
        f
    };
    let error_vector = file
        .pointer("/groups/0/vectors")
        .and_then(|v| v.as_array())
        .and_then(|vs| {
            vs.iter()
                .position(|v| v["expected"].get("error_type").is_some())
        })
        .expect("an error vector");
    let at = format!("/groups/0/vectors/{error_vector}/expected");
    for (what, f) in [
        (
            "an unknown flag",
            broken(
                &format!("{first}/flags"),
                serde_json::json!(["no-such-flag"]),
            ),
        ),
        (
            "an id of another family",
            broken(&format!("{first}/id"), serde_json::json!("session/x")),
        ),
        (
            "an unknown error type",
            broken(&format!("{at}/error_type"), serde_json::json!("teapot")),
        ),
        (
            "an error type missing from acceptable",
            broken(
                &format!("{at}/acceptable"),
                serde_json::json!(["organization_not_found"]),
            ),
        ),
        (
            "a status that is not the error type's",
            broken(&format!("{at}/status"), serde_json::json!(404)),
        ),
        (
            "an older format",
            broken("/format", serde_json::json!("migrate-vectors/1")),
        ),
        (
            "a prose constraint",
            broken(
                "/constraints/body/~1request_id",
                serde_json::json!("opaque {{request_id}}"),
            ),
        ),
    ] {
        assert!(!validator.is_valid(&f), "the schema accepts {what}");
    }
}

#[test]
fn a_retired_id_cannot_come_back_and_must_be_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = std::path::Path::new("../fixtures");
    for name in ["CHANGELOG.md", "retired-ids.txt"] {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).expect("copy");
    }
    vectors::check_changelog(dir.path()).expect("the shipped log and list agree");
    let files = embedded_files().expect("loads");
    vectors::check_ids(dir.path(), &files).expect("no shipped id is retired");
    let retired = dir.path().join("retired-ids.txt");
    let mut text = std::fs::read_to_string(&retired).expect("read");
    text.push_str("duration/value-0\n");
    std::fs::write(&retired, &text).expect("write");
    let reused = vectors::check_ids(dir.path(), &files).expect_err("a retired id is in use");
    assert!(reused.contains("duration/value-0"), "{reused}");
    let unexplained = vectors::check_changelog(dir.path()).expect_err("the log must say why");
    assert!(unexplained.contains("does not say why"), "{unexplained}");
    std::fs::write(&retired, "not an id\n").expect("write");
    assert!(vectors::check_changelog(dir.path()).is_err());
}
