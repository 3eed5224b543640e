"""Telemetry settings: the `telemetry:` section of the daemon's config (docs/daemon_config.md)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

DEFAULT_DIR = "/var/lib/hailo-inference/telemetry"


class TelemetryConfigError(ValueError):
    """A bad `telemetry.<key>`; the message names the key and what is allowed."""


@dataclass(frozen=True)
class TelemetryConfig:
    enabled: bool = False
    dir: Path = Path(DEFAULT_DIR)
    queue_size: int = 4096  # events waiting for the writer; beyond it submit() drops and counts
    sample_rate: float = 0.005  # fraction of events that carry their raw window (+ latent)
    max_file_bytes: int = 64 * 1024 * 1024  # rotate a file at this size ...
    max_file_age_s: float = 3600.0  # ... or at this age
    max_total_bytes: int = 1024 * 1024 * 1024  # cap on the folder; oldest files are deleted first
    flush_interval_s: float = 1.0  # the writer flushes its buffer at least this often
    disk_full_backoff_s: float = 5.0  # after ENOSPC, drop (and count) for this long before retrying

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TelemetryConfig:
        """Build from a parsed YAML mapping; unknown keys and bad values name the key."""
        data = dict(data or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise TelemetryConfigError(
                f"telemetry.{unknown[0]}: unknown key; allowed keys: {', '.join(sorted(known))}"
            )
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            kwargs[key] = _coerce(key, value, type(getattr(cls, key)))
        cfg = cls(**kwargs)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.queue_size < 1:
            raise TelemetryConfigError("telemetry.queue_size: must be >= 1")
        if not 0.0 <= self.sample_rate <= 1.0:
            raise TelemetryConfigError("telemetry.sample_rate: must be in [0, 1]")
        if self.max_file_bytes < 4096:
            raise TelemetryConfigError("telemetry.max_file_bytes: must be >= 4096")
        if self.max_file_age_s <= 0:
            raise TelemetryConfigError("telemetry.max_file_age_s: must be > 0")
        if self.max_total_bytes < 2 * self.max_file_bytes:
            raise TelemetryConfigError(
                "telemetry.max_total_bytes: must be at least 2 x telemetry.max_file_bytes "
                "(the active file plus one closed file)"
            )
        if self.flush_interval_s <= 0:
            raise TelemetryConfigError("telemetry.flush_interval_s: must be > 0")
        if self.disk_full_backoff_s < 0:
            raise TelemetryConfigError("telemetry.disk_full_backoff_s: must be >= 0")


def _coerce(key: str, value: Any, kind: type) -> Any:
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on"}:
                return True
            if isinstance(value, str) and value.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if kind is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if issubclass(kind, Path):
            return Path(value)
    except (TypeError, ValueError) as exc:
        raise TelemetryConfigError(
            f"telemetry.{key}: {value!r} is not a valid {kind.__name__}"
        ) from exc
    return value
