#!/usr/bin/env bash
# Builds the Kubernetes control plane the e2e tests run (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl; and the kubelet for the newest minor) from the k8s.io/kubernetes module
# on the Go module proxy, for every minor the tests cover, into the tool cache
# (scripts/lib/tool-cache.sh) linked at .tools/kubernetes/<version>/bin.
# Idempotent: returns at once when every pinned version is built.
#
# The k8s.io/kubernetes module replaces each k8s.io/* library with ./staging/src/k8s.io/<name>, a
# folder its module zip leaves out, so `go install` refuses it. The build copies the module,
# puts each library's published release (v0.<minor>.<patch>) in that folder, and builds there.
# Usage: scripts/install/kubernetes.sh [VERSION…]   then: .tools/kubernetes/v1.37.2/bin/kube-apiserver
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"

# The newest release the proxy serves, and the oldest minor EKS still supports (December 2026).
# Keep in step with test/support/kube/versions.ts.
KUBE_VERSIONS=("${@:-v1.37.2 v1.32.13}")
read -r -a KUBE_VERSIONS <<<"${KUBE_VERSIONS[*]}"
KUBELET_VERSION="v1.37.2"
CONTROL_PLANE=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

binaries_for() {
  local version="$1"
  printf '%s\n' "${CONTROL_PLANE[@]}"
  [[ "${version}" == "${KUBELET_VERSION}" ]] && echo kubelet
  return 0
}

is_built() {
  local version="$1" dir="$2" bin
  [[ -f "${dir}/.built" ]] || return 1
  while read -r bin; do
    [[ -x "${dir}/bin/${bin}" ]] || return 1
  done < <(binaries_for "${version}")
}

module_dir() {
  GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'
}

# The folder of k8s.io/<lib> at v0.<minor>.<patch>, or, where the proxy refuses that release (it
# does, e.g. k8s.io/endpointslice v0.32.13), at the newest earlier patch of the same minor that it
# serves: staging libraries change little within a minor. Prints nothing when none is served.
staging_library_dir() {
  local lib="$1" minor="$2" patch="$3" dir candidate
  dir="$(module_dir "k8s.io/${lib}@v0.${minor}.${patch}" 2>/dev/null || true)"
  if [[ -z "${dir}" ]]; then
    for candidate in $(GOFLAGS=-mod=mod go list -m -versions "k8s.io/${lib}" 2>/dev/null | tr ' ' '\n' \
        | grep -E "^v0\.${minor}\.[0-9]+$" | sort -t. -k3,3nr); do
      [[ "$(cut -d. -f3 <<<"${candidate}")" -lt "${patch}" ]] || continue
      dir="$(module_dir "k8s.io/${lib}@${candidate}" 2>/dev/null || true)"
      if [[ -n "${dir}" ]]; then
        echo "kubernetes: k8s.io/${lib} v0.${minor}.${patch} is not served; using ${candidate}" >&2
        break
      fi
    done
  fi
  printf '%s' "${dir}"
}

build_version() {
  local version="$1" dir="$2"
  is_built "${version}" "${dir}" && return 0
  local minor patch src
  minor="$(cut -d. -f2 <<<"${version}")"
  patch="$(cut -d. -f3 <<<"${version}")"
  src="${dir}/src"
  echo "kubernetes ${version}: fetching the module and its staging libraries"
  rm -rf "${src}" "${dir}/bin" "${dir}/.built"
  mkdir -p "${dir}"
  cp -r "$(module_dir "k8s.io/kubernetes@${version}")" "${src}"
  chmod -R u+w "${src}"
  rm -rf "${src}/vendor"
  local lib
  for lib in $(sed -n 's#^[[:space:]]*k8s.io/\([a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' "${src}/go.mod"); do
    local libdir
    libdir="$(staging_library_dir "${lib}" "${minor}" "${patch}")"
    mkdir -p "${src}/staging/src/k8s.io"
    if [[ -n "${libdir}" ]]; then
      cp -r "${libdir}" "${src}/staging/src/k8s.io/${lib}"
      chmod -R u+w "${src}/staging/src/k8s.io/${lib}"
    else
      # Samples and the like are not published; nothing the binaries import.
      mkdir -p "${src}/staging/src/k8s.io/${lib}"
      printf 'module k8s.io/%s\n' "${lib}" >"${src}/staging/src/k8s.io/${lib}/go.mod"
    fi
  done
  local ldflags=()
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=("-X ${pkg}.gitVersion=${version}" "-X ${pkg}.gitMajor=1" "-X ${pkg}.gitMinor=${minor}"
      "-X ${pkg}.gitTreeState=clean")
  done
  local targets=() bin
  while read -r bin; do targets+=("./cmd/${bin}"); done < <(binaries_for "${version}")
  echo "kubernetes ${version}: building $(binaries_for "${version}" | tr '\n' ' ')(a cold build takes ~15 min on 2 cores)"
  mkdir -p "${dir}/bin"
  (cd "${src}" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -ldflags "${ldflags[*]}" -o "${dir}/bin/" "${targets[@]}")
  "${dir}/bin/kube-apiserver" --version | grep -qx "Kubernetes ${version}" \
    || { echo "kubernetes.sh: ${dir}/bin/kube-apiserver does not report ${version}" >&2; return 1; }
  rm -rf "${src}"
  touch "${dir}/.built"
  echo "kubernetes ${version} built in ${dir}/bin"
}

command -v go >/dev/null || { echo "kubernetes.sh: the Go toolchain is required" >&2; exit 1; }
for version in "${KUBE_VERSIONS[@]}"; do
  dir="$(tool_cache_dir kubernetes "${version}")"
  if is_built "${version}" "${dir}"; then
    echo "kubernetes ${version} already built"
  elif [[ -n "${KUBE_INSTALL_NO_WAIT:-}" ]] && tool_lock_busy kubernetes "${version}"; then
    # Another clone is building it: a developer's setup need not wait; the e2e stage does.
    echo "kubernetes ${version} is being built by another process; not waiting"
  else
    with_tool_lock kubernetes "${version}" build_version "${version}" "${dir}"
  fi
  link_tool_dir "${dir}" "${ROOT}/.tools/kubernetes/${version}"
done
