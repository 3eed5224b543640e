"""The artifact contract shared by the compiler (writes it), the daemon (reads it), telemetry and
the deploy health gate (docs/artifact.md). numpy only: it sits below every other package here.

    names        the file names inside an artifact folder
    manifest     the typed Manifest (read, validate, write) and ArtifactError
    folder       an artifact folder: its Manifest plus the sha256 check of every listed file
    file_roles   which listed files a serving host needs (serve) and which only the build (build)
    pack         the hosts' reproducible archive: manifest.json + the serving files
    store        an artifacts root: the one rule for the newest complete artifact
    golden       the one reader of golden.npz (shapes checked)
    hailo_pairs  the DFC <-> HailoRT pairs and the one pair rule
    tail         the host-side pre- and post-processing every backend shares (HostTail)
    tolerance    the one tolerance check (golden check, parity gates, DFC gate, health gate)
    cli          `python -m edge_artifact verify|newest|describe|check-pair`: the command
                 Ansible, CI and the scripts call instead of re-implementing the rules

Names are imported lazily: `python -m edge_artifact` and `store`, `folder`, `manifest`,
`hailo_pairs` need only the standard library (the controller's .venv-ctl has no numpy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge_artifact.folder import Artifact, load_artifact, verify_files
    from edge_artifact.golden import Golden, read_golden
    from edge_artifact.manifest import SCHEMA, ArtifactError, Manifest, sha256_file
    from edge_artifact.tail import HostTail, cosine_rows, unit_rows
    from edge_artifact.tolerance import Tolerance, check

_WHERE = {
    "Artifact": "folder",
    "load_artifact": "folder",
    "verify_files": "folder",
    "Golden": "golden",
    "read_golden": "golden",
    "SCHEMA": "manifest",
    "ArtifactError": "manifest",
    "Manifest": "manifest",
    "sha256_file": "manifest",
    "HostTail": "tail",
    "cosine_rows": "tail",
    "unit_rows": "tail",
    "Tolerance": "tolerance",
    "check": "tolerance",
}
_MODULES = (
    "names", "manifest", "folder", "file_roles", "pack", "store", "golden", "hailo_pairs", "tail",
    "tolerance",
)  # fmt: skip

__all__ = [
    "SCHEMA",
    "Artifact",
    "ArtifactError",
    "Golden",
    "HostTail",
    "Manifest",
    "Tolerance",
    "check",
    "cosine_rows",
    "load_artifact",
    "read_golden",
    "sha256_file",
    "unit_rows",
    "verify_files",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"edge_artifact.{_WHERE[name]}"), name)
    if name in _MODULES:
        return importlib.import_module(f"edge_artifact.{name}")
    raise AttributeError(f"module 'edge_artifact' has no attribute {name!r}")
