#!/usr/bin/env bash
# Installs everything the driver's tests and local runs need, pinned and idempotent:
# npm dependencies, then each scripts/install/*.sh (moto, helm, csi-sanity, node tools...).
# Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

for script in scripts/install/*.sh; do
  [ -e "$script" ] || continue
  bash "$script"
done
