#!/usr/bin/env bash
# npm run bench: benchmarks that print figures (not tests; nothing here passes or fails on time).
# Runs on the Node major the image ships (the Dockerfile's base image, provisioned by
# scripts/lib/node-runtime.sh), never this machine's default node, side by side with the reference
# driver (built once into the tool cache by scripts/reference-driver.sh; BENCH_REFERENCE=none
# skips it, BENCH_REFERENCE=/path/to/binary uses another build). Arguments go to the side-by-side
# benchmark, e.g. `npm run bench -- --n 20,100 --repeats 1 --profiles instant` for a quick look.
set -euo pipefail
cd "$(dirname "$0")/.."

major="$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9]*\).*/\1/p' Dockerfile | head -1)"
[[ -n "${major}" ]] || { echo "bench: cannot tell the image's Node major from the Dockerfile's NODE_IMAGE" >&2; exit 1; }
# shellcheck source=lib/node-runtime.sh
source scripts/lib/node-runtime.sh
EBS_NODE_MAJOR="${major}" use_node "${PWD}"

bash scripts/setup.sh >/dev/null
npm run --silent build

reference_args=()
if [[ "${BENCH_REFERENCE:-}" != "none" ]]; then
  reference_args=(--reference "${BENCH_REFERENCE:-$(bash scripts/reference-driver.sh)}")
fi
mkdir -p .bench
echo "bench: Node $(node --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
node dist/test/bench/side-by-side.js "${reference_args[@]}" --out ".bench/side-by-side-$(date -u +%Y%m%dT%H%M%SZ).json" "$@"
if [ "$(id -u)" = 0 ]; then node dist/test/bench/node-stage.js; else echo "node staging benchmark skipped: needs root for loop devices"; fi
