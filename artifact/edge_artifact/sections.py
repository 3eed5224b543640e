"""The manifest's sections as types, and the one constructor that assembles a manifest from them.

The compiler builds a manifest with `new_manifest(...)` instead of a dict literal; readers get the
same types back from a Manifest (`Manifest.input_spec`, `.normalization`, `.motifs`,
`.onnx_backend`, `.accelerator_graph`, `.source`). The JSON is what docs/artifact.md shows
(schema 1): a section's `as_dict()` writes exactly the keys the schema names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edge_artifact.manifest import SCHEMA, Manifest


def _floats(v: Sequence[Any]) -> list[float]:
    return [float(x) for x in v]


def _range(v: Sequence[Any] | None) -> tuple[float, float]:
    lo, hi = v or (0.0, 1.0)
    return float(lo), float(hi)


@dataclass(frozen=True)
class InputSpec:
    window: int
    channels: tuple[str, ...]
    units: tuple[str, ...]
    sample_rate_hz: float
    range: tuple[tuple[float, float], ...] | None = None  # per channel, when the config sets it

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "window": self.window,
            "channels": list(self.channels),
            "units": list(self.units),
            "sample_rate_hz": self.sample_rate_hz,
        }
        if self.range:
            out["range"] = [list(r) for r in self.range]
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InputSpec:
        rng = d.get("range")
        return cls(
            int(d["window"]),
            tuple(d["channels"]),
            tuple(d.get("units") or ()),
            d.get("sample_rate_hz", 0),
            tuple(tuple(r) for r in rng) if rng else None,
        )


@dataclass(frozen=True)
class Normalization:
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Normalization:
        return cls(tuple(_floats(d["mean"])), tuple(_floats(d["std"])))


@dataclass(frozen=True)
class Motifs:
    count: int
    definition: str
    prototypes: tuple[tuple[float, ...], ...]  # (K, D), as the compiler found them
    method: str
    range: tuple[float, float] = (0.0, 1.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "definition": self.definition,
            "range": list(self.range),
            "prototypes": [_floats(row) for row in self.prototypes],
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Motifs:
        return cls(
            int(d["count"]),
            str(d.get("definition", "")),
            tuple(tuple(_floats(r)) for r in d.get("prototypes") or ()),
            str(d.get("method", "")),
            _range(d.get("range")),
        )


@dataclass(frozen=True)
class OnnxBackend:
    file: str
    input: str
    output: str
    layout: str = "NCHW"
    normalization_on_chip: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "input": self.input,
            "output": self.output,
            "layout": self.layout,
            "normalization_on_chip": self.normalization_on_chip,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OnnxBackend:
        return cls(
            d["file"],
            d["input"],
            d["output"],
            d.get("layout", "NCHW"),
            bool(d.get("normalization_on_chip", False)),
        )


@dataclass(frozen=True)
class AcceleratorGraph:
    file: str
    input: str
    input_shape: tuple[int, ...]
    output: str
    output_shape: tuple[int, ...]
    opset: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "input": self.input,
            "input_shape": list(self.input_shape),
            "output": self.output,
            "output_shape": list(self.output_shape),
            "opset": self.opset,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AcceleratorGraph:
        return cls(
            d["file"],
            d["input"],
            tuple(d["input_shape"]),
            d["output"],
            tuple(d["output_shape"]),
            int(d["opset"]),
        )


@dataclass(frozen=True)
class Source:
    kind: str  # synthetic-default | import-onnx | checkpoint | ...
    sha256: str
    weights_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sha256": self.sha256, "weights_sha256": self.weights_sha256}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Source:
        return cls(d["kind"], d["sha256"], d.get("weights_sha256", ""))


def new_manifest(
    *,
    name: str,
    version: str,
    created_utc: str,
    inputs: Mapping[str, Any],
    inputs_sha256: str,
    export_config_sha256: str,
    input_spec: InputSpec,
    normalization: Normalization,
    latent_dim: int,
    motifs: Motifs,
    files: Mapping[str, Mapping[str, Any]],
    onnx: OnnxBackend,
    accelerator_graph: AcceleratorGraph,
    tolerance: Mapping[str, Mapping[str, float]],
    parity: Mapping[str, Mapping[str, Any]],
    source: Source,
    recipe: Mapping[str, Any],
    tools: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> Manifest:
    """The one constructor of a schema-1 manifest (docs/artifact.md); `extra`: optional sections
    (e.g. `training`), added as given."""
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "model": {"name": name, "version": version},
        "created_utc": created_utc,
        "inputs_sha256": inputs_sha256,
        "inputs": dict(inputs),
        "export_config_sha256": export_config_sha256,
        "input": input_spec.as_dict(),
        "normalization": normalization.as_dict(),
        "latent_dim": latent_dim,
        "motifs": motifs.as_dict(),
        "files": {k: dict(v) for k, v in files.items()},
        "backends": {"onnx": onnx.as_dict()},
        "accelerator_graph": accelerator_graph.as_dict(),
        "tolerance": {k: dict(v) for k, v in tolerance.items()},
        "parity": {k: dict(v) for k, v in parity.items()},
        "source": source.as_dict(),
        "recipe": dict(recipe),
        "tools": dict(tools),
        **dict(extra or {}),
    }
    return Manifest(data).validate()
