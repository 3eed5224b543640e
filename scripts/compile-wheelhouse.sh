#!/usr/bin/env bash
# Builds, ON THE CONTROLLER, the wheelhouse the hailo_compiler role installs the GPU server's
# toolchain venv from (`make compile-wheelhouse`; docs/compile.md):
#   COMPILE_WHEELHOUSE=wheelhouse/compiler  DFC_WHEEL=<licensed DFC wheel, optional>
#   COMPILE_PYTHON_VERSION=<the server's Python, 3.10-3.12 (3.10 takes the older onnxruntime and
#   matplotlib the requirements' markers pick); empty: this machine's>
#   COMPILE_RESOLVE_ONLY=1: resolve the toolchain (pip install --dry-run, metadata only, nothing
#   written to $COMPILE_WHEELHOUSE) and print the packages it would download
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
PACKAGES=(artifact models compiler daemon)
die() { echo "compile-wheelhouse: $*" >&2; exit 1; }
[ -x "$PY" ] || die "$PY not found; run make setup first"

want=$( { cat "$REQS" requirements.txt; echo "$DFC_WHEEL $PYVER"
  find artifact/edge_artifact models/edge_models compiler/edge_compiler daemon/hailo_inference models/*.yaml \
    -name '*.py' -o -name '*.yaml' | LC_ALL=C sort | xargs cat
  cat artifact/pyproject.toml models/pyproject.toml compiler/pyproject.toml daemon/pyproject.toml; } | sha256sum | cut -c1-16)
if [ -z "$RESOLVE_ONLY" ] && [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$want" ]; then
  echo "compile-wheelhouse: $OUT is up to date"; exit 0; fi
[ -n "$RESOLVE_ONLY" ] || echo "compile-wheelhouse: building $OUT"
build=$(mktemp -d); trap 'rm -rf "$build"' EXIT
# shellcheck source=scripts/project-wheels.sh
. scripts/project-wheels.sh
for pkg in "${PACKAGES[@]}"; do project_wheel "$build/project" "$pkg"; done
# requirements.txt pins the 3.11 dev environment; the toolchain file decides what it pins itself
# (its markers pick other versions for 3.10), requirements.txt constrains everything else
own=$(sed -n 's/^\([A-Za-z0-9_.-]\+\)==.*/\1/p' "$REQS" | sort -u | paste -sd'|' -)
grep -v '^-e' requirements.txt | grep -viE "^($own)==" >"$build/constraints.txt"
# the GPU server's Python differs from this one: binary wheels for its version, every manylinux
# tag an x86_64 Ubuntu 22.04/24.04 (glibc 2.35/2.39) accepts
plat=(); if [ -n "$PYVER" ]; then
  mapfile -t plat < <(manylinux_platforms x86_64 "${COMPILE_GLIBC_MAX:-35}")
  plat+=(--python-version "$PYVER" --implementation cp --only-binary=:all:); fi
dfc=(); if [ -n "$DFC_WHEEL" ]; then dfc=("$DFC_WHEEL"); fi
pyname=${PYVER:-$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
# pip evaluates environment markers against the Python running pip, not --python-version
# (pypa/pip#11198): the toolchain file's markers are evaluated here, for the server's Python
"$PY" - "$REQS" "$pyname" >"$build/toolchain-requirements.txt" <<'PYEOF'
import sys
from packaging.requirements import Requirement
env = {"python_version": sys.argv[2], "python_full_version": sys.argv[2] + ".0"}
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if line:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            print(f"{req.name}{req.specifier}")
PYEOF
what=(--find-links "$build/project" -c "$build/constraints.txt"
  -r "$build/toolchain-requirements.txt" pip setuptools wheel "$build"/project/*.whl "${dfc[@]}")
failed="pip could not resolve the toolchain for Python $pyname (above: the pin without a matching \
wheel). Give a toolchain-requirements.txt pin an environment marker for that Python (as onnxruntime's \
for 3.10), or set COMPILE_PYTHON_VERSION to another Python the GPU server has."
quiet_pip() { "$PY" -m pip "$@" 2> >(grep -v -e "is ignored: it is neither a file nor a directory" >&2); }
if [ -n "$RESOLVE_ONLY" ]; then
  [ -n "$PYVER" ] || plat=(--only-binary=:all:)
  quiet_pip install -q --dry-run --ignore-installed --report "$build/report.json" "${plat[@]}" \
    "${what[@]}" || die "$failed"
  "$PY" - "$build/report.json" "$pyname" <<'PYEOF'
import json, sys
got = sorted(f"{i['metadata']['name']}=={i['metadata']['version']}" for i in json.load(open(sys.argv[1]))["install"])
print(f"compile-wheelhouse: Python {sys.argv[2]} resolves {len(got)} packages:", " ".join(got))
PYEOF
  exit 0
fi
mkdir -p "$OUT/toolchain"
quiet_pip download -q "${plat[@]}" -d "$OUT/toolchain" "${what[@]}" || die "$failed"
# the project's own wheels live apart (the role reinstalls them when they change)
rm -f "$OUT"/toolchain/{edge_artifact,edge_models,edge_compiler,hailo_inference}-*.whl
if [ -n "$DFC_WHEEL" ]; then rm -f "$OUT/toolchain/$(basename "$DFC_WHEEL")"; fi
rm -rf "$OUT/project"; cp -r "$build/project" "$OUT/project"
# one deterministic tar: the role copies (and checksums) one file instead of ~40
tar -C "$OUT" --sort=name --mtime=@315532800 --owner=0 --group=0 \
  --numeric-owner -cf "$OUT/toolchain.tar" toolchain
echo "$want" >"$OUT/.stamp"
echo "compile-wheelhouse: $(ls "$OUT/toolchain" | wc -l) toolchain wheels, $(ls "$OUT/project" | wc -l) project wheels ($(du -sh "$OUT" | cut -f1))"
