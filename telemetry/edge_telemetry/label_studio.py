"""The day's picks as a Label Studio import file, and the labels back from its exports.

    python -m edge_telemetry.label_studio tasks --out tasks.json [--merge] selections/<d>/*.ndjson
    python -m edge_telemetry.label_studio config > labeling_config.xml
    python -m edge_telemetry.label_studio labels --out labels.ndjson export.json
    python -m edge_telemetry.label_studio dataset --out datasets/<name> export.json [...]

Import (Label Studio's basic JSON task format, https://labelstud.io/guide/task_format): a JSON
array of tasks, one per picked window, `{"data": {...}, "meta": {...}, "predictions": [...]}`.
`data.ts` is the window inline for a `<TimeSeries valueType="json" value="$ts" timeColumn="time"
overviewWidth="100%">` object (https://labelstud.io/tags/timeseries; without overviewWidth the
task opens on its default 25 %, the first quarter of the window): `time` in seconds (sorted,
0.00 .. 0.99 at 100 Hz) and one list per channel ax ay az gx gy gz mx my mz in input units.
`data` also carries the pick's key and provenance as plain values (request_id, index, host,
model_version, score, rank, time_utc, top_motif), so they show as columns in the data manager;
`meta` repeats them. The selector's score is also a native prediction
(https://labelstud.io/guide/predictions): `{"model_version", "score", "result": []}` (no
pre-filled label: the score says how worth labelling a window is, not which behaviour it shows),
so "Prediction score" sorts and filters in the data manager and the model version filters.

An empty day writes no file (Label Studio rejects an import of `[]`). `--merge` adds the rows
to the file already there, keyed by (host, request_id, index): collecting one host adds its tasks
beside the other hosts' and collecting it twice does not duplicate them.

Export -> labels and the labelled dataset: edge_telemetry.labelled (JSON and JSON_MIN).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from .active_learning import write_ndjson_atomic

CHANNELS = ("ax", "ay", "az", "gx", "gy", "gz", "mx", "my", "mz")
UNITS = ("m/s^2",) * 3 + ("rad/s",) * 3 + ("uT",) * 3
SAMPLE_RATE_HZ = 100
FROM_NAME, TO_NAME = "behaviour", "ts"
DEFAULT_CHOICES = ("still", "lie", "walk", "trot", "run", "shake", "jump", "turn", "other")
META_KEYS = ("request_id", "index", "host", "model_version", "score", "rank", "time_utc",
             "top_motif")  # fmt: skip


def labeling_config(choices: Sequence[str] = DEFAULT_CHOICES) -> str:
    """The project's labelling config (XML) the tasks are written for."""
    chans = "\n".join(
        f'    <Channel column="{c}" units="{u}" legend="{c}"/>' for c, u in zip(CHANNELS, UNITS)
    )
    opts = "\n".join(f"    <Choice value={quoteattr(c)}/>" for c in choices)
    return (
        "<View>\n"
        '  <Header value="$request_id #$index ($host, $model_version, score $score)"/>\n'
        f'  <TimeSeries name="{TO_NAME}" value="$ts" valueType="json" timeColumn="time"'
        ' timeDisplayFormat=",.2f" overviewWidth="100%">\n'
        f"{chans}\n  </TimeSeries>\n"
        f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single" required="true">\n'
        f"{opts}\n  </Choices>\n</View>\n"
    )


def task_of(row: dict[str, Any]) -> dict[str, Any]:
    """One selection row (edge_telemetry select output) -> one Label Studio task."""
    window = row["window"]
    if len(window) == 0 or any(len(s) != len(CHANNELS) for s in window):
        raise ValueError(
            f"{row.get('request_id')}#{row.get('index')}: window must be (T, 9) "
            f"{' '.join(CHANNELS)}; is this a selection NDJSON from `edge_telemetry select`?"
        )
    ts: dict[str, list[float]] = {"time": [i / SAMPLE_RATE_HZ for i in range(len(window))]}
    for c, name in enumerate(CHANNELS):
        ts[name] = [float(s[c]) for s in window]
    meta = {k: row.get(k) for k in META_KEYS}
    meta["index"] = int(meta["index"] or 0)
    task: dict[str, Any] = {"data": {"ts": ts, **meta}, "meta": dict(meta)}
    if meta["score"] is not None:
        if not 0.0 <= float(meta["score"]) <= 1.0:  # Label Studio refuses a prediction outside
            raise ValueError(
                f"{meta['request_id']}#{meta['index']}: score {meta['score']} outside [0, 1]; "
                "the selector's scores are weighted means of [0, 1] terms: rerun the selector"
            )
        task["predictions"] = [
            {"model_version": str(meta["model_version"]), "score": float(meta["score"]),
             "result": []}
        ]  # fmt: skip
    return task


def task_key(task: dict[str, Any]) -> tuple[str, str, int]:
    """(host, request_id, index): one picked window, whichever day's file it is in."""
    data = task.get("data") or {}
    return (str(data.get("host")), str(data.get("request_id")), int(data.get("index") or 0))


def read_rows(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for p in paths:
        with open(p, "rb") as f:
            for n, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        yield orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        raise ValueError(f"{p}:{n}: not a JSON line ({exc})") from exc


def write_tasks(paths: Iterable[Path], out: Path, merge: bool = False) -> int:
    """All rows of the selection files as one import file (written atomically); returns the
    tasks in the file. No rows and nothing to merge with: no file (Label Studio rejects `[]`).
    merge: keep the tasks already in `out`, a new row replacing the task with its key."""
    by_key: dict[tuple[str, str, int], dict[str, Any]] = {}
    out = Path(out)
    if merge and out.exists():
        try:
            old = orjson.loads(out.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{out}: not JSON ({exc}); move it away and collect again") from exc
        if not isinstance(old, list):
            raise ValueError(f"{out}: not a Label Studio task list; move it away and collect again")
        by_key.update((task_key(t), t) for t in old)
    before = dict(by_key)
    for row in read_rows(paths):
        task = task_of(row)
        by_key[task_key(task)] = task
    if not by_key or (merge and by_key == before and out.exists()):
        return len(by_key)  # nothing to write (empty day) or nothing new (same rows again)
    _write_json_atomic(out, list(by_key.values()))
    return len(by_key)


def _write_json_atomic(out: Path, obj: Any) -> None:
    tmp = Path(out).with_name(f".{Path(out).name}.tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(orjson.dumps(obj))
    tmp.replace(out)


def _emit(event: dict[str, Any]) -> None:
    print(orjson.dumps(event).decode())


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m edge_telemetry.label_studio")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tasks", help="selection NDJSON files -> Label Studio import JSON")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument(
        "--merge", action="store_true", help="add to --out's tasks (key host, request_id, index)"
    )
    t.add_argument("selections", type=Path, nargs="+")
    sub.add_parser("config", help="print the labelling config the tasks are written for")
    lab = sub.add_parser("labels", help="Label Studio export (JSON or JSON_MIN) -> labels NDJSON")
    lab.add_argument("--out", type=Path, required=True)
    lab.add_argument("export", type=Path, nargs="+")
    ds = sub.add_parser(
        "dataset", help="Label Studio exports -> a hashed dataset of labelled windows (folder)"
    )
    ds.add_argument("--out", type=Path, required=True, help="the dataset folder to write")
    ds.add_argument(
        "--selections", type=Path, action="append", default=[],
        help="a selection NDJSON the labelled tasks come from (repeat per file)",
    )  # fmt: skip
    ds.add_argument("export", type=Path, nargs="+")
    args = ap.parse_args(argv)
    from .labelled import ExportError, build_dataset, labelled_from_exports, write_dataset

    try:
        if args.cmd == "config":
            sys.stdout.write(labeling_config())
        elif args.cmd == "tasks":
            n = write_tasks(args.selections, args.out, merge=args.merge)
            _emit({"event": "label_studio_tasks_written" if n else "label_studio_no_tasks",
                   "tasks": n, "out": str(args.out) if n else None})  # fmt: skip
        elif args.cmd == "labels":
            found = labelled_from_exports(args.export)
            rows = [w.label_row() for w in found.windows]
            write_ndjson_atomic(args.out, rows)
            _emit({"event": "labels_written", "labels": len(rows),
                   "unlabelled_tasks": found.unlabelled})  # fmt: skip
        else:
            found = labelled_from_exports(args.export, selections=args.selections)
            manifest = write_dataset(build_dataset(found), args.out)
            _emit({"event": "dataset_written", "out": str(args.out),
                   "windows": manifest["windows"], "sha256": manifest["sha256"],
                   "unlabelled_tasks": found.unlabelled})  # fmt: skip
    except ExportError as exc:
        print(f"edge_telemetry.label_studio: {exc}", file=sys.stderr)
        return 3
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"edge_telemetry.label_studio: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
