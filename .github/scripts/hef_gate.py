#!/usr/bin/env python3
"""hef.yml's quantized parity gate, read back from the fetched artifact folder.

The compile already refuses a HEF below the parity gate (hailo_compiler_hef: require); this
checks the outcome the release will carry: exactly one artifact folder, every HEF its manifest
lists (one per hw_arch, e.g. `encoder.hailo8l.hef`) in it, compile_report.json with HEF status
built/up-to-date, and each HEF's quantized parity (DFC emulator vs PyTorch) at or above the
manifest's `tolerance.hailo`. "Complete artifact" and the tolerance rule
are edge_artifact's (store.complete_artifacts, Tolerance), run with the repo's .venv. Prints the
folder path on stdout and Markdown for $GITHUB_STEP_SUMMARY to the file given with --summary.
Exit 1 names what failed.

    hef_gate.py FETCH_DEST [--summary FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge_artifact.manifest import Manifest
from edge_artifact.names import COMPILE_REPORT, MANIFEST
from edge_artifact.sections import HailoBackend
from edge_artifact.store import complete_artifacts
from edge_artifact.tolerance import Tolerance

OK_STATUS = ("built", "up-to-date")


class GateError(RuntimeError):
    """The artifact does not pass; the message says why."""


def find_artifact(dest: Path) -> Path:
    """The one complete artifacts/<model>/<version>/ folder under `dest` (edge_artifact's rule)."""
    found = complete_artifacts(dest)
    if len(found) != 1:
        raise GateError(
            f"want exactly one artifact folder under {dest}, found {len(found)}: {found}"
        )
    return found[0]


def check(art: Path) -> dict:
    """Gate figures of `art`; raises GateError naming the first failure. Every HEF the manifest
    lists (one per hw_arch, edge_artifact.sections.HailoBackend) must be in the folder and meet
    tolerance.hailo with its own quantized parity."""
    report = json.loads((art / COMPILE_REPORT).read_text())
    manifest = Manifest(json.loads((art / MANIFEST).read_text()))
    backend = HailoBackend.from_manifest(manifest)
    if backend is None:
        raise GateError(f"{art} lists no HEF (manifest backends.hailo): the DFC built none")
    missing = [h.file for h in backend.hefs.values() if not (art / h.file).is_file()]
    if missing:
        raise GateError(f"{art} has no {', '.join(missing)}: the DFC built no such HEF")
    status = report["hef"]["status"]
    if status not in OK_STATUS:
        raise GateError(
            f"HEF status {status}: {report['hef'].get('reason')} {report['hef']['failures']}"
        )
    tol = manifest.tolerance("hailo") or {}
    if not tol or any(not h.parity for h in backend.hefs.values()):
        raise GateError("a HEF has no quantized parity or the manifest no tolerance.hailo")
    failures = [
        f
        for arch in backend.archs
        for f in Tolerance.from_dict(tol).failures(
            dict(backend.hefs[arch].parity), f"{arch} quantized latent"
        )
    ]
    if failures:
        raise GateError("; ".join(failures))
    figures = {"status": status, "hw_arch": ",".join(backend.archs)}
    for arch in backend.archs:
        parity = {k: v for k, v in backend.hefs[arch].parity.items() if k != "context"}
        figures.update(parity if arch == backend.primary.hw_arch else {})
        figures.update({f"{arch} {k}": v for k, v in parity.items()})
    return {**figures, "tolerance": tol}


def markdown(art: Path, figures: dict) -> str:
    rows = [
        f"### HEF artifact `{art.parent.name}/{art.name}`",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    rows += [f"| {k} | {v} |" for k, v in figures.items()]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path, help="hailo_compiler_fetch_dest of the run")
    ap.add_argument("--summary", type=Path, help="append Markdown here ($GITHUB_STEP_SUMMARY)")
    args = ap.parse_args(argv)
    try:
        art = find_artifact(args.dest)
        figures = check(art)
    except (GateError, OSError, KeyError, ValueError) as exc:
        print(f"hef_gate: FAILED: {exc}", file=sys.stderr)
        return 1
    if args.summary:
        with args.summary.open("a") as f:
            f.write(markdown(art, figures))
    print(art)
    return 0


if __name__ == "__main__":
    sys.exit(main())
