#!/usr/bin/env bash
# Builds the node DaemonSet's two sidecars, node-driver-registrar and livenessprobe, into the
# tool cache (scripts/lib/tool-cache.sh), linked at .tools/<name>/<version>/<binary>.
# The Go module proxy serves neither (their module paths lack the /v2 their v2.x tags need), so
# they build from the source archives, dependencies vendored, in ../shared/src beside the clone
# (override the folder with EBS_CSI_SOURCE_ARCHIVES). Offline, ~20 s each cold.
# Idempotent: returns at once when both pinned versions are built.
# Usage: scripts/install/csi-node-sidecars.sh   then: .tools/csi-node-driver-registrar/v2.17.0/csi-node-driver-registrar --version
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"

# ../shared sits beside the clone; a git worktree elsewhere finds it beside its main checkout, and a
# clone made elsewhere (CI clones into a fresh folder) beside the local repository it was cloned from.
source_archives() {
  if [[ -n "${EBS_CSI_SOURCE_ARCHIVES:-}" ]]; then echo "${EBS_CSI_SOURCE_ARCHIVES}"; return; fi
  local common origin
  common="$(git -C "${ROOT}" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
  origin="$(git -C "${ROOT}" remote get-url origin 2>/dev/null || true)"
  [[ -d "${origin}" ]] || origin=""
  for dir in "${ROOT}/../shared/src" ${common:+"$(dirname "${common}")/../shared/src"} ${origin:+"${origin}/../shared/src"}; do
    [[ -d "${dir}" ]] && { (cd "${dir}" && pwd); return; }
  done
  echo "${ROOT}/../shared/src"
}
ARCHIVES="$(source_archives)"

# The versions the chart's values.yaml names for these sidecars (a test checks they agree).
# name | version | archive prefix | command folder
SIDECARS=(
  "csi-node-driver-registrar v2.17.0 node-driver-registrar cmd/csi-node-driver-registrar"
  "livenessprobe v2.19.0 livenessprobe cmd/livenessprobe"
)

# .built holds the version built (livenessprobe has no --version flag to ask).
is_built() {
  local dir="$1" name="$2" version="$3"
  [[ -x "${dir}/${name}" && "$(cat "${dir}/.built" 2>/dev/null)" == "${version}" ]]
}

build_sidecar() {
  local name="$1" version="$2" prefix="$3" cmd="$4" dir="$5"
  is_built "${dir}" "${name}" "${version}" && return 0
  local archive="${ARCHIVES}/${prefix}-${version}.tar.gz"
  [[ -f "${archive}" ]] || { echo "csi-node-sidecars.sh: ${archive} is missing (set EBS_CSI_SOURCE_ARCHIVES to the folder holding it)" >&2; return 1; }
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this build's folder
  trap "rm -rf '${work}'" RETURN
  tar -xzf "${archive}" -C "${work}"
  echo "${name} ${version}: building from ${archive}"
  rm -rf "${dir}"
  mkdir -p "${dir}"
  # The upstream release build stamps main.version the same way (release-tools/build.make);
  # -trimpath keeps the temporary source folder out of the build, so the Go build cache serves a rebuild.
  (cd "${work}/${prefix}-${version}" && GOWORK=off GOFLAGS=-mod=vendor CGO_ENABLED=0 \
    go build -trimpath -ldflags "-X main.version=${version}" -o "${dir}/${name}" "./${cmd}")
  # A build that does not run is no install: both print their flags, --csi-address among them.
  local usage
  usage="$("${dir}/${name}" --help 2>&1 || true)"
  grep -q -- '-csi-address' <<<"${usage}" \
    || { echo "csi-node-sidecars.sh: ${dir}/${name} does not run: ${usage}" >&2; return 1; }
  echo "${version}" >"${dir}/.built"
  echo "${name} ${version} built in ${dir}"
}

command -v go >/dev/null || { echo "csi-node-sidecars.sh: the Go toolchain is required" >&2; exit 1; }
for spec in "${SIDECARS[@]}"; do
  read -r name version prefix cmd <<<"${spec}"
  dir="$(tool_cache_dir "${name}" "${version}")"
  if is_built "${dir}" "${name}" "${version}"; then
    echo "${name} ${version} already built"
  else
    with_tool_lock "${name}" "${version}" build_sidecar "${name}" "${version}" "${prefix}" "${cmd}" "${dir}"
  fi
  link_tool_dir "${dir}" "${ROOT}/.tools/${name}/${version}"
done
