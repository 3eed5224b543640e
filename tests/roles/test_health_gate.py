"""The rollout's health gate script (roles/hailo_inference/files/health_gate.py), off the fleet.

The comparison decides whether a host keeps a release, so it is tested on its own here; the
script's HTTP part is exercised against real daemons by tests/deploy on the lab.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from local_play import ANSIBLE, ansible_playbook, run_play
from tool_output import play_recap

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


def _serve(
    answer_latent: np.ndarray,
    model: str,
    ready: int = 200,
    backend: str = "onnx",
    fallback: dict | None = None,
    workers: list[str] | None = None,
) -> ThreadingHTTPServer:
    """A stand-in daemon: /healthz names `model` and `backend`, /readyz answers `ready`,
    /metrics has an edge_sidecar_model_info series per backend of `workers` (default [backend])."""
    name, version = model.split("@")
    metrics = "".join(
        f'edge_sidecar_model_info{{backend="{b}",manifest_sha256="s",name="{name}",stub="false",'
        f'version="{version}"}} 1.0\n'
        for b in sorted(set(workers or [backend]))
    )

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
                body = {"ok": True, "model": model, "backend": backend, "fallback": fallback}
                self._send(200, body)
            elif self.path == "/metrics":
                self.send_response(200)
                self.send_header("Content-Length", str(len(metrics)))
                self.end_headers()
                self.wfile.write(metrics.encode())
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


# ---- the gate's backend rule (tasks/health_gate.yml), through ansible-playbook ----------------
# Issue 13 item 3: with an accelerator and a HEF in the artifact the host must serve on hailo.
# The daemon here is a stand-in HTTP server (its /healthz says which backend serves), so this is
# verified against a fake daemon, not on hardware; the lab's deploy scenario runs the real one.

ROOT_DIR = Path(__file__).resolve().parents[2]
PLAY = """- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: health_gate
"""


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_gate_fails_a_host_whose_accelerator_is_idle_verified_against_fake(tmp_path: Path):
    """One local play, five stand-in hosts: only the one with an accelerator, a HEF in its
    artifact and a daemon that fell back to onnx fails (and would be rolled back)."""
    import sys

    (tmp_path / "art").mkdir()
    art, golden = _artifact(tmp_path / "art")
    manifest = json.loads((art / "manifest.json").read_text())
    with_hef = {**manifest, "backends": {"hailo": {"file": "encoder.hef", "hw_arch": "hailo8"}}}
    reason = "cannot load encoder.hef on the device: HailoRTException: ... error: 92"
    hosts = {  # name: (accelerator, manifest, served backend, fallback, allow_cpu, want_fail)
        "idle": (True, with_hef, "onnx", {"from": "hailo", "to": "onnx", "reason": reason}, False),
        "busy": (True, with_hef, "hailo", None, False),
        "allowcpu": (True, with_hef, "onnx", None, True),
        "nohef": (True, manifest, "onnx", None, False),
        "noaccel": (False, with_hef, "onnx", None, False),
        # issue 27 item 7a: /healthz reached a worker on hailo, another worker serves onnx
        "oneworker": (True, with_hef, "hailo", None, False),
    }
    workers = {"oneworker": ["hailo", "onnx"]}
    servers, inv = [], {}
    for name, (accel, man, backend, fallback, allow) in hosts.items():
        root = tmp_path / name
        (root / "bin").mkdir(parents=True)
        (root / "bin/health_gate.py").symlink_to(SCRIPT)
        (root / "current/venv/bin").mkdir(parents=True)
        py = root / "current/venv/bin/python"
        py.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        py.chmod(0o755)
        (root / "current/artifact").symlink_to(art)
        srv = _serve(golden, "m@1", backend=backend, fallback=fallback, workers=workers.get(name))
        servers.append(srv)
        inv[name] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "hailo_inference_root": str(root),
            "hailo_inference_port": srv.server_address[1],
            "hailo_inference_accelerator": accel,
            "hailo_inference_gate_allow_cpu": allow,
            "hailo_inference_health_retries": 2,
            "hailo_inference_health_delay": 0,
            "__hailo_inference_manifest": man,
            "__hailo_inference_model_ref": "m@1",
        }
    try:
        r = run_play(tmp_path, {"all": {"hosts": inv}}, PLAY)
    finally:
        for srv in servers:
            srv.shutdown()
    out = r.stdout + r.stderr  # for people and message searches; the recap is read from stdout
    flat = " ".join(out.split())
    recap = {host: counts["failed"] != 0 for host, counts in play_recap(r.stdout).items()}
    assert recap == {
        "idle": True,
        "busy": False,
        "allowcpu": False,
        "nohef": False,
        "noaccel": False,
        "oneworker": True,
    }, out[-4000:]
    assert "backend hailo: the accelerator is idle (backends of all workers: hailo, onnx)" in flat
    assert "idle has a Hailo accelerator and the artifact ships a HEF (encoder.hef)" in flat
    assert "backend onnx: the accelerator is idle" in flat and reason in flat
    assert "hailo_inference_gate_allow_cpu: true" in flat


# ---- a hung daemon (issue 28 item 8): every HTTP call of the gate has a timeout ---------------


def _hung_server() -> tuple[socket.socket, list[socket.socket]]:
    """Listens and accepts every connection, then never answers (a hung daemon)."""
    srv = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:  # closed by the test
                return

    threading.Thread(target=accept, daemon=True).start()
    return srv, held


def _close(srv: socket.socket, held: list[socket.socket]) -> None:
    srv.close()
    for conn in held:
        conn.close()


def test_gate_script_fails_a_daemon_that_accepts_and_never_answers(tmp_path: Path, capsys):
    art, _ = _artifact(tmp_path)
    srv, held = _hung_server()
    try:
        url = f"http://127.0.0.1:{srv.getsockname()[1]}"
        assert gate.main(["--url", url, "--artifact", str(art), "--timeout", "0.2"]) == 1
    finally:
        _close(srv, held)
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["error"].startswith("/healthz: no answer within 0.2 s"), out
    assert held, "the stand-in never saw the gate connect"


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_gate_tasks_give_each_http_call_the_scaled_timeout(tmp_path: Path):
    """The gate's uri calls (tasks/health_gate.yml) against a daemon that accepts and never
    answers: each try ends at the role's scaled gate timeout (_hailo_inference_gate_timeout_s,
    10 s x hailo_inference_time_scale; 1 s here through an extra var), not at the uri module's
    30 s default, so 60 tries no longer hold a canary for ~30 min. Each try's duration is the
    `elapsed` the module reports (-v); the subprocess limit only keeps a regression from hanging."""
    import sys

    srv, held = _hung_server()
    inv = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "hailo_inference_root": str(tmp_path),
        "hailo_inference_port": srv.getsockname()[1],
        "hailo_inference_accelerator": False,
        "hailo_inference_health_retries": 2,
        "hailo_inference_health_delay": 0,
        "__hailo_inference_manifest": {},
        "__hailo_inference_model_ref": "m@1",
    }
    (tmp_path / "hosts.json").write_text(json.dumps({"all": {"hosts": {"hung": inv}}}))
    (tmp_path / "play.yml").write_text(PLAY)
    args = ("-v", "-i", str(tmp_path / "hosts.json"), str(tmp_path / "play.yml"),
            "-e", "_hailo_inference_gate_timeout_s=1")  # fmt: skip
    try:
        r = ansible_playbook(*args, timeout=50)
    finally:
        _close(srv, held)
    assert play_recap(r.stdout)["hung"]["failed"] == 1, r.stdout[-3000:]
    assert "timed out" in r.stdout, r.stdout[-3000:]
    assert "Wait until the daemon serves the expected model" in r.stdout
    # each try's own duration as the uri module reports it: the 1 s timeout, not the 30 s default
    elapsed = [int(s) for s in re.findall(r"^\s+elapsed: (\d+)$", r.stdout, flags=re.M)]
    assert elapsed and max(elapsed) < 10, elapsed
