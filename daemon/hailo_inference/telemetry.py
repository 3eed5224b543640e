"""The daemon's one handle on edge_telemetry (optional: telemetry.enabled).

`Telemetry.start(section, registry, log)` is None when telemetry is off; `record(...)` never
blocks or raises; dropped events are counted (edge_sidecar_telemetry_*) and logged
(`telemetry_dropped`, at most one line per reason per DROP_LOG_INTERVAL_S). A folder that
cannot be written at start is reported once (`telemetry_dir_unwritable`, naming the folder and
HAILO_INFERENCE_TELEMETRY_DIR / telemetry.dir) and the daemon serves on: telemetry is optional,
the writer retries each batch, so a folder fixed later (mounted, chowned) is written. The motif
prototypes the novelty figure needs are prepared once per served model (a reload brings a new
one), here rather than in a module-level cache.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from edge_telemetry.sink import TelemetrySink

    from hailo_inference.service import Served


DROP_LOG_INTERVAL_S = 60.0
DIR_CHOICE = "HAILO_INFERENCE_TELEMETRY_DIR=<folder> (config key telemetry.dir)"
_DROP_HINTS = {
    "disk_full": "the telemetry disk is full: free space or lower telemetry.max_total_bytes",
    "io_error": "cannot write the telemetry folder: check that it exists and is writable by "
    f"the daemon's user, or choose another with {DIR_CHOICE}",
    "queue_full": "the writer cannot keep up: lower telemetry.sample_rate or use a faster disk",
    "encode_error": "an event could not be encoded: a bug, report it with this line",
    "closed": "events submitted while shutting down",
}


class LoggedDrops:
    """The telemetry metrics object, plus one log line per drop reason (then at most one per
    DROP_LOG_INTERVAL_S with the count since), so a failing telemetry disk shows in the log."""

    def __init__(
        self,
        metrics: Any,
        log: Any,
        clock: Callable[[], float] = time.monotonic,
        folder: Path | None = None,
    ):
        self.metrics = metrics
        self.log = log
        self.clock = clock
        self.folder = folder
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._last: dict[str, float] = {}

    def on_drop(self, reason: str, n: int) -> None:
        if self.metrics is not None:
            self.metrics.on_drop(reason, n)
        now = self.clock()
        with self._lock:
            self._pending[reason] = self._pending.get(reason, 0) + n
            last = self._last.get(reason)
            if last is not None and now - last < DROP_LOG_INTERVAL_S:
                return
            self._last[reason] = now
            events = self._pending.pop(reason)
        where = {} if self.folder is None else {"dir": str(self.folder)}
        self.log.warning(
            "telemetry_dropped",
            reason=reason,
            events=events,
            **where,
            hint=_DROP_HINTS.get(reason, "see docs/telemetry.md"),
        )

    def __getattr__(self, name: str) -> Any:  # on_written, watch: the metrics object's
        return getattr(self.metrics, name)


def unwritable(folder: Path) -> str | None:
    """Why telemetry files cannot be written in `folder` now (created if missing), else None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class Telemetry:
    sink: TelemetrySink
    _model: Any = None  # the Artifact the cached prototypes belong to
    _protos: Any = None

    @classmethod
    def start(cls, section: Any, registry: Any, log: Any, writer_tag: str = "") -> Telemetry | None:
        """`writer_tag`: each worker (server.workers > 1) writes its own files in the folder."""
        from edge_telemetry.config import TelemetryConfig
        from edge_telemetry.daemon_hook import start_telemetry
        from edge_telemetry.metrics import TelemetryMetrics

        cfg = TelemetryConfig.from_dict(dict(section))
        if not cfg.enabled:
            return None
        metrics = LoggedDrops(TelemetryMetrics(registry), log, folder=cfg.dir)
        why = unwritable(cfg.dir)
        if why is not None:
            log.error(
                "telemetry_dir_unwritable",
                dir=str(cfg.dir),
                error=why,
                hint=f"every telemetry event is dropped (edge_sidecar_telemetry_dropped_total"
                f'{{reason="io_error"}}) until {cfg.dir} can be written; inference is not '
                f"affected. Make it writable by the daemon's user, choose another folder with "
                f"{DIR_CHOICE}, or turn telemetry off (HAILO_INFERENCE_TELEMETRY_ENABLED=0)",
            )
        sink = start_telemetry(cfg, None, registry, metrics=metrics, writer_tag=writer_tag)
        return None if sink is None else cls(sink)

    def _prototypes(self, served: Served) -> Any:
        if self._model is not served.artifact:
            from edge_telemetry.daemon_hook import prototypes_of

            self._model, self._protos = served.artifact, prototypes_of(served.artifact.manifest)
        return self._protos

    def record(
        self,
        request_id: str,
        served: Served,
        latency_s: float,
        latent: np.ndarray,
        scores: np.ndarray,
        windows: np.ndarray,
    ) -> int:
        """One event per window of a successful request; never blocks, never raises."""
        from edge_telemetry.daemon_hook import record_inference

        return record_inference(
            self.sink,
            request_id,
            served.artifact.version,
            served.backend.kind,
            latency_s,
            latent,
            scores,
            windows,
            prototypes=self._prototypes(served),
        )

    def close(self) -> None:
        self.sink.close()
