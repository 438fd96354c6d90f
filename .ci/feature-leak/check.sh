#!/usr/bin/env bash
# The suite enables no feature of a dependency it shares with the code under test: builds the
# probe alone and with migrate-conformance linked in, and compares (1) the features every crate
# of the probe's own tree gets, (2) what the probe prints.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The workspace's lock file and target directory: the same versions, and no second build of
# the suite's dependencies.
cp "$root/Cargo.lock" "$here/Cargo.lock"
trap 'rm -f "$here/Cargo.lock"' EXIT
export CARGO_TARGET_DIR="$root/target"
manifest=(--manifest-path "$here/Cargo.toml")

# (1) Features per crate ("name version | features") for the crates the probe itself uses.
# Cargo features are meant to be additive, and most that the suite adds only add API (std,
# parsing, ...); those are listed. Features known to change behaviour fail the check.
features() {
  cargo tree -q "${manifest[@]}" -e normal --prefix none --format '{p} | {f}' "$@" \
    | sed -e 's/ (\*)$//' -e 's/ (proc-macro)//' | grep -v '^feature-leak-probe ' | sort -u
}
features > "$here/alone.features"
features --features with-suite > "$here/with.features"
features --features force-backend > "$here/forced.features"
judge() { python3 - "$@" <<'PY'
import sys
# Features that change how code that uses the crate behaves, not only what it can call.
CHANGES_BEHAVIOUR = {
    "serde_json": {"float_roundtrip", "arbitrary_precision", "preserve_order"},
    "jsonwebtoken": {"aws_lc_rs", "rust_crypto"},  # a second backend: provider panics
    "time": {"large-dates"},
}
def read(path):
    out = {}
    for line in open(path):
        pkg, _, feats = line.rstrip("\n").partition(" | ")
        out[pkg.strip()] = {f for f in feats.split(",") if f}
    return out
alone, with_suite = read(sys.argv[1]), read(sys.argv[2])
bad = []
for pkg, feats in sorted(alone.items()):
    added = with_suite.get(pkg, feats) - feats
    if not added:
        continue
    name = pkg.split(" ")[0]
    harmful = added & CHANGES_BEHAVIOUR.get(name, set())
    print(f"  {pkg}: the suite adds {', '.join(sorted(added))}" + (" <- CHANGES BEHAVIOUR" if harmful else ""))
    if harmful:
        bad.append(pkg)
if bad:
    print("FAILED: linking migrate-conformance turns on behaviour-changing features of " + ", ".join(bad))
    sys.exit(1)
print(f"feature-leak: {len(alone)} crates of the probe's tree; no behaviour-changing feature added")
PY
}
# The judge must be able to fail: a second jsonwebtoken backend is caught.
if judge "$here/alone.features" "$here/forced.features" >/dev/null; then
  echo "FAILED: the feature check does not see a second jsonwebtoken backend"; exit 1
fi
judge "$here/alone.features" "$here/with.features"
rm -f "$here"/*.features

# (2) Behaviour.
run() { cargo run -q "${manifest[@]}" "$@"; }
alone="$(run)"
with_suite="$(run --features with-suite)"
forced="$(run --features force-roundtrip)"
if [[ "$alone" != "$with_suite" ]]; then
  echo "FAILED: linking migrate-conformance changes what the code under test does"
  diff <(echo "$alone") <(echo "$with_suite") || true
  exit 1
fi
# The probe must be able to see a difference: with float_roundtrip forced on, it prints
# something else (otherwise this check could not fail).
if [[ "$alone" == "$forced" ]]; then
  echo "FAILED: the probe prints the same with float_roundtrip on, so it cannot detect a leak"
  exit 1
fi
echo "feature-leak: the probe prints the same alone and with the suite"
