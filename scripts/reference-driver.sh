#!/usr/bin/env bash
# Builds the reference driver (kubernetes-sigs/aws-ebs-csi-driver) that `npm run bench` runs side by
# side with ours, from the source archive in the shared folder (the Go module proxy does not serve
# this module), into the tool cache (scripts/lib/tool-cache.sh), linked at .tools/reference/<version>.
# Not part of setup.sh: only the benchmark needs it, and a cold build takes ~8 min on 2 cores.
# Idempotent: returns at once when the pinned version is built. Prints nothing on stdout but the
# binary's path, so `bin=$(scripts/reference-driver.sh)` works; progress goes to stderr.
# Usage: scripts/reference-driver.sh [ARCHIVE]   (default: ../shared/src/aws-ebs-csi-driver-v1.64.0.tar.gz
#        next to the clone's parent, or $REFERENCE_ARCHIVE)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"

VERSION="v1.64.0"
ARCHIVE="${1:-${REFERENCE_ARCHIVE:-/work/shared/src/aws-ebs-csi-driver-${VERSION}.tar.gz}}"
DIR="$(tool_cache_dir reference-driver "${VERSION}")"
BIN="${DIR}/bin/aws-ebs-csi-driver"

is_built() { [[ -f "${DIR}/.built" && -x "${BIN}" ]]; }

build() {
  is_built && return 0
  [[ -f "${ARCHIVE}" ]] || { echo "reference-driver.sh: no source archive at ${ARCHIVE}" >&2; return 1; }
  command -v go >/dev/null || { echo "reference-driver.sh: the Go toolchain is required" >&2; return 1; }
  echo "reference driver ${VERSION}: building from ${ARCHIVE} (a cold build takes ~8 min on 2 cores)" >&2
  rm -rf "${DIR}/src" "${DIR}/bin" "${DIR}/.built"
  mkdir -p "${DIR}/src" "${DIR}/bin"
  tar -xzf "${ARCHIVE}" -C "${DIR}/src" --strip-components=1
  # The flags of the reference's own release build (its Makefile): version stamps, stripped binary.
  local pkg=github.com/kubernetes-sigs/aws-ebs-csi-driver
  (cd "${DIR}/src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build \
    -ldflags "-X ${pkg}/pkg/driver.driverVersion=${VERSION} -X ${pkg}/pkg/cloud.driverVersion=${VERSION} -s -w" \
    -o "${BIN}" ./cmd/) >&2
  "${BIN}" --version >/dev/null 2>&1 || { echo "reference-driver.sh: ${BIN} does not run" >&2; return 1; }
  rm -rf "${DIR}/src"
  touch "${DIR}/.built"
  echo "reference driver ${VERSION} built at ${BIN}" >&2
}

if ! is_built; then
  with_tool_lock reference-driver "${VERSION}" build
fi
link_tool_dir "${DIR}" "${ROOT}/.tools/reference/${VERSION}"
echo "${ROOT}/.tools/reference/${VERSION}/bin/aws-ebs-csi-driver"
