#!/usr/bin/env bash
# The suite enables no feature of a shared dependency that changes the code under test:
# builds the probe alone and with migrate-conformance linked in, and compares what it prints.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The workspace's lock file and target directory: the same versions, and no second build
# of the suite's dependencies.
cp "$root/Cargo.lock" "$here/Cargo.lock"
export CARGO_TARGET_DIR="$root/target"
run() { cargo run -q --manifest-path "$here/Cargo.toml" "$@"; }
alone="$(run)"
with_suite="$(run --features with-suite)"
forced="$(run --features force-roundtrip)"
rm -f "$here/Cargo.lock"
if [[ "$alone" != "$with_suite" ]]; then
  echo "FAILED: linking migrate-conformance changes how serde_json parses in the code under test"
  diff <(echo "$alone") <(echo "$with_suite") || true
  exit 1
fi
# The probe must be able to see a difference: with float_roundtrip forced on, it prints
# something else (otherwise this check could not fail).
if [[ "$alone" == "$forced" ]]; then
  echo "FAILED: the probe prints the same with float_roundtrip on, so it cannot detect a leak"
  exit 1
fi
echo "feature-leak: the probe prints the same alone and with the suite ($(echo "$alone" | wc -l) lines)"
