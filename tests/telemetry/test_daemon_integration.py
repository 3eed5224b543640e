"""The real daemon (python -m hailo_inference, waitress, onnx backend on tiny_artifact) with
telemetry.enabled: one event per served window with the request's X-Request-ID, the drop and
written counters on /metrics, everything flushed on SIGTERM; off by default (no folder)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import yaml
from edge_telemetry.reader import ReadStats, iter_events

pytest.importorskip("hailo_inference.app")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tmp: Path, artifact: Path, telemetry: dict | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    conf: dict = {
        "server": {"port": port},
        "model": {"artifact": str(artifact), "backend": "onnx"},
        "logging": {"file": str(tmp / "daemon.ndjson"), "level": "info"},
    }
    if telemetry is not None:
        conf["telemetry"] = telemetry
    (tmp / "config.yaml").write_text(yaml.safe_dump(conf))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILO_INFERENCE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hailo_inference", "--config", str(tmp / "config.yaml")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited: {proc.stderr.read().decode()[-3000:]}")
        try:
            if requests.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("daemon not ready after 60 s")


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()  # type: ignore[union-attr]


def metric(url: str, name: str, labels: str = "") -> float:
    for line in requests.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith(name + labels + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{labels} not exported")


def test_one_event_per_window_flushed_on_sigterm(tiny_artifact, tmp_path):
    tel = tmp_path / "telemetry"
    proc, url = start(tmp_path, tiny_artifact, {"enabled": True, "dir": str(tel),
                                                "sample_rate": 1.0})  # fmt: skip
    try:
        rng = np.random.default_rng(0)
        ids = []
        for i in range(5):
            r = requests.post(url + "/infer", json={"x": rng.normal(size=(100, 9)).tolist()},
                              headers={"X-Request-ID": f"tel-{i}"}, timeout=10)  # fmt: skip
            assert r.status_code == 200, r.text
            ids.append((f"tel-{i}", 0))
        r = requests.post(url + "/infer/batch", json={"x": rng.normal(size=(3, 100, 9)).tolist()},
                          headers={"X-Request-ID": "tel-batch"}, timeout=10)  # fmt: skip
        assert r.status_code == 200, r.text
        ids += [("tel-batch", j) for j in range(3)]
        bad = requests.post(url + "/infer", json={"x": [[1.0] * 9] * 3}, timeout=10)
        assert bad.status_code == 400  # not a successful inference: no event
        deadline = time.monotonic() + 10
        while (
            metric(url, "edge_sidecar_telemetry_events_total") < 8 and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert metric(url, "edge_sidecar_telemetry_events_total") == 8
        assert metric(url, "edge_sidecar_telemetry_dropped_total", '{reason="queue_full"}') == 0
        version = requests.get(url + "/v1/model", timeout=5).json()["version"]
    finally:
        assert stop(proc) == 0
    stats = ReadStats()
    events = list(iter_events(tel, stats=stats))
    assert [(e["request_id"], e["index"]) for e in events] == ids
    assert stats.torn == 0 and stats.invalid == 0
    assert all(e["model_version"] == version and e["backend"] == "onnx" for e in events)
    assert all(np.asarray(e["window"]).shape == (100, 9) for e in events)
    assert all(0.0 <= e["top_score"] <= 1.0 and e["novelty"] >= 0 for e in events)
    logs = [json.loads(x) for x in (tmp_path / "daemon.ndjson").read_text().splitlines() if x]
    assert any(x.get("event") == "exit" and x.get("code") == 0 for x in logs)


def test_off_by_default(tiny_artifact, tmp_path):
    proc, url = start(tmp_path, tiny_artifact, None)
    try:
        r = requests.post(url + "/infer", json={"x": [[0.5] * 9] * 100}, timeout=10)
        assert r.status_code == 200
        assert "edge_sidecar_telemetry_events_total" not in requests.get(url + "/metrics").text
    finally:
        assert stop(proc) == 0
