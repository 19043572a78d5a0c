#!/usr/bin/env bash
# Builds etcd (the API server's store in the e2e tests) from the Go module proxy into the tool
# cache (scripts/lib/tool-cache.sh), linked at .tools/etcd/bin/etcd.
# Idempotent: returns at once when the pinned version is built. With KUBE_INSTALL_NO_WAIT set
# (scripts/setup.sh sets it), a build another clone is running is not waited for.
#
# go.etcd.io/etcd/server/v3 carries `replace` directives, so `go install` refuses it. A throw-away
# module that requires it at the pinned version builds its main package instead (a dependency's
# replace directives do not apply there; the versions its go.mod names do).
# Usage: scripts/install/etcd.sh        then: .tools/etcd/bin/etcd --version
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"

# Keep in step with test/support/kube/versions.ts.
ETCD_VERSION="v3.6.16"
DIR="$(tool_cache_dir etcd "${ETCD_VERSION}")"

is_built() {
  [[ -f "${DIR}/.built" && -x "${DIR}/bin/etcd" ]]
}

build() {
  is_built && return 0
  echo "etcd ${ETCD_VERSION}: building (about 2 min cold on 2 cores)"
  rm -rf "${DIR}/wrapper" "${DIR}/bin"
  mkdir -p "${DIR}/wrapper" "${DIR}/bin"
  (
    cd "${DIR}/wrapper"
    export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0
    go mod init etcd-build >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    go build -trimpath -o "${DIR}/bin/etcd" go.etcd.io/etcd/server/v3
  )
  "${DIR}/bin/etcd" --version | grep -q "^etcd Version: ${ETCD_VERSION#v}$" \
    || { echo "etcd.sh: ${DIR}/bin/etcd does not report ${ETCD_VERSION}" >&2; return 1; }
  rm -rf "${DIR}/wrapper"
  touch "${DIR}/.built"
  echo "etcd ${ETCD_VERSION} built in ${DIR}/bin"
}

if is_built; then
  echo "etcd ${ETCD_VERSION} already built"
elif [[ -n "${KUBE_INSTALL_NO_WAIT:-}" ]] && tool_lock_busy etcd "${ETCD_VERSION}"; then
  # Another clone is building it: a developer's setup need not wait; the e2e stage does.
  echo "etcd ${ETCD_VERSION} is being built by another process; not waiting"
else
  command -v go >/dev/null || { echo "etcd.sh: the Go toolchain is required" >&2; exit 1; }
  with_tool_lock etcd "${ETCD_VERSION}" build
fi
link_tool_dir "${DIR}" "${ROOT}/.tools/etcd"
