#!/usr/bin/env bash
# Installs csi-sanity (the CSI conformance suite from kubernetes-csi/csi-test), pinned, built with
# the Go toolchain once per version into the tool cache (scripts/lib/tool-cache.sh) and linked at
# <repo>/.tools/bin/csi-sanity.
# Idempotent: returns at once when the pinned version is in the cache (a fresh clone only links it).
# Usage: scripts/install/csi-sanity.sh   then: .tools/bin/csi-sanity --help
set -euo pipefail

CSI_TEST_VERSION="v5.4.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"

build_csi_sanity() {
  local scratch="$1"
  command -v go >/dev/null || { echo "csi-sanity.sh: the Go toolchain is required to build csi-sanity" >&2; return 1; }
  echo "csi-sanity ${CSI_TEST_VERSION}: building"
  GOBIN="${scratch}/bin" CGO_ENABLED=0 go install \
    "github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity@${CSI_TEST_VERSION}"
  # `go install` does not stamp csi-sanity's version string, so the cache folder's name is the
  # record of it; a build that does not run is no install.
  "${scratch}/bin/csi-sanity" --help >/dev/null 2>&1 || { echo "csi-sanity.sh: the built csi-sanity does not run" >&2; return 1; }
}

cache_tool csi-sanity "${CSI_TEST_VERSION}" build_csi_sanity
link_tool_dir "$(tool_cache_dir csi-sanity "${CSI_TEST_VERSION}")/bin/csi-sanity" "${ROOT}/.tools/bin/csi-sanity"
# The stamp file of the former in-clone install is not read any more.
rm -f "${ROOT}/.tools/bin/.csi-sanity.version"
echo "csi-sanity ${CSI_TEST_VERSION} at ${ROOT}/.tools/bin/csi-sanity"
