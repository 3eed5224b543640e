"""Loading and verifying an encoder artifact folder (docs/artifact.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
SUPPORTED_SCHEMA = 1


class ArtifactError(Exception):
    """An artifact that must not be served; the message says what is wrong and what to do."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Artifact:
    path: Path
    manifest: dict

    @property
    def name(self) -> str:
        return str(self.manifest["model"]["name"])

    @property
    def version(self) -> str:
        return str(self.manifest["model"]["version"])

    @property
    def ref(self) -> str:
        """`name@version`, as /healthz reports it."""
        return f"{self.name}@{self.version}"

    @property
    def manifest_sha256(self) -> str:
        return sha256_file(self.path / MANIFEST)

    def file(self, name: str) -> Path:
        if name not in self.manifest.get("files", {}):
            raise ArtifactError(f"{self.path}: {name} is not listed in {MANIFEST}")
        return self.path / name

    def backend(self, kind: str) -> dict | None:
        return self.manifest.get("backends", {}).get(kind)


def load_artifact(path: str | Path, verify: bool = True) -> Artifact:
    """Read manifest.json and (by default) check the sha256 of every file it lists."""
    root = Path(path)
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise ArtifactError(
            f"no {MANIFEST} in {root}: point the artifact path at an artifacts/<model>/<version>/ "
            "folder built by `python -m edge_compiler build`"
        )
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{mpath} is not valid JSON ({exc}); rebuild the artifact") from exc
    if manifest.get("schema") != SUPPORTED_SCHEMA:
        raise ArtifactError(
            f"{mpath}: schema {manifest.get('schema')!r} is not supported (want "
            f"{SUPPORTED_SCHEMA}); rebuild the artifact with this version of the compiler"
        )
    art = Artifact(root, manifest)
    if verify:
        verify_files(art)
    return art


def verify_files(art: Artifact) -> None:
    files = art.manifest.get("files") or {}
    if not files:
        raise ArtifactError(f"{art.path}/{MANIFEST} lists no files")
    for name, meta in sorted(files.items()):
        p = art.path / name
        if not p.is_file():
            raise ArtifactError(f"{p} is listed in {MANIFEST} but missing; re-copy the artifact")
        got = sha256_file(p)
        if got != meta["sha256"]:
            raise ArtifactError(
                f"{p}: sha256 {got} does not match the manifest ({meta['sha256']}); the file is "
                "corrupt or was changed after the build: re-copy or rebuild the artifact"
            )
