#!/usr/bin/env bash
# Proves the set-up on a fresh Debian 12 with nothing but what debootstrap's minbase gives (no
# python3, no pyenv): docs/setup.md has the results. Root only; needs debootstrap and network
# (Debian's mirror, PyPI); ~10 min. NOT part of `make test`.
#   1. debootstrap --variant=minbase bookworm (cached in $PROOF_DIR/base), copied to a fresh root
#   2. as a non-root user, before anything is installed: `setup.sh dev` must fail naming the fix
#   3. as root, `make setup` in a copy of this work tree: apt (lab packages, python3.11-venv),
#      .venv (3.11 from apt), .venv-ctl (3.12 from `uv python install`, uv from PyPI); then
#      torch, onnxruntime, hailo_inference import in .venv and `ansible --version` runs in .venv-ctl
#   4. as the non-root user in their own copy: `make model`, `make serve`, GET /healthz
# What is made to look like this machine inside the chroot (and why):
#   - /opt/wheels, /opt/pypi, /opt/pypi-more bound read-only, and one /etc/pip.conf with this
#     machine's find-links, extra index, constraints and CA bundle: pip then takes the same CPU
#     torch wheel as here instead of a multi-GB CUDA build;
#   - github.com is unreachable here, so `uv python install 3.12` cannot reach python-build-
#     standalone: PROOF_UV_MIRROR=pyenv (default) builds a relocatable CPython 3.12 tarball from
#     this machine's pyenv 3.12 (patchelf RUNPATH=$ORIGIN/../lib) and points uv at it with
#     UV_PYTHON_DOWNLOADS_JSON_URL. On a machine that reaches github.com, PROOF_UV_MIRROR=none.
# PROOF_KEEP=1 keeps the fresh root afterwards (it is removed otherwise; the base stays cached).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
WORK=${PROOF_DIR:-/var/tmp/edge-setup-proof}
BASE=$WORK/base
R=$WORK/root
UV_MIRROR=${PROOF_UV_MIRROR:-pyenv}
shopt -s nullglob; pyenv312=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*); shopt -u nullglob
PYENV_312=${PROOF_PYENV_312:-${pyenv312[-1]:-}}
[ "$(id -u)" -eq 0 ] || { echo "prove: run as root" >&2; exit 1; }
t0=$(date +%s)
mark() { echo "prove: [$(($(date +%s) - t0)) s] $*"; }

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  if [ -z "${PROOF_KEEP:-}" ] && [ -d "$R" ]; then rm -rf --one-file-system "$R"; fi
}
trap cleanup EXIT
bind() {  # bind SRC DEST_IN_ROOT [ro]
  mkdir -p "$R$2"; mount --bind "$1" "$R$2"; mounts+=("$R$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$R$2"; fi
}

if [ ! -x "$BASE/usr/bin/apt-get" ]; then
  mark "debootstrap --variant=minbase bookworm $BASE"
  rm -rf "$BASE"; debootstrap --variant=minbase bookworm "$BASE" http://deb.debian.org/debian >"$WORK/debootstrap.log"
fi
rm -rf --one-file-system "$R"; cp -a "$BASE" "$R"
mark "fresh root $R: python3 $( [ -e "$R/usr/bin/python3" ] && echo present || echo absent), pyenv absent"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"; chmod +x "$R/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/etc/xdg"
# this machine's CA bundle, apart: installing ca-certificates in the root rewrites the usual path
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/proof-ca.crt"
[ -d /etc/xdg/pip ] && cp -r /etc/xdg/pip "$R/etc/xdg/pip"
{
  echo "[global]"
  echo "cert = /etc/proof-ca.crt"
  [ -f /etc/xdg/pip/constraints.txt ] && echo "constraint = /etc/xdg/pip/constraints.txt"
  [ -d /opt/wheels ] && echo "find-links = /opt/wheels"
  [ -d /opt/pypi ] && echo "extra-index-url = file:///opt/pypi/simple file:///opt/pypi-more/simple"
} >"$R/etc/pip.conf"
chroot "$R" useradd -m -s /bin/bash newcomer
bind /proc /proc; bind /sys /sys; bind /dev /dev; bind /dev/pts /dev/pts
for d in /opt/wheels /opt/pypi /opt/pypi-more; do [ -d "$d" ] && bind "$d" "$d" ro; done

copy_tree() {  # copy_tree DEST: the work tree as a clone would have it (tracked + untracked files)
  mkdir -p "$R$1"
  git -C "$SRC" ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- "$SRC/" "$R$1/"
}
copy_tree /srv/edge
copy_tree /home/newcomer/edge
chroot "$R" chown -R newcomer: /home/newcomer/edge

uv_env=()
if [ "$UV_MIRROR" = pyenv ]; then
  [ -x "$PYENV_312/bin/python3.12" ] || { echo "prove: no pyenv 3.12 to mirror (PROOF_UV_MIRROR=none)" >&2; exit 1; }
  ver=$(basename "$PYENV_312"); m=$WORK/mirror; name=cpython-$ver-linux-x86_64-gnu
  if [ ! -f "$m/$name.tar.gz" ]; then
    mark "local uv mirror: relocatable CPython $ver from $PYENV_312"
    rm -rf "$m"; mkdir -p "$m/stage"
    rsync -a --exclude 'lib/python3.12/test' --exclude __pycache__ --exclude 'lib/python3.12/site-packages/*' \
      --exclude '*.a' "$PYENV_312/" "$m/stage/python/"
    patchelf --set-rpath "\$ORIGIN/../lib" "$m/stage/python/bin/python3.12"
    tar -C "$m/stage" -czf "$m/$name.tar.gz" python; rm -rf "$m/stage"
  fi
  sha=$(sha256sum "$m/$name.tar.gz" | cut -d' ' -f1)
  IFS=. read -r _ _ patch <<<"$ver"
  printf '{"%s": {"name": "cpython", "arch": {"family": "x86_64", "variant": null}, "os": "linux", "libc": "gnu", "major": 3, "minor": 12, "patch": %s, "prerelease": "", "url": "file:///mirror/%s.tar.gz", "sha256": "%s", "variant": null, "build": "local"}}\n' \
    "$name" "$patch" "$name" "$sha" >"$m/downloads.json"
  bind "$m" /mirror ro
  uv_env=(UV_PYTHON_DOWNLOADS_JSON_URL=file:///mirror/downloads.json)
fi

in_root() {  # in_root USER DIR CMD...: a login-like clean environment, no pyenv, no host variables
  local user=$1 dir=$2 home=/root; shift 2
  [ "$user" = root ] || home=/home/$user
  chroot --userspec="$user:$user" "$R" /usr/bin/env -i HOME="$home" USER="$user" TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SSL_CERT_FILE=/etc/proof-ca.crt \
    "${uv_env[@]}" /bin/bash -c "cd $dir || exit 1; $*"
}

mark "2. newcomer, nothing installed: setup.sh dev must fail and name the fix"
if in_root newcomer /home/newcomer/edge "bash scripts/setup.sh dev" 2>"$WORK/nonroot-bare.err"; then
  echo "prove: FAIL: setup.sh dev succeeded with no Python at all" >&2; exit 1
fi
sed 's/^/    /' "$WORK/nonroot-bare.err"
grep -q "apt-get install -y python3.11 python3.11-venv" "$WORK/nonroot-bare.err"

mark "3. root: apt-get install make (the README's prerequisite), then make setup"
in_root root / "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make >/dev/null"
t=$(date +%s)
in_root root /srv/edge "make --no-print-directory setup"
mark "make setup: $(($(date +%s) - t)) s"
in_root root /srv/edge ".venv/bin/python -c 'import sys, torch, onnxruntime, hailo_inference; print(\"  .venv\", sys.version.split()[0], \"torch\", torch.__version__, \"onnxruntime\", onnxruntime.__version__)'"
in_root root /srv/edge ".venv-ctl/bin/python -c 'import sys; print(\"  .venv-ctl\", sys.executable, sys.version.split()[0])' && .venv-ctl/bin/ansible --version | head -1"
t=$(date +%s)
in_root root /srv/edge "make --no-print-directory setup"
mark "make setup again (stamps): $(($(date +%s) - t)) s"

mark "4. newcomer (no root, own copy): make model, make serve, GET /healthz"
t=$(date +%s)
in_root newcomer /home/newcomer/edge "make --no-print-directory model 2>&1 | tail -3"
mark "make model (incl. setup-dev's .venv): $(($(date +%s) - t)) s"
in_root newcomer /home/newcomer/edge "setsid make --no-print-directory serve >/tmp/serve.log 2>&1 & pid=\$!
  for i in \$(seq 120); do
    if .venv/bin/python -c 'import urllib.request as u; print(\"  /healthz:\", u.urlopen(\"http://127.0.0.1:9000/healthz\", timeout=2).read().decode()[:200])' 2>/dev/null; then ok=1; break; fi
    sleep 1
  done
  kill -- -\$pid 2>/dev/null || true; wait \$pid 2>/dev/null || true
  [ -n \"\${ok:-}\" ] || { cat /tmp/serve.log; exit 1; }"
mark "PASS: fresh Debian 12 minbase -> .venv, .venv-ctl as root; make model + make serve without root"
