"""The two calls the daemon makes (daemon/ never needs to know more than this).

from edge_telemetry.daemon_hook import start_telemetry, record_inference

sink = start_telemetry(config.get("telemetry"), manifest, registry)   # at start; None if off
...
record_inference(sink, request_id, model_version, backend, latency_s, latents, scores, x)
...
sink.close()   # on shutdown, after the last request
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from .config import TelemetryConfig
from .event import InferenceEvent, Prototypes
from .sink import TelemetrySink

_PROTOS: dict[str, Prototypes | None] = {}  # model version -> prototypes (a handful at most)
_PROTOS_LOCK = threading.Lock()


def prototypes_for(model_version: str, manifest: dict | None) -> Prototypes | None:
    """Prototypes of a served model, built once per version (a reload brings a new version)."""
    if manifest is None:
        return None
    with _PROTOS_LOCK:
        if model_version not in _PROTOS:
            if len(_PROTOS) > 8:
                _PROTOS.clear()
            try:
                _PROTOS[model_version] = Prototypes.from_manifest(manifest)
            except (KeyError, TypeError, ValueError):
                _PROTOS[model_version] = None  # novelty falls back to 1 - max cos
        return _PROTOS[model_version]


def start_telemetry(
    section: dict[str, Any] | TelemetryConfig | None,
    manifest: dict | None = None,
    registry: Any = None,
    metrics: Any = None,
) -> TelemetrySink | None:
    """A running sink if `telemetry.enabled`, else None. Registers the edge_sidecar_telemetry_*
    metrics on `registry` (prometheus_client) unless `metrics` (a TelemetryMetrics) is given."""
    cfg = section if isinstance(section, TelemetryConfig) else TelemetryConfig.from_dict(section)
    if not cfg.enabled:
        return None
    protos = None
    if manifest is not None:
        try:
            protos = Prototypes.from_manifest(manifest)
        except (KeyError, TypeError, ValueError):
            protos = None  # novelty falls back to 1 - max cos
    if metrics is None and registry is not False:
        from .metrics import TelemetryMetrics

        metrics = TelemetryMetrics(registry)
    sink = TelemetrySink(
        cfg,
        prototypes=protos,
        on_drop=metrics.on_drop if metrics is not None else None,
        on_written=metrics.on_written if metrics is not None else None,
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
    manifest: dict | None = None,
) -> int:
    """One event per window of a successful request (N, D) / (N, K) / (N, T, C); never blocks,
    never raises. Returns how many events were accepted."""
    if sink is None:
        return 0
    try:
        ts = time.time() if ts is None else ts
        protos = prototypes_for(model_version, manifest)
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
