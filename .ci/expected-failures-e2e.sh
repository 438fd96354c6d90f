#!/usr/bin/env bash
# The expected-failure list of conformance/example-crate, end to end: the crate's own list
# passes; without it the gaps fail; a listed rule that no test breaks, and a listed property
# that passes, each fail the run with a message that says to remove them.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
run() { cargo test -q -p migrate-conformance-example --test conformance 2>&1; }

run > "$tmp/listed.out" || { tail -40 "$tmp/listed.out"; echo "FAILED: the crate's own list does not pass"; exit 1; }
grep -q "rule claims.number-precision: as expected" "$tmp/listed.out"

: > "$tmp/empty.txt"
if MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/empty.txt" run > "$tmp/empty.out"; then
  echo "FAILED: with no expected failures the known gaps still pass"; exit 1
fi
grep -q "vectors::claims-merge/number-1e400" "$tmp/empty.out"

{ cat conformance/example-crate/tests/expected-failures.txt
  echo "org.slug-case   a rule this implementation does not break"
  echo "conformance::organization   a property this implementation passes"; } > "$tmp/stale.txt"
if MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/stale.txt" run > "$tmp/stale.out"; then
  echo "FAILED: stale entries were accepted"; exit 1
fi
grep -q "rule org.slug-case: listed (a rule this implementation does not break) but no test broke it" "$tmp/stale.out"
grep -q "listed as an expected failure (a property this implementation passes), but it passed" "$tmp/stale.out"

echo "typo.rule  why" > "$tmp/typo.txt"
if MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/typo.txt" run > "$tmp/typo.out"; then
  echo "FAILED: an unknown id was accepted"; exit 1
fi
grep -q '"typo.rule" names no property, vector id or rule id' "$tmp/typo.out"
echo "expected failures: the list passes, an empty list fails, stale and unknown entries fail"
