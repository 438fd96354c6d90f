#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: every cargo-fuzz target under fuzz/fuzz_targets/ into
# $OUT, each with the dictionary (TARGET.dict) and a seed corpus (TARGET_seed_corpus.zip)
# that fuzz/examples/seed_corpus.rs writes from the test vectors and the conformance
# generators, plus the committed regression inputs of the target.
cd "$SRC/migrate-conformance"

# Release, with debug assertions and overflow checks; the image's cargo wrapper and
# cargo-fuzz add the sanitizer and coverage flags (and turn this into a coverage build when
# SANITIZER=coverage).
cargo fuzz build -O --debug-assertions

# The seed corpora, by a program built without the fuzzing flags.
seeds="${WORK:-/tmp}/migrate-seeds"
rm -rf "$seeds"
(cd fuzz && env -u RUSTFLAGS cargo run --release --example seed_corpus -- "$seeds" 40)

release=fuzz/target/x86_64-unknown-linux-gnu/release
for source in fuzz/fuzz_targets/*.rs; do
  target=$(basename "${source%.rs}")
  cp "$release/$target" "$OUT/"
  cp fuzz/migrate.dict "$OUT/$target.dict"
  if [ -d "fuzz/regressions/$target" ]; then
    cp fuzz/regressions/"$target"/* "$seeds/$target/" 2>/dev/null || true
  fi
  (cd "$seeds/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
