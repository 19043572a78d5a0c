# Sourced by the scripts that run the driver or its tests (test.sh, setup.sh, demo.sh): makes the
# pinned Node.js of one major (scripts/install/node.sh) the `node` on PATH, so that npm, tsc, the
# test runner, every driver process the tests start (they use process.execPath) and every script
# they call (`node` from PATH) run on it, whatever Node this machine has.
#   EBS_NODE_MAJOR   the major to use: 24 (default; what the image ships) or 22
#   use_node ROOT    installs it if missing, puts it first on PATH, checks `node` answers with it

use_node() {
  local root="$1" major="${EBS_NODE_MAJOR:-24}"
  local bin="${root}/.tools/node/${major}/bin"
  bash "${root}/scripts/install/node.sh" "${major}"
  export PATH="${bin}:${PATH}" EBS_NODE_MAJOR="${major}"
  hash -r
  local got
  got="$(node --version)"
  if [[ "${got}" != "v${major}."* ]]; then
    echo "node-runtime: wanted Node ${major} from ${bin}, but \`node\` is ${got}" >&2
    return 1
  fi
}
