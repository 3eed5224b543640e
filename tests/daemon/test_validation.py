"""Request validation: every bad body is a precise ApiError, never an exception."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest
from hailo_inference.errors import ApiError
from hailo_inference.validation import parse_json, windows

W = [[0.5] * 9 for _ in range(100)]


def check(body: bytes, batch: bool = False, max_batch: int = 4) -> np.ndarray:
    return windows(parse_json(body), 100, 9, batch, max_batch, body)


def test_good_window_and_batch():
    x = check(orjson.dumps({"x": W}))
    assert x.shape == (1, 100, 9) and x.dtype == np.float32 and x.flags["C_CONTIGUOUS"]
    xb = check(orjson.dumps({"x": [W, W, W]}), batch=True)
    assert xb.shape == (3, 100, 9)
    ints = check(orjson.dumps({"x": [[1] * 9] * 100}))
    assert ints.dtype == np.float32


BAD = [
    (b"", "invalid_json"),
    (b'{"x": [1, 2', "invalid_json"),
    (b"{x: 1}", "invalid_json"),
    (b'{"x": NaN}', "invalid_json"),
    (b"[1, 2]", "invalid_body"),
    (b'"x"', "invalid_body"),
    (b'{"y": 1}', "missing_key"),
    (b'{"x": 3}', "invalid_shape"),
    (b'{"x": []}', "invalid_shape"),
    (orjson.dumps({"x": W[:99]}), "invalid_shape"),
    (orjson.dumps({"x": [r[:8] for r in W]}), "invalid_shape"),
    (orjson.dumps({"x": [*W[:99], [1] * 8]}), "invalid_shape"),
    (orjson.dumps({"x": [W]}), "invalid_shape"),
    (orjson.dumps({"x": [[*r[:8], "1"] for r in W]}), "invalid_value"),
    (orjson.dumps({"x": [[*r[:8], None] for r in W]}), "invalid_value"),
    (orjson.dumps({"x": [[*r[:8], True] for r in W]}), "invalid_value"),
    (orjson.dumps({"x": [[True] * 9] * 100}), "invalid_value"),
    (orjson.dumps({"x": [[*r[:8], {"a": 1}] for r in W]}), "invalid_value"),
    (orjson.dumps({"x": [[*r[:8], 1e39] for r in W]}), "invalid_value"),
    (json.dumps({"x": [[*r[:8], 2**200] for r in W]}).encode(), "invalid_value"),
    (b'{"x": [' + b",".join([b"[" + b",".join([b"1e999"] * 9) + b"]"] * 100) + b"]}", ""),
]


@pytest.mark.parametrize(("body", "code"), BAD, ids=range(len(BAD)))
def test_bad_single_window(body, code):
    with pytest.raises(ApiError) as ei:
        check(body)
    if code:
        assert ei.value.code == code, ei.value.detail
    assert 400 <= ei.value.status < 500


def test_bad_batches():
    for body, code in [
        (orjson.dumps({"x": W}), "invalid_shape"),
        (orjson.dumps({"x": [W] * 5}), "invalid_shape"),  # > max_batch
        (orjson.dumps({"x": []}), "invalid_shape"),
        (orjson.dumps({"x": [W, W[:50]]}), "invalid_shape"),
    ]:
        with pytest.raises(ApiError) as ei:
            check(body, batch=True)
        assert ei.value.code == code
