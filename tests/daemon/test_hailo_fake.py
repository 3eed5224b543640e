"""The hailo backend through the InferModel API — verified against a fake, not on hardware.

tests/fakes/hailo_platform enforces the documented call order and buffer rules and runs the
fake DFC's HEF (a quantized emulator of the artifact's ONNX), so golden parity is meaningful.
"""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from daemon_helpers import make_app, service, window
from hailo_inference.backends.hailo import explain
from hailo_inference.service import LoadError

pytestmark = pytest.mark.fake_hailo


def test_auto_selects_hailo_and_passes_golden_verified_against_fake(fake_hailo, hailo_art):
    s = service(hailo_art, backend="auto").start()
    assert s.backend.kind == "hailo" and s.golden.ok
    assert 0.99 <= s.golden.figures["latent_min_cosine"] < 1.0  # quantized, not bit-exact
    assert s.golden.figures["latent_min_snr_db"] >= 20
    assert s.fallback is not None and s.fallback.kind == "onnx"  # ready behind it
    calls = fake_hailo.CALLS
    assert calls.index("VDevice") < calls.index("create_infer_model") < calls.index("configure")
    fmt = [i for i, c in enumerate(calls) if c.startswith("set_format_type")]
    assert len(fmt) == 2 and max(fmt) < calls.index("configure")  # FLOAT32 before configure
    assert s.backend.temperatures() == {"0_ts0": 51.5, "0_ts1": 52.25}


def test_round_robin_is_set_explicitly_verified_against_fake(fake_hailo, hailo_art):
    service(hailo_art, backend="hailo").start()
    from hailo_inference.backends.hailo import VDEVICE

    assert VDEVICE.vdevice.params.scheduling_algorithm == (
        fake_hailo.HailoSchedulingAlgorithm.ROUND_ROBIN
    )


def test_fake_returns_zeros_without_scheduler_verified_against_fake(fake_hailo, hailo_art):
    """Why ROUND_ROBIN matters: the fake reproduces the silent-zeros behaviour."""
    hp = fake_hailo
    vd = hp.VDevice(hp.VDevice.create_params())  # scheduler NONE (the Python default)
    try:
        im = vd.create_infer_model(str(hailo_art / "encoder.hailo8l.hef"))
        im.input().set_format_type(hp.FormatType.FLOAT32)
        im.output().set_format_type(hp.FormatType.FLOAT32)
        with im.configure() as cim:
            out = np.empty(im.output().shape, np.float32)
            b = cim.create_bindings(output_buffers={im.output_names[0]: out})
            b.input().set_buffer(np.ones(im.input().shape, np.float32))
            cim.run([b], 1000)
            assert not out.any()
            with pytest.raises(hp.HailoRTException, match="before configure"):
                im.input().set_format_type(hp.FormatType.FLOAT32)
            with pytest.raises(hp.HailoRTException, match="C-contiguous"):
                b.input().set_buffer(np.ones((9, 100, 1), np.float32).transpose(2, 1, 0))
            with pytest.raises(hp.HailoRTException, match="buffer size"):
                b.input().set_buffer(np.ones((1, 100, 8), np.float32))
            with pytest.raises(hp.HailoRTException, match="wants"):
                b.input().set_buffer(np.ones((1, 100, 9), np.float64)[..., ::1].astype("<i4"))
        with pytest.raises(hp.HailoRTException, match="74"):
            hp.VDevice(hp.VDevice.create_params())  # one VDevice per process
    finally:
        vd.release()


def test_http_infer_on_hailo_matches_onnx_verified_against_fake(fake_hailo, hailo_art):
    app, _ = make_app(hailo_art, "hailo")
    onnx_app, _ = make_app(hailo_art, "onnx")
    body = orjson.dumps({"x": window(7)})
    r = app.test_client().post("/infer", data=body, content_type="application/json")
    ro = onnx_app.test_client().post("/infer", data=body, content_type="application/json")
    assert r.status_code == 200 and r.headers["X-Backend"] == "hailo"
    a, b = np.asarray(r.get_json()["latent"]), np.asarray(ro.get_json()["latent"])
    assert np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b) > 0.99
    rb = app.test_client().post(
        "/infer/batch",
        data=orjson.dumps({"x": [window(1), window(2)]}),
        content_type="application/json",
    )
    assert np.shape(rb.get_json()["latent"]) == (2, 64)
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'edge_sidecar_device_temperature_celsius{sensor="0_ts0"} 51.5' in metrics


def test_runtime_failure_falls_back_to_onnx_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    app, _ = make_app(hailo_art, "hailo")
    c = app.test_client()
    monkeypatch.setenv("FAKE_HAILO_FAIL_AFTER", "0")  # every further run fails
    r = c.post("/infer", data=orjson.dumps({"x": window()}), content_type="application/json")
    assert r.status_code == 200 and r.headers["X-Backend"] == "onnx"  # the request did not fail
    h = c.get("/healthz").get_json()
    assert h["backend"] == "onnx" and h["fallback"]["from"] == "hailo"
    assert "dmesg" in h["fallback"]["reason"]
    text = c.get("/metrics").get_data(as_text=True)
    assert (
        'edge_sidecar_backend_fallbacks_total{from_backend="hailo",to_backend="onnx"} 1.0' in text
    )


def test_runtime_failure_without_fallback_is_503_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    app, _ = make_app(hailo_art, "hailo", model={"fallback_to_onnx": False})
    monkeypatch.setenv("FAKE_HAILO_FAIL_AFTER", "0")
    r = app.test_client().post(
        "/infer", data=orjson.dumps({"x": window()}), content_type="application/json"
    )
    assert r.status_code == 503 and r.get_json()["error"] == "backend_error"
    assert "dmesg" in r.get_json()["detail"]


def test_driver_mismatch_and_no_device_verified_against_fake(fake_hailo, hailo_art, monkeypatch):
    monkeypatch.setenv("FAKE_HAILO_DRIVER_VERSION", "4.19.0")  # the fake runs the role's 4.20
    with pytest.raises(LoadError, match=r"INVALID_DRIVER_VERSION.*same version"):
        service(hailo_art, backend="hailo", fallback_to_onnx=False).start()
    monkeypatch.delenv("FAKE_HAILO_DRIVER_VERSION")
    monkeypatch.setenv("FAKE_HAILO_DEVICES", "0")
    s = service(hailo_art, backend="auto").start()  # auto: no device -> onnx, not a fallback
    assert s.backend.kind == "onnx" and s.fallback_info is None


def test_auto_without_hailo_platform_uses_onnx(hailo_art, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "hailo_platform", None)
    s = service(hailo_art, backend="auto").start()
    assert s.backend.kind == "onnx"


def test_error_messages_name_the_fix():
    class HailoRTException(Exception):
        pass

    msg = explain(
        HailoRTException("libhailort failed with error: 74 (HAILO_OUT_OF_PHYSICAL_DEVICES)")
    )
    assert "lsof /dev/hailo0" in msg
    assert "hailort.service" in explain(HailoRTException("libhailort failed with error: 77 (x)"))


def test_repeated_device_timeouts_fall_back_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    app, _ = make_app(hailo_art, "hailo", server={"request_timeout_s": 0.05})
    c = app.test_client()
    monkeypatch.setenv("FAKE_HAILO_RUN_DELAY_S", "0.2")  # the device hangs past the timeout
    body = orjson.dumps({"x": window()})
    codes = [c.post("/infer", data=body, content_type="application/json") for _ in range(3)]
    assert [r.status_code for r in codes] == [504, 504, 200]
    assert codes[0].get_json()["error"] == "timeout"
    assert codes[2].headers["X-Backend"] == "onnx"
    assert "consecutive timeouts" in c.get("/healthz").get_json()["fallback"]["reason"]
