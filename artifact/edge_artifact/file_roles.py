"""Which files of an artifact a serving host needs: each listed file has a role.

    serve  the daemon or the deploy health gate reads it on the host (golden.npz, the files the
           manifest's `backends` entries name: the ONNX graph, the HEF(s))
    build  only the build, the compile step or a person reads it (calibration.npy, the
           accelerator ONNX, parity reports, export_config.yaml, the DFC's archive)

A `files` entry may say its role (`{"sha256": ..., "bytes": ..., "role": "serve"}`); without
one the rule above decides. The deploy sends a host only the serving files (plus manifest.json)
and the host checks each against its sha256; a build file absent from a host copy is expected,
a build file present must still match (folder.file_problems).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from edge_artifact.manifest import ArtifactError, Manifest
from edge_artifact.names import GOLDEN

SERVE, BUILD = "serve", "build"
ROLES = (SERVE, BUILD)


def _backend_files(entry: Any) -> Iterator[str]:
    """File names a `backends.<kind>` entry points at: `file`, and each item of a `files` or
    `hefs` mapping or list (a name, or an entry with its own `file`: one HEF per hw_arch)."""
    if not isinstance(entry, Mapping):
        return
    if isinstance(entry.get("file"), str):
        yield entry["file"]
    for key in ("files", "hefs"):
        many = entry.get(key)
        items = list(many.values()) if isinstance(many, Mapping) else many
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                yield item
            elif isinstance(item, Mapping) and isinstance(item.get("file"), str):
                yield item["file"]


def file_role(manifest: Manifest, name: str) -> str:
    """The role of one listed file: its entry's `role`, else serve for golden.npz and the files
    a backend names, else build."""
    entry = manifest.files.get(name)
    if entry is None:
        raise ArtifactError(f"{name} is not listed in the manifest's files")
    role = entry.get("role") if isinstance(entry, Mapping) else None
    if role is not None:
        if role not in ROLES:
            raise ArtifactError(
                f"manifest files.{name}.role is {role!r}: use one of {', '.join(ROLES)}"
            )
        return str(role)
    served = {GOLDEN}
    for backend in (manifest.get("backends") or {}).values():
        served.update(_backend_files(backend))
    return SERVE if name in served else BUILD


def served_files(manifest: Manifest) -> list[str]:
    """The listed files a serving host needs, sorted (manifest.json is not listed: add it)."""
    return sorted(n for n in manifest.files if file_role(manifest, n) == SERVE)
