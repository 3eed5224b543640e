#!/usr/bin/env bash
# Builds, ON THE CONTROLLER, the wheelhouse the hailo_inference role installs the daemon from, so
# that edge hosts never need a package registry:
#   scripts/wheelhouse.sh [TARGET...]      TARGET = <arch>-cp<XY>, e.g. x86_64-cp311 aarch64-cp311
# Output: wheelhouse/<TARGET>/ with the daemon, edge-artifact and edge-telemetry wheels, every
# dependency as a binary wheel for that platform and Python, exactly as locks/edge-<TARGET>.txt
# pins it (versions constrained to the dev lock the tests ran; every file's sha256 checked by pip
# --require-hashes), pip's own wheel (to bootstrap a venv made with --without-pip), REQUIREMENTS
# (what the role installs), SHA256SUMS and DAEMON_VERSION.
# Needs only a Python with pip and setuptools (default: the controller's .venv-ctl; PY=...).
# Raspberry Pi OS bookworm (Pi 5) is aarch64-cp311, trixie aarch64-cp313 (numpy 2); the lab fleet
# is x86_64-cp311 (an x86_64 trixie host: x86_64-cp313).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv-ctl/bin/python}
OUT=${WHEELHOUSE_DIR:-$ROOT/wheelhouse}
GLIBC_MAX=${WHEELHOUSE_GLIBC_MAX:-36}   # bookworm ships glibc 2.36
[ $# -gt 0 ] || set -- x86_64-cp311
die() { echo "wheelhouse: $*" >&2; exit 1; }
[ -x "$PY" ] || die "$PY not found; run make setup-ctl first"

build=$(mktemp -d); trap 'rm -rf "$build"' EXIT
# shellcheck source=scripts/project-wheels.sh
. scripts/project-wheels.sh  # reproducible wheels: same source, same sha256, same release
# The daemon wheel (pure Python) and the pins of everything the tested .venv runs.
project_wheel "$build/daemon" daemon
daemon_whl=$(ls "$build"/daemon/hailo_inference-*.whl) || die "daemon wheel was not built"
daemon_ver=$(basename "$daemon_whl" | cut -d- -f2)
# edge-artifact (the artifact contract the daemon reads and the health gate checks with)
project_wheel "$build/daemon" artifact
art_whl=$(ls "$build"/daemon/edge_artifact-*.whl) || die "edge-artifact wheel was not built"
wheels=("$daemon_whl" "$art_whl")
echo "hailo-inference==$daemon_ver" >"$build/REQUIREMENTS"
echo "edge-artifact==$(basename "$art_whl" | cut -d- -f2)" >>"$build/REQUIREMENTS"
# edge-telemetry (optional in the daemon: telemetry.enabled) goes into the same venv when present
if [ -f telemetry/pyproject.toml ]; then
  project_wheel "$build/daemon" telemetry
  tel_whl=$(ls "$build"/daemon/edge_telemetry-*.whl) || die "edge-telemetry wheel was not built"
  wheels+=("$tel_whl")
  echo "edge-telemetry==$(basename "$tel_whl" | cut -d- -f2)" >>"$build/REQUIREMENTS"
fi

for target in "$@"; do
  [[ $target =~ ^(x86_64|aarch64)-cp3([0-9]+)$ ]] || die "bad target $target (want <arch>-cp3XY with a lock, e.g. aarch64-cp311, aarch64-cp313)"
  arch=${BASH_REMATCH[1]}; minor=${BASH_REMATCH[2]}
  dest=$OUT/$target
  lock=locks/edge-$target.txt
  [ -f "$lock" ] || die "no lock for $target ($lock): add the target to scripts/lock.py's ENVS and run make lock"
  stamp_in=$( (sha256sum "${wheels[@]}" | cut -c1-64; cat "$lock"; echo "$GLIBC_MAX") | sha256sum | cut -c1-64)
  # One build of a target at a time (scripts/rollout.py's slices share one pinned wheelhouse):
  # a second waits here, then finds it up to date.
  mkdir -p "$OUT"; exec 9>"$OUT/.$target.lock"; flock 9
  if [ -f "$dest/.inputs" ] && [ "$(cat "$dest/.inputs")" = "$stamp_in" ] && [ -f "$dest/SHA256SUMS" ]; then
    echo "wheelhouse: $target up to date ($dest)"; continue
  fi
  mapfile -t plats < <(manylinux_platforms "$arch" "$GLIBC_MAX")
  tmp=$dest.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
  cp "${wheels[@]}" "$build/REQUIREMENTS" "$tmp/"
  echo "wheelhouse: $target: downloading binary wheels for hailo-inference $daemon_ver (cp3$minor, $arch, $lock)"
  PIP_CONSTRAINT='' "$PY" -m pip download -q --only-binary=:all: "${plats[@]}" --python-version "3.$minor" \
    --implementation cp --abi "cp3$minor" --no-deps --require-hashes -r "$lock" -d "$tmp" \
    2> >(grep -v -e "is ignored: it is neither" >&2) \
    || die "pip download failed for $target (is PyPI reachable? a hash mismatch means $lock and PyPI disagree: make lock)"
  (cd "$tmp" && sha256sum -- *.whl >SHA256SUMS)
  echo "$daemon_ver" >"$tmp/DAEMON_VERSION"
  echo "$stamp_in" >"$tmp/.inputs"
  rm -rf "$dest"; mv "$tmp" "$dest"
  echo "wheelhouse: $target: $(ls "$dest"/*.whl | wc -l) wheels, $(du -sh "$dest" | cut -f1) in $dest"
  exec 9>&-
done
