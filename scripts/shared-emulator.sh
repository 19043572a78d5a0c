#!/usr/bin/env bash
# Runs a command against one EC2 emulator that every test shares, the way a LocalStack user runs
# the suite: starts localstack/moto-server.sh on a free loopback port (with its init hook), runs
# the command with EC2_ENDPOINT pointing at it, and stops the emulator on every exit path
# (success, failure, Ctrl-C, SIGTERM). Exits with the command's status.
#   scripts/shared-emulator.sh bash scripts/run-tests.sh integration
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -gt 0 ]] || { echo "usage: scripts/shared-emulator.sh COMMAND [ARG…]" >&2; exit 2; }

STATE="$(mktemp -d "${TMPDIR:-/tmp}/ebs-shared-emulator.XXXXXX")"
PID_FILE="${STATE}/moto.pid"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

stop_emulator() {
  local pid
  pid="$(cat "${PID_FILE}" 2>/dev/null || true)"
  # Only the process this script started: its pid, still running moto on our port.
  if [[ "${pid}" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q "moto_server -H 127.0.0.1 -p ${PORT} "; then
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid}" 2>/dev/null || true
    echo "shared-emulator: stopped moto (pid ${pid}) on 127.0.0.1:${PORT}"
  fi
  if [[ -s "${STATE}/moto.log" && "${1:-0}" -ne 0 ]]; then
    echo "--- last lines of the emulator's log ---" >&2
    tail -n 20 "${STATE}/moto.log" >&2
  fi
  rm -rf "${STATE}"
}
trap 'rc=$?; trap - EXIT; stop_emulator "${rc}"; exit "${rc}"' EXIT
# The command runs in the background so that a signal reaches this script at once (bash runs a
# trap only after a foreground command ends): it is passed on as SIGTERM (a background command
# ignores SIGINT), the command is given time to clean up its own, then the emulator goes.
child=""
on_signal() {
  if [[ -n "${child}" ]]; then
    kill -TERM "${child}" 2>/dev/null || true
    wait "${child}" 2>/dev/null || true
  fi
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

MOTO_PORT="${PORT}" bash "${ROOT}/localstack/moto-server.sh" --background --pid-file "${PID_FILE}" --log "${STATE}/moto.log" >"${STATE}/instance" 2>>"${STATE}/moto.log"
echo "shared-emulator: moto on http://127.0.0.1:${PORT} (node instance $(cat "${STATE}/instance"))"
EC2_ENDPOINT="http://127.0.0.1:${PORT}" "$@" &
child=$!
wait "${child}"
