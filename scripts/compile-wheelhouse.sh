#!/usr/bin/env bash
# Builds, ON THE CONTROLLER, the wheelhouse the hailo_compiler role installs the GPU server's
# toolchain venv from (`make compile-wheelhouse`; docs/compile.md):
#   COMPILE_WHEELHOUSE=wheelhouse/compiler  DFC_WHEEL=<licensed DFC wheel, optional>
#   COMPILE_PYTHON_VERSION=<the server's Python, 3.10-3.12 (3.10 takes the older onnxruntime and
#   matplotlib the requirements' markers pick); empty: this machine's>
#   COMPILE_RESOLVE_ONLY=1: print the packages the toolchain's lock pins for that Python (no
#   network, nothing written to $COMPILE_WHEELHOUSE)
# The toolchain is locks/compile-cp3XX.txt for the server's Python (scripts/lock.py; hashes checked
# by pip --require-hashes). The licensed DFC wheel is not on PyPI, so no lock can hold it: with
# DFC_WHEEL its own dependencies are downloaded constrained to the lock's versions, without hashes.
# Output: $COMPILE_WHEELHOUSE/toolchain.tar (torch CPU, onnx, ... every dependency, one file
# the role copies and checksums), project/ (the project's wheels, reinstalled when they change)
# and .stamp (a hash of every input: an unchanged stamp rebuilds nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
OUT=${COMPILE_WHEELHOUSE:-$ROOT/wheelhouse/compiler}
DFC_WHEEL=${DFC_WHEEL:-}
PYVER=${COMPILE_PYTHON_VERSION:-}
RESOLVE_ONLY=${COMPILE_RESOLVE_ONLY:-}
REQS=roles/hailo_compiler/files/toolchain-requirements.txt
PACKAGES=(artifact models compiler)  # the daemon is not installed on the GPU server
die() { echo "compile-wheelhouse: $*" >&2; exit 1; }
[ -x "$PY" ] || die "$PY not found; run make setup first"

pyname=${PYVER:-$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
LOCK=locks/compile-cp${pyname/./}.txt
[ -f "$LOCK" ] || die "no toolchain lock for Python $pyname ($LOCK): the GPU server needs 3.10, 3.11 \
or 3.12 (COMPILE_PYTHON_VERSION), or add its Python to scripts/lock.py's ENVS and run make lock"
if [ -n "$RESOLVE_ONLY" ]; then
  "$PY" - "$LOCK" "$pyname" <<'PYEOF'
import re, sys
got = sorted(m.group(1) + "==" + m.group(2) for m in re.finditer(r"^([A-Za-z0-9][\w.-]*)==(\S+)", open(sys.argv[1]).read(), re.M))
print(f"compile-wheelhouse: Python {sys.argv[2]} ({sys.argv[1]}) resolves {len(got)} packages:", " ".join(got))
PYEOF
  exit 0
fi
want=$( { cat "$LOCK"; echo "$DFC_WHEEL $PYVER"
  find artifact/edge_artifact models/edge_models compiler/edge_compiler models/*.yaml \
    -name '*.py' -o -name '*.yaml' | LC_ALL=C sort | xargs cat
  cat artifact/pyproject.toml models/pyproject.toml compiler/pyproject.toml; } | sha256sum | cut -c1-16)
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$want" ]; then
  echo "compile-wheelhouse: $OUT is up to date"; exit 0; fi
echo "compile-wheelhouse: building $OUT (Python $pyname, $LOCK)"
build=$(mktemp -d); trap 'rm -rf "$build"' EXIT
# shellcheck source=scripts/project-wheels.sh
. scripts/project-wheels.sh
for pkg in "${PACKAGES[@]}"; do project_wheel "$build/project" "$pkg"; done
# the GPU server's Python differs from this one: binary wheels for its version, every manylinux
# tag an x86_64 Ubuntu 22.04/24.04 (glibc 2.35/2.39) accepts
plat=(); if [ -n "$PYVER" ]; then
  mapfile -t plat < <(manylinux_platforms x86_64 "${COMPILE_GLIBC_MAX:-35}")
  plat+=(--python-version "$PYVER" --implementation cp --only-binary=:all:); fi
quiet_pip() { PIP_CONSTRAINT='' "$PY" -m pip "$@" 2> >(grep -v -e "is ignored: it is neither a file nor a directory" >&2); }
rm -rf "$OUT/toolchain"; mkdir -p "$OUT/toolchain"
quiet_pip download -q "${plat[@]}" --no-deps --require-hashes -r "$LOCK" -d "$OUT/toolchain" \
  || die "pip could not download $LOCK for Python $pyname (above; a hash mismatch means the lock and the index disagree: make lock)"
if [ -n "$DFC_WHEEL" ]; then  # the DFC's own dependencies, at the lock's versions where it has them
  sed -n 's/^\([A-Za-z0-9][A-Za-z0-9_.-]*==[^ ;\\]*\).*/\1/p' "$LOCK" >"$build/lock-versions.txt"
  quiet_pip download -q "${plat[@]}" -c "$build/lock-versions.txt" -d "$OUT/toolchain" "$DFC_WHEEL" \
    || die "pip could not download the DFC wheel's dependencies ($DFC_WHEEL) against $LOCK"
  rm -f "$OUT/toolchain/$(basename "$DFC_WHEEL")"
fi
# the project's own wheels live apart (the role reinstalls them when they change)
rm -rf "$OUT/project"; cp -r "$build/project" "$OUT/project"
# one deterministic tar: the role copies (and checksums) one file instead of ~40
tar -C "$OUT" --sort=name --mtime=@315532800 --owner=0 --group=0 \
  --numeric-owner -cf "$OUT/toolchain.tar" toolchain
echo "$want" >"$OUT/.stamp"
echo "compile-wheelhouse: $(ls "$OUT/toolchain" | wc -l) toolchain wheels, $(ls "$OUT/project" | wc -l) project wheels ($(du -sh "$OUT" | cut -f1))"
