"""Request bodies -> float32 windows, or an ApiError that says exactly what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from edge_artifact import HostTail, Manifest

from hailo_inference.errors import ApiError


def parse_json(body: bytes) -> Any:
    if not body:
        raise ApiError("invalid_json", 'empty body; send {"x": [[9 numbers] x 100]}')
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError("invalid_json", f"body is not valid JSON: {exc}") from exc


def _may_hold_bool(raw: bytes) -> bool:
    """numpy turns true/false into 1.0/0.0 silently; look for them in the body. JSON numbers never
    contain "t" or "f", so a one-byte search (memchr) clears the usual body at once."""
    if not raw:
        return True  # no raw body to look at: check the parsed values
    if b"t" not in raw and b"f" not in raw:
        return False
    return b"true" in raw or b"false" in raw


def _has_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return True
    return isinstance(v, list) and any(_has_bool(e) for e in v)


def windows(
    obj: Any,
    window: int,
    channels: int,
    batch: bool,
    max_batch: int,
    raw: bytes = b"",
) -> np.ndarray:
    """{"x": window} or {"x": [window, ...]} (batch) -> C-contiguous float32 (N, T, C)."""
    want = f"[[{channels} numbers] x {window}]"
    if batch:
        want = f"[{want}, ...] (1..{max_batch} windows)"
    if not isinstance(obj, dict):
        raise ApiError("invalid_body", f'body must be a JSON object {{"x": {want}}}')
    if "x" not in obj:
        raise ApiError("missing_key", f'missing key "x": send {{"x": {want}}}')
    x = obj["x"]
    if not isinstance(x, list) or not x:
        raise ApiError("invalid_shape", f'"x" must be a non-empty list: {want}')
    try:
        a = np.array(x)
    except (ValueError, OverflowError) as exc:
        raise ApiError(
            "invalid_shape", f'"x" must be {want}; rows have different lengths ({exc})'
        ) from exc
    expect = (window, channels)
    if batch:
        if a.ndim != 3 or a.shape[1:] != expect:
            raise ApiError("invalid_shape", f'"x" must be {want}; got shape {list(a.shape)}')
        if a.shape[0] > max_batch:
            raise ApiError(
                "invalid_shape",
                f"{a.shape[0]} windows exceed server.max_batch_windows={max_batch}; split it",
            )
    elif a.shape != expect:
        raise ApiError("invalid_shape", f'"x" must be {want}; got shape {list(a.shape)}')
    kind = a.dtype.kind
    if kind == "b" or (kind in "fiu" and _may_hold_bool(raw) and _has_bool(x)):
        raise ApiError("invalid_value", '"x" must hold numbers; found true/false')
    if kind not in "fiu":
        what = "strings" if kind in "US" else "null or out-of-range values"
        raise ApiError("invalid_value", f'"x" must hold finite numbers; found {what}')
    with np.errstate(over="ignore"):  # overflow -> inf, reported below
        f = np.ascontiguousarray(a, dtype=np.float32)
    if not batch:
        f = f.reshape(1, window, channels)
    finite = np.isfinite(f)
    if not finite.all():
        idx = [int(i) for i in np.argwhere(~finite)[0]]
        raise ApiError(
            "invalid_value", f'"x" must be finite float32 numbers; bad value at index {idx}'
        )
    return f


@dataclass(frozen=True)
class InputLimits:
    """What a raw window may hold, from the artifact: the physical range the export config
    declares per channel (manifest `input.range`), and in any case values that stay finite in
    float32 once normalized (artifacts built before `input.range` existed)."""

    channels: tuple[str, ...]
    units: tuple[str, ...]
    tail: HostTail  # the artifact's host tail: its normalization is the one checked
    lo: np.ndarray | None = None  # (C,) float64
    hi: np.ndarray | None = None

    @classmethod
    def from_manifest(
        cls, manifest: Mapping[str, Any], tail: HostTail | None = None
    ) -> InputLimits:
        """`tail`: the served model's HostTail (built from `manifest` when not given)."""
        spec = Manifest(manifest).input_spec
        channels = tuple(str(c) for c in spec.channels)
        units = tuple(str(u) for u in spec.units or [""] * len(channels))
        rng = spec.range
        lo = hi = None
        if rng is not None:
            r = np.asarray(rng, dtype=np.float64)
            if r.shape != (len(channels), 2) or not (r[:, 0] < r[:, 1]).all():
                raise ValueError(f"input.range must hold {len(channels)} [min, max] pairs")
            lo, hi = r[:, 0], r[:, 1]
        return cls(channels, units, tail or HostTail.from_manifest(manifest), lo, hi)

    def check(self, x: np.ndarray) -> None:
        """(N, T, C) float32 windows -> None, or ApiError out_of_range naming the first bad cell."""
        with np.errstate(all="ignore"):  # overflow is what we look for, not a warning
            normalized = self.tail.prepare(x, "NHWC")  # (N, 1, T, C): a view of (N, T, C)
            bad = ~np.isfinite(normalized.reshape(x.shape))
            if self.lo is not None and self.hi is not None:
                bad |= (x < self.lo) | (x > self.hi)
        if not bad.any():
            return
        n, t, c = (int(i) for i in np.argwhere(bad)[0])
        value = float(x[n, t, c])
        if self.lo is not None and self.hi is not None:
            allowed = f"the physical range [{self.lo[c]:g}, {self.hi[c]:g}] {self.units[c]}"
            where = "the artifact's export config declares (input.range)"
        else:
            allowed = "the range that stays finite in float32 after normalization"
            where = "the artifact's normalization"
        raise ApiError(
            "out_of_range",
            f"window {n}, sample {t}, channel {self.channels[c]} (index {c}): {value:g} is outside "
            f"{allowed} {where}; {int(bad.sum())} value(s) out of range in all. Check the "
            "sensor's units and scaling",
        )
