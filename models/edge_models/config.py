"""Load and validate models/export_config.yaml (what must never drift: docs/model.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_EXPORT_CONFIG = Path(__file__).resolve().parent.parent / "export_config.yaml"


class ExportConfigError(ValueError):
    """export_config.yaml is missing a key or holds an inconsistent value."""


@dataclass(frozen=True)
class ExportConfig:
    path: Path
    raw_bytes: bytes
    model_name: str
    window: int
    sample_rate_hz: int
    channels: tuple[str, ...]
    units: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    widths: tuple[int, ...]
    kernel_size: int
    dilations: tuple[int, ...]
    dropout: float
    latent_dim: int
    motif_count: int
    motif_definition: str
    opset: int
    accel_input_name: str
    output_name: str
    ranges: tuple[tuple[float, float], ...] | None = None  # input.range: physical [min, max]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw_bytes).hexdigest()

    @property
    def n_channels(self) -> int:
        return len(self.channels)


def load_export_config(path: str | Path | None = None) -> ExportConfig:
    """Read export_config.yaml (default: models/export_config.yaml) and check it is consistent."""
    p = Path(path) if path is not None else DEFAULT_EXPORT_CONFIG
    if not p.is_file():
        raise ExportConfigError(
            f"{p} not found: pass --export-config PATH or restore models/export_config.yaml"
        )
    raw = p.read_bytes()
    d = yaml.safe_load(raw)
    try:
        inp, norm, enc = d["input"], d["normalization"], d["encoder"]
        cfg = ExportConfig(
            path=p,
            raw_bytes=raw,
            model_name=str(d["model_name"]),
            window=int(inp["window"]),
            sample_rate_hz=int(inp["sample_rate_hz"]),
            channels=tuple(str(c) for c in inp["channels"]),
            units=tuple(str(u) for u in inp["units"]),
            mean=tuple(float(v) for v in norm["mean"]),
            std=tuple(float(v) for v in norm["std"]),
            widths=tuple(int(v) for v in enc["channels"]),
            kernel_size=int(enc["kernel_size"]),
            dilations=tuple(int(v) for v in enc["dilations"]),
            dropout=float(enc["dropout"]),
            latent_dim=int(d["latent_dim"]),
            motif_count=int(d["motifs"]["count"]),
            motif_definition=str(d["motifs"]["definition"]),
            opset=int(d["export"]["opset"]),
            accel_input_name=str(d["export"]["accel_input_name"]),
            output_name=str(d["export"]["output_name"]),
            ranges=_ranges(inp.get("range")),
        )
    except (KeyError, TypeError) as exc:
        raise ExportConfigError(f"{p}: missing or malformed key {exc}; compare with git") from exc
    n = len(cfg.channels)
    if not (len(cfg.units) == len(cfg.mean) == len(cfg.std) == n):
        raise ExportConfigError(f"{p}: channels, units, mean and std must all have {n} entries")
    if any(s <= 0 for s in cfg.std):
        raise ExportConfigError(f"{p}: every normalization std must be > 0")
    if cfg.ranges is not None and (
        len(cfg.ranges) != n or any(not lo < hi for lo, hi in cfg.ranges)
    ):
        raise ExportConfigError(f"{p}: input.range must hold {n} [min, max] pairs with min < max")
    if len(cfg.widths) != len(cfg.dilations):
        raise ExportConfigError(f"{p}: encoder.channels and encoder.dilations differ in length")
    return cfg


def _ranges(raw: object) -> tuple[tuple[float, float], ...] | None:
    """input.range (optional): one [min, max] per channel."""
    if raw is None:
        return None
    try:
        return tuple((float(lo), float(hi)) for lo, hi in raw)  # type: ignore[attr-defined]
    except ValueError as exc:
        raise ExportConfigError(f"input.range must be a list of [min, max] pairs: {exc}") from exc
