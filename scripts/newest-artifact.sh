#!/usr/bin/env bash
# Print the newest complete artifact folder ARTIFACTS_DIR/<model>/<version>/ (by modification
# time), or nothing. Complete = holds manifest.json; kept failed builds (<version>.failed/) and
# in-progress builds (.<version>.tmp/) never count. Used by `make serve` and `make bench`.
set -euo pipefail
root=${1:?usage: newest-artifact.sh ARTIFACTS_DIR}
while IFS= read -r dir; do
  case "$dir" in *.failed/ | */.*) continue ;; esac
  if [ -f "${dir}manifest.json" ]; then
    printf '%s\n' "$dir"
    exit 0
  fi
done < <(ls -dt -- "$root"/*/*/ 2>/dev/null || true)
