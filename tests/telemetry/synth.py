"""Helpers for the telemetry tests: synthetic events with a known geometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
from edge_telemetry.event import InferenceEvent, Prototypes, to_record
from edge_telemetry.rotation import file_name

D, K, T, C = 64, 12, 100, 9


def protos(seed: int = 7) -> Prototypes:
    rng = np.random.default_rng(seed)
    return Prototypes.from_array(rng.normal(size=(K, D)) * 3.0)


def scores_for(latent: np.ndarray, p: Prototypes) -> np.ndarray:
    z = latent / np.linalg.norm(latent)
    u = p.raw / np.linalg.norm(p.raw, axis=1, keepdims=True)
    return ((1 + u @ z) / 2).astype(np.float32)


def make_event(
    i: int, latent: np.ndarray, p: Prototypes, ts: float, window: bool = True
) -> InferenceEvent:
    w = np.full((T, C), float(i), dtype=np.float32) if window else None
    return InferenceEvent(
        request_id=f"req-{i:06d}",
        model_version="1.0.0-abc",
        backend="onnx",
        latency_s=0.001,
        latent=latent.astype(np.float32),
        motif_scores=scores_for(latent, p),
        window=w,
        ts=ts,
    )


def write_file(folder: Path, ts: float, records: list[dict], tail: bytes = b"") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(ts)
    with open(path, "wb") as f:
        for r in records:
            f.write(orjson.dumps(r, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        f.write(tail)
    return path


def record(ev: InferenceEvent, p: Prototypes, keep: bool = True) -> dict:
    return to_record(ev, p, keep_window=keep)
