"""Fixtures for the daemon tests: artifacts (real tiny_artifact, + fake HEF), app, live server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
FAKES = ROOT / "tests" / "fakes"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def purge(prefix: str) -> None:
    for m in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        del sys.modules[m]


def copy_artifact(src: Path, dst: Path, version: str | None = None) -> Path:
    """A writable copy; optionally with another model version (manifest changes, files don't)."""
    shutil.copytree(src, dst)
    if version:
        m = json.loads((dst / "manifest.json").read_text())
        m["model"]["version"] = version
        (dst / "manifest.json").write_text(json.dumps(m))
    return dst


@pytest.fixture(scope="session")
def art(tiny_artifact: Path) -> Path:
    return tiny_artifact


@pytest.fixture(scope="session")
def hailo_art(tiny_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_artifact + encoder.hef from the FAKE DFC (verified against a fake, not hardware)."""
    dst = copy_artifact(tiny_artifact, tmp_path_factory.mktemp("hailo") / "artifact")
    sys.path.insert(0, str(FAKES))
    try:
        from edge_compiler import dfc

        res = dfc.compile_hef(
            dst, dfc.HefOptions(work_dir=dst.parent / "work"), log=lambda _m: None
        )
        assert res.status == "built", res.reason
    finally:
        sys.path.remove(str(FAKES))
        purge("hailo_sdk_client")
    return dst


@pytest.fixture()
def fake_hailo(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Put the fake hailo_platform on sys.path; release the daemon's VDevice afterwards."""
    monkeypatch.syspath_prepend(str(FAKES))
    purge("hailo_platform")
    purge("hailo_sdk_client")
    import hailo_platform

    hailo_platform.CALLS.clear()
    yield hailo_platform
    from hailo_inference.backends.hailo import VDEVICE

    VDEVICE.release()
    purge("hailo_platform")
    purge("hailo_sdk_client")


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
            except requests.ConnectionError:
                pass
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


@pytest.fixture()
def live(tmp_path: Path) -> Iterator:
    started: list[Live] = []

    def start(artifact: Path, wait: bool = True, **kw: object) -> Live:
        d = Live(tmp_path, artifact, **kw)  # type: ignore[arg-type]
        started.append(d)
        if wait:
            d.wait_ready()
        return d

    yield start
    for d in started:
        d.stop()
