"""The HTTP contract in-process (Flask test client) on the real tiny artifact with ONNX Runtime."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import orjson
import pytest
from daemon_helpers import Held, golden, make_app, wait_until, window
from edge_artifact.tail import cosine_rows
from hailo_inference.errors import ERROR_CODES
from hailo_inference.metrics import LATENCY_BUCKETS
from hailo_inference.openapi import ROUTES, build_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def client(app_state):
    return app_state[0].test_client()


def post(client, path, obj, **kw):
    return client.post(path, data=orjson.dumps(obj), content_type="application/json", **kw)


def test_infer_returns_exactly_latent_and_motif_scores(client):
    r = post(client, "/infer", {"x": window()})
    assert r.status_code == 200
    body = r.get_json()
    assert list(body) == ["latent", "motif_scores"]
    assert len(body["latent"]) == 64 and len(body["motif_scores"]) == 12
    assert all(0.0 <= s <= 1.0 for s in body["motif_scores"])
    assert r.headers["X-Backend"] == "onnx" and "@" in r.headers["X-Model"]


@pytest.mark.parametrize("path", ["/", "/infer", "/infer/infer"])
def test_edgeinfer_url_forms_all_infer(client, path):
    """MODEL_BACKEND_URL = base URL, .../infer, and HealthCheckService's <url>/infer."""
    r = post(client, path, {"x": window(1)})
    assert r.status_code == 200 and len(r.get_json()["latent"]) == 64


def test_results_reproduce_golden_vectors(client, tiny_artifact):
    g = golden(tiny_artifact)
    for i in range(3):
        r = post(client, "/infer", {"x": g["x"][i].tolist()})
        got = np.asarray(r.get_json()["latent"])
        assert cosine_rows(got[None], g["latent"][i : i + 1])[0] > 0.99999
        np.testing.assert_allclose(got, g["latent"][i], rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(r.get_json()["motif_scores"], g["motif_scores"][i], atol=1e-5)


def test_batch_matches_single(client, tiny_artifact):
    g = golden(tiny_artifact)
    xs = g["x"][:5].tolist()
    rb = post(client, "/infer/batch", {"x": xs})
    assert rb.status_code == 200
    b = rb.get_json()
    assert list(b) == ["latent", "motif_scores"]
    assert np.shape(b["latent"]) == (5, 64) and np.shape(b["motif_scores"]) == (5, 12)
    one = post(client, "/infer", {"x": xs[3]}).get_json()
    np.testing.assert_allclose(b["latent"][3], one["latent"], rtol=1e-5, atol=1e-6)


def test_request_id_echoed_or_generated(client):
    r = post(client, "/infer", {"x": window()}, headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    r = post(client, "/infer", {"x": 1}, headers={"X-Request-ID": "bad id with spaces"})
    rid = r.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid) and r.get_json()["request_id"] == rid


@pytest.mark.parametrize(
    ("kw", "status", "code"),
    [
        ({"data": b'{"x": [[1,2', "content_type": "application/json"}, 400, "invalid_json"),
        ({"data": b'{"y": 1}', "content_type": "application/json"}, 400, "missing_key"),
        ({"data": orjson.dumps({"x": window()}), "content_type": "text/plain"}, 415, None),
        ({"data": orjson.dumps({"x": window()})}, 415, "unsupported_media_type"),
        ({"data": b"x" * 70000, "content_type": "application/json"}, 413, "payload_too_large"),
    ],
)
def test_bad_requests_are_json_4xx(client, kw, status, code):
    r = client.post("/infer", **kw)
    assert r.status_code == status
    body = r.get_json()
    assert set(body) == {"error", "detail", "request_id"}
    assert body["error"] == (code or "unsupported_media_type")


def test_unknown_route_and_method(client):
    assert client.get("/nope").get_json()["error"] == "not_found"
    r = client.get("/infer")
    assert r.status_code == 405 and r.get_json()["error"] == "method_not_allowed"


def test_healthz_readyz_model(client, tiny_artifact):
    h = client.get("/healthz").get_json()
    assert h["ok"] is True and h["backend"] == "onnx" and h["stub"] is False
    assert h["model"].startswith("tcn-vae-encoder@") and len(h["artifact_sha256"]) == 64
    assert h["uptime_s"] >= 0
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["golden"]["ok"] is True
    m = client.get("/v1/model").get_json()
    assert m["input"]["shape"] == [100, 9] and m["outputs"] == {
        "latent": [64],
        "motif_scores": [12],
        "motif_definition": m["outputs"]["motif_definition"],
    }
    assert m["export_config_sha256"] and len(m["normalization"]["mean"]) == 9
    assert m["backend"] == "onnx" and m["stub"] is False


def test_readyz_false_while_draining(app_state):
    app, state = app_state
    state.draining.set()
    try:
        c = app.test_client()
        assert c.get("/readyz").status_code == 503
        r = post(c, "/infer", {"x": window()})
        assert r.status_code == 503 and r.get_json()["error"] == "draining"
    finally:
        state.draining.clear()


def test_metrics_prefix_and_bucket_edges(client):
    post(client, "/infer", {"x": window()})
    text = client.get("/metrics").get_data(as_text=True)
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    assert names and all(n.startswith("edge_sidecar_") for n in names), names
    assert "hailo_inference_" not in text
    for edge in ("0.045", "0.05"):
        assert f'edge_sidecar_request_duration_seconds_bucket{{le="{edge}",route="/infer"}}' in text
    assert 0.045 in LATENCY_BUCKETS and 0.05 in LATENCY_BUCKETS
    for n in (
        "edge_sidecar_requests_total",
        "edge_sidecar_backend_compute_seconds_bucket",
        "edge_sidecar_inflight_requests",
        "edge_sidecar_waiting_requests",
        "edge_sidecar_model_info",
        "edge_sidecar_stub_backend",
    ):
        assert n in text


def test_openapi_matches_the_app(app_state):
    """Drift check: every Flask rule is in /openapi.json and vice versa, same methods."""
    app, _ = app_state
    spec = app.test_client().get("/openapi.json").get_json()
    assert spec == orjson.loads(orjson.dumps(build_spec()))
    assert spec["openapi"].startswith("3.1")
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        served.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    documented = {p: {m.upper() for m in ops} for p, ops in spec["paths"].items()}
    assert served == documented
    assert set(spec["components"]["schemas"]["Error"]["properties"]["error"]["enum"]) == set(
        ERROR_CODES
    )


def test_api_contract_doc_lists_every_route_and_error_code():
    doc = (ROOT / "docs" / "api_contract.md").read_text()
    for rule, methods in ROUTES.items():
        for m in methods:
            assert f"{m} {rule}`" in doc, f"{m} {rule} missing from docs/api_contract.md"
    for code in ERROR_CODES:
        assert f"`{code}`" in doc, f"error code {code} missing from docs/api_contract.md"


def test_responses_match_openapi_shapes(client):
    spec = build_spec()["components"]["schemas"]
    body = post(client, "/infer", {"x": window()}).get_json()
    res = spec["Result"]["properties"]
    assert set(body) == set(spec["Result"]["required"])
    assert len(body["latent"]) == res["latent"]["minItems"] == 64
    assert len(body["motif_scores"]) == res["motif_scores"]["maxItems"] == 12
    h = client.get("/healthz").get_json()
    assert set(spec["Health"]["required"]) <= set(h)
    m = client.get("/v1/model").get_json()
    assert set(spec["Model"]["required"]) <= set(m)


def test_stub_is_flagged_everywhere(tiny_artifact):
    app, _ = make_app(tiny_artifact, "stub")
    c = app.test_client()
    r1 = post(c, "/infer", {"x": window(3)}).get_json()
    r2 = post(c, "/infer", {"x": window(3)}).get_json()
    assert r1 == r2 and len(r1["latent"]) == 64  # deterministic
    assert post(c, "/infer", {"x": window(4)}).get_json() != r1
    assert c.get("/healthz").get_json()["stub"] is True
    assert c.get("/v1/model").get_json()["stub"] is True
    text = c.get("/metrics").get_data(as_text=True)
    assert "edge_sidecar_stub_backend 1.0" in text and 'stub="true"' in text


def test_overload_answers_503_with_retry_after_at_once(tiny_artifact):
    # both slots held inside inference: a third request is answered 503 while they still are,
    # so it was refused at once, not queued behind them (no clock in the assertion)
    app, state = make_app(tiny_artifact, "stub", server={"max_inflight": 2, "max_executing": 2})
    held = state.service.infer = Held(state.service)
    codes: list[int] = []
    threads = [threading.Thread(target=lambda: codes.append(post(app.test_client(), "/infer",
                                                                 {"x": window()}).status_code))
               for _ in range(2)]  # fmt: skip
    for t in threads:
        t.start()
    wait_until(lambda: held.inside == 2, "both admitted requests inside inference")
    r = post(app.test_client(), "/infer", {"x": window()})
    assert r.status_code == 503 and r.headers.get("Retry-After") == "1"
    assert r.get_json()["error"] == "overloaded"
    assert held.inside == 2 and not held.release.is_set()  # answered while both were held
    held.release.set()
    for t in threads:
        t.join(10)
    assert codes == [200, 200]
    assert state.metrics.rejections.labels("overloaded")._value.get() == 1


def test_timeout_is_504(tiny_artifact):
    app, _ = make_app(
        tiny_artifact, "stub", model={"stub_delay_s": 0.2}, server={"request_timeout_s": 0.05}
    )
    r = post(app.test_client(), "/infer", {"x": window()})
    assert r.status_code == 504 and r.get_json()["error"] == "timeout"


def test_onnx_timeout_cancels_a_long_run(tiny_artifact):
    """RunOptions.terminate from the deadline thread stops ONNX Runtime mid-run."""
    from edge_artifact import load_artifact
    from hailo_inference.backends.base import BackendTimeout
    from hailo_inference.backends.onnx import OnnxBackend

    be = OnnxBackend(load_artifact(tiny_artifact), threads=1)
    x = np.zeros((4096, 9, 1, 100), np.float32)
    with pytest.raises(BackendTimeout):
        be.run(x, 0.001)
    assert be.run(x[:2], 5.0).shape == (2, 64, 1, 1)
