#!/usr/bin/env bash
# The project's one test command (npm test): installs what the tests need, then runs the
# type check, the generated-types check, lint, every unit and integration test, and the
# Kubernetes e2e stage (scripts/test-kube.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "== build and typecheck"
rm -rf dist  # a clean build: no stale compiled test of a deleted source
npm run --silent build
echo "== generated types match proto/csi.proto"
npm run --silent check:types
echo "== lint"
npm run --silent lint
echo "== unit and integration tests"
# Integration tests start their own moto server, driver processes and loop devices on
# free ports and temporary paths; one file at a time keeps a 2-core machine responsive.
node --test --test-concurrency=1 --test-reporter=spec --test-timeout=600000 \
  dist/test/unit/ dist/test/integration/
echo "== Kubernetes e2e: the chart's RBAC and sidecars around the driver, every storage flow, each minor"
bash scripts/test-kube.sh --no-setup
