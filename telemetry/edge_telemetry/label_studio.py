"""The day's picks as a Label Studio import file, and the labels back from its JSON export.

    python -m edge_telemetry.label_studio tasks --out tasks.json selections/<date>/*.ndjson
    python -m edge_telemetry.label_studio config > labeling_config.xml
    python -m edge_telemetry.label_studio labels --out labels.ndjson export.json

Import (Label Studio's basic JSON task format, https://labelstud.io/guide/task_format): a JSON
array of tasks, one per picked window, `{"data": {...}, "meta": {...}}`. `data.ts` is the
window inline for a `<TimeSeries valueType="json" value="$ts" timeColumn="time">` object
(https://labelstud.io/tags/timeseries): `time` in seconds (sorted, 0.00 .. 0.99 at 100 Hz)
and one list per channel ax ay az gx gy gz mx my mz in input units. `data` also carries the
pick's key and provenance as plain values (request_id, index, host, model_version, score, rank,
time_utc, top_motif), so they show as columns in the data manager; `meta` repeats them.

Export -> labels: Label Studio's JSON export holds each task's `data` and its `annotations`,
each with `result` items `{"from_name": "behaviour", "to_name": "ts", "type": "choices",
"value": {"choices": [...]}}`. `labels_from_export` keeps the newest non-cancelled annotation
per task and yields `{"request_id", "index", "label", "host", "model_version"}`: the window's
request id and index are the key the training side joins on (the window itself is in the
selection NDJSON, same key).
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
        ' timeDisplayFormat=",.2f">\n'
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
    return {"data": {"ts": ts, **meta}, "meta": dict(meta)}


def read_rows(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for p in paths:
        with open(p, "rb") as f:
            for n, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        yield orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        raise ValueError(f"{p}:{n}: not a JSON line ({exc})") from exc


def write_tasks(paths: Iterable[Path], out: Path) -> int:
    """All rows of the selection files as one import file (written atomically); returns tasks."""
    tasks = [task_of(r) for r in read_rows(paths)]
    _write_json_atomic(out, tasks)
    return len(tasks)


def _write_json_atomic(out: Path, obj: Any) -> None:
    tmp = Path(out).with_name(f".{Path(out).name}.tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(orjson.dumps(obj))
    tmp.replace(out)


def labels_from_export(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """(request_id, index, label) per annotated task of a Label Studio JSON export."""
    for task in tasks:
        data = task.get("data") or {}
        anns = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        anns.sort(key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
        for ann in reversed(anns):
            got = [
                c
                for r in ann.get("result") or []
                if r.get("type") == "choices" and r.get("from_name") == FROM_NAME
                for c in (r.get("value") or {}).get("choices") or []
            ]
            if got:
                yield {
                    "request_id": data.get("request_id"),
                    "index": int(data.get("index") or 0),
                    "label": got[0],
                    "host": data.get("host"),
                    "model_version": data.get("model_version"),
                }
                break


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m edge_telemetry.label_studio")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tasks", help="selection NDJSON files -> Label Studio import JSON")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("selections", type=Path, nargs="+")
    sub.add_parser("config", help="print the labelling config the tasks are written for")
    lab = sub.add_parser("labels", help="Label Studio JSON export -> labels NDJSON")
    lab.add_argument("--out", type=Path, required=True)
    lab.add_argument("export", type=Path)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "config":
            sys.stdout.write(labeling_config())
        elif args.cmd == "tasks":
            n = write_tasks(args.selections, args.out)
            print(orjson.dumps({"event": "label_studio_tasks_written", "tasks": n,
                                "out": str(args.out)}).decode())  # fmt: skip
        else:
            rows = list(labels_from_export(orjson.loads(args.export.read_bytes())))
            write_ndjson_atomic(args.out, rows)
            print(orjson.dumps({"event": "labels_written", "labels": len(rows)}).decode())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"edge_telemetry.label_studio: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
