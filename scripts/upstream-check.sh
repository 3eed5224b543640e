#!/usr/bin/env bash
# make upstream-check: would today's releases still pass? (issue 25; docs/setup.md "Locks")
# 1. resolves every environment's inputs afresh (scripts/lock.py fresh: no locked version kept)
#    into $UPSTREAM_DIR/locks and prints the version diff against locks/ ($UPSTREAM_DIR/diff.txt);
# 2. clones the committed tree into $UPSTREAM_DIR/tree, puts the fresh locks in place of
#    locks/, and runs there: make test-unit (fresh .venv), then the lab smoke subset
#    (make test-lab-smoke: the fleet checks after a site.yml run; root, systemd-nspawn).
# Exit 0: today's releases pass, the locks can be moved with `LOCK_UPGRADE=1 make lock`.
# UPSTREAM_LAB=0 skips the lab part (no root). Everything it writes is under $UPSTREAM_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
D=${UPSTREAM_DIR:-$ROOT/build/upstream}
rm -rf "$D"; mkdir -p "$D"
exec > >(tee "$D/upstream.log") 2>&1
echo "upstream-check: $(date -u +%Y-%m-%dT%H:%MZ), tree $(git rev-parse --short HEAD)"
uv=$(bash scripts/setup.sh uv)
git clone -q --no-hardlinks "$ROOT" "$D/tree"
# tests that read the original encoder find ../shared beside the clone, as beside this tree
if [ -d "$ROOT/../shared" ]; then ln -s "$(cd "$ROOT/../shared" && pwd)" "$D/shared"; fi
# the committed inputs, resolved afresh (no locked version kept), diffed against the committed locks
(cd "$D/tree" && UV=$uv python3 scripts/lock.py fresh "$D/locks") | tee "$D/diff.txt"
cp "$D"/locks/*.txt "$D/tree/locks/"
rc=0
echo "upstream-check: make setup-ctl test-unit with today's releases"
make -C "$D/tree" --no-print-directory setup-ctl test-unit || rc=$?
if [ "${UPSTREAM_LAB:-1}" != 0 ]; then
  echo "upstream-check: make test-lab-smoke with today's releases"
  make -C "$D/tree" --no-print-directory test-lab-smoke || rc=$?
fi
echo "upstream-check: version changes against locks/ (also in $D/diff.txt):"
grep -E '^(==|   )' "$D/diff.txt" || true
if [ $rc -eq 0 ]; then
  echo "upstream-check: PASSED with today's releases; LOCK_UPGRADE=1 make lock moves the locks to them"
else
  echo "upstream-check: FAILED with today's releases (above); the locks keep the fleet on the tested versions"
fi
exit $rc
