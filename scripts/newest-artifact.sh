#!/usr/bin/env bash
# Print the newest complete artifact folder under ARTIFACTS_DIR, or nothing. The rule (complete,
# newest) is edge_artifact's: `python -m edge_artifact newest` (artifact/edge_artifact/store.py),
# run from the source tree with any python3 (it needs only the standard library).
# Used by `make serve`, `make bench` and `make demo`.
set -euo pipefail
root=${1:?usage: newest-artifact.sh ARTIFACTS_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
PYTHONPATH="$here/artifact" "${PYTHON:-python3}" -m edge_artifact newest "$root" 2>/dev/null || true
