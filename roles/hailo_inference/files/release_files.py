#!/usr/bin/env python3
"""Files a release needs that the host may already hold, so the controller sends only the rest.

    release_files.py reuse RELEASES RELEASE MANIFEST_SHA256 [--dry-run]
        RELEASE/artifact holds the manifest with that sha256: "present". Else another release
        under RELEASES does (a release that changes only the configuration or the unit):
        hard-link its artifact files into RELEASE/artifact, "reused". Else "missing". The caller
        checks every file against the manifest afterwards (`python -m edge_artifact verify`).
    release_files.py wheels DIR [--dry-run] < SHA256SUMS
        The persistent wheelhouse DIR against the controller's SHA256SUMS ("<sha256>  <name>"
        lines): wheels not listed or with another sha256 are removed ("pruned"); the listed ones
        absent are "missing" (the caller sends only those).

Prints one JSON object. Standard library only (runs with the host's python3, before any venv).
Exit 0, or 2 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

MANIFEST = "manifest.json"
WHEELHOUSE_META = ("SHA256SUMS", "REQUIREMENTS", "DAEMON_VERSION")  # sent every time (small)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _manifest_sha(artifact: Path) -> str | None:
    p = artifact / MANIFEST
    return sha256(p) if p.is_file() else None


def reuse(releases: Path, release: Path, manifest_sha256: str, dry_run: bool) -> dict:
    target = release / "artifact"
    if _manifest_sha(target) == manifest_sha256:
        return {"state": "present"}
    candidates = sorted(p for p in releases.glob("*/artifact") if p.parent != release)
    source = next((p for p in candidates if _manifest_sha(p) == manifest_sha256), None)
    if source is None:
        return {"state": "missing"}
    if not dry_run:
        target.mkdir(parents=True, exist_ok=True)
        for old in target.iterdir():
            if old.is_file() or old.is_symlink():
                old.unlink()
        for f in sorted(source.iterdir()):
            if f.is_file() and not f.is_symlink():
                os.link(
                    f, target / f.name
                )  # manifest.json last: sorted puts it after *.npz, *.onnx
    return {"state": "reused", "from": str(source.parent)}


def parse_sums(text: str) -> dict[str, str]:
    sums: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.strip().partition("  ")
        name = name.lstrip("*")
        if len(digest) != 64 or not name or "/" in name:
            raise ValueError(f"SHA256SUMS line {n} is not '<sha256>  <file name>': {line!r}")
        sums[name] = digest
    return sums


def wheels(folder: Path, sums: dict[str, str], dry_run: bool) -> dict:
    pruned, missing = [], []
    present = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    for p in present:
        if p.name in WHEELHOUSE_META:
            continue
        if sums.get(p.name) != sha256(p):
            pruned.append(p.name)
            if not dry_run:
                p.unlink()
    have = {p.name for p in present} - set(pruned)
    missing = sorted(n for n in sums if n not in have)
    return {"missing": missing, "pruned": pruned, "kept": len(sums) - len(missing)}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reuse")
    r.add_argument("releases", type=Path)
    r.add_argument("release", type=Path)
    r.add_argument("manifest_sha256")
    r.add_argument("--dry-run", action="store_true")
    w = sub.add_parser("wheels")
    w.add_argument("dir", type=Path)
    w.add_argument("--dry-run", action="store_true")
    a = ap.parse_args(argv)
    try:
        if a.command == "reuse":
            out = reuse(a.releases, a.release, a.manifest_sha256, a.dry_run)
        else:
            out = wheels(a.dir, parse_sums(sys.stdin.read()), a.dry_run)
    except (OSError, ValueError) as exc:
        print(f"release_files {a.command}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
