#!/usr/bin/env bash
# Installs csi-sanity (the CSI conformance suite from kubernetes-csi/csi-test) into
# <repo>/.tools/bin, pinned, built with the Go toolchain.
# Idempotent: returns at once when the pinned version is already there (a stamp file
# records it, because `go install` does not stamp csi-sanity's own version string).
# Usage: scripts/install/csi-sanity.sh   then: .tools/bin/csi-sanity --help
set -euo pipefail

CSI_TEST_VERSION="v5.4.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN_DIR="${ROOT}/.tools/bin"
SANITY="${BIN_DIR}/csi-sanity"
STAMP="${BIN_DIR}/.csi-sanity.version"

if [[ -x "${SANITY}" && -f "${STAMP}" && "$(cat "${STAMP}")" == "${CSI_TEST_VERSION}" ]]; then
  echo "csi-sanity ${CSI_TEST_VERSION} already installed at ${SANITY}"
  exit 0
fi

command -v go >/dev/null || { echo "csi-sanity.sh: the Go toolchain is required to build csi-sanity" >&2; exit 1; }
mkdir -p "${BIN_DIR}"
rm -f "${STAMP}"
GOBIN="${BIN_DIR}" CGO_ENABLED=0 go install \
  "github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity@${CSI_TEST_VERSION}"

# A build that does not run is no install: check the binary answers before stamping it.
"${SANITY}" --help >/dev/null 2>&1 || { echo "csi-sanity.sh: ${SANITY} does not run" >&2; exit 1; }
echo "${CSI_TEST_VERSION}" > "${STAMP}"
echo "csi-sanity ${CSI_TEST_VERSION} installed at ${SANITY}"
