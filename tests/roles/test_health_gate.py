"""The rollout's health gate script (roles/hailo_inference/files/health_gate.py), off the fleet.

The comparison decides whether a host keeps a release, so it is tested on its own here; the
script's HTTP part is exercised against real daemons by tests/deploy on the lab.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles/hailo_inference/files/health_gate.py"
spec = importlib.util.spec_from_file_location("health_gate", SCRIPT)
gate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)

ONNX_TOL = {"min_cosine": 0.99999, "rtol": 1e-3, "atol": 1e-5}
HAILO_TOL = {"min_cosine": 0.99, "min_snr_db": 20}


def test_identical_latent_passes() -> None:
    g = np.random.default_rng(0).normal(size=64)
    ok, fig = gate.compare(g.copy(), g, ONNX_TOL)
    assert ok and fig["cosine"] == pytest.approx(1.0)


def test_wrong_latent_fails() -> None:
    g = np.random.default_rng(1).normal(size=64)
    assert not gate.compare(-g, g, ONNX_TOL)[0]
    assert not gate.compare(g + 1e-3, g, ONNX_TOL)[0]  # cosine fine, atol/rtol not


def test_hailo_tolerance_uses_snr() -> None:
    rng = np.random.default_rng(2)
    g = rng.normal(size=64)
    small = g + rng.normal(scale=0.01, size=64)  # ~40 dB
    large = g + rng.normal(scale=0.3, size=64)  # ~10 dB
    assert gate.compare(small, g, HAILO_TOL)[0]
    assert not gate.compare(large, g, HAILO_TOL)[0]


def _artifact(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 100, 9)).astype(np.float32)
    latent = rng.normal(size=(2, 64)).astype(np.float32)
    np.savez(tmp_path / "golden.npz", x=x, latent=latent, motif_scores=np.zeros((2, 12)))
    manifest = {
        "model": {"name": "m", "version": "1"},
        "motifs": {"count": 12},
        "tolerance": {"onnx": ONNX_TOL, "hailo": HAILO_TOL},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path, latent[0]


def _serve(answer_latent: np.ndarray, model: str, ready: int = 200) -> ThreadingHTTPServer:
    class H(BaseHTTPRequestHandler):
        def _send(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._send(200, {"ok": True, "model": model, "backend": "onnx"})
            else:
                self._send(ready, {})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self._send(200, {"latent": answer_latent.tolist(), "motif_scores": [0.5] * 12})

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.mark.parametrize(
    ("shift", "model", "ready", "want"),
    [(0.0, "m@1", 200, 0), (1.0, "m@1", 200, 1), (0.0, "m@0", 200, 1), (0.0, "m@1", 503, 1)],
    ids=["good", "wrong-latent", "old-model", "not-ready"],
)
def test_gate_end_to_end(tmp_path: Path, capsys, shift: float, model: str, ready: int, want: int):
    art, golden = _artifact(tmp_path)
    srv = _serve(golden + shift, model, ready)
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}"
        assert gate.main(["--url", url, "--artifact", str(art)]) == want
    finally:
        srv.shutdown()
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is (want == 0)
