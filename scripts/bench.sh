#!/usr/bin/env bash
# npm run bench: benchmarks that print figures (not tests; nothing here passes or fails on time).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
npm run --silent build
node dist/test/bench/lifecycle.js --n "${BENCH_N:-100}"
if [ "$(id -u)" = 0 ]; then node dist/test/bench/node-stage.js; else echo "node staging benchmark skipped: needs root for loop devices"; fi
