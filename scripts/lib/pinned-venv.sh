# Sourced by scripts/install/*.sh: installs one pinned PyPI package into a project-local
# virtualenv, and returns at once when that version is already there.
#   pinned_venv_install VENV DIST VERSION PIP_SPEC BIN
# VENV: the virtualenv folder; DIST: the distribution name to check the version of;
# PIP_SPEC: what pip installs (e.g. 'moto[server]==5.2.5'); BIN: a program the venv must have.

pinned_venv_version() {
  local venv="$1" dist="$2" bin="$3"
  [[ -x "${venv}/bin/python" && -x "${venv}/bin/${bin}" ]] || return 1
  "${venv}/bin/python" -c 'import sys; from importlib.metadata import version; print(version(sys.argv[1]))' "${dist}" 2>/dev/null
}

pinned_venv_install() {
  local venv="$1" dist="$2" version="$3" spec="$4" bin="$5"
  if [[ "$(pinned_venv_version "${venv}" "${dist}" "${bin}" || true)" == "${version}" ]]; then
    echo "${dist} ${version} already installed in ${venv}"
    return 0
  fi
  command -v python3 >/dev/null || { echo "${dist}: python3 is required" >&2; return 1; }
  mkdir -p "$(dirname "${venv}")"
  if [[ ! -x "${venv}/bin/python" ]]; then
    # Debian's python3 lacks ensurepip until python3-venv is installed.
    if ! python3 -m venv "${venv}" 2>/dev/null; then
      rm -rf "${venv}"
      if command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      fi
      python3 -m venv "${venv}"
    fi
  fi
  "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check "${spec}"
  local got
  got="$(pinned_venv_version "${venv}" "${dist}" "${bin}" || true)"
  if [[ "${got}" != "${version}" ]]; then
    echo "${dist}: expected ${version} in ${venv}, found '${got}'" >&2
    return 1
  fi
  echo "${dist} ${version} installed in ${venv}"
}
