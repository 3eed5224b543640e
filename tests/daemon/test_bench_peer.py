"""Smoke test: the benchmark peer (benchmarks/peer_fastapi.py, issue 16) answers EdgeInfer's
contract on a tiny artifact, with the daemon's figures for the golden window.

Needs the bench-only packages (benchmarks/requirements-bench.txt, installed by `make bench`);
skipped without them. The peer runs as `make bench` runs it: its own process, uvicorn."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bench_modules import BENCH, load

WHY = "bench-only package: make bench installs benchmarks/requirements-bench.txt into .venv"
pytest.importorskip("fastapi", reason=WHY)
pytest.importorskip("uvicorn", reason=WHY)


def _post(port: int, body: bytes) -> tuple[int, dict]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/infer", body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, json.loads(r.read())


def test_peer_answers_the_contract_shape_with_the_golden_figures(art: Path, tmp_path: Path):
    loadgen = load("loadgen")
    port = loadgen.free_port()
    log = tmp_path / "peer.log"
    cmd = [sys.executable, str(BENCH / "peer_fastapi.py"), "--artifact", str(art)]
    with log.open("wb") as f:
        proc = subprocess.Popen([*cmd, "--port", str(port)], stdout=f, stderr=f)
    try:
        loadgen.wait_ready(proc, port, "/healthz", f"peer (see {log})")
        with np.load(art / "golden.npz") as z:
            x, latent, scores = z["x"][0], z["latent"][0], z["motif_scores"][0]
        status, out = _post(port, json.dumps({"x": x.tolist()}).encode())
        assert status == 200, out
        assert sorted(out) == ["latent", "motif_scores"]
        assert len(out["latent"]) == 64 and len(out["motif_scores"]) == 12
        np.testing.assert_allclose(out["latent"], latent, atol=1e-4)
        np.testing.assert_allclose(out["motif_scores"], scores, atol=1e-4)
        status, err = _post(port, json.dumps({"x": x[:99].tolist()}).encode())
        assert status == 422 and "100 rows" in json.dumps(err)
    finally:
        proc.terminate()
        proc.wait(30)
