"""The one inference pipeline: raw windows -> host tail prepare -> backend run -> latent -> motif
scores. Serving (ModelService.infer, hence the HTTP views and the benchmarks) and the golden check
(ModelService.build, hence /readyz and roles/hailo_verify's verify_host.py) both run windows
through `infer` here; normalization, layout and the motif scores are edge_artifact.HostTail's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from edge_artifact import HostTail

    from hailo_inference.backends.base import Backend


def infer(
    tail: HostTail, be: Backend, x: np.ndarray, timeout_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Raw windows (N, T, C) float32 -> latent (N, D) and motif scores (N, K), both float32.

    Normalization happens on the host unless the backend does it on chip. A non-finite output is
    returned as it is (no numpy warning): the caller decides what it means."""
    prepared = tail.prepare(x, be.layout, normalize=not be.normalization_on_chip)  # type: ignore[arg-type]
    y = be.run(prepared, timeout_s)
    with np.errstate(all="ignore"):
        latent = tail.latent(y)
        return latent, tail.motif_scores(latent)


def infer_chunked(
    tail: HostTail, be: Backend, x: np.ndarray, timeout_s: float, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """`infer` over `chunk` windows at a time, concatenated: bounds the backend's peak memory."""
    parts = [infer(tail, be, x[i : i + chunk], timeout_s) for i in range(0, x.shape[0], chunk)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
