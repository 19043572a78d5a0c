#!/usr/bin/env bash
# Builds the CSI sidecars the chart's controller Deployment runs, at exactly the tags
# charts/aws-ebs-csi-driver/values.yaml pins (scripts/lib/chart-sidecar-tags.mjs reads them), into
# the tool cache (scripts/lib/tool-cache.sh), linked at .tools/sidecars/<name>:
#   csi-provisioner, csi-attacher, csi-resizer: bin/<name>
#   external-snapshotter: bin/csi-snapshotter, bin/snapshot-controller, the snapshot CRDs of the
#     same release (crd/) and its snapshot-controller RBAC (rbac/), which the e2e tests apply.
# Idempotent: returns at once when every pinned version is built. With KUBE_INSTALL_NO_WAIT set
# (scripts/setup.sh sets it), a build another clone is running is not waited for.
#
# These modules carry `replace` directives, so `go install` refuses them: each is built inside a
# writable copy of its module. external-snapshotter also replaces its client/v8 module with
# ./client, which the module zip leaves out: the published client module of the same tag goes there.
# Usage: scripts/install/csi-sidecars.sh   then: .tools/sidecars/csi-provisioner/bin/csi-provisioner --version
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"
CSI_ORG="github.com/kubernetes-csi"

# "v6.3.0" -> "/v6"; Go module paths carry the major version from v2 on.
major_suffix() {
  local major="${1#v}"
  major="${major%%.*}"
  ((major >= 2)) && printf '/v%s' "${major}"
  return 0
}

module_dir() {
  GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'
}

# build_sidecar REPO TAG DIR CMD…: builds each ./cmd/CMD of the module into DIR/bin.
build_sidecar() {
  local repo="$1" tag="$2" dir="$3"
  shift 3
  [[ -f "${dir}/.built" ]] && return 0
  local module="${CSI_ORG}/${repo}$(major_suffix "${tag}")" src="${dir}/src"
  echo "${repo} ${tag}: building $* (a few minutes cold on 2 cores)"
  rm -rf "${dir}"
  mkdir -p "${dir}/bin"
  local moddir
  moddir="$(module_dir "${module}@${tag}")"
  [[ -n "${moddir}" ]] || { echo "csi-sidecars.sh: the Go module proxy does not serve ${module}@${tag}" >&2; return 1; }
  cp -r "${moddir}" "${src}"
  chmod -R u+w "${src}"
  rm -rf "${src}/vendor"
  if grep -q "^replace ${CSI_ORG}/${repo}/client/v[0-9]* => ./client" "${src}/go.mod"; then
    local client
    client="$(module_dir "${CSI_ORG}/${repo}/client$(major_suffix "${tag}")@${tag}")"
    rm -rf "${src}/client"
    cp -r "${client}" "${src}/client"
    chmod -R u+w "${src}/client"
    mkdir -p "${dir}/crd" "${dir}/rbac"
    cp "${src}"/client/config/crd/*.storage.k8s.io_*.yaml "${dir}/crd/"
    cp "${src}/deploy/kubernetes/snapshot-controller/rbac-snapshot-controller.yaml" "${dir}/rbac/"
  fi
  local targets=() cmd
  for cmd in "$@"; do targets+=("./cmd/${cmd}"); done
  (cd "${src}" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 \
    go build -trimpath -ldflags "-X main.version=${tag}" -o "${dir}/bin/" "${targets[@]}")
  for cmd in "$@"; do
    "${dir}/bin/${cmd}" --version 2>&1 | grep -q "${tag}" \
      || { echo "csi-sidecars.sh: ${dir}/bin/${cmd} does not report ${tag}" >&2; return 1; }
  done
  rm -rf "${src}"
  touch "${dir}/.built"
  echo "${repo} ${tag} built in ${dir}"
}

# install NAME REPO TAG CMD…: builds once (under the tool lock) and links .tools/sidecars/NAME.
install() {
  local name="$1" repo="$2" tag="$3"
  shift 3
  local dir
  dir="$(tool_cache_dir "${repo}" "${tag}")"
  if [[ -f "${dir}/.built" ]]; then
    echo "${repo} ${tag} already built"
  elif [[ -n "${KUBE_INSTALL_NO_WAIT:-}" ]] && tool_lock_busy "${repo}" "${tag}"; then
    # Another clone is building it: a developer's setup need not wait; the e2e stage does.
    echo "${repo} ${tag} is being built by another process; not waiting"
  else
    command -v go >/dev/null || { echo "csi-sidecars.sh: the Go toolchain is required" >&2; exit 1; }
    with_tool_lock "${repo}" "${tag}" build_sidecar "${repo}" "${tag}" "${dir}" "$@"
  fi
  link_tool_dir "${dir}" "${ROOT}/.tools/sidecars/${name}"
}

# Read first: a failure inside a process substitution would not stop the script.
tags="$(node "${ROOT}/scripts/lib/chart-sidecar-tags.mjs")"
while read -r sidecar tag; do
  case "${sidecar}" in
    provisioner) install csi-provisioner external-provisioner "${tag}" csi-provisioner ;;
    attacher) install csi-attacher external-attacher "${tag}" csi-attacher ;;
    resizer) install csi-resizer external-resizer "${tag}" csi-resizer ;;
    snapshotter) install external-snapshotter external-snapshotter "${tag}" csi-snapshotter snapshot-controller ;;
    *) echo "csi-sidecars.sh: no build recipe for sidecar ${sidecar}" >&2; exit 1 ;;
  esac
done <<<"${tags}"
