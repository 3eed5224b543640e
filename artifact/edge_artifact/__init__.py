"""The artifact contract shared by the compiler (writes it), the daemon (reads it), telemetry and
the deploy health gate (docs/artifact.md). numpy only: it sits below every other package here.

    names      the file names inside an artifact folder
    manifest   the typed Manifest (read, validate, write) and ArtifactError
    folder     an artifact folder: its Manifest plus the sha256 check of every listed file
    tail       the host-side pre- and post-processing every backend shares (HostTail)
    tolerance  the one tolerance check (golden check, parity gates, DFC gate, health gate)
"""

from edge_artifact.folder import Artifact, load_artifact, verify_files
from edge_artifact.manifest import SCHEMA, ArtifactError, Manifest, sha256_file
from edge_artifact.tail import HostTail, cosine_rows, unit_rows
from edge_artifact.tolerance import Tolerance, check

__all__ = [
    "SCHEMA",
    "Artifact",
    "ArtifactError",
    "HostTail",
    "Manifest",
    "Tolerance",
    "check",
    "cosine_rows",
    "load_artifact",
    "sha256_file",
    "unit_rows",
    "verify_files",
]
