# Sourced by scripts/install/*.sh that build Go tools. Built binaries live in a per-user cache
# outside the clone (like Go's own build cache), keyed by tool and version, so a fresh clone or a
# second worktree links them in seconds instead of rebuilding for minutes; .tools/ in the clone
# holds only links into it.
#   TOOLS_CACHE            the cache root (override with EBS_CSI_TOOLS_CACHE)
#   tool_cache_dir NAME VERSION       prints the folder a tool's build goes to
#   with_tool_lock NAME VERSION CMD…  runs CMD holding an exclusive lock for that build, so two
#                                     clones never build the same tool into the same folder at once
#   tool_lock_busy NAME VERSION       true while another process holds that lock (building now)
#   link_tool_dir SRC DEST            makes DEST (inside .tools) a link to SRC, replacing an old one
#   cache_tool NAME VERSION BUILD_FN [ARG…]
#                                     makes sure tool_cache_dir NAME VERSION holds a finished build:
#                                     when it does not, runs BUILD_FN SCRATCH ARG… under the tool's
#                                     lock; BUILD_FN fills (and checks) the empty folder SCRATCH,
#                                     which then replaces the cache folder in one rename, so a killed
#                                     build never leaves a folder that looks built

TOOLS_CACHE="${EBS_CSI_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/ebs-csi-driver-ts}"

tool_cache_dir() {
  printf '%s/%s/%s\n' "${TOOLS_CACHE}" "$1" "$2"
}

with_tool_lock() {
  local name="$1" version="$2"
  shift 2
  mkdir -p "${TOOLS_CACHE}/locks"
  local lock="${TOOLS_CACHE}/locks/${name}-${version}.lock"
  (
    flock 9
    "$@"
  ) 9>"${lock}"
}

tool_lock_busy() {
  local lock="${TOOLS_CACHE}/locks/$1-$2.lock"
  [[ -e "${lock}" ]] || return 1
  ! flock -n "${lock}" true
}

link_tool_dir() {
  local src="$1" dest="$2"
  mkdir -p "$(dirname "${dest}")"
  if [[ -L "${dest}" && "$(readlink "${dest}")" == "${src}" ]]; then
    return 0
  fi
  rm -rf "${dest}"
  ln -s "${src}" "${dest}"
}

cache_tool() {
  local name="$1" version="$2"
  local dir
  dir="$(tool_cache_dir "${name}" "${version}")"
  [[ -f "${dir}/.built" ]] && return 0
  mkdir -p "$(dirname "${dir}")"
  with_tool_lock "${name}" "${version}" _cache_tool_build "${dir}" "${@:3}"
}

# A subshell, so the scratch folder goes on every exit path.
_cache_tool_build() (
  local dir="$1" build="$2"
  shift 2
  # Another clone may have finished it while this one waited for the lock.
  [[ -f "${dir}/.built" ]] && exit 0
  local scratch
  scratch="$(mktemp -d "${dir}.build.XXXXXX")"
  trap 'rm -rf "${scratch}"' EXIT
  "${build}" "${scratch}" "$@" || exit 1
  touch "${scratch}/.built"
  rm -rf "${dir}"
  mv "${scratch}" "${dir}"
)
