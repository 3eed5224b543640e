"""A labelled-windows dataset (docs/telemetry.md, format `edge-labelled-windows` v1) as arrays.

The dataset is what the training repository consumes; this reader is the default trainer's,
standing in for it. It needs only the documented format (not edge_telemetry): `dataset.json`
(format, format_version, sha256 of `windows.ndjson`) and `windows.ndjson` (one labelled window
per line: host, request_id, index, model_version, label, window T x 9 in input units, ...).
Labels outside ACTIVITIES (`other`, or a behaviour the generator does not have) are not a class
the activity head can learn: they are left out and counted, never silently renamed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .synthetic import ACTIVITIES

FORMAT, FORMAT_VERSION = "edge-labelled-windows", 1


class DatasetError(ValueError):
    """The folder is not a usable labelled-windows dataset; the message says what to do."""


@dataclass(frozen=True)
class LabelledWindows:
    x: np.ndarray  # (N, T, 9) float32, input units (the trainer normalises as for synthetic)
    y: np.ndarray  # (N,) int64 index into ACTIVITIES
    sha256: str  # the dataset's identity (dataset.json's sha256, checked against the rows)
    left_out: dict[str, int] = field(default_factory=dict)  # label -> windows not used


def load_labelled(folder: Path, window: int | None = None, n_channels: int = 9) -> LabelledWindows:
    """The dataset's windows whose label is one of ACTIVITIES, hash and shape checked (all
    windows one length; `window`, when given, that length)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "dataset.json").read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(
            f"{folder}/dataset.json unreadable ({exc}): make the dataset with "
            "`python -m edge_telemetry.label_studio dataset --out DIR export.json`"
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise DatasetError(
            f"{folder}: {manifest.get('format')} v{manifest.get('format_version')}; this trainer "
            f"reads {FORMAT} v{FORMAT_VERSION}"
        )
    body = (folder / manifest.get("rows_file", "windows.ndjson")).read_bytes()
    sha = hashlib.sha256(body).hexdigest()
    if sha != manifest.get("sha256"):
        raise DatasetError(f"{folder}: rows do not match dataset.json's sha256 (altered?)")
    xs, ys, left_out = [], [], {}
    for n, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        w = np.asarray(row["window"], dtype=np.float32)
        want = (window or (xs[0].shape[0] if xs else w.shape[0]), n_channels)
        if w.shape != want:
            raise DatasetError(f"{folder} row {n}: window {w.shape}, want {want} (the model's)")
        if row["label"] not in ACTIVITIES:
            left_out[row["label"]] = left_out.get(row["label"], 0) + 1
            continue
        xs.append(w)
        ys.append(ACTIVITIES.index(row["label"]))
    if not xs:
        raise DatasetError(
            f"{folder}: no window labelled with one of {', '.join(ACTIVITIES)} "
            f"(left out: {left_out}); nothing to train on"
        )
    return LabelledWindows(np.stack(xs), np.asarray(ys, dtype=np.int64), sha, left_out)
