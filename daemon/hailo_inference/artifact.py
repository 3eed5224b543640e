"""Kept for callers outside this package (tests/deploy, operators' one-liners):
`python -c "from hailo_inference.artifact import load_artifact; ..."`. The contract lives in
edge_artifact; the daemon itself imports it from there."""

from edge_artifact import Artifact, ArtifactError, load_artifact, sha256_file

__all__ = ["Artifact", "ArtifactError", "load_artifact", "sha256_file"]
