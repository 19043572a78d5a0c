#!/usr/bin/env bash
# Installs kubernetes-validate (Kubernetes' JSON schemas per release plus a validator CLI) into
# <repo>/.tools/venv-kube-validate, pinned. The chart tests use it to validate every rendered
# object offline. Idempotent: returns at once when the pinned version is already there.
# Usage: scripts/install/kube-schemas.sh   then: .tools/venv-kube-validate/bin/kubernetes-validate -h
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/pinned-venv.sh
source "${ROOT}/scripts/lib/pinned-venv.sh"

KV_VERSION="1.37.0"
pinned_venv_install "${ROOT}/.tools/venv-kube-validate" kubernetes-validate "${KV_VERSION}" "kubernetes-validate==${KV_VERSION}" kubernetes-validate
