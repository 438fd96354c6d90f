#!/usr/bin/env bash
# The mutation score of the suite (conformance/README.md, "Mutation score"): cargo mutants
# mutates the emulator's engine, the sample implementation, and for each mutant builds the
# `migrate-conformance` command from the mutated tree and runs the suite's main job against
# it: `vectors run` and `check` against the sample under three profiles, and a short `check`
# of the emulator over HTTP (cli/tests/mutation_suite.rs has the steps; the first that fails
# ends the test). A mutant the suite fails is caught; one it passes is missed.
#
# Not mutated: engine/bugs.rs and engine/pitfalls.rs, which only the bug zoo's mutants reach
# (the correct sample never runs them), and the server, UserInfo client and configuration,
# which `--target sample` does not use (the HTTP tests of cli/tests cover those).
#
#   bash .ci/mutants/run.sh [K/N [ARG...]]   all mutants, or shard K of N (K from 0; shards
#                                            are consecutive slices of cargo mutants' list),
#                                            more cargo-mutants arguments after it
#   bash .ci/mutants/run.sh "" --re 'Reader.*peek'   only the mutants matching a regex
#   bash .ci/mutants/run.sh "" --exclude emulator/src/engine/mod.rs   all but one file
#   MUTANTS_JOBS=2 bash .ci/mutants/run.sh    two mutants at a time (each in its own copy)
#   MUTANTS_TIMEOUT=120 ...                   seconds a mutant's test may take (default 60)
#   MUTANTS_TEST=emulator ...                 the emulator's own tests (emulator/tests/, its
#                                             unit tests) as the test instead of the suite: for
#                                             the public organization and member API and the
#                                             refusal of worlds, which the suite only uses
#
# Results: target/mutants/mutants.out/ (caught.txt, missed.txt, unviable.txt, timeout.txt,
# outcomes.json), then a summary line. Not part of .ci/run: a full run takes hours on two
# cores (see conformance/README.md for the last measurement).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qF "$version"; then
  cargo install --locked cargo-mutants --version "$version"
fi
# No debug info: each mutant's build links in less than half the time (7.7 s to 3.0 s here).
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
# cargo mutants' own baseline tests the mutated package, not --test-package (27.1.0), so the
# baseline is run here: the unmutated tree must pass before any mutant means anything.
case "${MUTANTS_TEST:-suite}" in
  suite)
    test_package=migrate-conformance-cli
    test_args=(--test mutation_suite -- --include-ignored)
    ;;
  emulator)
    test_package=migrate-emulator
    test_args=()
    ;;
  *) echo "MUTANTS_TEST is suite or emulator, not ${MUTANTS_TEST}" >&2; exit 2 ;;
esac
cargo test -q -p "$test_package" "${test_args[@]}"
args=(
  --baseline skip
  --package migrate-emulator
  --test-package "$test_package"
  --file 'emulator/src/engine/*.rs'
  --exclude emulator/src/engine/bugs.rs
  --exclude emulator/src/engine/pitfalls.rs
  --cap-lints true
  --jobs "${MUTANTS_JOBS:-1}"
  --timeout "${MUTANTS_TIMEOUT:-60}"
  --output target/mutants
)
if [ -n "${1:-}" ]; then
  args+=(--shard "$1")
fi
args+=("${@:2}")
status=0
if [ "${#test_args[@]}" -gt 0 ]; then args+=(-- "${test_args[@]}"); fi
cargo mutants "${args[@]}" || status=$?
out=target/mutants/mutants.out
count() { if [ -f "$out/$1" ]; then grep -c . "$out/$1" || true; else echo 0; fi; }
caught=$(count caught.txt) missed=$(count missed.txt) unviable=$(count unviable.txt)
timeouts=$(count timeout.txt)
viable=$((caught + missed + timeouts))
echo "mutation score: caught $caught, missed $missed, timeouts $timeouts, unviable $unviable;" \
  "$caught of $viable viable caught ($(( viable ? 100 * caught / viable : 0 ))%)"
# cargo mutants exits 2 when some mutant was missed, 3 on a timeout: a result, not a failure
# of this script.
case $status in 0|2|3) exit 0 ;; *) exit "$status" ;; esac
