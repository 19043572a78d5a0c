#!/usr/bin/env bash
# The one command that shows the driver doing its main job on this machine, no AWS account
# needed: installs what it needs, starts the local environment (EC2 emulator, data plane,
# IMDS, driver in `all` mode), then creates a volume, attaches, formats and mounts it,
# writes a file, snapshots it, clones the volume and reads the file from the clone, restores
# the snapshot into a new volume and reads the file back, grows the volume, and tears it all
# down, saying what happens at each step.
#
#   sudo scripts/demo.sh
#
# Ctrl-C at any point stops everything and leaves no loop device, mount, link or process.
# Uses the same settings as scripts/local-env.sh (e.g. EC2_ENDPOINT to run against LocalStack).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

[[ "$(id -u)" -eq 0 ]] || { echo "demo: run as root (sudo scripts/demo.sh): it creates loop devices, formats and mounts them" >&2; exit 1; }

echo "== Installing what the demo needs (quick when already there)"
bash scripts/setup.sh
# The driver, data plane and IMDS run on Node 24, the image's runtime (EBS_NODE_MAJOR=22 for 22).
# shellcheck source=lib/node-runtime.sh
source scripts/lib/node-runtime.sh
use_node "${ROOT}"
echo "== Building the driver"
npm run --silent build

STATE_DIR="${EBS_LOCAL_STATE_DIR:-${ROOT}/.local-env}"
stop_env() {
  trap - EXIT INT TERM
  echo
  echo "== Stopping the local environment"
  bash scripts/local-env.sh stop
}
trap stop_env EXIT
trap 'exit 130' INT TERM

echo "== Starting the local environment"
bash scripts/local-env.sh start
# shellcheck source=/dev/null
source "${STATE_DIR}/env.sh"

echo
echo "== The demo: one volume's life through the driver"
node dist/local/demo/main.js --endpoint "${CSI_ENDPOINT}" --work-dir "${STATE_DIR}/kubelet"
