#!/usr/bin/env bash
# deploy.yml: download release $TAG's artifact bundle (<model>-<version>.tar.gz + .sha256, as
# hef.yml attaches it), check its sha256 (and, when WANT_SHA256 is set, that it is the one the
# preview job used), unpack it under artifacts/ and export ARTIFACT (the folder) to later steps.
# Needs gh with GH_TOKEN and GH_REPO; writes sha256=... to $GITHUB_OUTPUT.
set -euo pipefail
: "${TAG:?set TAG to the release tag}"
dl=$(mktemp -d)
gh release download "$TAG" --pattern '*.tar.gz' --pattern '*.tar.gz.sha256' --dir "$dl"
mapfile -t bundles < <(find "$dl" -maxdepth 1 -name '*.tar.gz' -printf '%f\n')
[ "${#bundles[@]}" -eq 1 ] || { echo "fetch_release: release $TAG has ${#bundles[@]} .tar.gz assets, want exactly 1" >&2; exit 1; }
b=${bundles[0]}
(cd "$dl" && sha256sum -c "$b.sha256")
sum=$(cut -d' ' -f1 "$dl/$b.sha256")
if [ -n "${WANT_SHA256:-}" ] && [ "$sum" != "$WANT_SHA256" ]; then
  echo "fetch_release: $b has sha256 $sum, but the preview ran $WANT_SHA256: the release asset changed; run the workflow again" >&2
  exit 1
fi
mkdir -p artifacts
tar -tzf "$dl/$b" >"$dl/list"
if grep -qE '^/|(^|/)\.\.(/|$)' "$dl/list"; then echo "fetch_release: $b has absolute or .. paths; refused" >&2; exit 1; fi
top=$(awk -F/ 'NR == 1 {print $1 "/" $2}' "$dl/list")
case "$top" in ?*/?*) ;; *) echo "fetch_release: $b does not hold <model>/<version>/" >&2; exit 1 ;; esac
tar -C artifacts --no-same-owner -xzf "$dl/$b"
[ -f "artifacts/$top/manifest.json" ] || { echo "fetch_release: artifacts/$top/manifest.json missing" >&2; exit 1; }
echo "ARTIFACT=$PWD/artifacts/$top" >>"$GITHUB_ENV"
echo "sha256=$sum" >>"$GITHUB_OUTPUT"
echo "fetch_release: $TAG -> artifacts/$top (sha256 $sum)"
