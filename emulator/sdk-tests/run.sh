#!/usr/bin/env bash
# Runs the official-SDK tests against a running emulator.
#   EMULATOR_URL=http://127.0.0.1:8089 STYTCH_PROJECT_ID=... STYTCH_SECRET=... \
#   MIGRATE_TOKEN=... MIGRATE_EMAIL=... ./run.sh [node|python|all]
# Installs the pinned SDKs on first use (npm ci; a venv in python/.venv), then runs each
# script with a hard time limit. Ends with one "N passed, N failed" line.
set -u
cd "$(dirname "$0")"
which="${1:-all}"
limit="${SDK_TEST_LIMIT_SECONDS:-120}"
for v in EMULATOR_URL STYTCH_PROJECT_ID STYTCH_SECRET MIGRATE_TOKEN MIGRATE_EMAIL; do
  if [ -z "${!v:-}" ]; then echo "FAIL: $v is not set"; exit 1; fi
done
passed=0 failed=0

run_node() {
  if [ ! -d node/node_modules/stytch ]; then
    (cd node && timeout 300 npm ci --no-audit --no-fund) || { echo "FAIL: npm ci"; return 1; }
  fi
  (cd node && timeout "$limit" node test.mjs)
}

run_python() {
  local py="${PYTHON:-python3}"
  if [ ! -x python/.venv/bin/python ]; then
    "$py" -m venv python/.venv && timeout 600 python/.venv/bin/pip install -q -r python/requirements.txt \
      || { echo "FAIL: pip install"; rm -rf python/.venv; return 1; }
  fi
  timeout "$limit" python/.venv/bin/python python/test.py
}

for sdk in node python; do
  if [ "$which" = all ] || [ "$which" = "$sdk" ]; then
    echo "== $sdk"
    if "run_$sdk"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  fi
done
echo "sdk-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
