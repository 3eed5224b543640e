"""The typed manifest.json: read, validate, write (sorted, atomic) in one place."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_artifact.names import MANIFEST

if TYPE_CHECKING:
    from edge_artifact.sections import (
        AcceleratorGraph,
        HailoBackend,
        InputSpec,
        Motifs,
        Normalization,
        OnnxBackend,
        Source,
    )

SCHEMA = 1  # the manifest schema this package reads and writes


class ArtifactError(Exception):
    """An artifact that must not be served; the message says what is wrong and what to do."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_entry(path: Path) -> dict[str, Any]:
    """What the manifest records for one file: its sha256 and size."""
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


class Manifest(Mapping[str, Any]):
    """manifest.json as read-only data with typed accessors for what the code relies on.

    A Mapping, so `manifest["input"]["window"]` reads the JSON as written; changes go through
    `updated()`, which returns a new Manifest.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data: dict[str, Any] = copy.deepcopy(dict(data))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Manifest({self.ref})"

    # ---- typed accessors -----------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self._data["model"]["name"])

    @property
    def version(self) -> str:
        return str(self._data["model"]["version"])

    @property
    def ref(self) -> str:
        """`name@version`, as /healthz reports it."""
        model = self._data.get("model") or {}
        return f"{model.get('name')}@{model.get('version')}"

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return dict(self._data.get("files") or {})

    def file_sha256(self, name: str) -> str:
        """The sha256 the manifest records for listed file `name`."""
        entry = self.files.get(name)
        if not entry or "sha256" not in entry:
            raise ArtifactError(
                f"{MANIFEST} lists no sha256 for {name}; rebuild the artifact with this compiler"
            )
        return str(entry["sha256"])

    @property
    def inputs_sha256(self) -> str | None:
        """The hash of the build inputs the version is made from (None in a hand-made one)."""
        value = self._data.get("inputs_sha256")
        return None if value is None else str(value)

    @property
    def export_config_sha256(self) -> str | None:
        value = self._data.get("export_config_sha256")
        return None if value is None else str(value)

    @property
    def latent_dim(self) -> int:
        return int(self._data["latent_dim"])

    # the typed sections (edge_artifact.sections; imported here to keep the modules acyclic)
    @property
    def input_spec(self) -> InputSpec:
        from edge_artifact.sections import InputSpec

        return InputSpec.from_dict(self._data["input"])

    @property
    def normalization(self) -> Normalization:
        from edge_artifact.sections import Normalization

        return Normalization.from_dict(self._data["normalization"])

    @property
    def motifs(self) -> Motifs:
        from edge_artifact.sections import Motifs

        return Motifs.from_dict(self._data["motifs"])

    @property
    def onnx_backend(self) -> OnnxBackend:
        from edge_artifact.sections import OnnxBackend

        return OnnxBackend.from_dict(self._data["backends"]["onnx"])

    @property
    def accelerator_graph(self) -> AcceleratorGraph:
        from edge_artifact.sections import AcceleratorGraph

        return AcceleratorGraph.from_dict(self._data["accelerator_graph"])

    @property
    def source(self) -> Source:
        from edge_artifact.sections import Source

        return Source.from_dict(self._data["source"])

    @property
    def hailo(self) -> HailoBackend | None:
        """The HEFs by architecture (None without a HEF); a single-HEF manifest reads as one."""
        from edge_artifact.sections import HailoBackend

        try:
            return HailoBackend.from_manifest(self._data)
        except ValueError as exc:
            raise ArtifactError(str(exc)) from exc

    def backend(self, kind: str) -> dict[str, Any] | None:
        return (self._data.get("backends") or {}).get(kind)

    def tolerance(self, kind: str) -> dict[str, float] | None:
        return (self._data.get("tolerance") or {}).get(kind)

    @property
    def tolerances(self) -> dict[str, dict[str, float]]:
        """Every backend's tolerance (`tolerance` section), by backend."""
        return dict(self._data.get("tolerance") or {})

    def parity(self, kind: str) -> dict[str, Any] | None:
        """The gate figures the compiler measured for one backend (`parity.<kind>`)."""
        return (self._data.get("parity") or {}).get(kind)

    @property
    def tools(self) -> dict[str, str]:
        """The tool versions the artifact was built with."""
        return dict(self._data.get("tools") or {})

    @property
    def created_utc(self) -> str | None:
        value = self._data.get("created_utc")
        return None if value is None else str(value)

    # ---- changes -------------------------------------------------------------------------
    def updated(self, changes: Mapping[str, Any]) -> Manifest:
        """A copy with `changes` merged in (a dict value updates a dict section, else replaces)."""
        data = copy.deepcopy(self._data)
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key].update(value)
            else:
                data[key] = value
        return Manifest(data)

    def rehashed(self, folder: Path) -> Manifest:
        """A copy whose `files` describe the folder as it is (sha256 and size of each; the other
        keys of an entry, e.g. its role, kept)."""
        files = {n: dict(e or {}) | file_entry(folder / n) for n, e in self.files.items()}
        return self.updated({"files": files})

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    # ---- disk ----------------------------------------------------------------------------
    def validate(self, where: Path | str = MANIFEST) -> Manifest:
        """Raise ArtifactError unless this manifest can be read by this version of the code."""
        if self._data.get("schema") != SCHEMA:
            raise ArtifactError(
                f"{where}: schema {self._data.get('schema')!r} is not supported (want "
                f"{SCHEMA}); rebuild the artifact with this version of the compiler"
            )
        return self

    @classmethod
    def read(cls, folder: Path | str) -> Manifest:
        """manifest.json of an artifact folder, validated."""
        root = Path(folder)
        path = root / MANIFEST
        if not path.is_file():
            raise ArtifactError(
                f"no {MANIFEST} in {root}: point the artifact path at an "
                "artifacts/<model>/<version>/ folder built by `python -m edge_compiler build`"
            )
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{path} is not valid JSON ({exc}); rebuild the artifact") from exc
        if not isinstance(data, dict):
            raise ArtifactError(f"{path} is not a JSON object; rebuild the artifact")
        return cls(data).validate(path)

    def write(self, folder: Path | str) -> Path:
        """Write manifest.json atomically: sorted keys, 2-space indent, trailing newline."""
        path = Path(folder) / MANIFEST
        tmp = path.with_name(f".{MANIFEST}.tmp")
        tmp.write_text(json.dumps(self._data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
        return path
