"""The health gate judges every worker, not the one /healthz reached (issue 27 item 7a).

With server.workers > 1 the workers accept on one shared socket: /healthz answers for whichever
worker took the connection. The gate reads /metrics instead, where every live worker's
edge_sidecar_model_info series is merged (`livemax`). Here two worker processes are simulated
with the daemon's own Metrics class in prometheus_client's multiprocess mode (a process
identifier per worker), one serving hailo and one fallen back to onnx.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from prometheus_client import generate_latest, values

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "roles/hailo_inference/files/health_gate.py"
spec = importlib.util.spec_from_file_location("health_gate_workers", SCRIPT)
gate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)

MODEL = "tcn-vae-encoder@0.1.0-abc"


def scrape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backends: list[str]) -> str:
    """/metrics of a daemon whose worker i serves MODEL on backends[i]."""
    from hailo_inference.metric_names import MULTIPROC_ENV
    from hailo_inference.metrics import Metrics

    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    name, version = MODEL.split("@")
    scraper = None
    for pid, backend in enumerate(backends, start=1000):
        monkeypatch.setattr(
            values, "ValueClass", values.MultiProcessValue(process_identifier=lambda p=pid: p)
        )
        m = Metrics()
        m.set_model(name, version, backend, "sha", False)
        scraper = scraper or m
    assert scraper is not None
    return generate_latest(scraper.scrape_registry).decode()


def test_one_worker_on_onnx_is_seen_from_any_worker(tmp_path, monkeypatch) -> None:
    text = scrape(tmp_path, monkeypatch, ["hailo", "onnx"])
    assert gate.serving_backends(text, MODEL) == ["hailo", "onnx"]
    assert gate.serving_backends(text, "other@1") == []


def test_all_workers_on_hailo(tmp_path, monkeypatch) -> None:
    text = scrape(tmp_path, monkeypatch, ["hailo", "hailo", "hailo"])
    assert gate.serving_backends(text, MODEL) == ["hailo"]


def test_the_role_requires_every_worker_on_hailo() -> None:
    """The assert that fails a host with an idle accelerator judges the gate's `backends`."""
    tasks = (ROOT / "roles/hailo_inference/tasks/prove.yml").read_text()
    assert "(__hailo_inference_gate.stdout | from_json).backends | default([])) == ['hailo']" in (
        tasks
    )
