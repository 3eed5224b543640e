"""How export_json.json and export_json_min.json were made (not a test; label-studio-sdk is not a
dependency of this repository, so it runs in a throwaway venv):

    python3 -m venv /tmp/lsdk && /tmp/lsdk/bin/pip install label-studio-sdk==2.1.2 orjson numpy
    /tmp/lsdk/bin/python tests/telemetry/label_studio_exports/make_exports.py OUT_DIR

It writes the import file for `selection_rows(4)` of test_label_studio.py (host pi1), checks
the labelling config, every task's data and every prediction with label-studio-sdk's
LabelInterface (validate, the object tags' variables present, validate_prediction: result a
list, score in [0, 1]), annotates three of the four tasks the way Label Studio's JSON export
holds annotations (the fourth stays unlabelled), and converts that export to JSON_MIN with
label-studio-sdk's own Converter (what Label Studio's "JSON-MIN" export runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# a standalone program run by a throwaway venv's python (not by pytest), so pytest.ini's
# pythonpath does not apply: it puts edge_telemetry and the repository root (tests.telemetry)
# on sys.path itself
sys.path[:0] = [str(ROOT / "telemetry"), str(ROOT)]

from edge_telemetry import label_studio as ls  # noqa: E402
from edge_telemetry.active_learning import write_ndjson_atomic  # noqa: E402
from label_studio_sdk.converter import Converter  # noqa: E402
from label_studio_sdk.label_interface import LabelInterface  # noqa: E402

from tests.telemetry.test_label_studio import selection_rows  # noqa: E402


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_ndjson_atomic(out / "pi1.ndjson", selection_rows(4))
    assert ls.main(["tasks", "--out", str(out / "tasks.json"), str(out / "pi1.ndjson")]) == 0
    tasks = json.loads((out / "tasks.json").read_text())
    cfg = ls.labeling_config()
    li = LabelInterface(cfg)
    li.validate()
    labels = ["walk", "shake", "jump"]
    export = []
    for i, t in enumerate(tasks):
        assert li.validate_task({"data": t["data"]}), sorted(t["data"])
        for p in t["predictions"]:
            assert not li.validate_prediction(p, return_errors=True), p
        anns = []
        if i < len(labels):
            when = f"2027-01-15T10:0{i}:00.000000Z"
            anns = [{"id": 100 + i, "completed_by": 1, "was_cancelled": False,
                     "created_at": when, "updated_at": when, "lead_time": 3.2,
                     "result": [{"id": f"r{i}", "from_name": ls.FROM_NAME, "to_name": ls.TO_NAME,
                                 "type": "choices", "origin": "manual",
                                 "value": {"choices": [labels[i]]}}]}]  # fmt: skip
            assert li.validate_annotation(anns[0])
        export.append({"id": i + 1, "data": t["data"], "meta": t["meta"], "annotations": anns,
                       "predictions": t["predictions"], "project": 1})  # fmt: skip
    (out / "export_json.json").write_text(json.dumps(export))
    Converter(cfg, project_dir=None).convert_to_json_min(
        str(out / "export_json.json"), str(out / "min"), is_dir=False
    )
    (out / "min" / "result.json").replace(out / "export_json_min.json")
    print(f"{len(tasks)} tasks valid; exports in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
