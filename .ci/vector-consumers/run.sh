#!/usr/bin/env bash
# The vectors without Rust: the Python and Node replayers of fixtures/consumers/, written
# from fixtures/README.md alone, replay every vector against the release emulator and
# against mutants of it, and must give the same verdict as `migrate-conformance vectors run`
# for every vector. Needs the release binaries (built earlier in .ci/run), python3 and node.
set -euo pipefail
cd "$(dirname "$0")/../.."

secret=secret-test-consumers
port=18190
out=$(mktemp -d)
emulator_pid=
trap '[ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null; rm -rf "$out"' EXIT

echo "unit tests of the replayers"
python3 -m unittest discover -s fixtures/consumers/python -p 'test_*.py'
node --test fixtures/consumers/node/

start() {
  RUST_LOG=warn ./target/release/migrate-emulator --control --listen "127.0.0.1:$port" \
    --secret "$secret" "$@" &
  emulator_pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "the emulator did not start on port $port" >&2
  return 1
}
stop() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  emulator_pid=
}

# The plain emulator (everything passes), then every mutant the emulator can serve.
targets=(plain $(./target/release/migrate-conformance bugzoo --list))
for target in "${targets[@]}"; do
  if [ "$target" = plain ]; then start; else start --bug "$target"; fi
  url=http://127.0.0.1:$port
  ./target/release/migrate-conformance vectors run --target "$url" --secret "$secret" \
    --junit "$out/rust.xml" >/dev/null || true
  python3 fixtures/consumers/python/replay.py --target "$url" --secret "$secret" \
    --results "$out/python.json" >/dev/null || true
  node fixtures/consumers/node/replay.mjs --target "$url" --secret "$secret" \
    --results "$out/node.json" >/dev/null || true
  stop
  python3 .ci/vector-consumers/compare.py "$target" "$out/rust.xml" \
    "$out/python.json" "$out/node.json"
done
