"""Issue 14 item 3: finite but physically impossible inputs, and non-finite model outputs.

A cell >= ~1e37 used to overflow during normalization and come back as a 200 with `null`s."""

from __future__ import annotations

import json
import warnings

import numpy as np
import orjson
import pytest
from daemon_helpers import make_app, window
from hailo_inference.logs import configure_logging
from hailo_inference.validation import InputLimits

JSON = {"Content-Type": "application/json"}
CHANNELS = ["ax", "ay", "az", "gx", "gy", "gz", "mx", "my", "mz"]
# finite in float32 (so not 400 invalid_value), all far outside what an IMU reports
HOSTILE = [1e37, -1e37, 3.0e38, -3.3e38, 1e20, 1e6, -5000.0, 4901.0]


def _flat(v: object) -> list:
    return [e for x in v for e in _flat(x)] if isinstance(v, list) else [v]


def test_out_of_range_input_is_422_naming_window_sample_channel_and_value(app_state):
    client = app_state[0].test_client()
    statuses = []
    for c in range(9):
        for value in HOSTILE:
            w = window(c)
            w[7][c] = value
            for path, body in (("/infer", {"x": w}), ("/infer/batch", {"x": [window(1), w]})):
                r = client.post(path, data=orjson.dumps(body), headers=JSON)
                statuses.append(r.status_code)
                out = r.get_json()
                assert r.status_code == 422, (c, value, out)
                assert out["error"] == "out_of_range"
                n = 1 if path.endswith("batch") else 0
                assert f"window {n}, sample 7, channel {CHANNELS[c]} (index {c})" in out["detail"]
                assert f"{value:g}" in out["detail"]
                assert None not in _flat(out.get("latent", []))
    assert len(statuses) == 9 * len(HOSTILE) * 2 and set(statuses) == {422}
    text = client.get("/metrics").get_data(as_text=True)
    assert 'edge_sidecar_rejections_total{reason="invalid_input"}' in text


def test_values_inside_the_declared_range_are_served(app_state):
    client = app_state[0].test_client()
    w = np.asarray(window(3))
    w[:, :3], w[:, 3:6], w[:, 6:] = 159.0, -34.9, 4899.0  # the edges of input.range
    r = client.post("/infer", data=orjson.dumps({"x": w.tolist()}), headers=JSON)
    assert r.status_code == 200, r.get_json()
    assert all(isinstance(v, float) for v in _flat(r.get_json()["latent"]))


def test_artifact_without_input_range_still_refuses_what_overflows_after_normalization():
    manifest = {
        "input": {"channels": CHANNELS, "units": ["u"] * 9, "window": 100},
        "normalization": {"mean": [0.0] * 9, "std": [0.5] * 9},
        "motifs": {"prototypes": [[1.0] * 64]},
    }
    limits = InputLimits.from_manifest(manifest)
    x = np.zeros((2, 100, 9), np.float32)
    limits.check(x)  # fine
    x[1, 3, 8] = 3.0e38  # finite in float32, / 0.5 is not
    with pytest.raises(Exception, match=r"window 1, sample 3, channel mz .*float32"):
        limits.check(x)


def test_non_finite_output_is_a_counted_logged_json_500_never_nulls(tiny_artifact, monkeypatch):
    app, state = make_app(tiny_artifact, "onnx")
    be = state.service.served.backend
    real = be.run
    monkeypatch.setattr(be, "run", lambda x, t: real(x, t) * np.float32("nan"))
    logged: list[tuple[str, dict]] = []
    monkeypatch.setattr(state.service.log, "error", lambda ev, **kw: logged.append((ev, kw)))
    r = app.test_client().post("/infer", data=orjson.dumps({"x": window()}), headers=JSON)
    assert r.status_code == 500 and r.mimetype == "application/json"
    out = r.get_json()
    assert out["error"] == "non_finite_output" and set(out) == {"error", "detail", "request_id"}
    assert b"null" not in r.get_data()
    assert [ev for ev, _ in logged] == ["non_finite_output"]
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'edge_sidecar_non_finite_outputs_total{backend="onnx"} 1.0' in text


def test_python_warnings_become_ndjson_lines_not_stderr_text(tmp_path, capsys):
    log = tmp_path / "log.ndjson"
    configure_logging("info", str(log))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            np.float32(3e38) * np.float32(10)  # numpy: RuntimeWarning overflow
    finally:
        configure_logging("warning")
    assert capsys.readouterr().err == ""
    lines = [json.loads(s) for s in log.read_text().splitlines()]
    assert [e["category"] for e in lines if e["event"] == "python_warning"] == ["RuntimeWarning"]
