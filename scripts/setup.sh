#!/usr/bin/env bash
# Sets up everything the project needs on a fresh Debian/Ubuntu machine (run as root):
#   - Debian packages for the lab fleet and the build (apt),
#   - .venv      Python 3.11: torch (CPU), the compiler, the daemon, the test tools,
#   - .venv-ctl  Python 3.12: ansible-core 2.21, ansible-lint, pytest-testinfra (controller).
# Idempotent: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(systemd-container debootstrap iproute2 openssh-client rsync curl ca-certificates jq)

die() { echo "setup: $*" >&2; exit 1; }

find_python() {  # find_python 3.12 -> path of an interpreter of that minor version
  local v=$1 c
  for c in "python$v" "$HOME/.pyenv/versions/$v"*/bin/"python$v" /usr/local/bin/"python$v" /usr/bin/"python$v"; do
    # pyenv shims exist for every installed version but fail unless selected: run it to be sure
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys, venv' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

apt_setup() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}); run as root or: sudo apt-get install -y ${missing[*]}"
  echo "setup: apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pip_quiet() {  # pip, without the noise of find-links folders that are absent on this machine
  "$@" 2> >(grep -v -e "is ignored: it is neither a file nor a directory" -e "BuildBackendWarning" >&2)
}

venv_setup() {  # venv_setup DIR PYVER REQFILE...
  local dir=$1 ver=$2; shift 2
  local py stamp want
  py=$(find_python "$ver") || die "Python $ver not found (tried python$ver and pyenv); install it (pyenv install $ver, or apt-get install python$ver python$ver-venv)"
  want=$(cat "$@" $(ls daemon/pyproject.toml models/pyproject.toml compiler/pyproject.toml telemetry/pyproject.toml 2>/dev/null) | sha256sum | cut -c1-16)
  stamp="$dir/.setup-stamp"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then return 0; fi
  echo "setup: $dir (Python $ver from $py)"
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
  pip_quiet "$dir/bin/python" -m pip install -q --upgrade pip >/dev/null
  local r; for r in "$@"; do pip_quiet "$dir/bin/python" -m pip install -q -r "$r"; done
  echo "$want" > "$stamp"
}

apt_setup
venv_setup .venv 3.11 requirements.txt
venv_setup .venv-ctl 3.12 requirements-ctl.txt
echo "setup: ok"
