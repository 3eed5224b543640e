"""The calls the daemon makes (daemon/ never needs to know more than this).

from edge_telemetry.daemon_hook import prototypes_of, record_inference, start_telemetry

sink = start_telemetry(config.get("telemetry"), manifest, registry)   # at start; None if off
...
record_inference(sink, request_id, model_version, backend, latency_s, latents, scores, x,
                 prototypes=prototypes_of(manifest))
...
sink.close()   # on shutdown, after the last request
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from .config import TelemetryConfig
from .event import InferenceEvent, Prototypes
from .sink import TelemetrySink


def prototypes_of(manifest: Mapping[str, Any] | None) -> Prototypes | None:
    """The served model's prototypes for the novelty figure (None: novelty is 1 - max cos)."""
    if manifest is None:
        return None
    try:
        return Prototypes.from_manifest(manifest)
    except (KeyError, TypeError, ValueError):
        return None


def start_telemetry(
    section: dict[str, Any] | TelemetryConfig | None,
    manifest: Mapping[str, Any] | None = None,
    registry: Any = None,
    metrics: Any = None,
    writer_tag: str = "",
) -> TelemetrySink | None:
    """A running sink if `telemetry.enabled`, else None. Registers the edge_sidecar_telemetry_*
    metrics on `registry` (prometheus_client) unless `metrics` (a TelemetryMetrics) is given.
    `writer_tag`: one per process writing the same folder (daemon workers: w1, w2, ...)."""
    cfg = section if isinstance(section, TelemetryConfig) else TelemetryConfig.from_dict(section)
    if not cfg.enabled:
        return None
    protos = prototypes_of(manifest)
    if metrics is None and registry is not False:
        from .metrics import TelemetryMetrics

        metrics = TelemetryMetrics(registry)
    sink = TelemetrySink(
        cfg,
        prototypes=protos,
        on_drop=metrics.on_drop if metrics is not None else None,
        on_written=metrics.on_written if metrics is not None else None,
        writer_tag=writer_tag,
    )
    if metrics is not None:
        metrics.watch(sink)
    return sink


def record_inference(
    sink: TelemetrySink | None,
    request_id: str,
    model_version: str,
    backend: str,
    latency_s: float,
    latents: np.ndarray,
    motif_scores: np.ndarray,
    windows: np.ndarray | None,
    ts: float | None = None,
    manifest: Mapping[str, Any] | None = None,
    prototypes: Prototypes | None = None,
) -> int:
    """One event per window of a successful request (N, D) / (N, K) / (N, T, C); never blocks,
    never raises. Returns how many events were accepted. The caller that serves one model for
    many requests passes its `prototypes` (prototypes_of(manifest), prepared once)."""
    if sink is None:
        return 0
    try:
        ts = time.time() if ts is None else ts
        protos = prototypes if prototypes is not None else prototypes_of(manifest)
        lat = np.asarray(latents)
        sc = np.asarray(motif_scores)
        if lat.ndim == 1:
            lat, sc = lat[None], sc[None]
            windows = None if windows is None else np.asarray(windows)[None]
        n = lat.shape[0]
        ok = 0
        for i in range(n):
            ev = InferenceEvent(
                request_id=request_id,
                model_version=model_version,
                backend=backend,
                latency_s=latency_s,
                latent=lat[i],
                motif_scores=sc[i],
                window=None if windows is None else windows[i],
                ts=ts,
                index=i,
                batch=n,
                prototypes=protos,
            )
            ok += sink.submit(ev)
        return ok
    except Exception:
        return 0
