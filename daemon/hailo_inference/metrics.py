"""Prometheus metrics, prefixed edge_sidecar_ (EdgeInfer itself exports hailo_inference_*)."""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hailo_inference.metric_names import MULTIPROC_ENV, PREFIX

# Fine buckets below 50 ms with exact edges at 0.045 (EdgeInfer's 45 ms read timeout) and 0.05
# (the 50 ms SLO), so `le="0.045"` / `le="0.05"` ratios are exact.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04,
    0.045, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip


class _Temperatures(Collector):
    def __init__(self, source: Callable[[], dict[str, float]]) -> None:
        self._source = source

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            temps = self._source()
        except Exception:  # a scrape must never fail because a sensor did
            temps = {}
        g = GaugeMetricFamily(
            f"{PREFIX}_device_temperature_celsius",
            "Hailo chip temperature by sensor (only when the hailo backend serves)",
            labels=["sensor"],
        )
        for sensor, value in sorted(temps.items()):
            g.add_metric([sensor], value)
        yield g


class _Workers(multiprocess.MultiProcessCollector):
    """prometheus_client's MultiProcessCollector, minus files a starting worker has created
    but not sized yet (reading one raises struct.error: a scrape then answered 500)."""

    def collect(self) -> Iterator[Any]:
        files = []
        for f in glob.glob(os.path.join(self._path, "*.db")):
            with contextlib.suppress(OSError):
                if os.path.getsize(f) >= 8:
                    files.append(f)
        return self.merge(files, accumulate=True)


@dataclass(frozen=True)
class _Spec:
    """One metric of the daemon: the Metrics attribute, the prometheus_client type, the name
    after the prefix, help text, labels, histogram buckets and multiprocess gauge mode."""

    attr: str
    kind: type[Counter] | type[Gauge] | type[Histogram]
    name: str
    doc: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None
    mode: str | None = None

    def build(self, registry: CollectorRegistry) -> Any:
        extra: dict[str, Any] = {}
        if self.buckets is not None:
            extra["buckets"] = self.buckets
        if self.mode is not None:
            extra["multiprocess_mode"] = self.mode
        return self.kind(
            f"{PREFIX}_{self.name}", self.doc, list(self.labels), registry=registry, **extra
        )


SPECS = (
    _Spec(
        "requests", Counter, "requests", "HTTP requests by route and status", ("route", "status")
    ),
    _Spec(
        "latency",
        Histogram,
        "request_duration_seconds",
        "HTTP request latency in the daemon (parse + validate + infer + serialize)",
        ("route",),
        buckets=LATENCY_BUCKETS,
    ),
    _Spec(
        "compute",
        Histogram,
        "backend_compute_seconds",
        "Time in the backend call (accelerator graph only) per request",
        ("backend",),
        buckets=LATENCY_BUCKETS,
    ),
    _Spec("windows", Counter, "windows", "Windows inferred", ("backend",)),
    _Spec("inflight", Gauge, "inflight_requests", "Inference requests in flight", mode="livesum"),
    _Spec(
        "waiting",
        Gauge,
        "waiting_requests",
        "Admitted inference requests waiting for a turn to run (server.max_executing)",
        mode="livesum",
    ),
    _Spec(
        "rejections",
        Counter,
        "rejections",
        "Requests refused before inference, by reason (overloaded, draining, not_ready, "
        "invalid_input, too_large, timeout)",
        ("reason",),
    ),
    _Spec(
        "fallbacks",
        Counter,
        "backend_fallbacks",
        "Runtime fallbacks from the accelerator to another backend",
        ("from_backend", "to_backend"),
    ),
    _Spec(
        "reloads",
        Counter,
        "reloads",
        "Artifact reloads (SIGHUP / admin) by result: swapped, refused, joined (coalesced "
        "into a reload already running)",
        ("result",),
    ),
    _Spec(
        "connections_closed",
        Counter,
        "connections_closed",
        "Connections the server closed by reason: header_timeout, body_timeout, "
        "idle_timeout, idle_evicted (near the connection limit), not_http, linger_timeout",
        ("reason",),
    ),
    _Spec(
        "non_finite",
        Counter,
        "non_finite_outputs",
        "Requests whose model output held NaN/inf (answered 500 non_finite_output)",
        ("backend",),
    ),
    _Spec(
        "model_info",
        Gauge,
        "model_info",
        "The model being served (value 1)",
        ("name", "version", "backend", "manifest_sha256", "stub"),
        mode="livemax",
    ),
    _Spec(
        "stub",
        Gauge,
        "stub_backend",
        "1 when the stub backend serves (NOT a model)",
        mode="livemax",
    ),
    _Spec("ready", Gauge, "ready", "1 when /readyz answers 200", mode="livemin"),
    _Spec(
        "golden_min_cosine",
        Gauge,
        "golden_min_cosine",
        "Minimum latent cosine on golden.npz at load",
        mode="livemin",
    ),
)


class Metrics:
    """All metric objects of one daemon, in their own registry (one per entry of SPECS)."""

    requests: Counter
    latency: Histogram
    compute: Histogram
    windows: Counter
    inflight: Gauge
    waiting: Gauge
    rejections: Counter
    fallbacks: Counter
    reloads: Counter
    connections_closed: Counter
    non_finite: Counter
    model_info: Gauge
    stub: Gauge
    ready: Gauge
    golden_min_cosine: Gauge

    def __init__(self, temperatures: Callable[[], dict[str, float]] = dict) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        for spec in SPECS:
            setattr(self, spec.attr, spec.build(r))
        self._temperatures = _Temperatures(temperatures)
        r.register(self._temperatures)
        self.scrape_registry = r
        if os.environ.get(MULTIPROC_ENV):
            # What /metrics serves: every worker's files, plus this process' own collectors.
            self.scrape_registry = CollectorRegistry()
            _Workers(self.scrape_registry)
            self.scrape_registry.register(self._temperatures)

    def set_model(self, name: str, version: str, backend: str, sha256: str, stub: bool) -> None:
        if os.environ.get(MULTIPROC_ENV):  # the files keep every series: the old one reads 0
            for labels in list(self.model_info._metrics):
                self.model_info.labels(*labels).set(0)
        else:
            self.model_info.clear()
        self.model_info.labels(name, version, backend, sha256, str(stub).lower()).set(1)
        self.stub.set(1 if stub else 0)
