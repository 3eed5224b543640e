#!/usr/bin/env bash
# Builds, ON THE CONTROLLER, the wheelhouse the hailo_compiler role installs the GPU server's
# toolchain venv from (`make compile-wheelhouse`; docs/compile.md):
#   COMPILE_WHEELHOUSE=wheelhouse/compiler  DFC_WHEEL=<licensed DFC wheel, optional>
#   COMPILE_PYTHON_VERSION=<the server's Python, 3.11 or 3.12 (the pinned onnxruntime has no 3.10
#   wheel); empty: this machine's>
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
REQS=roles/hailo_compiler/files/toolchain-requirements.txt
PACKAGES=(artifact models compiler daemon)
die() { echo "compile-wheelhouse: $*" >&2; exit 1; }
[ -x "$PY" ] || die "$PY not found; run make setup first"

want=$( { cat "$REQS" requirements.txt; echo "$DFC_WHEEL $PYVER"
  find artifact/edge_artifact models/edge_models compiler/edge_compiler daemon/hailo_inference models/*.yaml \
    -name '*.py' -o -name '*.yaml' | LC_ALL=C sort | xargs cat
  cat artifact/pyproject.toml models/pyproject.toml compiler/pyproject.toml daemon/pyproject.toml; } | sha256sum | cut -c1-16)
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$want" ]; then
  echo "compile-wheelhouse: $OUT is up to date"; exit 0; fi
echo "compile-wheelhouse: building $OUT"
build=$(mktemp -d); trap 'rm -rf "$build"' EXIT
# shellcheck source=scripts/project-wheels.sh
. scripts/project-wheels.sh
for pkg in "${PACKAGES[@]}"; do project_wheel "$build/project" "$pkg"; done
mkdir -p "$OUT/toolchain"
grep -v '^-e' requirements.txt >"$build/constraints.txt"
# the GPU server's Python differs from this one: binary wheels for its version, every manylinux
# tag an x86_64 Ubuntu 22.04/24.04 (glibc 2.35/2.39) accepts
plat=(); if [ -n "$PYVER" ]; then
  mapfile -t plat < <(manylinux_platforms x86_64 "${COMPILE_GLIBC_MAX:-35}")
  plat+=(--python-version "$PYVER" --implementation cp --only-binary=:all:); fi
dfc=(); if [ -n "$DFC_WHEEL" ]; then dfc=("$DFC_WHEEL"); fi
"$PY" -m pip download -q "${plat[@]}" -d "$OUT/toolchain" \
  --find-links "$build/project" -c "$build/constraints.txt" \
  -r "$REQS" pip setuptools wheel "$build"/project/*.whl "${dfc[@]}" \
  2> >(grep -v -e "is ignored: it is neither a file nor a directory" >&2) \
  || die "pip could not resolve the toolchain for Python ${PYVER:-$("$PY" -c 'import sys; print(sys.version[:4])')} \
(above: the pin without a matching wheel). The pinned onnxruntime needs Python >= 3.11 on the GPU \
server: Ubuntu 24.04's python3 (3.12), or python3.11/3.12 on 22.04; set COMPILE_PYTHON_VERSION to it."
# the project's own wheels live apart (the role reinstalls them when they change)
rm -f "$OUT"/toolchain/{edge_artifact,edge_models,edge_compiler,hailo_inference}-*.whl
if [ -n "$DFC_WHEEL" ]; then rm -f "$OUT/toolchain/$(basename "$DFC_WHEEL")"; fi
rm -rf "$OUT/project"; cp -r "$build/project" "$OUT/project"
# one deterministic tar: the role copies (and checksums) one file instead of ~40
tar -C "$OUT" --sort=name --mtime=@315532800 --owner=0 --group=0 \
  --numeric-owner -cf "$OUT/toolchain.tar" toolchain
echo "$want" >"$OUT/.stamp"
echo "compile-wheelhouse: $(ls "$OUT/toolchain" | wc -l) toolchain wheels, $(ls "$OUT/project" | wc -l) project wheels ($(du -sh "$OUT" | cut -f1))"
