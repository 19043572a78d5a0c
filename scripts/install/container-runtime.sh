#!/usr/bin/env bash
# Installs what the kubelet tests run pods with, from Debian's packages, pinned to a release
# series: containerd 1.6 and runc 1.1 (the CRI runtime the test kubelet talks to) and
# busybox-static (the one binary the test pods' image holds, see node-images.sh).
# Idempotent: exits at once when the binaries of those series are on PATH.
#
# A machine without apt-get or root cannot get them here; that is not an error of the setup:
# the kubelet test stage checks for them itself and says it skips (test/support/kubelet).
# Usage: scripts/install/container-runtime.sh
set -euo pipefail
export PATH="${PATH}:/usr/sbin:/sbin"

# Keep in step with test/support/kubelet/runtime.ts (which checks the same series at run time).
CONTAINERD_SERIES="1.6"
RUNC_SERIES="1.1"
BUSYBOX_SERIES="1.35"

have_series() {
  local version
  case "$1" in
    containerd) version="$(containerd --version 2>/dev/null | awk '{print $3}')" ;;
    runc) version="$(runc --version 2>/dev/null | awk 'NR==1 {print $3}')" ;;
    busybox) version="$(busybox 2>/dev/null | sed -n '1s/^BusyBox v\([0-9.]*\).*/\1/p')" ;;
  esac
  [[ "${version}" == "$2".* ]]
}

# containerd's series decides the config format the harness writes (version 2, CRI plugin
# names of 1.6/1.7); a newer one on PATH would need other settings, so it is not accepted silently.
missing=()
have_series containerd "${CONTAINERD_SERIES}" || missing+=("containerd=${CONTAINERD_SERIES}.*")
have_series runc "${RUNC_SERIES}" || missing+=("runc=${RUNC_SERIES}.*")
have_series busybox "${BUSYBOX_SERIES}" || missing+=("busybox-static=1:${BUSYBOX_SERIES}.*")
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "container runtime already installed (containerd ${CONTAINERD_SERIES}, runc ${RUNC_SERIES}, busybox ${BUSYBOX_SERIES})"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || [[ "$(id -u)" -ne 0 ]]; then
  echo "container-runtime.sh: not installing ${missing[*]} (needs root and apt-get); the kubelet tests will skip" >&2
  exit 0
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
# The package's service is for a booted system; the tests start their own containerd with their
# own config, socket and state. Where systemd runs, keep the packaged one from holding runc's state.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet containerd 2>/dev/null; then
  echo "container-runtime.sh: note: the system containerd service is running; the tests use their own instance beside it"
fi

for tool in containerd runc busybox; do
  series_var="$(tr '[:lower:]' '[:upper:]' <<<"${tool}")_SERIES"
  have_series "${tool}" "${!series_var}" || { echo "container-runtime.sh: ${tool} ${!series_var}.x still missing" >&2; exit 1; }
done
echo "container runtime installed"
