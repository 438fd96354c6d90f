#!/usr/bin/env bash
# The Python adapter example (conformance/examples/python/): its unit tests, then `check` and
# `vectors run` against it through the subprocess protocol (--target cmd:...). Skipped, with a
# message, when python3 (3.6 or later) is missing; fails when the example fails. Needs the
# release CLI built (cargo build --release -p migrate-conformance-cli).
#   bash .ci/python-example/run.sh [CASES]      (default: 100 cases per property)
set -euo pipefail
cd "$(dirname "$0")/../.."
cases=${1:-100}
cli=./target/release/migrate-conformance
example=conformance/examples/python

if ! command -v python3 >/dev/null 2>&1; then
  echo "python-example: SKIPPED: no python3 on this machine"
  exit 0
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 6))'; then
  echo "python-example: SKIPPED: $(python3 --version 2>&1) is older than 3.6"
  exit 0
fi
[ -x "$cli" ] || { echo "build it first: cargo build --release -p migrate-conformance-cli" >&2; exit 2; }
export PYTHONDONTWRITEBYTECODE=1 # leave no __pycache__ in the tree

target="cmd:python3 $example/adapter.py"
echo "python-example: $(python3 --version 2>&1), target \"$target\""

echo "python-example: unit tests"
python3 -m unittest discover -s "$example"

echo "python-example: check --cases $cases"
"$cli" check --quiet --cases "$cases" --target "$target"

echo "python-example: vectors run"
vectors_log=$(mktemp)
trap 'rm -f "$vectors_log"' EXIT
if ! "$cli" vectors run --target "$target" > "$vectors_log" 2>&1; then
  grep -v '^ok ' "$vectors_log" | tail -60
  exit 1
fi
tail -1 "$vectors_log"
