#!/usr/bin/env bash
# Installs the Helm CLI (used by the chart tests for `helm lint` and `helm template`) into
# <repo>/.tools/bin, pinned, built from source with the Go toolchain.
# Idempotent: returns at once when .tools/bin/helm already reports the pinned version.
# Usage: scripts/install/helm.sh        then: .tools/bin/helm version
set -euo pipefail

HELM_VERSION="v3.21.4"
# Kubernetes release whose client libraries helm v3.21.4 is built on (its go.mod: k8s.io/client-go
# v0.36); helm's own release build stamps it as the default for `helm template` and `helm lint`.
K8S_MAJOR="1"
K8S_MINOR="36"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN_DIR="${ROOT}/.tools/bin"
HELM="${BIN_DIR}/helm"

installed_version() {
  [[ -x "${HELM}" ]] || return 1
  "${HELM}" version --template '{{ .Version }}' 2>/dev/null
}

if [[ "$(installed_version || true)" == "${HELM_VERSION}" ]]; then
  echo "helm ${HELM_VERSION} already installed at ${HELM}"
  exit 0
fi

command -v go >/dev/null || { echo "helm.sh: the Go toolchain is required to build helm" >&2; exit 1; }
mkdir -p "${BIN_DIR}"
# `go install` leaves these empty (version) or at Kubernetes 1.20 (capabilities) unless they are
# stamped at link time, as helm's Makefile does for its release binaries.
ldflags=(
  "-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${K8S_MAJOR}"
  "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${K8S_MINOR}"
  "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${K8S_MAJOR}"
  "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${K8S_MINOR}"
)
GOBIN="${BIN_DIR}" CGO_ENABLED=0 go install -ldflags "${ldflags[*]}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"

got="$(installed_version || true)"
if [[ "${got}" != "${HELM_VERSION}" ]]; then
  echo "helm.sh: expected helm ${HELM_VERSION}, found '${got}'" >&2
  exit 1
fi
echo "helm ${HELM_VERSION} installed at ${HELM}"
