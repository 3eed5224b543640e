"""Shared helpers for the daemon tests (no fixtures)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import requests
import yaml
from fake_imports import FAKES, purge  # noqa: F401 (the daemon tests' names for them)
from hailo_inference.app import State, create_app
from hailo_inference.config import ModelConfig, build_config
from hailo_inference.logs import configure_logging, get_logger
from hailo_inference.metrics import Metrics
from hailo_inference.service import ModelService

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_hailort_version() -> str:
    """The fake hailo_platform's default version (tests/fakes/hailo_platform/_version.py), read
    without importing the fake package (it must not stay importable for the non-fake tests)."""
    path = FAKES / "hailo_platform" / "_version.py"
    spec = importlib.util.spec_from_file_location("_fake_hailort_version", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.default())


def paired_fake_dfc() -> str:
    """The fake DFC version paired with the fake HailoRT's default (the fleet's pin)."""
    from edge_artifact import hailo_pairs

    runtime = hailo_pairs.minor(fake_hailort_version())
    pair = next(p for p in hailo_pairs.pairs() if hailo_pairs.minor(p.hailort) == runtime)
    return f"{pair.dfc}.0+fake"


def copy_artifact(src: Path, dst: Path, version: str | None = None) -> Path:
    """A writable copy; optionally with another model version (manifest changes, files don't)."""
    shutil.copytree(src, dst)
    if version:
        m = json.loads((dst / "manifest.json").read_text())
        m["model"]["version"] = version
        (dst / "manifest.json").write_text(json.dumps(m))
    return dst


class Live:
    """A real `python -m hailo_inference` (waitress) on loopback, stopped by its pid."""

    def __init__(self, tmp: Path, artifact: Path, env: dict | None = None, **cfg: dict) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"daemon-{self.port}.ndjson"
        conf = {
            "server": {"port": self.port, **cfg.get("server", {})},
            "model": {"artifact": str(artifact), "backend": "onnx", **cfg.get("model", {})},
            "logging": {"file": str(self.log), "level": "info"},
        }
        self.config = tmp / f"config-{self.port}.yaml"
        self.config.write_text(yaml.safe_dump(conf))
        e = {k: v for k, v in os.environ.items() if not k.startswith("HAILO_INFERENCE_")}
        e.update(env or {})
        self.proc = subprocess.Popen(
            [PY, "-m", "hailo_inference", "--config", str(self.config)],
            env=e,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.logs()[-5:]}")
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or a busy machine
            time.sleep(0.1)
        raise AssertionError(f"not ready after {timeout}s: {self.logs()[-5:]}")

    def logs(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()  # type: ignore[union-attr]
        self.proc.stderr.close()  # type: ignore[union-attr]
        return self.proc.returncode


def service(artifact: Path, **kw: object) -> ModelService:
    """A ModelService for `artifact` (not started), ModelConfig fields as keywords."""
    return ModelService(ModelConfig(artifact=str(artifact), **kw), Metrics(), get_logger())


def make_app(artifact: Path, backend: str = "onnx", **sections: dict):
    """(flask app, state) serving `artifact` in-process, model loaded."""
    data = {"model": {"artifact": str(artifact), "backend": backend, **sections.get("model", {})}}
    data["server"] = sections.get("server", {})
    cfg = build_config(data, env={})
    configure_logging("warning")
    log = get_logger()
    holder: list[ModelService] = []
    metrics = Metrics(temperatures=lambda: holder[0].temperatures() if holder else {})
    svc = ModelService(cfg.model, metrics, log)
    holder.append(svc)
    svc.start()
    state = State(cfg, svc, metrics, log)
    return create_app(state), state


def golden(artifact: Path) -> dict[str, np.ndarray]:
    with np.load(artifact / "golden.npz") as z:
        return {k: z[k] for k in z.files}


def notify_socket(path: Path) -> socket.socket:
    """A fake systemd $NOTIFY_SOCKET (datagrams) at `path`, recv timing out after 0.2 s."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(str(path))
    srv.settimeout(0.2)
    return srv


def post_until(url: str, stop, out: list, keepalive: bool = True) -> None:
    """POST one window to url/infer until `stop` is set; (status, X-Model or error, monotonic
    time the request was sent) into `out` (keepalive False: a new connection per request,
    which may reach another worker)."""
    body = json.dumps({"x": window()}).encode()
    headers = {"Content-Type": "application/json"}
    if not keepalive:
        headers["Connection"] = "close"
    with requests.Session() as s:
        while not stop.is_set():
            sent = time.monotonic()
            try:
                r = s.post(url + "/infer", data=body, headers=headers, timeout=10)
                out.append((r.status_code, r.headers.get("X-Model"), sent))
            except requests.RequestException as exc:
                out.append((0, repr(exc), sent))


def window(seed: int = 0) -> list[list[float]]:
    return np.random.default_rng(seed).normal(size=(100, 9)).round(4).tolist()


def wait_for(pred: Callable[[], object], what: str, limit_s: float = 60.0) -> None:
    """Bounded wait for a condition the daemon makes true (not a timing assertion)."""
    end = time.monotonic() + limit_s
    while not pred():
        assert time.monotonic() < end, f"never happened: {what}"
        time.sleep(0.02)


def wait_until(cond, what: str, limit_s: float = 10.0) -> None:
    end = time.monotonic() + limit_s
    while not cond():
        assert time.monotonic() < end, what
        time.sleep(0.005)


class Held:
    """Wraps ModelService.infer: counts callers inside, holds each until `release` is set."""

    def __init__(self, svc) -> None:
        self.orig, self.release = svc.infer, threading.Event()
        self.lock, self.inside, self.most = threading.Lock(), 0, 0

    def __call__(self, x, timeout_s):
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            assert self.release.wait(10), "test never released the held inference"
            return self.orig(x, timeout_s)
        finally:
            with self.lock:
                self.inside -= 1
