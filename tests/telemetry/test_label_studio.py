"""The Label Studio import file against Label Studio's documented task format (basic JSON tasks,
https://labelstud.io/guide/task_format; predictions, https://labelstud.io/guide/predictions;
TimeSeries with valueType="json", https://labelstud.io/tags/timeseries), an empty day, merging
hosts into the day's file, and labels back from its JSON and JSON_MIN exports (real ones:
label_studio_exports/, made with label-studio-sdk 2.1.2, see make_exports.py). No running Label
Studio needed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from edge_telemetry import label_studio as ls
from edge_telemetry import labelled
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
        # the selector's score as a native prediction: sortable "Prediction score" column
        assert task["predictions"] == [
            {"model_version": "0.1.0-abc", "score": data["score"], "result": []}
        ]


def test_labeling_config_references_only_fields_the_tasks_have():
    root = ET.fromstring(ls.labeling_config())
    assert root.tag == "View"
    series = root.find("TimeSeries")
    assert series is not None and series.get("valueType") == "json"
    assert series.get("value") == "$ts" and series.get("timeColumn") == "time"
    # TimeSeries opens on overviewWidth of the window (Label Studio's default "25%", parsed as
    # /(\d+)%$/): the whole 100-sample window must show
    assert series.get("overviewWidth") == "100%"
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


def test_a_score_outside_0_1_is_refused_as_label_studio_would():
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        ls.task_of(selection_rows(1)[0] | {"score": 1.5})


def test_an_empty_day_writes_no_file(tmp_path):
    (tmp_path / "pi1.ndjson").write_bytes(b"")
    out = tmp_path / "label_studio.json"
    assert ls.main(["tasks", "--out", str(out), str(tmp_path / "pi1.ndjson")]) == 0
    assert not out.exists()  # not `[]`: Label Studio rejects an empty import
    assert ls.main(["tasks", "--merge", "--out", str(out), str(tmp_path / "pi1.ndjson")]) == 0
    assert not out.exists()


def _host_rows(host: str, n: int, start: int = 0) -> list[dict]:
    rows = selection_rows(start + n)[start:]
    return [r | {"host": host} for r in rows]


def _keys(out) -> list[tuple]:
    return [(t["data"]["host"], t["data"]["request_id"], t["data"]["index"])
            for t in json.loads(out.read_text())]  # fmt: skip


def test_merge_adds_each_hosts_tasks_once(tmp_path):
    out = tmp_path / "label_studio.json"
    write_ndjson_atomic(tmp_path / "pi1.ndjson", _host_rows("pi1", 3))
    write_ndjson_atomic(tmp_path / "pi2.ndjson", _host_rows("pi2", 2))
    assert ls.main(["tasks", "--merge", "--out", str(out), str(tmp_path / "pi1.ndjson")]) == 0
    assert ls.main(["tasks", "--merge", "--out", str(out), str(tmp_path / "pi2.ndjson")]) == 0
    first = _keys(out)
    assert sorted(first) == sorted(
        [("pi1", f"req-{i}", i % 2) for i in range(3)]
        + [("pi2", f"req-{i}", i % 2) for i in range(2)]
    )
    # pi1 collected again (same rows) and an empty host: nothing duplicated, nothing lost
    (tmp_path / "pi3.ndjson").write_bytes(b"")
    assert ls.main(["tasks", "--merge", "--out", str(out), str(tmp_path / "pi1.ndjson"),
                    str(tmp_path / "pi3.ndjson")]) == 0  # fmt: skip
    assert _keys(out) == first
    # pi1 rerun with one new pick and a changed score: added / updated in place by key
    rows = _host_rows("pi1", 4)
    rows[0]["score"] = 0.25
    write_ndjson_atomic(tmp_path / "pi1.ndjson", rows)
    assert ls.main(["tasks", "--merge", "--out", str(out), str(tmp_path / "pi1.ndjson")]) == 0
    tasks = json.loads(out.read_text())
    assert len(tasks) == 6 and len(set(_keys(out))) == 6
    (t0,) = [t for t in tasks if t["data"]["host"] == "pi1" and t["data"]["request_id"] == "req-0"]
    assert t0["predictions"][0]["score"] == 0.25
    # without --merge the file is the given selections only (the old behaviour, by hand)
    assert ls.main(["tasks", "--out", str(out), str(tmp_path / "pi2.ndjson")]) == 0
    assert len(_keys(out)) == 2


EXPORTS = Path(__file__).parent / "label_studio_exports"
WANT = [("req-0", 0, "walk"), ("req-1", 1, "shake"), ("req-2", 0, "jump")]  # make_exports.py


@pytest.mark.parametrize("name", ["export_json.json", "export_json_min.json"])
def test_labels_come_back_from_both_export_formats(tmp_path, name):
    out = tmp_path / "labels.ndjson"
    assert ls.main(["labels", "--out", str(out), str(EXPORTS / name)]) == 0
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(g["request_id"], g["index"], g["label"]) for g in got] == WANT
    assert all(g["host"] == "pi1" and g["model_version"] == "0.1.0-abc" for g in got)


def test_both_export_formats_give_the_same_hashed_dataset(tmp_path):
    sel = tmp_path / "pi1.ndjson"
    write_ndjson_atomic(sel, selection_rows(4))
    shas = []
    for name in ("export_json.json", "export_json_min.json"):
        out = tmp_path / name.replace(".json", "")
        assert ls.main(["dataset", "--out", str(out), "--selections", str(sel),
                        str(EXPORTS / name)]) == 0  # fmt: skip
        manifest, rows = labelled.read_dataset(out)
        assert manifest["format"] == "edge-labelled-windows" and manifest["format_version"] == 1
        assert manifest["windows"] == 3 and manifest["unlabelled_tasks"] == 1
        assert manifest["labels"] == {"jump": 1, "shake": 1, "walk": 1}
        assert manifest["sources"][0]["format"] == ("JSON_MIN" if "min" in name else "JSON")
        assert [(r["request_id"], r["index"], r["label"]) for r in rows] == WANT
        want_windows = {(r["request_id"], r["index"]): r["window"] for r in selection_rows(4)}
        for r in rows:
            assert r["host"] == "pi1" and r["model_version"] == "0.1.0-abc"
            np.testing.assert_array_equal(
                np.asarray(r["window"], np.float32), want_windows[(r["request_id"], r["index"])]
            )
        shas.append(manifest["sha256"])
    assert shas[0] == shas[1]


def test_a_dataset_folder_is_immutable_and_its_hash_checked(tmp_path):
    out = tmp_path / "ds"
    assert ls.main(["dataset", "--out", str(out), str(EXPORTS / "export_json.json")]) == 0
    before = (out / "windows.ndjson").read_bytes()
    assert ls.main(["dataset", "--out", str(out), str(EXPORTS / "export_json_min.json")]) == 0
    assert (out / "windows.ndjson").read_bytes() == before  # same dataset: left as it is
    other = json.loads((EXPORTS / "export_json.json").read_text())
    other[0]["annotations"][0]["result"][0]["value"]["choices"] = ["trot"]
    (tmp_path / "other.json").write_text(json.dumps(other))
    assert ls.main(["dataset", "--out", str(out), str(tmp_path / "other.json")]) == 3
    assert (out / "windows.ndjson").read_bytes() == before  # another dataset: refused
    (out / "windows.ndjson").write_bytes(before.replace(b'"walk"', b'"trot"'))
    with pytest.raises(labelled.ExportError, match="does not match the sha256"):
        labelled.read_dataset(out)


def _export_without_labels(tmp_path, fmt: str):
    if fmt == "JSON":
        tasks = json.loads((EXPORTS / "export_json.json").read_text())
        for t in tasks:
            t["annotations"] = []
    else:
        tasks = [{k: v for k, v in r.items() if k != "behaviour"}
                 for r in json.loads((EXPORTS / "export_json_min.json").read_text())]  # fmt: skip
    p = tmp_path / f"unlabelled_{fmt}.json"
    p.write_text(json.dumps(tasks))
    return p


@pytest.mark.parametrize("fmt", ["JSON", "JSON_MIN"])
def test_an_export_without_labels_is_an_error_and_writes_nothing(tmp_path, fmt, capsys):
    export = _export_without_labels(tmp_path, fmt)
    for cmd in ("labels", "dataset"):
        out = tmp_path / f"{cmd}.out"
        assert ls.main([cmd, "--out", str(out), str(export)]) == 3
        assert not out.exists()
        assert "no labelled window" in capsys.readouterr().err


def test_labels_for_unknown_tasks_are_an_error_and_lose_nothing(tmp_path, capsys):
    tasks = json.loads((EXPORTS / "export_json.json").read_text())
    del tasks[1]["data"]["request_id"]  # a task that did not come from our import file
    (tmp_path / "foreign.json").write_text(json.dumps(tasks))
    out = tmp_path / "ds"
    assert ls.main(["dataset", "--out", str(out), str(tmp_path / "foreign.json")]) == 3
    err = capsys.readouterr().err
    assert "task 2" in err and "not from our import file" in err and not out.exists()
    # a task of ours but not in the selection files given (another host's day)
    sel = tmp_path / "pi2.ndjson"
    write_ndjson_atomic(sel, _host_rows("pi2", 4))
    assert ls.main(["dataset", "--out", str(out), "--selections", str(sel),
                    str(EXPORTS / "export_json_min.json")]) == 3  # fmt: skip
    assert "in none of the selection files" in capsys.readouterr().err and not out.exists()
    # a label outside the config's choices
    tasks = json.loads((EXPORTS / "export_json.json").read_text())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["gallop"]
    (tmp_path / "odd.json").write_text(json.dumps(tasks))
    assert ls.main(["labels", "--out", str(out), str(tmp_path / "odd.json")]) == 3
    assert "'gallop'" in capsys.readouterr().err and not out.exists()
