#!/usr/bin/env bash
# Installs the filesystem tools the node service runs (mkfs.*, blkid, mount, resize2fs,
# xfs_growfs, blockdev, losetup) from the distribution's packages. Idempotent: it exits
# at once when every tool is already on PATH, so CI and repeated test runs stay quick.
# Usage: scripts/install/node-tools.sh   (as root; Debian/Ubuntu)
set -euo pipefail

# tool → package that ships it on Debian/Ubuntu
declare -A PACKAGE_OF=(
  [mkfs.ext4]=e2fsprogs [mkfs.ext3]=e2fsprogs [resize2fs]=e2fsprogs [dumpe2fs]=e2fsprogs
  [mkfs.xfs]=xfsprogs [xfs_growfs]=xfsprogs [xfs_io]=xfsprogs
  [blkid]=util-linux [blockdev]=util-linux [losetup]=util-linux
  [mount]=mount [umount]=mount
)

# sbin directories are often missing from a non-login PATH.
export PATH="${PATH}:/usr/sbin:/sbin"

missing=()
for tool in "${!PACKAGE_OF[@]}"; do
  command -v "${tool}" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[${tool}]}")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "node tools already installed"
  exit 0
fi

packages="$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "node-tools.sh: missing packages (${packages}) and no apt-get to install them" >&2
  exit 1
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "node-tools.sh: missing packages (${packages}); run as root to install them" >&2
  exit 1
fi

echo "installing: ${packages}"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends ${packages} >/dev/null 2>&1 || {
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ${packages} >/dev/null
}

for tool in "${!PACKAGE_OF[@]}"; do
  command -v "${tool}" >/dev/null 2>&1 || { echo "node-tools.sh: ${tool} still missing" >&2; exit 1; }
done
echo "node tools installed"
