"""Shared helpers for the daemon tests (no fixtures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hailo_inference.app import State, create_app
from hailo_inference.config import build_config
from hailo_inference.logs import configure_logging, get_logger
from hailo_inference.metrics import Metrics
from hailo_inference.service import ModelService


def make_app(artifact: Path, backend: str = "onnx", **sections: dict):
    """(flask app, state) serving `artifact` in-process, model loaded."""
    data = {"model": {"artifact": str(artifact), "backend": backend, **sections.get("model", {})}}
    data["server"] = sections.get("server", {})
    cfg = build_config(data, env={})
    configure_logging("warning")
    log = get_logger()
    metrics = Metrics()
    svc = ModelService(cfg.model, metrics, log)
    svc.start()
    state = State(cfg, svc, metrics, log)
    return create_app(state), state


def golden(artifact: Path) -> dict[str, np.ndarray]:
    with np.load(artifact / "golden.npz") as z:
        return {k: z[k] for k in z.files}


def window(seed: int = 0) -> list[list[float]]:
    return np.random.default_rng(seed).normal(size=(100, 9)).round(4).tolist()
