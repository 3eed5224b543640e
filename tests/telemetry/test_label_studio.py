"""The Label Studio import file against Label Studio's documented task format (basic JSON tasks,
https://labelstud.io/guide/task_format; TimeSeries with valueType="json",
https://labelstud.io/tags/timeseries), and labels back from its JSON export, keyed by the
window's request id and index. No running Label Studio needed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from edge_telemetry import label_studio as ls
from edge_telemetry.active_learning import write_ndjson_atomic


def selection_rows(n: int = 3) -> list[dict]:
    rng = np.random.default_rng(0)
    return [
        {
            "rank": i + 1, "score": 0.9 - i / 10, "host": "pi1", "model_version": "0.1.0-abc",
            "backend": "onnx", "ts": 1.8e9 + i, "time_utc": "2027-01-15T03:00:00.000000Z",
            "request_id": f"req-{i}", "index": i % 2, "top_motif": 3, "top_score": 0.7,
            "motif_scores": [0.5] * 12, "latent": [0.1] * 64,
            "window": rng.normal(size=(100, 9)).astype(np.float32),
        }
        for i in range(n)
    ]  # fmt: skip


def test_import_file_has_the_documented_task_shape(tmp_path):
    sel = tmp_path / "pi1.ndjson"
    write_ndjson_atomic(sel, selection_rows())
    out = tmp_path / "tasks.json"
    assert ls.main(["tasks", "--out", str(out), str(sel)]) == 0
    tasks = json.loads(out.read_text())
    assert isinstance(tasks, list) and len(tasks) == 3
    for i, task in enumerate(tasks):
        assert set(task) <= {"data", "meta", "annotations", "predictions", "id"}
        data = task["data"]
        assert isinstance(data, dict) and isinstance(task["meta"], dict)
        ts = data["ts"]
        assert set(ts) == {"time", *ls.CHANNELS}
        assert all(len(v) == 100 and all(isinstance(x, float) for x in v) for v in ts.values())
        assert ts["time"] == sorted(ts["time"]) and ts["time"][1] == pytest.approx(0.01)
        assert data["request_id"] == f"req-{i}" and data["index"] == i % 2
        assert data["host"] == "pi1" and data["model_version"] == "0.1.0-abc"
        assert isinstance(data["score"], float) and data["rank"] == i + 1


def test_labeling_config_references_only_fields_the_tasks_have():
    root = ET.fromstring(ls.labeling_config())
    assert root.tag == "View"
    series = root.find("TimeSeries")
    assert series is not None and series.get("valueType") == "json"
    assert series.get("value") == "$ts" and series.get("timeColumn") == "time"
    task = ls.task_of(selection_rows(1)[0])
    assert [c.get("column") for c in series.findall("Channel")] == list(ls.CHANNELS)
    assert all(c.get("column") in task["data"]["ts"] for c in series.findall("Channel"))
    choices = root.find("Choices")
    assert choices is not None and choices.get("toName") == series.get("name")
    assert choices.get("name") == ls.FROM_NAME
    header = root.find("Header")
    assert header is not None
    assert set(re.findall(r"\$(\w+)", header.get("value", ""))) <= set(task["data"])


def test_a_window_that_is_not_9_channels_is_refused_with_a_hint():
    row = selection_rows(1)[0] | {"window": [[0.0] * 6] * 100}
    with pytest.raises(ValueError, match="edge_telemetry select"):
        ls.task_of(row)


def test_labels_come_back_keyed_by_request_id_from_an_export(tmp_path):
    tasks = [ls.task_of(r) for r in selection_rows(3)]

    def ann(label: str, when: str, cancelled: bool = False) -> dict:
        return {
            "id": 1, "was_cancelled": cancelled, "created_at": when, "updated_at": when,
            "result": [{"id": "a", "from_name": "behaviour", "to_name": "ts", "type": "choices",
                        "value": {"choices": [label]}}],
        }  # fmt: skip

    tasks[0]["annotations"] = [ann("walk", "2027-01-15T10:00:00Z"),
                               ann("trot", "2027-01-15T11:00:00Z")]  # fmt: skip
    tasks[1]["annotations"] = [ann("shake", "2027-01-15T10:00:00Z", cancelled=True)]
    tasks[2]["annotations"] = [ann("jump", "2027-01-15T10:00:00Z")]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks))
    out = tmp_path / "labels.ndjson"
    assert ls.main(["labels", "--out", str(out), str(export)]) == 0
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(g["request_id"], g["index"], g["label"]) for g in got] == [
        ("req-0", 0, "trot"),  # the newest annotation wins
        ("req-2", 0, "jump"),  # the cancelled one gives no label
    ]
    assert all(g["host"] == "pi1" and g["model_version"] == "0.1.0-abc" for g in got)
