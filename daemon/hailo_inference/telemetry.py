"""The daemon's one handle on edge_telemetry (optional: telemetry.enabled).

`Telemetry.start(section, registry)` is None when telemetry is off; `record(...)` never blocks
or raises. The motif prototypes the novelty figure needs are prepared once per served model
(a reload brings a new one), here rather than in a module-level cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from edge_telemetry.sink import TelemetrySink

    from hailo_inference.service import Served


@dataclass
class Telemetry:
    sink: TelemetrySink
    _model: Any = None  # the Artifact the cached prototypes belong to
    _protos: Any = None

    @classmethod
    def start(cls, section: Any, registry: Any) -> Telemetry | None:
        from edge_telemetry.daemon_hook import start_telemetry

        sink = start_telemetry(section, None, registry)
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
