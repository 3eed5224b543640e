"""An artifact folder: its Manifest plus the check that every listed file is intact."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge_artifact.manifest import ArtifactError, Manifest, sha256_file
from edge_artifact.names import MANIFEST


@dataclass(frozen=True)
class Artifact:
    path: Path
    manifest: Manifest

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def ref(self) -> str:
        """`name@version`, as /healthz reports it."""
        return self.manifest.ref

    @property
    def manifest_sha256(self) -> str:
        return sha256_file(self.path / MANIFEST)

    def file(self, name: str) -> Path:
        if name not in self.manifest.files:
            raise ArtifactError(f"{self.path}: {name} is not listed in {MANIFEST}")
        return self.path / name

    def backend(self, kind: str) -> dict | None:
        return self.manifest.backend(kind)


def load_artifact(path: str | Path, verify: bool = True) -> Artifact:
    """Read manifest.json and (by default) check the sha256 of every file it lists."""
    root = Path(path)
    art = Artifact(root, Manifest.read(root))
    if verify:
        verify_files(art)
    return art


def file_problems(
    art: Artifact, manifest_sha256: str | None = None, complete: bool = False
) -> list[str]:
    """Every way the folder differs from its manifest, one line each ([] when intact). With
    `manifest_sha256`, manifest.json itself must have that sha256 (the copy the sender read).
    A non-serving file (file_roles) may be absent (a host's copy carries the serving files) unless
    `complete`; present, it must match like any other."""
    from edge_artifact.file_roles import SERVE, file_role

    files = art.manifest.files
    if not files:
        return [f"{art.path}/{MANIFEST} lists no files; rebuild the artifact"]
    out: list[str] = []
    if manifest_sha256 is not None and art.manifest_sha256 != manifest_sha256:
        out.append(
            f"{art.path / MANIFEST} has sha256 {art.manifest_sha256} but the sender's copy has "
            f"{manifest_sha256}: it changed in transfer; re-copy the artifact"
        )
    for name, meta in sorted(files.items()):
        p = art.path / name
        if not p.is_file():
            if not complete and file_role(art.manifest, name) != SERVE:
                continue
            out.append(f"{p} is listed in {MANIFEST} but missing; re-copy the artifact")
            continue
        got = sha256_file(p)
        if got != meta.get("sha256"):
            out.append(
                f"{p} has sha256 {got} but the manifest says {meta.get('sha256')}: the file is "
                "corrupt or was changed after the build; re-copy or rebuild the artifact"
            )
    return out


def verify_files(art: Artifact, manifest_sha256: str | None = None) -> None:
    """Raise ArtifactError naming every file that differs from the manifest."""
    problems = file_problems(art, manifest_sha256)
    if problems:
        raise ArtifactError("; ".join(problems))
