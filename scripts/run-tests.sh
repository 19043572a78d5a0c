#!/usr/bin/env bash
# Runs test stages of a built tree on the pinned Node (EBS_NODE_MAJOR: 24 by default, or 22), one
# `node --test` per target with an explicit file list; a stage that runs no test fails
# (test/runner/main.js). npm test (scripts/test.sh) builds first and runs `unit integration`.
#   scripts/run-tests.sh unit                                   npm run test:unit
#   scripts/run-tests.sh integration/controller/volumes.test.js one file
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/node-runtime.sh
source "${ROOT}/scripts/lib/node-runtime.sh"
use_node "${ROOT}"
[[ -f "${ROOT}/dist/test/runner/main.js" ]] || { echo "run-tests.sh: nothing built yet; run npm run build (npm test does)" >&2; exit 1; }
exec node "${ROOT}/dist/test/runner/main.js" "$@"
