#!/usr/bin/env bash
# Installs everything the driver's tests and local runs need, pinned and idempotent: the Node.js
# they run on (24, the image's; scripts/install/node.sh), npm dependencies, then each
# scripts/install/*.sh (moto, helm, csi-sanity, node tools...). Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/node-runtime.sh
source scripts/lib/node-runtime.sh
# npm ci runs on the Node the tests run on, as the image's build does.
use_node "${PWD}"

stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# A Go tool that another clone is building right now is not waited for here (kubernetes.sh says so);
# the test stage that runs it waits for that build instead.
export KUBE_INSTALL_NO_WAIT="${KUBE_INSTALL_NO_WAIT-1}"
for script in scripts/install/*.sh; do
  [ -e "$script" ] || continue
  [ "$script" = scripts/install/node.sh ] && continue  # use_node ran it
  bash "$script"
done
