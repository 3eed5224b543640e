"""The benchmark peer (issue 16): a plain FastAPI + pydantic + uvicorn sidecar on an artifact.

    .venv/bin/python benchmarks/peer_fastapi.py --artifact artifacts/<model>/<version> --port 9300

Written the way the original design record sketched the sidecar (hailo_pipeline's
src/runtime): FastAPI, a pydantic v2 request model whose validator checks the window's shape, a
per-channel range check, a response model, prometheus_client metrics, and `uvicorn.run` with its
defaults (one process, asyncio + h11, access log on). Deliberately left untuned: it is the naive
design hailo-inference must beat, not a competitor to optimize. It does the same work per window
as the daemon: the artifact's ONNX (backends.onnx) in one ONNX Runtime session with intra-op
threads 1, the artifact's host tail from edge_artifact (z-score, layout; latent, motif scores),
the same `{"latent": [64], "motif_scores": [12]}` answer. Bench-only: its packages come from
benchmarks/requirements-bench.txt; the daemon never imports this file or them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import uvicorn
from edge_artifact import HostTail, load_artifact
from fastapi import FastAPI, HTTPException
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, field_validator

WINDOW, CHANNELS = 100, 9  # EdgeInfer's contract: 100 samples x ax..mz


class InferRequest(BaseModel):
    x: list[list[float]]

    @field_validator("x")
    @classmethod
    def window_shape(cls, v: list[list[float]]) -> list[list[float]]:
        if len(v) != WINDOW:
            raise ValueError(f"x must have {WINDOW} rows, got {len(v)}")
        for i, row in enumerate(v):
            if len(row) != CHANNELS:
                raise ValueError(f"x[{i}] must have {CHANNELS} values, got {len(row)}")
        return v


class InferResponse(BaseModel):
    latent: list[float]
    motif_scores: list[float]


def create_app(artifact_dir: str | Path, threads: int = 1) -> FastAPI:
    art = load_artifact(artifact_dir, verify=True)
    man = art.manifest
    tail = HostTail.from_manifest(man)
    if (tail.window, tail.channels) != (WINDOW, CHANNELS):
        raise SystemExit(f"{art.path}: window {tail.window}x{tail.channels}, not {WINDOW}x9")
    entry = art.backend("onnx")
    if not entry:
        raise SystemExit(f"{art.path}: the manifest has no backends.onnx entry")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(
        str(art.file(entry["file"])), sess_options=opts, providers=["CPUExecutionProvider"]
    )
    layout = entry.get("layout", "NCHW")
    inp = entry.get("input") or sess.get_inputs()[0].name
    out = entry.get("output") or sess.get_outputs()[0].name
    lo, hi = np.asarray(man.input_spec.range, dtype=np.float32).T

    registry = CollectorRegistry()
    requests = Counter("peer_requests", "inference requests", ["status"], registry=registry)
    duration = Histogram("peer_inference_duration_seconds", "model time", registry=registry)

    app = FastAPI(title="benchmark peer (FastAPI + uvicorn)")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "model": art.ref, "backend": "onnx"}

    @app.post("/infer", response_model=InferResponse)
    def infer(req: InferRequest) -> InferResponse:
        x = np.asarray(req.x, dtype=np.float32)[None]
        if not ((x >= lo) & (x <= hi)).all():
            requests.labels("422").inc()
            raise HTTPException(422, "values outside the sensor ranges")
        t0 = time.perf_counter()
        y = sess.run([out], {inp: tail.prepare(x, layout)})[0]
        duration.observe(time.perf_counter() - t0)
        latent = tail.latent(y)
        scores = tail.motif_scores(latent)
        requests.labels("200").inc()
        return InferResponse(latent=latent[0].tolist(), motif_scores=scores[0].tolist())

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--artifact", type=Path, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9300)
    ap.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    a = ap.parse_args(argv)
    uvicorn.run(create_app(a.artifact, a.threads), host=a.host, port=a.port)


if __name__ == "__main__":
    main()
