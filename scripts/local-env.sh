#!/usr/bin/env bash
# The whole driver on one Linux machine, without AWS: an EC2 emulator, the data plane that
# turns its volumes into loop devices, a local IMDSv2 endpoint, and the driver in `all` mode.
#
#   scripts/local-env.sh start    start everything in the background (cleans up a crashed run first)
#   scripts/local-env.sh stop     stop everything; no process, loop device, mount or link remains
#   scripts/local-env.sh run      start, then wait; Ctrl-C (or SIGTERM) stops everything
#   scripts/local-env.sh status   what is running
#
# The data plane, IMDS and driver run on the `node` first on PATH: npm run demo puts the pinned
# Node 24 there (scripts/lib/node-runtime.sh), the tests the Node they run on.
# Run as root (loop devices, mkfs, mount). After `start`, `source .local-env/env.sh` gives a
# shell the settings the driver uses (CSI_ENDPOINT, AWS_ENDPOINT_URL_EC2, ...).
# Environment:
#   EC2_ENDPOINT                use this emulator (e.g. LocalStack, http://localhost:4566) instead of
#                               starting moto; a LocalStack already answering on the emulator port is
#                               picked up by itself
#   EBS_LOCAL_STATE_DIR         state, logs, volume files (default <repo>/.local-env)
#   EBS_LOCAL_EMULATOR_PORT     4566   EBS_LOCAL_DATAPLANE_PORT 4567   EBS_LOCAL_IMDS_PORT 1338
#   AWS_REGION                  us-east-1; EBS_LOCAL_ZONE, EBS_LOCAL_INSTANCE_TYPE shape the node instance
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${EBS_LOCAL_STATE_DIR:-${ROOT}/.local-env}"
EMULATOR_PORT="${EBS_LOCAL_EMULATOR_PORT:-4566}"
DATAPLANE_PORT="${EBS_LOCAL_DATAPLANE_PORT:-4567}"
IMDS_PORT="${EBS_LOCAL_IMDS_PORT:-1338}"
REGION="${AWS_REGION:-us-east-1}"
NODE="$(command -v node)"
PIDS="${STATE_DIR}/pids"
LOGS="${STATE_DIR}/logs"
DATA="${STATE_DIR}/dataplane"
SOCKET="${STATE_DIR}/csi.sock"
export PATH="${PATH}:/usr/sbin:/sbin"

say() { echo "local-env: $*"; }
die() { echo "local-env: $*" >&2; exit 1; }

# --- processes ------------------------------------------------------------------------

# What a process of ours must have in its command line, so a recycled pid is never killed.
signature_of() {
  case "$1" in
    emulator) echo "moto_server -H 127.0.0.1 -p ${EMULATOR_PORT}" ;;
    dataplane) echo "dist/local/dataplane/main.js serve --state-dir ${DATA}" ;;
    imds) echo "dist/local/imds/main.js --listen 127.0.0.1:${IMDS_PORT}" ;;
    driver) echo "--endpoint=unix://${SOCKET}" ;;
  esac
}

pid_of() {
  local file="${PIDS}/$1.pid" pid cmdline
  [[ -f "${file}" ]] || return 1
  pid="$(cat "${file}")"
  [[ "${pid}" =~ ^[0-9]+$ && -r "/proc/${pid}/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline")"
  [[ "${cmdline}" == *"$(signature_of "$1")"* ]] || return 1
  echo "${pid}"
}

stop_one() {
  local name="$1" pid
  if pid="$(pid_of "${name}")"; then
    kill -TERM "${pid}" 2>/dev/null || true
    # The data plane unmounts and detaches on SIGTERM: give it time before insisting.
    for _ in $(seq 1 150); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${pid}" 2>/dev/null; then
      say "${name} (pid ${pid}) did not stop in 15 s; killing it"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
    say "stopped ${name} (pid ${pid})"
  fi
  rm -f "${PIDS}/${name}.pid"
}

# Starts a program in its own session (Ctrl-C reaches only this script, which then stops
# everything in order) with its output in logs/<name>.log; records its pid.
launch() {
  local name="$1"; shift
  setsid "$@" >>"${LOGS}/${name}.log" 2>&1 </dev/null &
  local pid=$!
  echo "${pid}" >"${PIDS}/${name}.pid"
  # Until the forked shell execs the program, its command line is this script's and pid_of
  # would call the process gone (a start once failed that way). Wait for the exec; a program
  # that dies at once is reported by wait_until with its log.
  for _ in $(seq 1 100); do
    pid_of "${name}" >/dev/null && return 0
    [[ -n "$(tr -d '\0' <"/proc/${pid}/cmdline" 2>/dev/null)" ]] || return 0
    sleep 0.05
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_until() {
  local what="$1" name="$2"; shift 2
  for _ in $(seq 1 300); do
    if "$@"; then return 0; fi
    if ! pid_of "${name}" >/dev/null; then
      echo "--- last lines of ${LOGS}/${name}.log ---" >&2; tail -n 30 "${LOGS}/${name}.log" >&2 || true
      die "${name} exited before ${what}"
    fi
    sleep 0.1
  done
  die "timed out waiting for ${what} (see ${LOGS}/${name}.log)"
}

# --- stop -----------------------------------------------------------------------------

stop_all() {
  for name in driver imds dataplane emulator; do stop_one "${name}"; done
  # Whatever a killed data plane could not undo: mounts of our loop devices, the loop
  # devices, their /dev links. Idempotent, so it runs every time.
  if [[ -d "${DATA}" && -f "${ROOT}/dist/local/dataplane/main.js" ]]; then
    mkdir -p "${LOGS}"
    "${NODE}" "${ROOT}/dist/local/dataplane/main.js" cleanup --state-dir "${DATA}" --logging-format text >>"${LOGS}/dataplane.log" 2>&1 \
      || say "data plane cleanup reported a problem; see ${LOGS}/dataplane.log"
  fi
  # The emulator we started kept its state in memory: the volume files, and the data plane's
  # memory of that emulator's client tokens and volume copies, now belong to nothing.
  if [[ -f "${STATE_DIR}/emulator-owned" ]]; then
    rm -rf "${DATA}/volumes" "${DATA}/snapshots" "${DATA}/client-tokens.json" "${DATA}/volume-copies.json" "${STATE_DIR}/emulator-owned"
  fi
  rm -f "${SOCKET}" "${STATE_DIR}/env.sh"
}

# --- start ----------------------------------------------------------------------------

preflight() {
  [[ "$(id -u)" -eq 0 ]] || die "run as root: the data plane creates loop devices and the driver formats and mounts them"
  for tool in losetup mkfs.ext4 mount blkid; do
    command -v "${tool}" >/dev/null || die "${tool} is missing; run scripts/setup.sh first"
  done
  [[ -x "${ROOT}/.venv-moto/bin/python" ]] || die "moto is not installed; run scripts/setup.sh first"
  if [[ ! -f "${ROOT}/dist/bundle/ebs-csi-driver.mjs" || ! -f "${ROOT}/dist/local/dataplane/main.js" ]]; then
    say "building the driver (npm run build)"
    (cd "${ROOT}" && npm run --silent build)
  fi
}

start_emulator() {
  if [[ -n "${EC2_ENDPOINT:-}" ]]; then
    EMULATOR="${EC2_ENDPOINT%/}"
    say "using the EC2 emulator at ${EMULATOR}"
  elif port_open "${EMULATOR_PORT}" && "${ROOT}/.venv-moto/bin/python" -c \
      "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:${EMULATOR_PORT}/_localstack/health" 2>/dev/null; then
    EMULATOR="http://127.0.0.1:${EMULATOR_PORT}"
    say "found LocalStack on ${EMULATOR}; using it"
  else
    EMULATOR="http://127.0.0.1:${EMULATOR_PORT}"
    say "starting moto's EC2 server on ${EMULATOR}"
    touch "${STATE_DIR}/emulator-owned"
    INSTANCE_ID="$(MOTO_PORT="${EMULATOR_PORT}" bash "${ROOT}/localstack/moto-server.sh" --background \
      --pid-file "${PIDS}/emulator.pid" --log "${LOGS}/emulator.log" 2>>"${LOGS}/emulator.log")" \
      || die "moto did not start (see ${LOGS}/emulator.log)"
    return 0
  fi
  INSTANCE_ID="$(EC2_ENDPOINT="${EMULATOR}" "${ROOT}/.venv-moto/bin/python" "${ROOT}/localstack/init/ready.d/create-node-instance.py" \
    2>>"${LOGS}/emulator.log")" || die "could not find or create the node instance at ${EMULATOR} (see ${LOGS}/emulator.log)"
}

write_env_file() {
  cat >"${STATE_DIR}/env.sh" <<EOF
# Settings of the running local environment (scripts/local-env.sh); source this file.
export CSI_ENDPOINT=unix://${SOCKET}
export EBS_LOCAL_NODE_ID=${INSTANCE_ID}
export EBS_LOCAL_EMULATOR=${EMULATOR}
export AWS_ENDPOINT_URL_EC2=http://127.0.0.1:${DATAPLANE_PORT}
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:${IMDS_PORT}
export AWS_REGION=${REGION}
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
EOF
}

start_all() {
  preflight
  stop_all >/dev/null
  mkdir -p "${PIDS}" "${LOGS}" "${DATA}"
  start_emulator
  say "node instance: ${INSTANCE_ID}"

  port_open "${DATAPLANE_PORT}" && die "127.0.0.1:${DATAPLANE_PORT} is in use; set EBS_LOCAL_DATAPLANE_PORT"
  launch dataplane "${NODE}" "${ROOT}/dist/local/dataplane/main.js" serve --state-dir "${DATA}" \
    --upstream "${EMULATOR}" --instance-id "${INSTANCE_ID}" --region "${REGION}" --listen "127.0.0.1:${DATAPLANE_PORT}"
  wait_until "the data plane listened on port ${DATAPLANE_PORT}" dataplane port_open "${DATAPLANE_PORT}"
  say "data plane (EC2 proxy + loop devices) on http://127.0.0.1:${DATAPLANE_PORT}"

  port_open "${IMDS_PORT}" && die "127.0.0.1:${IMDS_PORT} is in use; set EBS_LOCAL_IMDS_PORT"
  launch imds "${NODE}" "${ROOT}/dist/local/imds/main.js" --listen "127.0.0.1:${IMDS_PORT}" \
    --emulator "${EMULATOR}" --instance-id "${INSTANCE_ID}" --region "${REGION}"
  wait_until "the metadata service listened on port ${IMDS_PORT}" imds port_open "${IMDS_PORT}"
  say "instance metadata (IMDSv2) on http://127.0.0.1:${IMDS_PORT}"

  # EBS_LOCAL_VOLUMES_DIR: the data plane's loop devices over <dir>/<volume id>.img are the
  # emulated volumes (they have no NVMe serial); see docs/local-environment.md.
  launch driver env AWS_ENDPOINT_URL_EC2="http://127.0.0.1:${DATAPLANE_PORT}" \
    AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:${IMDS_PORT}" AWS_REGION="${REGION}" \
    EBS_LOCAL_VOLUMES_DIR="${DATA}/volumes" \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    "${NODE}" "${ROOT}/dist/bundle/ebs-csi-driver.mjs" all "--endpoint=unix://${SOCKET}" --logging-format=text
  wait_until "the driver opened ${SOCKET}" driver test -S "${SOCKET}"
  write_env_file
  say "driver (all mode) on unix://${SOCKET}"
  say "ready. Settings: source ${STATE_DIR}/env.sh   Logs: ${LOGS}/   Stop: scripts/local-env.sh stop"
}

status() {
  for name in emulator dataplane imds driver; do
    if pid="$(pid_of "${name}")"; then echo "${name}: running (pid ${pid})"; else echo "${name}: not running"; fi
  done
  [[ -f "${STATE_DIR}/env.sh" ]] && grep -E 'NODE_ID|CSI_ENDPOINT' "${STATE_DIR}/env.sh" | sed 's/^export /  /'
  losetup --list --noheadings --output NAME,BACK-FILE 2>/dev/null | grep -F "${DATA}/" | sed 's/^/  loop device: /' || true
}

# On any failure or interruption of start/run: take down whatever was started already.
cleanup_on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ ${rc} -ne 0 ]]; then stop_all; fi
  exit "${rc}"
}

case "${1:-}" in
  start)
    trap cleanup_on_exit EXIT
    trap 'echo; say "interrupted; cleaning up"; exit 130' INT TERM
    start_all
    trap - EXIT
    ;;
  stop)
    stop_all
    say "stopped; no emulated device is left"
    ;;
  run)
    trap cleanup_on_exit EXIT
    trap 'echo; say "stopping"; stop_all; trap - EXIT; exit 0' INT TERM
    start_all
    say "running until Ctrl-C"
    while true; do
      for name in dataplane imds driver; do
        pid_of "${name}" >/dev/null || die "${name} exited (see ${LOGS}/${name}.log); stopping"
      done
      sleep 1
    done
    ;;
  status) status ;;
  *) sed -n '2,19p' "${BASH_SOURCE[0]}"; exit 2 ;;
esac
