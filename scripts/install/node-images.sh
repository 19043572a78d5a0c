#!/usr/bin/env bash
# Makes the two container images the kubelet tests run, as OCI archives that `ctr images import`
# takes, into the tool cache (scripts/lib/tool-cache.sh), linked at .tools/node-images:
#   pause.tar    docker.io/local/pause:ebs-csi   the sandbox image (scripts/images/pause.go)
#   busybox.tar  docker.io/local/busybox:<ver>   the test pods' image: Debian's busybox-static
# images.json beside them names each image and its archive for the harness. Nothing is pulled:
# the kubelet only uses an image already in containerd under docker.io/local/ (see test-rig.md).
# Keyed by the content of everything that goes in, so a change rebuilds and a repeat returns at once.
# Usage: scripts/install/node-images.sh   (after container-runtime.sh, which installs busybox-static)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/tool-cache.sh
source "${ROOT}/scripts/lib/tool-cache.sh"
# shellcheck source=../lib/oci-image.sh
source "${ROOT}/scripts/lib/oci-image.sh"

BUSYBOX="$(command -v busybox || true)"
# ldd fails on a static binary: that busybox runs in an image that has no libc.
if [[ -z "${BUSYBOX}" ]] || ldd "${BUSYBOX}" >/dev/null 2>&1; then
  # Without a static busybox there is no image to run; the kubelet stage says so and skips.
  echo "node-images.sh: no statically linked busybox on PATH (container-runtime.sh installs busybox-static); not making the test images" >&2
  exit 0
fi
command -v go >/dev/null || { echo "node-images.sh: the Go toolchain is required" >&2; exit 1; }

BUSYBOX_VERSION="$("${BUSYBOX}" | sed -n '1s/^BusyBox v\([0-9.]*\).*/\1/p')"
PAUSE_IMAGE="docker.io/local/pause:ebs-csi"
BUSYBOX_IMAGE="docker.io/local/busybox:${BUSYBOX_VERSION}"
KEY="$({ cat "${ROOT}/scripts/images/pause.go" "${ROOT}/scripts/lib/oci-image.sh" "${BASH_SOURCE[0]}" "${BUSYBOX}"; go version; } \
  | sha256sum | cut -c1-16)"
DIR="$(tool_cache_dir node-images "${KEY}")"

build_images() {
  [[ -f "${DIR}/.built" ]] && return 0
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this build's folder
  trap "rm -rf '${work}'" RETURN
  rm -rf "${DIR}"
  mkdir -p "${DIR}" "${work}/pause" "${work}/busybox/bin" "${work}/busybox/etc"

  (cd "${ROOT}/scripts/images" && GOWORK=off GO111MODULE=off CGO_ENABLED=0 \
    go build -trimpath -ldflags '-s -w' -o "${work}/pause/pause" pause.go)
  oci_image_archive "${work}/pause" '{"Entrypoint":["/pause"]}' "${PAUSE_IMAGE}" "${DIR}/pause.tar"

  local root="${work}/busybox"
  cp "${BUSYBOX}" "${root}/bin/busybox"
  local applet
  for applet in $("${BUSYBOX}" --list); do
    [[ "${applet}" == busybox ]] || ln -s busybox "${root}/bin/${applet}"
  done
  mkdir -p "${root}/tmp" "${root}/proc" "${root}/sys" "${root}/dev" "${root}/data"
  chmod 1777 "${root}/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"${root}/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"${root}/etc/group"
  oci_image_archive "${root}" '{"Env":["PATH=/bin"],"Cmd":["sh"]}' "${BUSYBOX_IMAGE}" "${DIR}/busybox.tar"

  printf '{"pause":{"name":"%s","archive":"pause.tar"},"busybox":{"name":"%s","archive":"busybox.tar"}}\n' \
    "${PAUSE_IMAGE}" "${BUSYBOX_IMAGE}" >"${DIR}/images.json"
  touch "${DIR}/.built"
  echo "test images built in ${DIR}: ${PAUSE_IMAGE}, ${BUSYBOX_IMAGE}"
}

if [[ -f "${DIR}/.built" ]]; then
  echo "test images already built (${PAUSE_IMAGE}, ${BUSYBOX_IMAGE})"
else
  with_tool_lock node-images "${KEY}" build_images
fi
link_tool_dir "${DIR}" "${ROOT}/.tools/node-images"
