"""An artifacts root (`artifacts/<model>/<version>/`) and the one rule for "the newest complete
artifact" that `make serve`, `make bench`, `make demo`, the hailo_inference role and the HEF
workflow's gate all use (through `python -m edge_artifact newest`).

Complete: the folder holds manifest.json (the build writes it last, then renames the folder into
place); `<version>.failed/` (a refused build) and `.<version>.tmp/` (a build in progress) never
count, nor does any hidden folder. Newest: the latest manifest.json modification time (the moment
the artifact was completed; a folder's own mtime moves whenever a file in it is touched); equal
times are ordered by path, so the answer never depends on the file system's listing order.

Standard library only: the controller runs it with .venv-ctl's Python, which has no numpy.
"""

from __future__ import annotations

from pathlib import Path

from edge_artifact.names import FAILED_SUFFIX, MANIFEST, TMP_SUFFIX


def _counts(name: str) -> bool:
    return not (name.startswith(".") or name.endswith((FAILED_SUFFIX, TMP_SUFFIX)))


def complete_artifacts(root: str | Path) -> list[Path]:
    """Every complete artifact folder under `root`, oldest first (see the module docstring)."""
    base = Path(root)
    found: list[tuple[int, str, Path]] = []
    for manifest in base.glob(f"*/*/{MANIFEST}"):
        folder = manifest.parent
        if not (_counts(folder.name) and _counts(folder.parent.name)) or not manifest.is_file():
            continue
        found.append((manifest.stat().st_mtime_ns, str(folder), folder))
    return [f for _, _, f in sorted(found)]


def newest_artifact(root: str | Path) -> Path | None:
    """The newest complete artifact folder under `root`, or None when there is none."""
    found = complete_artifacts(root)
    return found[-1] if found else None
