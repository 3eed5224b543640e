"""The daemon-facing hook: off by default, one event per window, metrics registered."""

from __future__ import annotations

import numpy as np
from edge_telemetry.daemon_hook import record_inference, start_telemetry
from edge_telemetry.reader import iter_events
from prometheus_client import CollectorRegistry


def manifest(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"motifs": {"prototypes": rng.normal(size=(12, 64)).tolist()}}


def test_disabled_by_default_and_none_is_a_no_op():
    assert start_telemetry(None) is None
    assert start_telemetry({"enabled": False}) is None
    assert record_inference(None, "r", "v", "onnx", 0.001, np.zeros((1, 64)), np.zeros((1, 12)),
                            None) == 0  # fmt: skip


def test_batch_request_gives_one_event_per_window_and_counts_in_metrics(tmp_path):
    reg = CollectorRegistry()
    sink = start_telemetry({"enabled": True, "dir": str(tmp_path), "sample_rate": 1.0},
                           registry=reg)  # fmt: skip
    assert sink is not None
    man = manifest(1)
    protos = np.asarray(man["motifs"]["prototypes"], dtype=np.float32)
    latents = np.stack([protos[3], protos[5] * 4.0])  # on a prototype; far along another
    scores = np.full((2, 12), 0.5, np.float32)
    x = np.zeros((2, 100, 9), np.float32)
    n = record_inference(sink, "req-1", "1.2.3-abc", "onnx", 0.004, latents, scores, x,
                         manifest=man)  # fmt: skip
    assert n == 2
    single = record_inference(sink, "req-2", "1.2.3-abc", "onnx", 0.001, latents[0], scores[0],
                              x[0], manifest=man)  # fmt: skip
    assert single == 1
    sink.close()
    evs = list(iter_events(tmp_path))
    assert [(e["request_id"], e["index"], e["batch"]) for e in evs] == [
        ("req-1", 0, 2), ("req-1", 1, 2), ("req-2", 0, 1)]  # fmt: skip
    assert evs[0]["novelty"] < 1e-5 < 1.0 < evs[1]["novelty"]
    assert evs[0]["latency_ms"] == 4.0 and evs[0]["model_version"] == "1.2.3-abc"
    assert reg.get_sample_value("edge_sidecar_telemetry_events_total") == 3
    assert (
        reg.get_sample_value("edge_sidecar_telemetry_dropped_total", {"reason": "queue_full"}) == 0
    )
    assert reg.get_sample_value("edge_sidecar_telemetry_queue_depth") == 0


def test_queue_full_drops_show_in_the_metric(tmp_path):
    reg = CollectorRegistry()
    sink = start_telemetry({"enabled": True, "dir": str(tmp_path), "queue_size": 1},
                           registry=reg)  # fmt: skip
    assert sink is not None
    sink._stop.set()  # freeze the writer so the queue stays full
    sink._thread.join(5)
    lat, sc = np.ones((50, 64)), np.full((50, 12), 0.5)
    accepted = record_inference(sink, "r", "v", "onnx", 0.001, lat, sc, None)
    assert accepted <= 1
    dropped = reg.get_sample_value("edge_sidecar_telemetry_dropped_total", {"reason": "queue_full"})
    assert dropped == 50 - accepted
