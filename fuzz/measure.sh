#!/usr/bin/env bash
# Measures every fuzz target for SECONDS each (default 60) on one core with the default
# sanitizer (address), once from an empty corpus and once from the seed corpora, and prints
# a Markdown table: executions per second, units added to the corpus, coverage at the end.
# The table in benches/README.md comes from this script. Needs nightly and cargo-fuzz.
#
#   bash fuzz/measure.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash fuzz/measure.sh [SECONDS]" >&2
  exit 2
fi

cargo +nightly fuzz build >&2
rm -rf corpus
cargo run --quiet --example seed_corpus -- corpus 10 >&2

log="$(mktemp)"
work="$(mktemp -d)"
trap 'rm -rf "$log" "$work"' EXIT
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
# A run that stops early (a crash) is reported with the end of its log, not hidden.
run_failed() {
  tail -n 40 "$log" >&2
  echo "fuzz/measure.sh: $1 failed; the crashing input is under fuzz/artifacts/$1/" >&2
  exit 1
}

echo "| target | start | exec/s | units added | cov at the end |"
echo "|---|---|---|---|---|"
for target in $(cargo +nightly fuzz list); do
  for start in empty seeds; do
    dir="$work/$target-$start"
    mkdir -p "$dir"
    if [ "$start" = seeds ] && [ -d "corpus/$target" ]; then
      cp -r "corpus/$target/." "$dir/"
    fi
    echo "fuzz/measure.sh: ${target} from ${start}, ${seconds} s" >&2
    cargo +nightly fuzz run "$target" "$dir" -- \
      -max_total_time="$seconds" -dict=migrate.dict -print_final_stats=1 \
      -rss_limit_mb=2560 -timeout=30 >"$log" 2>&1 || run_failed "$target"
    cov="$({ grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || true; } | sed -n 's/.*cov: \([0-9]*\).*/\1/p' | tail -1)"
    echo "| \`$target\` | $start | $(stat average_exec_per_sec) | $(stat new_units_added) | ${cov:-?} |"
  done
done
