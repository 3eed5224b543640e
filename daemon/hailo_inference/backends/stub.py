"""A deterministic stand-in for the accelerator: never a model, always flagged as a stub."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from edge_artifact import Artifact

from hailo_inference.backends.base import BackendTimeout

if TYPE_CHECKING:
    from hailo_inference.config import ModelConfig

KEY = "stub"


def unavailable(artifact: Artifact) -> str | None:
    return None  # always possible, and never chosen by auto


def create(artifact: Artifact, cfg: ModelConfig) -> StubBackend:
    m = artifact.manifest
    spec = m.input_spec
    return StubBackend(spec.window * len(spec.channels), m.latent_dim, cfg.stub_delay_s)


class StubBackend:
    """latent = tanh(x_flat @ W) with a fixed seeded W: same input, same output, no model."""

    kind = KEY
    is_stub = True
    layout = "NCHW"
    normalization_on_chip = False

    def __init__(self, in_features: int = 900, latent_dim: int = 64, delay_s: float = 0.0) -> None:
        rng = np.random.default_rng(0)
        self.w = (rng.standard_normal((in_features, latent_dim)) / np.sqrt(in_features)).astype(
            np.float32
        )
        self.latent_dim = latent_dim
        self.delay_s = delay_s

    def run(self, x: np.ndarray, timeout_s: float) -> np.ndarray:
        if self.delay_s:
            if self.delay_s > timeout_s:
                time.sleep(timeout_s)
                raise BackendTimeout(
                    f"stub delay {self.delay_s}s exceeds the {timeout_s}s request timeout"
                )
            time.sleep(self.delay_s)
        flat = x.reshape(x.shape[0], -1)
        return np.tanh(flat @ self.w).reshape(x.shape[0], self.latent_dim, 1, 1)

    def describe(self) -> dict:
        return {"kind": self.kind, "stub": True, "delay_s": self.delay_s}

    def temperatures(self) -> dict[str, float]:
        return {}

    def close(self) -> None:
        pass
