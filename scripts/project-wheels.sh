# shellcheck shell=bash
# Sourced by the wheelhouse scripts: the project's own wheels, deterministic (same source, same
# bytes, so a role reinstalls nothing) and built from clean copies (no build/ or egg-info left
# in the source tree).
#   project_wheel OUT_DIR PACKAGE_DIR   (the wheel lands in OUT_DIR)
# Needs PY (the .venv python) and a scratch directory in $build.
export SOURCE_DATE_EPOCH=315532800
project_wheel() {
  # shellcheck disable=SC2154  # $build: the caller's scratch directory
  local out=$1 pkg=$2 src="${build:?project_wheel needs a scratch directory in \$build}/src-$2"
  rsync -a --delete --exclude build --exclude '*.egg-info' --exclude __pycache__ "$pkg/" "$src/"
  "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$out" "$src" >/dev/null
}

# manylinux_platforms ARCH GLIBC_MAX: the pip --platform flags for every manylinux tag a host
# with that glibc accepts (pip download takes only the tags it is given: one tag misses every
# project that publishes only an older or newer one, e.g. numpy 1.26.4's manylinux2014 wheels).
manylinux_platforms() {
  local arch=$1 max=$2 g
  printf -- '--platform\nmanylinux2014_%s\n' "$arch"
  for g in $(seq 17 "$max"); do printf -- '--platform\nmanylinux_2_%s_%s\n' "$g" "$arch"; done
}
