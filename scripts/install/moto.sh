#!/usr/bin/env bash
# Installs moto's server (the EC2 emulator the integration tests run against) into
# <repo>/.venv-moto, pinned. Idempotent: returns at once when that version is already there.
# Usage: scripts/install/moto.sh        then: .venv-moto/bin/moto_server -H 127.0.0.1 -p PORT
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/pinned-venv.sh
source "${ROOT}/scripts/lib/pinned-venv.sh"

MOTO_VERSION="5.2.5"
pinned_venv_install "${ROOT}/.venv-moto" moto "${MOTO_VERSION}" "moto[server]==${MOTO_VERSION}" moto_server
