"""Label Studio's exports -> a versioned, hashed dataset of labelled windows (docs/telemetry.md).

Reads both export formats Label Studio offers for these tasks
(https://labelstud.io/guide/export):
- JSON: the task list, each `{"id", "data": {...}, "annotations": [{"result": [...],
  "was_cancelled", "updated_at", ...}]}`; the label is the `choices` result of the `behaviour`
  control in the newest annotation that was not cancelled;
- JSON_MIN: one flat record per annotation, the task's data keys at the top level beside
  `id`, `annotation_id`, `updated_at` and one key per control (`"behaviour": "walk"`; several
  choices come as `{"choices": [...]}`). This is what label-studio-sdk's converter writes.

Every labelled task must be one of ours: it carries request_id, index, host, model_version and
the window (`ts`), and with `selections` it must also be a row of those selection files with the
same window. An export without a single label, a label outside the labelling config's choices,
or a labelled task that is not ours is an ExportError naming what to do; nothing is written then.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .label_studio import CHANNELS, DEFAULT_CHOICES, FROM_NAME, SAMPLE_RATE_HZ, read_rows

FORMAT = "edge-labelled-windows"
FORMAT_VERSION = 1
ROWS_FILE, MANIFEST_FILE = "windows.ndjson", "dataset.json"
_OURS = ("request_id", "host", "model_version", "ts")
Key = tuple[str, str, int]


class ExportError(ValueError):
    """The export cannot become labelled windows; the message says why and what to do."""


@dataclass(frozen=True)
class LabelledWindow:
    host: str
    request_id: str
    index: int
    model_version: str
    label: str
    window: list[list[float]]  # (T, 9), CHANNELS order
    annotated_at: str
    time_utc: str | None
    score: float | None

    @property
    def key(self) -> Key:
        return (self.host, self.request_id, self.index)

    def label_row(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "index": self.index, "label": self.label,
                "host": self.host, "model_version": self.model_version}  # fmt: skip

    def dataset_row(self) -> dict[str, Any]:
        return {**self.label_row(), "window": self.window, "annotated_at": self.annotated_at,
                "time_utc": self.time_utc, "score": self.score}  # fmt: skip


@dataclass
class Found:
    windows: list[LabelledWindow]
    unlabelled: int  # tasks of the exports with no usable annotation (left for later)
    superseded: int  # older annotations of a window labelled again (the newest one is kept)
    sources: list[dict[str, Any]] = field(default_factory=list)


def export_format(items: list[Any]) -> str:
    """'JSON' or 'JSON_MIN' (by the records' shape); ExportError for anything else."""
    if not items:
        return "JSON"
    first = items[0]
    if not isinstance(first, dict):
        raise ExportError("not a Label Studio JSON/JSON_MIN export (items are not objects)")
    if "data" in first or "annotations" in first:
        return "JSON"
    if any(k in first for k in (FROM_NAME, *_OURS, "annotation_id")):
        return "JSON_MIN"
    raise ExportError(
        f"not a Label Studio JSON or JSON_MIN export of these tasks (keys: {sorted(first)[:8]}); "
        "export the project as JSON or JSON_MIN (CSV/TSV are not read)"
    )


def _choices(value: Any) -> list[str]:
    """The chosen values from a JSON result value or a JSON_MIN control field."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(c) for c in value.get("choices") or []]
    if isinstance(value, list):
        return [c for v in value for c in _choices(v)]
    return []


def _annotations(item: dict[str, Any], fmt: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(task data, [(when, label)]) of one export item."""
    if fmt == "JSON_MIN":
        got = _choices(item.get(FROM_NAME))
        when = str(item.get("updated_at") or item.get("created_at") or "")
        return item, [(when, got[0])] if got else []
    out = []
    for ann in item.get("annotations") or []:
        if ann.get("was_cancelled"):
            continue
        got = [
            c
            for r in ann.get("result") or []
            if r.get("type") == "choices" and r.get("from_name") == FROM_NAME
            for c in _choices(r.get("value"))
        ]
        if got:
            out.append((str(ann.get("updated_at") or ann.get("created_at") or ""), got[0]))
    return item.get("data") or {}, out


def _window(data: dict[str, Any], where: str) -> list[list[float]]:
    ts = data.get("ts")
    if not isinstance(ts, dict) or any(not isinstance(ts.get(c), list) for c in CHANNELS):
        raise ExportError(f"{where}: data.ts lacks channels {' '.join(CHANNELS)}")
    n = len(ts[CHANNELS[0]])
    if n == 0 or any(len(ts[c]) != n for c in CHANNELS):
        raise ExportError(f"{where}: data.ts channels differ in length or are empty")
    return [[float(ts[c][t]) for c in CHANNELS] for t in range(n)]


def _where(path: Path, item: dict[str, Any]) -> str:
    return f"{path.name} task {item.get('id', '?')}"


def _read_export(path: Path) -> tuple[bytes, list[Any]]:
    """An export file's bytes and its tasks; ExportError unless it is a JSON array."""
    raw = path.read_bytes()
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ExportError(f"{path}: not JSON ({exc}); export the project as JSON") from exc
    if not isinstance(items, list):
        raise ExportError(f"{path}: not a Label Studio export (a JSON array of tasks)")
    return raw, items


def _refuse_problems(unknown: list[str], bad_labels: list[str], choices: Sequence[str]) -> None:
    """ExportError listing the tasks that cannot be used (nothing is written then)."""
    problems = unknown + [f"label not in the config's choices: {b}" for b in bad_labels]
    if problems:
        raise ExportError(
            f"{len(problems)} labelled task(s) cannot be used (nothing written): "
            + "; ".join(problems[:10])
            + (" ..." if len(problems) > 10 else "")
            + ". Export the project whose tasks came from `edge_telemetry.label_studio tasks`, "
            "pass the days' selection files with --selections, and label with "
            f"`edge_telemetry.label_studio config` (choices {', '.join(choices)})"
        )


def labelled_from_exports(
    paths: Sequence[Path],
    selections: Iterable[Path] = (),
    choices: Sequence[str] = DEFAULT_CHOICES,
) -> Found:
    """The labelled windows of one or more exports (the newest annotation per window wins)."""
    known = {
        (str(r.get("host")), str(r.get("request_id")), int(r.get("index") or 0)): r
        for r in read_rows(selections)
    }
    best: dict[Key, tuple[str, LabelledWindow]] = {}
    unknown: list[str] = []
    bad_labels: list[str] = []
    superseded = unlabelled = items_total = 0
    sources = []
    for path in paths:
        raw, items = _read_export(Path(path))
        fmt = export_format(items)
        labelled_here = 0
        for item in items:
            data, anns = _annotations(item, fmt)
            items_total += 1
            if not anns:
                unlabelled += 1
                continue
            where = _where(Path(path), item)
            if any(data.get(k) is None for k in _OURS):
                unknown.append(f"{where} (no {'/'.join(_OURS)}: not from our import file)")
                continue
            key: Key = (str(data["host"]), str(data["request_id"]), int(data.get("index") or 0))
            window = _window(data, where)
            if known and key not in known:
                unknown.append(f"{where} {key} (in none of the selection files given)")
                continue
            if known and _f32(known[key]["window"]) != _f32(window):
                unknown.append(f"{where} {key} (its window differs from the selection's)")
                continue
            anns.sort()
            when, label = anns[-1]
            superseded += len(anns) - 1
            if label not in choices:
                bad_labels.append(f"{where}: {label!r}")
                continue
            lw = LabelledWindow(
                host=key[0], request_id=key[1], index=key[2],
                model_version=str(data["model_version"]), label=label, window=window,
                annotated_at=when, time_utc=data.get("time_utc"),
                score=None if data.get("score") is None else float(data["score"]),
            )  # fmt: skip
            labelled_here += 1
            if key in best:
                superseded += 1
                if best[key][0] > when:
                    continue
            best[key] = (when, lw)
        sources.append({"file": Path(path).name, "sha256": hashlib.sha256(raw).hexdigest(),
                        "format": fmt, "items": len(items), "labelled": labelled_here})  # fmt: skip
    _refuse_problems(unknown, bad_labels, choices)
    if not best:
        names = ", ".join(Path(p).name for p in paths)
        raise ExportError(
            f"{names}: no labelled window in {items_total} exported item(s) (none has a "
            f"non-cancelled `{FROM_NAME}` choice). Label the tasks first, then export as JSON or "
            "JSON_MIN (a JSON_MIN export of an unlabelled project has no label field)"
        )
    windows = [lw for _, lw in sorted(best.values(), key=lambda b: b[1].key)]
    return Found(windows, unlabelled, superseded, sources)


def _f32(window: Any) -> list[list[float]]:
    """Values as float32 would hold them (the window crossed JSON as float32 -> float)."""
    import numpy as np

    return np.asarray(window, dtype=np.float32).tolist()


def build_dataset(found: Found) -> tuple[bytes, dict[str, Any]]:
    """(windows.ndjson bytes, dataset.json) of the labelled windows; the sha256 of the bytes is
    the dataset's identity (rows sorted by host, request_id, index; keys sorted)."""
    body = b"".join(
        orjson.dumps(w.dataset_row(), option=orjson.OPT_SORT_KEYS) + b"\n" for w in found.windows
    )
    counts: dict[str, int] = {}
    for w in found.windows:
        counts[w.label] = counts.get(w.label, 0) + 1
    lengths = sorted({len(w.window) for w in found.windows})
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sha256": hashlib.sha256(body).hexdigest(),
        "rows_file": ROWS_FILE,
        "windows": len(found.windows),
        "labels": dict(sorted(counts.items())),
        "channels": list(CHANNELS),
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "window_samples": lengths[0] if len(lengths) == 1 else lengths,
        "hosts": sorted({w.host for w in found.windows}),
        "model_versions": sorted({w.model_version for w in found.windows}),
        "sources": found.sources,
        "unlabelled_tasks": found.unlabelled,
        "superseded_annotations": found.superseded,
    }
    return body, manifest


def write_dataset(ds: tuple[bytes, dict[str, Any]], out: Path) -> dict[str, Any]:
    """Write the dataset folder whole (temp folder, rename). A folder holding the same dataset
    is left as it is; one holding another dataset is refused (datasets are immutable)."""
    body, manifest = ds
    out = Path(out)
    existing = out / MANIFEST_FILE
    if existing.exists():
        old = orjson.loads(existing.read_bytes())
        if old.get("sha256") == manifest["sha256"]:
            return old
        raise ExportError(
            f"{out} already holds dataset {str(old.get('sha256'))[:12]}; datasets are immutable: "
            f"write this one ({manifest['sha256'][:12]}) to a new folder"
        )
    if out.exists() and any(out.iterdir()):
        raise ExportError(f"{out} exists and is not a dataset folder; choose a new --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / ROWS_FILE).write_bytes(body)
        (tmp / MANIFEST_FILE).write_bytes(
            orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def read_dataset(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(manifest, rows) of a dataset folder, its hash and format version checked."""
    folder = Path(folder)
    manifest = orjson.loads((folder / MANIFEST_FILE).read_bytes())
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ExportError(
            f"{folder}: format {manifest.get('format')} v{manifest.get('format_version')}, "
            f"this reader reads {FORMAT} v{FORMAT_VERSION}"
        )
    body = (folder / manifest.get("rows_file", ROWS_FILE)).read_bytes()
    if hashlib.sha256(body).hexdigest() != manifest.get("sha256"):
        raise ExportError(f"{folder}: {ROWS_FILE} does not match the sha256 in {MANIFEST_FILE}")
    return manifest, [orjson.loads(line) for line in body.splitlines() if line.strip()]
