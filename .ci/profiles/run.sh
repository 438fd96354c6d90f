#!/usr/bin/env bash
# Issue #12: `check` and `vectors run` against the embedded emulator (over real HTTP) under
# every profile of conformance/profiles.txt. Needs the release CLI built.
#   [SEED=N] bash .ci/profiles/run.sh [CASES]      (default: 200 cases per property, seed 0)
set -euo pipefail
cd "$(dirname "$0")/../.."
cases=${1:-200}
seed=${SEED:-0}
cli=./target/release/migrate-conformance
[ -x "$cli" ] || { echo "build it first: cargo build --release -p migrate-conformance-cli" >&2; exit 2; }

failed=()
count=0
start=$(date +%s)
while read -r name settings; do
  case "$name" in ''|'#'*) continue ;; esac
  count=$((count + 1))
  args=(--target emulator)
  [ "$settings" = "-" ] || args+=(--profile "$settings")
  t0=$(date +%s)
  ok=yes
  "$cli" check --quiet --cases "$cases" --seed "$seed" "${args[@]}" > "/tmp/profile-$name.check.log" 2>&1 || ok=no
  "$cli" vectors run "${args[@]}" > "/tmp/profile-$name.vectors.log" 2>&1 || ok=no
  vectors=$(grep -E '^(PASSED|FAILED)' "/tmp/profile-$name.vectors.log" | tail -1)
  printf '%-32s %-4s %3ss  vectors: %s\n' "$name" "$ok" "$(( $(date +%s) - t0 ))" "$vectors"
  if [ "$ok" = no ]; then
    failed+=("$name")
    echo "---- $name: check" ; tail -40 "/tmp/profile-$name.check.log"
    echo "---- $name: vectors run" ; grep -v '^ok ' "/tmp/profile-$name.vectors.log" | tail -40
  fi
done < conformance/profiles.txt

echo "$count profiles in $(( $(date +%s) - start )) s; ${#failed[@]} failed${failed:+: ${failed[*]}}"
[ "$count" -ge 27 ] || { echo "fewer than 27 profiles in conformance/profiles.txt" >&2; exit 1; }
[ "${#failed[@]}" -eq 0 ]
