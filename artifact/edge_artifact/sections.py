"""The manifest's sections as types, and the one constructor that assembles a manifest from them.

The compiler builds a manifest with `new_manifest(...)` instead of a dict literal; readers get the
same types back from a Manifest (`Manifest.input_spec`, `.normalization`, `.motifs`,
`.onnx_backend`, `.accelerator_graph`, `.source`). The JSON is what docs/artifact.md shows
(schema 1): a section's `as_dict()` writes exactly the keys the schema names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edge_artifact.file_roles import with_roles
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
    return with_roles(Manifest(data)).validate()


# ---- the Hailo backend: one HEF per device architecture (issue 27 item 2) -------------------
# Which HEF architectures a device runs, best first. HailoRT's rule: device_internal.cpp
# DeviceBase::is_hef_compatible (hailo-ai/hailort v4.20.0 lines 716-722, same at v4.23.0): a
# HAILO8 runs hailo8 (and hailo8r/hailo8l) HEFs, a HAILO8L only hailo8l HEFs. A hailo8l HEF on a
# HAILO8 loads with the warning HAILO8L_ON_HAILO8 (check_hef_is_compatible, v4.20.0 lines 614-617).
HAILO_ARCHS = ("hailo8l", "hailo8")  # the safe default first: a hailo8l HEF runs on both
RUNS_ON: dict[str, tuple[str, ...]] = {"hailo8": ("hailo8", "hailo8l"), "hailo8l": ("hailo8l",)}
HAILO8L_ON_HAILO8 = (
    "HEF was compiled for Hailo8L device, while the device itself is Hailo8. This will result "
    "in lower performance."
)
COMPILE_COMMAND = "ansible-playbook compile.yml -l gpusrv -e '{extra}'"


def device_arch(value: Any) -> str:
    """A device's architecture as HailoRT names it (`hailortcli fw-control identify` prints
    "Device Architecture: HAILO8L"; pyhailort's identify().device_architecture is a
    DeviceArchitectureTypes IntEnum whose str() is the name) -> "hailo8" | "hailo8l"."""
    name = getattr(value, "name", None) or str(value)
    arch = name.strip().lower()
    if arch not in RUNS_ON:
        raise ValueError(
            f"device architecture {value!r} is not a Hailo-8 or Hailo-8L (HAILO8 | HAILO8L); "
            "this project builds HEFs for hailo8 and hailo8l only"
        )
    return arch


def compile_command(archs: Sequence[str]) -> str:
    """The command that builds HEFs for `archs` (docs/compile.md)."""
    return COMPILE_COMMAND.format(extra=json.dumps({"hailo_compiler_hw_archs": list(archs)}))


@dataclass(frozen=True)
class HailoHef:
    """One HEF of the artifact: its architecture, file and the DFC step's entry and parity
    (`backends.hailo.hefs.<hw_arch>` in the manifest)."""

    hw_arch: str
    file: str
    entry: Mapping[str, Any]  # everything the DFC step recorded (dfc_version, precision, ...)
    parity: Mapping[str, Any]  # SDK_QUANTIZED emulator vs PyTorch, this HEF's own figures

    def as_dict(self) -> dict[str, Any]:
        return {**dict(self.entry), "file": self.file, "hw_arch": self.hw_arch,
                "parity": dict(self.parity)}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HailoHef:
        entry = {k: v for k, v in d.items() if k not in ("hefs", "parity", "file", "hw_arch")}
        return cls(str(d["hw_arch"]), str(d["file"]), entry, dict(d.get("parity") or {}))


class HefChoiceError(ValueError):
    """No HEF of the artifact runs on this device; the message names the compile command."""


@dataclass(frozen=True)
class HefChoice:
    hef: HailoHef
    device_arch: str
    warning: str  # "" unless the HEF runs at lower performance (hailo8l HEF on a Hailo-8)


@dataclass(frozen=True)
class HailoBackend:
    """`backends.hailo`: the HEFs by architecture. The manifest keeps the primary HEF's entry at
    the top of backends.hailo (and its parity as parity.hailo), as single-HEF artifacts had it,
    so readers of one HEF keep working; `hefs` lists every HEF with its own parity."""

    hefs: Mapping[str, HailoHef]

    @property
    def archs(self) -> tuple[str, ...]:
        return tuple(a for a in HAILO_ARCHS if a in self.hefs)

    @property
    def primary(self) -> HailoHef:
        """The HEF that runs on most devices: hailo8l when present."""
        return self.hefs[self.archs[0]]

    @classmethod
    def from_manifest(cls, data: Mapping[str, Any]) -> HailoBackend | None:
        """None without a HEF. A single-HEF manifest (before `hefs`) reads as one HEF."""
        hb = (data.get("backends") or {}).get("hailo")
        if not hb:
            return None
        rows = hb.get("hefs")
        if rows is None:  # one HEF, written before issue 27 item 2
            if hb.get("hw_arch") not in RUNS_ON or not hb.get("file"):
                raise ValueError(
                    f"manifest backends.hailo names no hw_arch/file ({hb.get('hw_arch')!r}): "
                    f"rebuild the artifact's HEFs with `{compile_command(['hailo8l'])}`"
                )
            parity = (data.get("parity") or {}).get("hailo") or {}
            rows = {hb["hw_arch"]: {**hb, "parity": parity}}
        hefs = {a: HailoHef.from_dict({**d, "hw_arch": a}) for a, d in rows.items()}
        unknown = sorted(set(hefs) - set(RUNS_ON))
        if unknown:
            raise ValueError(f"manifest backends.hailo.hefs: unknown hw_arch {unknown}")
        return cls(hefs)

    def with_hef(self, hef: HailoHef) -> HailoBackend:
        return HailoBackend({**self.hefs, hef.hw_arch: hef})

    def manifest_changes(self) -> dict[str, Any]:
        """What `Manifest.updated` merges in: backends.hailo and parity.hailo."""
        top = self.primary.as_dict()
        top.pop("parity")
        hefs = {a: self.hefs[a].as_dict() for a in self.archs}
        return {"backends": {"hailo": {**top, "hefs": hefs}},
                "parity": {"hailo": dict(self.primary.parity)}}  # fmt: skip

    def for_device(self, arch: Any) -> HefChoice:
        """The HEF this device runs best (its own architecture, else one it runs at lower
        performance), or HefChoiceError naming the compile command."""
        dev = device_arch(arch)
        for want in RUNS_ON[dev]:
            if want in self.hefs:
                warn = HAILO8L_ON_HAILO8 if (want, dev) == ("hailo8l", "hailo8") else ""
                return HefChoice(self.hefs[want], dev, warn)
        raise HefChoiceError(
            f"the artifact carries HEFs for {', '.join(self.archs)} only, and a {dev} device "
            f"runs only {' or '.join(RUNS_ON[dev])} HEFs (HailoRT device_internal.cpp "
            f"is_hef_compatible): build one for it with "
            f"`{compile_command(sorted(set(self.archs) | {dev}, key=HAILO_ARCHS.index))}` "
            "and deploy that artifact"
        )
