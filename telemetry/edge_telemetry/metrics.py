"""Prometheus metrics for the sink (prometheus_client, imported only here).

edge_sidecar_telemetry_events_total            events written to disk
edge_sidecar_telemetry_dropped_total{reason}   events not written (queue_full, disk_full, ...)
edge_sidecar_telemetry_queue_depth             events waiting for the writer thread
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .sink import REASONS, TelemetrySink


class TelemetryMetrics:
    def __init__(self, registry: Any = None, prefix: str = "edge_sidecar") -> None:
        from prometheus_client import REGISTRY, Counter, Gauge

        registry = REGISTRY if registry is None else registry
        self.written = Counter(
            f"{prefix}_telemetry_events_total",
            "Inference telemetry events written to disk.",
            registry=registry,
        )
        self.dropped = Counter(
            f"{prefix}_telemetry_dropped_total",
            "Inference telemetry events dropped (never silently), by reason.",
            ["reason"],
            registry=registry,
        )
        for reason in REASONS:  # export zeros so alerts and rates work from the start
            self.dropped.labels(reason=reason)
        self.queue_depth = Gauge(
            f"{prefix}_telemetry_queue_depth",
            "Inference telemetry events waiting for the writer thread.",
            registry=registry,
            multiprocess_mode="livesum",  # several daemon workers: the sum of their queues
        )

    def on_drop(self, reason: str, n: int) -> None:
        self.dropped.labels(reason=reason).inc(n)

    def on_written(self, n: int) -> None:
        self.written.inc(n)

    def watch(self, sink: TelemetrySink, interval_s: float = 1.0) -> None:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self.queue_depth.set_function(sink.queue_depth)
            return

        # multiprocess mode reads values from files only (set_function is not exported there)
        def sample() -> None:
            while not sink._stop.wait(interval_s):
                self.queue_depth.set(sink.queue_depth())

        threading.Thread(target=sample, name="telemetry-queue-depth", daemon=True).start()
