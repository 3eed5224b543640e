"""One inference event: what the daemon hands over (cheap) and what a line of NDJSON holds.

The request thread only builds an `InferenceEvent` (references to arrays it already has); every
derived figure below is computed on the writer thread, off the request path.

Figures (K = number of motif prototypes, docs/artifact.md):
- `top_motif`, `top_score`: argmax and max of the motif scores s_k = (1 + cos(latent, p_k)) / 2.
- `entropy`: entropy of softmax(cos_k / TEMPERATURE) divided by log K, in [0, 1]; high when no
  prototype stands out (uncertain).
- `novelty`: Euclidean distance of the raw latent to the nearest raw prototype (the k-means
  centroids in the manifest), divided by the mean prototype norm; 0 on a prototype, grows as
  the latent leaves every cluster. Unlike the cosine figures it also sees an unusual latent norm.
  Without prototypes it falls back to 1 - max cos.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

TEMPERATURE = 0.1


@dataclass(frozen=True)
class InferenceEvent:
    """What the daemon submits for one successful window (arrays are not copied)."""

    request_id: str
    model_version: str
    backend: str
    latency_s: float
    latent: np.ndarray  # (D,)
    motif_scores: np.ndarray  # (K,)
    window: np.ndarray | None = None  # (T, C) raw units; kept only if the event is sampled
    ts: float = 0.0  # unix seconds (time.time() at the end of the request)
    index: int = 0  # position within a batch request (0 for a single window)
    batch: int = 1  # windows in the request (latency_s is the whole request's)
    prototypes: Prototypes | None = None  # of the model that served it (else the sink's)


@dataclass(frozen=True)
class Prototypes:
    """Raw prototypes from the manifest, prepared once for the novelty figure."""

    raw: np.ndarray  # (K, D) float64
    mean_norm: float

    @classmethod
    def from_manifest(cls, manifest: dict) -> Prototypes:
        return cls.from_array(np.asarray(manifest["motifs"]["prototypes"], dtype=np.float64))

    @classmethod
    def from_array(cls, protos: np.ndarray) -> Prototypes:
        raw = np.asarray(protos, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[0] < 1:
            raise ValueError(f"prototypes must be (K, D) with K >= 1, got {raw.shape}")
        norm = float(np.mean(np.linalg.norm(raw, axis=1)))
        return cls(raw=raw, mean_norm=norm if norm > 0 else 1.0)


def sampled(request_id: str, index: int, rate: float) -> bool:
    """Deterministic sampling: the same (request id, index) is always in or out at a rate."""
    if rate <= 0.0:
        return False
    if rate >= 1.0:
        return True
    h = zlib.crc32(f"{request_id}#{index}".encode())
    return h < rate * 4294967296.0


def normalized_entropy(scores: np.ndarray) -> float:
    """Entropy of softmax(cos / T) over the motifs, divided by log K (in [0, 1])."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    k = s.size
    if k < 2:
        return 0.0
    logits = (2.0 * s - 1.0) / TEMPERATURE  # cos = 2 s - 1
    logits -= logits.max()
    p = np.exp(logits)
    p /= p.sum()
    h = -float(np.sum(p * np.log(np.maximum(p, 1e-300))))
    return min(max(h / math.log(k), 0.0), 1.0)


def novelty(latent: np.ndarray, scores: np.ndarray, protos: Prototypes | None) -> float:
    z = np.asarray(latent, dtype=np.float64).ravel()
    if protos is None or protos.raw.shape[1] != z.size:
        return float(1.0 - (2.0 * float(np.max(scores)) - 1.0))
    d = np.linalg.norm(protos.raw - z, axis=1)
    return float(d.min() / protos.mean_norm)


def to_record(ev: InferenceEvent, protos: Prototypes | None, keep_window: bool) -> dict[str, Any]:
    """The NDJSON record for one event (computed on the writer thread)."""
    scores = np.asarray(ev.motif_scores, dtype=np.float32).ravel()
    latent = np.asarray(ev.latent, dtype=np.float32).ravel()
    top = int(np.argmax(scores))
    rec: dict[str, Any] = {
        "ts": round(float(ev.ts), 6),
        "request_id": ev.request_id,
        "index": ev.index,
        "model_version": ev.model_version,
        "backend": ev.backend,
        "latency_ms": round(float(ev.latency_s) * 1000.0, 4),
        "batch": ev.batch,
        "latent_norm": round(float(np.linalg.norm(latent.astype(np.float64))), 6),
        "top_motif": top,
        "top_score": round(float(scores[top]), 6),
        "entropy": round(normalized_entropy(scores), 6),
        "novelty": round(novelty(latent, scores, ev.prototypes or protos), 6),
    }
    if keep_window and ev.window is not None:
        rec["motif_scores"] = scores
        rec["latent"] = latent
        rec["window"] = np.ascontiguousarray(ev.window, dtype=np.float32)
    return rec
