#!/usr/bin/env bash
# Prints the path of a working promtool, fetching it if needed (used by make telemetry-check
# and tests/telemetry). Order: $PROMTOOL, promtool on PATH, build/tools/promtool, else the
# binary extracted from Debian's `prometheus` package into build/tools/.
# Why not `apt-get install prometheus`: its postinst starts a Prometheus server through the
# init script on a machine without systemd (as here and in CI); only promtool is needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ok() { [ -n "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
if [ -n "${PROMTOOL:-}" ] && ok "$PROMTOOL"; then echo "$PROMTOOL"; exit 0; fi
if p=$(command -v promtool 2>/dev/null) && ok "$p"; then echo "$p"; exit 0; fi
dest=build/tools/promtool
if ok "$dest"; then echo "$PWD/$dest"; exit 0; fi
command -v apt-get >/dev/null || { echo "promtool.sh: no promtool and no apt-get; install Prometheus' promtool and set PROMTOOL=/path/to/promtool" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
fetch() { (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); }
if ! fetch; then
  apt-get update -qq >/dev/null 2>&1 || true
  fetch || { echo "promtool.sh: apt-get download prometheus failed; set PROMTOOL=/path/to/promtool" >&2; exit 1; }
fi
mkdir -p build/tools
dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -O ./usr/bin/promtool > "$dest.tmp"
chmod 755 "$dest.tmp" && mv "$dest.tmp" "$dest"
ok "$dest" || { echo "promtool.sh: extracted $dest does not run" >&2; exit 1; }
echo "$PWD/$dest"
