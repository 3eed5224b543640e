"""Hypothesis fuzz of the inference routes: whatever the body, the answer is never a 5xx."""

from __future__ import annotations

import json

import pytest
from daemon_helpers import make_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def dumps(v: object) -> bytes:
    return json.dumps(v).encode()  # stdlib: also big ints and NaN/Infinity literals


json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
json_value = st.recursive(
    json_leaf,
    lambda kids: (
        st.lists(kids, max_size=6) | st.dictionaries(st.text(max_size=3), kids, max_size=4)
    ),
    max_leaves=40,
)
number = st.floats(allow_nan=False, allow_infinity=False, width=32) | st.integers(-1000, 1000)
near_window = st.lists(
    st.lists(number | json_leaf, min_size=8, max_size=10), min_size=99, max_size=101
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_value.map(dumps),
    st.dictionaries(st.sampled_from(["x", "y"]), json_value).map(dumps),
    near_window.map(lambda w: dumps({"x": w})),
    near_window.map(lambda w: dumps({"x": [w]})),
    near_window.map(lambda w: dumps({"x": w})[: len(w)]),  # truncated
)
ctypes = st.sampled_from(["application/json", "text/plain", "", "application/x+json"])


@pytest.fixture(scope="module")
def client(tiny_artifact):
    app, _ = make_app(tiny_artifact, "onnx")
    return app.test_client()


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, ctype=ctypes, path=st.sampled_from(["/infer", "/infer/batch", "/"]))
def test_fuzz_never_5xx(client, body, ctype, path):
    r = client.post(path, data=body, content_type=ctype or None)
    assert r.status_code < 500, (r.status_code, r.get_data()[:300])
    out = r.get_json()
    if r.status_code == 200:
        assert sorted(out) == ["latent", "motif_scores"]
    else:
        assert set(out) == {"error", "detail", "request_id"}
