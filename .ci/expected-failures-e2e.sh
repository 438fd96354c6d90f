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

# The commands a failure prints reproduce it: the rerun of the property and the replay of the
# saved minimal case both fail again, on the same rule.
export MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/empty.txt"
export MIGRATE_CONFORMANCE_FAILURES_DIR="$tmp/failures"
run > "$tmp/again.out" || true
rerun="$(grep -m1 "rerun the property: .*conformance::duration" "$tmp/again.out" | sed 's/^ *rerun the property: //')"
replay="$(grep -m1 "replay the case: .*seed0-duration-1" "$tmp/again.out" | sed 's/^ *replay the case: *//')"
[[ -n "$rerun" && -n "$replay" ]] || { echo "FAILED: no reproduce commands printed"; exit 1; }
if eval "$rerun -q" > "$tmp/rerun.out" 2>&1; then echo "FAILED: the rerun passed: $rerun"; exit 1; fi
grep -q "breaks: duration.negative-zero" "$tmp/rerun.out"
if eval "$replay" > "$tmp/replay.out" 2>&1; then echo "FAILED: the replay passed: $replay"; exit 1; fi
grep -q "vectors::failures/seed0-duration-1" "$tmp/replay.out"
grep -q "rule duration.negative-zero" "$tmp/replay.out"
if MIGRATE_CONFORMANCE_CASES=0 run > "$tmp/zero.out"; then echo "FAILED: 0 cases ran"; exit 1; fi
grep -q "0 cases per property would run nothing" "$tmp/zero.out"
unset MIGRATE_CONFORMANCE_EXPECTED_FAILURES MIGRATE_CONFORMANCE_FAILURES_DIR

{ cat conformance/example-crate/tests/expected-failures.txt
  echo "org.slug-case   a rule this implementation does not break"
  echo "conformance::organization   a property this implementation passes"; } > "$tmp/stale.txt"
if MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/stale.txt" run > "$tmp/stale.out"; then
  echo "FAILED: stale entries were accepted"; exit 1
fi
grep -q "rule org.slug-case: listed (a rule this implementation does not break) but no test broke it" "$tmp/stale.out"
grep -q "listed as an expected failure (a property this implementation passes), but it passed" "$tmp/stale.out"

# A stale rule alone: every test passes, the run exits 1 and says which entry to remove; with
# another seed it is not judged.
{ cat conformance/example-crate/tests/expected-failures.txt
  echo "org.slug-case   a rule this implementation does not break"; } > "$tmp/stale-rule.txt"
set +e
MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/stale-rule.txt" run > "$tmp/stale-rule.out"
status=$?
set -e
[[ $status == 1 ]] || { tail -20 "$tmp/stale-rule.out"; echo "FAILED: a stale rule alone exits $status, not 1"; exit 1; }
grep -q "rule org.slug-case: listed (a rule this implementation does not break) but no test broke it" "$tmp/stale-rule.out"
MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/stale-rule.txt" MIGRATE_CONFORMANCE_SEED=7 run > "$tmp/seed7.out" \
  || { tail -30 "$tmp/seed7.out"; echo "FAILED: another seed judged the listed rules"; exit 1; }
grep -q "not judged: the seed or the cases differ" "$tmp/seed7.out"

echo "typo.rule  why" > "$tmp/typo.txt"
if MIGRATE_CONFORMANCE_EXPECTED_FAILURES="$tmp/typo.txt" run > "$tmp/typo.out"; then
  echo "FAILED: an unknown id was accepted"; exit 1
fi
grep -q '"typo.rule" names no property, vector id or rule id' "$tmp/typo.out"
echo "expected failures: the list passes, an empty list fails, stale and unknown entries fail;"
echo "  a failure's rerun and replay commands reproduce it; 0 cases is refused"
