#!/usr/bin/env bash
# The Docker-free EC2 endpoint: moto's server (the engine inside LocalStack's EC2) from the
# project's virtualenv, on 127.0.0.1:4566 like LocalStack, with the same init hook that
# creates the node instance. Everything downstream (driver, data plane, tests) is identical.
#
#   localstack/moto-server.sh                 serve in the foreground until Ctrl-C
#   localstack/moto-server.sh --background --pid-file F --log F
#                                             start, wait until ready, run the init, print
#                                             the node instance id, leave it running
# Environment: MOTO_PORT (4566), AWS_REGION, EBS_LOCAL_ZONE, EBS_LOCAL_INSTANCE_TYPE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.venv-moto"
INIT="${ROOT}/localstack/init/ready.d/create-node-instance.py"
PORT="${MOTO_PORT:-4566}"
BACKGROUND=false
PID_FILE=""
LOG_FILE=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --background) BACKGROUND=true ;;
    --pid-file) PID_FILE="$2"; shift ;;
    --log) LOG_FILE="$2"; shift ;;
    --port) PORT="$2"; shift ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "moto-server.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ "${PORT}" =~ ^[0-9]+$ ]] || { echo "moto-server.sh: the port must be a number; got ${PORT}" >&2; exit 2; }

bash "${ROOT}/scripts/install/moto.sh" >/dev/null
ENDPOINT="http://127.0.0.1:${PORT}"

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") 2>/dev/null; }

wait_ready() {
  local pid="$1"
  for _ in $(seq 1 150); do
    if "${VENV}/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "${ENDPOINT}/moto-api/data.json" 2>/dev/null; then
      return 0
    fi
    kill -0 "${pid}" 2>/dev/null || { echo "moto-server.sh: moto exited during start-up" >&2; return 1; }
    sleep 0.2
  done
  echo "moto-server.sh: moto did not answer on ${ENDPOINT} within 30 s" >&2
  return 1
}

run_init() { EC2_ENDPOINT="${ENDPOINT}" "${VENV}/bin/python" "${INIT}"; }

if port_taken; then
  echo "moto-server.sh: 127.0.0.1:${PORT} is already in use (LocalStack? then point the tools at it with EC2_ENDPOINT=${ENDPOINT})" >&2
  exit 1
fi

if [[ "${BACKGROUND}" == true ]]; then
  [[ -n "${PID_FILE}" && -n "${LOG_FILE}" ]] || { echo "moto-server.sh: --background needs --pid-file and --log" >&2; exit 2; }
  # Own session: a Ctrl-C meant for the caller's script must not kill the emulator before
  # the caller has cleaned up the devices that depend on it.
  setsid "${VENV}/bin/moto_server" -H 127.0.0.1 -p "${PORT}" >>"${LOG_FILE}" 2>&1 </dev/null &
  echo $! >"${PID_FILE}"
  wait_ready "$!"
  run_init
  exit 0
fi

"${VENV}/bin/moto_server" -H 127.0.0.1 -p "${PORT}" &
MOTO_PID=$!
trap 'kill -TERM "${MOTO_PID}" 2>/dev/null || true; wait "${MOTO_PID}" 2>/dev/null || true' EXIT INT TERM
wait_ready "${MOTO_PID}"
echo "moto serves EC2 on ${ENDPOINT}; node instance: $(run_init)  (Ctrl-C stops it)"
wait "${MOTO_PID}"
