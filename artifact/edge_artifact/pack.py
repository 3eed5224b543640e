"""One archive per artifact for the hosts: manifest.json plus the serving files (file_roles).

The archive is byte-for-byte reproducible (sorted members, owner 0, mtime 0, gzip mtime 0), so
its sha256 names it: a site mirror serves it and a host's download is checked against it, then
each unpacked file against the manifest (`python -m edge_artifact verify`). Standard library only.
"""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path
from typing import Any

from edge_artifact.file_roles import served_files
from edge_artifact.folder import load_artifact
from edge_artifact.manifest import ArtifactError, sha256_file
from edge_artifact.names import MANIFEST


def archive_name(name: str, version: str, manifest_sha256: str) -> str:
    return f"{name}-{version}-{manifest_sha256[:16]}.tar.gz"


def _member(path: Path, arcname: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(arcname)
    info.size = path.stat().st_size
    info.mode = 0o640
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def write_archive(folder: Path, members: list[str], out: Path) -> None:
    """Write members of folder as a reproducible .tar.gz at out (atomically)."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in sorted(members):
            with open(folder / name, "rb") as f:
                tar.addfile(_member(folder / name, name), f)
    os.replace(tmp, out)


def _members(archive: Path) -> list[str] | None:
    """The member names of an existing archive (sorted), None if absent or unreadable.

    The name keys an archive by its manifest only: one packed from the same manifest by another
    file-role rule (an older edge_artifact, a half-written change) must not be reused."""
    if not archive.is_file():
        return None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            return sorted(tar.getnames())
    except (OSError, tarfile.TarError, EOFError):
        return None


def pack(folder: Path | str, out_dir: Path | str) -> dict[str, Any]:
    """The host archive of an artifact under out_dir (made once, reused): path, sha256, files."""
    art = load_artifact(folder, verify=False)
    served = served_files(art.manifest)
    for name in served:  # only the files shipped must be intact here
        got = sha256_file(art.path / name) if (art.path / name).is_file() else "missing"
        want = art.manifest.files[name].get("sha256")
        if got != want:
            raise ArtifactError(
                f"{art.path / name} has sha256 {got} but the manifest says {want}: rebuild the "
                "artifact"
            )
    msha = art.manifest_sha256
    out = Path(out_dir) / archive_name(art.name, art.version, msha)
    if _members(out) != sorted([MANIFEST, *served]):  # absent, or packed by another rule
        out.parent.mkdir(parents=True, exist_ok=True)
        write_archive(art.path, [MANIFEST, *served], out)
    return {
        "path": str(out),
        "name": out.name,
        "sha256": sha256_file(out),
        "bytes": out.stat().st_size,
        "files": [MANIFEST, *served],
        "manifest_sha256": msha,
    }
