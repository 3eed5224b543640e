"""The host-side tail shared by every backend and by the compiler's parity gates.

Raw windows (N, 100, 9) in m/s^2, rad/s, uT -> normalized accelerator input in the backend's
layout; accelerator output -> latent (N, 64) -> motif scores (N, 12). numpy only.
See docs/artifact.md for the definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Layout = Literal["NCHW", "NHWC"]


@dataclass(frozen=True)
class HostTail:
    """Pre- and post-processing around the accelerator graph, built from a manifest."""

    mean: np.ndarray  # (C,) float32
    std: np.ndarray  # (C,) float32
    prototypes: np.ndarray  # (K, D) float32, rows L2-normalized
    window: int = 100
    channels: int = 9

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> HostTail:
        norm = manifest["normalization"]
        protos = np.asarray(manifest["motifs"]["prototypes"], dtype=np.float32)
        return cls(
            mean=np.asarray(norm["mean"], dtype=np.float32),
            std=np.asarray(norm["std"], dtype=np.float32),
            prototypes=unit_rows(protos),
            window=int(manifest["input"]["window"]),
            channels=len(manifest["input"]["channels"]),
        )

    def prepare(self, x: np.ndarray, layout: Layout, normalize: bool = True) -> np.ndarray:
        """(N, T, C) raw windows -> C-contiguous float32 accelerator input in `layout`."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != (self.window, self.channels):
            raise ValueError(
                f"expected windows of shape (N, {self.window}, {self.channels}), got {x.shape}"
            )
        if normalize:
            x = (x - self.mean) / self.std
        n = x.shape[0]
        if layout == "NHWC":  # (N, 1, T, C): a pure reshape of the window
            out = x.reshape(n, 1, self.window, self.channels)
        elif layout == "NCHW":  # (N, C, 1, T)
            out = x.transpose(0, 2, 1).reshape(n, self.channels, 1, self.window)
        else:
            raise ValueError(f"unknown layout {layout!r}; use 'NCHW' or 'NHWC'")
        return np.ascontiguousarray(out, dtype=np.float32)

    def latent(self, y: np.ndarray) -> np.ndarray:
        """Accelerator output (N, 64, 1, 1), (N, 1, 1, 64) or (N, 64) -> latent (N, 64)."""
        y = np.asarray(y, dtype=np.float32)
        return y.reshape(y.shape[0], -1)

    def motif_scores(self, latent: np.ndarray) -> np.ndarray:
        """(1 + cos(latent, p_k)) / 2 for each prototype p_k: (N, K) in [0, 1]."""
        z = unit_rows(np.asarray(latent, dtype=np.float32))
        scores = (1.0 + z @ self.prototypes.T) * 0.5
        return np.clip(scores, 0.0, 1.0).astype(np.float32)


def unit_rows(a: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    a = np.asarray(a, dtype=np.float32)
    norms = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.maximum(norms, eps)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-row cosine similarity of two (N, D) arrays, computed in float64."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    num = np.sum(a * b, axis=-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return num / np.maximum(den, 1e-300)
