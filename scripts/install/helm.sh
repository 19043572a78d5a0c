#!/usr/bin/env bash
# Installs the Helm CLI (used by the chart tests for `helm lint` and `helm template`), pinned,
# built from source with the Go toolchain once per version into the tool cache
# (scripts/lib/tool-cache.sh) and linked at <repo>/.tools/bin/helm.
# Idempotent: returns at once when the pinned version is in the cache (a fresh clone only links it).
# Usage: scripts/install/helm.sh        then: .tools/bin/helm version
set -euo pipefail

HELM_VERSION="v3.21.4"
# Kubernetes release whose client libraries helm v3.21.4 is built on (its go.mod: k8s.io/client-go
# v0.36); helm's own release build stamps it as the default for `helm template` and `helm lint`.
K8S_MAJOR="1"
K8S_MINOR="36"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"

build_helm() {
  local scratch="$1"
  command -v go >/dev/null || { echo "helm.sh: the Go toolchain is required to build helm" >&2; return 1; }
  echo "helm ${HELM_VERSION}: building"
  # `go install` leaves these empty (version) or at Kubernetes 1.20 (capabilities) unless they are
  # stamped at link time, as helm's Makefile does for its release binaries.
  local ldflags=(
    "-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${K8S_MAJOR}"
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${K8S_MINOR}"
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${K8S_MAJOR}"
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${K8S_MINOR}"
  )
  GOBIN="${scratch}/bin" CGO_ENABLED=0 go install -ldflags "${ldflags[*]}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
  local got
  got="$("${scratch}/bin/helm" version --template '{{ .Version }}' 2>/dev/null || true)"
  [[ "${got}" == "${HELM_VERSION}" ]] || { echo "helm.sh: expected helm ${HELM_VERSION}, the build reports '${got}'" >&2; return 1; }
}

cache_tool helm "${HELM_VERSION}" build_helm
link_tool_dir "$(tool_cache_dir helm "${HELM_VERSION}")/bin/helm" "${ROOT}/.tools/bin/helm"
echo "helm ${HELM_VERSION} at ${ROOT}/.tools/bin/helm"
