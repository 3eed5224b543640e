#!/usr/bin/env bash
# Sets up what the project needs, split by need (docs/setup.md):
#   setup.sh dev   .venv (Python 3.11, as on the Pi): torch (CPU), the compiler, the daemon, the
#                  test tools. Enough for make model / model-check / serve / bench / test-unit.
#                  Needs no root; uses apt only when root and no usable Python is there.
#   setup.sh ctl   .venv-ctl only (Python 3.12: ansible-core, ansible-lint, testinfra): what make
#                  deploy / wheelhouse / verify need on a controller that runs no lab. No root.
#   setup.sh lab   (default) the lab's Debian packages (root) + .venv + .venv-ctl (Python 3.12:
#                  ansible-core 2.21, ansible-lint, pytest-testinfra) for the lab and deploy targets.
#   setup.sh uv    print uv's path, installing it from locks/tools.txt first (make lock uses it)
#   setup.sh find-python 3.12     print the interpreter the set-up would use (no install)
#   setup.sh python 3.12          the same, installing it (apt or uv) when missing
# Interpreters are found on PATH, in pyenv, /usr/local/bin, /usr/bin and among uv-managed ones;
# a missing one is installed with apt (root, when the distribution has it) or else with uv
# (installed from locks/tools.txt into ~/.cache/edge-infer/uv). Every venv is installed from its
# hashed lock (locks/*.txt, scripts/lock.py; `make lock` regenerates them) with --require-hashes
# --no-deps, then checked against it (lock.py verify-venv). Idempotent: each venv is skipped when
# its stamp (the lock, this script, the project's pyproject.toml files) matches.
# torch in .venv: the CPU build (locks/dev-cpu.txt) unless nvidia-smi lists a GPU (dev-cuda.txt);
# EDGE_TORCH=cpu|cuda decides, EDGE_TORCH_INDEX names a mirror of PyTorch's CPU index.
# Knobs (mostly for tests): EDGE_SETUP_PY_DIRS (system dirs searched, default "/usr/local/bin
# /usr/bin"), EDGE_SETUP_NO_APT=1, EDGE_SETUP_NO_UV=1, EDGE_SETUP_UV_HOME (uv's private venv).
set -euo pipefail
cd "$(dirname "$0")/.."

LAB_APT_PACKAGES=(systemd-container debootstrap iproute2 openssh-client rsync curl ca-certificates jq)
PY_DIRS=${EDGE_SETUP_PY_DIRS:-/usr/local/bin /usr/bin}
UV_HOME=${EDGE_SETUP_UV_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/edge-infer/uv}
UV_PY_DIR=${UV_PYTHON_INSTALL_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/uv/python}

die() { echo "setup: $*" >&2; exit 1; }
warn() { echo "setup: WARNING: $*" >&2; }
is_root() { [ "$(id -u)" -eq 0 ]; }

usable_python() {  # usable_python PATH 3.12 -> true if it runs, is 3.12 and can make a venv with pip
  "$1" -c "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != tuple(map(int, '$2'.split('.'))))" \
    >/dev/null 2>&1
}

find_python() {  # find_python 3.12 -> path of a usable interpreter of that minor version
  local v=$1 c p
  local -a cands=("python$v")
  # pyenv shims exist for every installed version but fail unless selected: each is run to be sure
  cands+=("${PYENV_ROOT:-$HOME/.pyenv}/versions/$v"*/bin/"python$v")
  for p in $PY_DIRS; do cands+=("$p/python$v"); done
  cands+=("$UV_PY_DIR/cpython-$v".*-linux-*/bin/"python$v")
  for c in "${cands[@]}"; do
    p=$(command -v "$c" 2>/dev/null) || continue
    if usable_python "$p" "$v"; then echo "$p"; return 0; fi
  done
  return 1
}

any_python() {  # any usable python3 (3.8+) to bootstrap uv from
  local v p
  for v in 3.13 3.12 3.11 3.10 3.9 3.8; do p=$(find_python "$v") && { echo "$p"; return 0; }; done
  return 1
}

apt_install() {  # apt_install PKG... (root only; quiet)
  echo "setup: apt-get install $*" >&2
  [ -n "${APT_UPDATED:-}" ] || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

apt_has() {  # apt_has PKG -> the distribution offers it (after an update if needed)
  command -v apt-cache >/dev/null 2>&1 || return 1
  local cand
  cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$cand" ] && [ -z "${APT_UPDATED:-}" ] && is_root; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; APT_UPDATED=1
    cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  fi
  [ -n "$cand" ] && [ "$cand" != "(none)" ]
}

try_apt_python() {  # try_apt_python 3.11 -> installs python3.11 + venv from apt when root and offered
  [ -z "${EDGE_SETUP_NO_APT:-}" ] && is_root || return 1
  apt_has "python$1-venv" || return 1
  apt_install "python$1" "python$1-venv" || return 1
}

uv_bin() {  # uv from PyPI in a private venv (Debian's own pip is externally managed)
  if [ -x "$UV_HOME/bin/uv" ]; then echo "$UV_HOME/bin/uv"; return 0; fi
  local boot
  boot=$(any_python) || { try_apt_python 3 && boot=$(any_python); } || return 1
  echo "setup: installing uv from PyPI into $UV_HOME (with $boot)" >&2
  rm -rf "$UV_HOME"
  if ! { "$boot" -m venv "$UV_HOME" \
    && pip_quiet "$UV_HOME/bin/python" -m pip install -q --require-hashes --no-deps -r locks/tools.txt; } >&2; then
    rm -rf "$UV_HOME"; return 1
  fi
  echo "$UV_HOME/bin/uv"
}

try_uv_python() {  # try_uv_python 3.12 -> uv python install 3.12 (python-build-standalone)
  [ -z "${EDGE_SETUP_NO_UV:-}" ] || return 1
  local uv
  uv=$(uv_bin) || { warn "could not install uv (no Python with venv support to bootstrap it)"; return 1; }
  echo "setup: $uv python install $1" >&2
  UV_PYTHON_INSTALL_DIR=$UV_PY_DIR "$uv" python install --no-bin "$1" >&2 \
    || { warn "uv python install $1 failed (it downloads from github.com, or UV_PYTHON_INSTALL_MIRROR)"; return 1; }
}

need_python() {  # need_python 3.12 [acceptable other versions...] -> path, installing if needed
  local v=$1 alt p; shift
  p=$(find_python "$v") && { echo "$p"; return 0; }
  for alt in "$@"; do p=$(find_python "$alt") && { echo "$p"; return 0; }; done
  { try_apt_python "$v" >&2 || try_uv_python "$v"; } && p=$(find_python "$v") && { echo "$p"; return 0; }
  return 1
}

no_python_help() {  # the fix, named
  local v=$1
  echo "Python $v not found (tried python$v on PATH, pyenv, $PY_DIRS, uv-managed in $UV_PY_DIR) and could not be installed. Fix, one of:
  - as root: apt-get install -y python$v python$v-venv   (Debian 12 has 3.11, Ubuntu 24.04 has 3.12)
  - without root: uv python install $v   (the set-up installs uv itself into $UV_HOME when some python3 with venv is there; else get uv: https://docs.astral.sh/uv/getting-started/installation/; it downloads from github.com, or set UV_PYTHON_INSTALL_MIRROR)
  - pyenv install $v
then run the set-up again."
}

pip_quiet() {  # pip, without the noise of find-links folders that are absent on this machine
  "$@" 2> >(grep -v -e "is ignored: it is neither a file nor a directory" -e "BuildBackendWarning" >&2)
}

PROJECT_PKGS=(artifact daemon models compiler telemetry)
TORCH_INDEX=${EDGE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}

inputs_hash() {  # inputs_hash LOCK -> what the venv's stamp records: the lock, the project's metadata
  local p f=("$1" scripts/setup.sh)
  for p in "${PROJECT_PKGS[@]}"; do [ ! -f "$p/pyproject.toml" ] || f+=("$p/pyproject.toml"); done
  cat "${f[@]}" | sha256sum | cut -c1-16
}

py_minor() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

torch_variant() {  # cpu | cuda: EDGE_TORCH, else cuda where nvidia-smi lists a GPU
  case "${EDGE_TORCH:-auto}" in
    cpu | cuda) echo "$EDGE_TORCH" ;;
    auto) if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
            echo cuda; else echo cpu; fi ;;
    *) die "EDGE_TORCH=$EDGE_TORCH: want cpu, cuda or auto" ;;
  esac
}

split_lock() {  # split_lock LOCK NAME OUT_REST OUT_ONE: NAME's entry apart from the others
  awk -v n="$2" -v rest="$3" -v one="$4" '
    /^#/ { next }
    /^[A-Za-z0-9]/ { cur = (tolower($0) ~ "^" n "==") }
    { print > (cur ? one : rest) }' "$1"
  touch "$3" "$4"
}

install_lock() {  # install_lock PYTHON LOCK: the lock's versions exactly, every file's sha256 checked
  local py=$1 lock=$2 tmp
  tmp=$(mktemp -d)
  split_lock "$lock" torch "$tmp/rest.txt" "$tmp/torch.txt"
  pip_quiet "$py" -m pip install -q --require-hashes --no-deps -r "$tmp/rest.txt" \
    || { rm -rf "$tmp"; die "pip could not install $lock (above). Behind a mirror: PIP_INDEX_URL=<mirror of PyPI> (docs/setup.md)"; }
  if grep -q '^torch==.*+cpu' "$tmp/torch.txt"; then
    # PyTorch publishes its CPU build on its own index, not on PyPI: the configured sources first
    # (a wheel folder or mirror may have it), then that index (EDGE_TORCH_INDEX to use a mirror)
    if ! "$py" -m pip install -q --require-hashes --no-deps -r "$tmp/torch.txt" >/dev/null 2>"$tmp/err"; then
      echo "setup: torch's CPU build is not in pip's configured sources; from $TORCH_INDEX" >&2
      pip_quiet "$py" -m pip install -q --require-hashes --no-deps --index-url "$TORCH_INDEX" -r "$tmp/torch.txt" \
        || { cat "$tmp/err" >&2; rm -rf "$tmp"; die "could not install torch's CPU build from $TORCH_INDEX (set EDGE_TORCH_INDEX to a mirror of it, docs/setup.md)"; }
    fi
  elif [ -s "$tmp/torch.txt" ]; then
    pip_quiet "$py" -m pip install -q --require-hashes --no-deps -r "$tmp/torch.txt" || { rm -rf "$tmp"; die "pip could not install torch from $lock"; }
  fi
  rm -rf "$tmp"
}

venv_setup() {  # venv_setup DIR PYTHON LOCK [editable packages...]
  local dir=$1 py=$2 lock=$3 want have; shift 3
  want=$(py_minor "$py")
  if [ -x "$dir/bin/python" ] && have=$(py_minor "$dir/bin/python" 2>/dev/null) && [ "$have" != "$want" ]; then
    echo "setup: $dir was made by Python $have, not $want: rebuilding it"
    rm -rf "$dir"
  elif [ -e "$dir" ] && ! [ -x "$dir/bin/python" ]; then
    echo "setup: $dir is not a working virtualenv: rebuilding it"; rm -rf "$dir"
  fi
  echo "setup: $dir (Python $("$py" -c 'import platform; print(platform.python_version())') from $py, $lock)"
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
  install_lock "$dir/bin/python" "$lock"
  if [ $# -gt 0 ]; then  # the project's own packages, editable, their dependencies already locked
    local a=() p; for p in "$@"; do a+=(-e "./$p"); done
    pip_quiet "$dir/bin/python" -m pip install -q --no-deps --no-build-isolation "${a[@]}" >/dev/null
  fi
  "$dir/bin/python" scripts/lock.py verify-venv "$dir/bin/python" "$lock" --allow locks/bench.txt \
    || die "$dir does not match $lock (above); remove $dir and run the set-up again"
  inputs_hash "$lock" >"$dir/.setup-stamp"
}

up_to_date() {  # up_to_date DIR LOCK
  [ -f "$1/.setup-stamp" ] && [ -x "$1/bin/python" ] && [ "$(cat "$1/.setup-stamp")" = "$(inputs_hash "$2")" ]
}

dev_lock() {
  local v; v=$(torch_variant)
  echo "locks/dev-$v.txt"
}

setup_dev() {  # .venv: Python 3.11 (the Pi's; the dev lock is resolved for cp311)
  local lock py v
  lock=$(dev_lock); v=$(torch_variant)
  up_to_date .venv "$lock" && return 0
  if [ "$v" = cpu ]; then
    echo "setup: torch: the CPU build ($lock; no NVIDIA GPU seen by nvidia-smi; EDGE_TORCH=cuda takes PyPI's CUDA build)"
  else
    echo "setup: torch: PyPI's CUDA build ($lock; nvidia-smi lists a GPU; EDGE_TORCH=cpu takes the CPU build)"
  fi
  py=$(need_python 3.11) || die "$(no_python_help 3.11)
(3.10 or 3.12 will not do: $lock is resolved for Python 3.11, the Pi's; onnxruntime 1.32.0 and matplotlib 3.11.2 have no cp310 wheels)"
  venv_setup .venv "$py" "$lock" "${PROJECT_PKGS[@]}"
}

setup_ctl() {  # .venv-ctl: 3.12 (ansible-core 2.21 wants >= 3.12 on the controller; 3.13 will do)
  up_to_date .venv-ctl locks/ctl.txt && return 0
  local py
  py=$(need_python 3.12 3.13) || die "$(no_python_help 3.12)"
  venv_setup .venv-ctl "$py" locks/ctl.txt
}

lab_needs_qemu() {  # LAB_HOSTS names an arm64 host ("name:group:arm64") and this machine is not one
  [[ " ${LAB_HOSTS:-} " =~ :arm64[[:space:]] ]] && [ "$(uname -m)" != aarch64 ]
}

setup_lab_apt() {
  local missing=() p pkgs=("${LAB_APT_PACKAGES[@]}")
  # qemu-user-static: runs an arm64 lab host's userland (lab/binfmt.py registers its handler)
  if lab_needs_qemu; then pkgs+=(qemu-user-static); fi
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "missing Debian packages for the lab (${missing[*]}); run as root or: sudo apt-get install -y ${missing[*]}"
  apt_install "${missing[@]}"
}

case "${1:-lab}" in
  dev) setup_dev ;;
  ctl) setup_ctl ;;
  uv) uv_bin || die "could not install uv from locks/tools.txt (no Python with venv support?)"; exit 0 ;;
  lab | all) setup_lab_apt; setup_dev; setup_ctl ;;
  find-python) find_python "${2:?find-python VERSION}" || die "$(no_python_help "$2")"; exit 0 ;;
  python) need_python "${2:?python VERSION}" || die "$(no_python_help "$2")"; exit 0 ;;
  *) die "usage: setup.sh [dev|ctl|lab|uv|find-python VERSION|python VERSION]" ;;
esac
echo "setup: ok (${1:-lab})"
