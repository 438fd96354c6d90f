#!/usr/bin/env bash
# Checks the fuzz crate (fmt, clippy), then builds every fuzz target and runs each for a
# short, bounded time when a nightly toolchain is installed (cargo-fuzz needs one);
# without nightly it says so and succeeds. Called by .ci/run as
# `bash fuzz/ci-snippet.sh`. The corpus replay on stable is part of `cargo test --workspace`
# (model/tests/fuzz_regressions.rs), so skipping here loses no regression.
#
#   FUZZ_SECONDS   seconds per target (default 20)
#   FUZZ_TARGETS   the targets to run (default: every target `cargo fuzz list` names)
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-20}"

# The fuzz crate is outside the root workspace, so the root fmt and clippy steps skip it;
# this keeps it compiling against the model and the suite even where nightly is missing.
echo "fuzz: cargo fmt --check and cargo clippy (the fuzz workspace, stable)"
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz: no nightly toolchain; skipping the fuzz build and runs (the stable replay still ran)"
  exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
cargo fuzz --version

targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"

echo "fuzz: building every target (release, debug assertions, AddressSanitizer)"
cargo +nightly fuzz build

echo "fuzz: writing the seed corpora (fuzz/corpus/, not committed)"
cargo run --quiet --example seed_corpus -- corpus 10

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for target in $targets; do
  echo "fuzz: running ${target} for ${seconds} s"
  # The committed regressions of a target join its corpus, so a run starts from them too.
  extra=()
  if [ -d "regressions/${target}" ]; then
    extra+=("regressions/${target}")
  fi
  if cargo +nightly fuzz run "$target" "corpus/${target}" "${extra[@]}" -- \
    -max_total_time="$seconds" -dict=migrate.dict -print_final_stats=1 \
    -rss_limit_mb=2560 -timeout=30 >"$log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log" || tail -5 "$log"
  else
    status=$?
    tail -n 150 "$log"
    echo "fuzz: ${target} failed (exit ${status}); the crashing input is under fuzz/artifacts/${target}/"
    exit "$status"
  fi
done
echo "fuzz: every target ran ${seconds} s clean"
