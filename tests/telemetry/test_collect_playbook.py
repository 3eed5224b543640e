"""playbooks/collect_selections.yml against two local-connection hosts (no lab needed): one
with a selection made by the selector, one without. Runs in .venv-ctl's ansible-playbook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from local_play import ANSIBLE, ansible_playbook

from .synth import write_file
from .test_active_learning import T0, cluster_events

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks/collect_selections.yml"


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_collects_each_hosts_selection_with_host_and_model_version(tmp_path):
    write_file(tmp_path / "tel", T0, cluster_events(8, 3))
    sel = tmp_path / "pi-test-sel"
    r = subprocess.run(
        [sys.executable, "-m", "edge_telemetry", "select", "--in", str(tmp_path / "tel"),
         "--out", str(sel / "latest.ndjson"), "--since", "2020-01-01T00:00:00Z",
         "--top-k", "5", "--host", "pi-test"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inv = {"edge": {"hosts": {
        "pi-test": {**local, "hailo_inference_selection_dir": str(sel)},
        "pi-empty": {**local, "hailo_inference_selection_dir": str(tmp_path / "nothing")},
    }}}  # fmt: skip
    (tmp_path / "hosts.json").write_text(json.dumps(inv))
    out = tmp_path / "selections"
    r = ansible_playbook("-i", str(tmp_path / "hosts.json"), str(PLAYBOOK),
                         "-e", "ansible_become=false", "-e", f"collect_dest_root={out}",
                         "-e", f"collect_label_studio_python={sys.executable}")  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    (day,) = out.iterdir()
    rows = [orjson.loads(x) for x in (day / "pi-test.ndjson").read_bytes().splitlines()]
    assert len(rows) == 5
    assert all(x["host"] == "pi-test" and x["model_version"] == "1.0.0-abc" for x in rows)
    assert not (day / "pi-empty.ndjson").exists()
    assert json.loads((day / "index.json").read_text())["hosts"] == {
        "pi-test": True,
        "pi-empty": False,
    }
    assert "pi-empty: no" in r.stdout
    tasks = json.loads((day / "label_studio.json").read_text())  # ready for Label Studio's import
    assert len(tasks) == 5 and all(t["data"]["host"] == "pi-test" for t in tasks), tasks[:1]


def _select(tmp_path: Path, host: str, n: int, seed: int) -> Path:
    write_file(tmp_path / f"tel-{host}", T0, cluster_events(8, seed))
    sel = tmp_path / f"{host}-sel"
    r = subprocess.run(
        [sys.executable, "-m", "edge_telemetry", "select", "--in", str(tmp_path / f"tel-{host}"),
         "--out", str(sel / "latest.ndjson"), "--since", "2020-01-01T00:00:00Z",
         "--top-k", str(n), "--host", host],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return sel


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_collecting_one_host_at_a_time_merges_the_days_files(tmp_path):
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {
        "pi-a": {**local, "hailo_inference_selection_dir": str(_select(tmp_path, "pi-a", 4, 3))},
        "pi-b": {**local, "hailo_inference_selection_dir": str(_select(tmp_path, "pi-b", 3, 5))},
        "pi-empty": {**local, "hailo_inference_selection_dir": str(tmp_path / "nothing")},
    }
    (tmp_path / "hosts.json").write_text(json.dumps({"edge": {"hosts": hosts}}))
    out = tmp_path / "selections"

    def collect(limit: str) -> None:
        r = ansible_playbook("-i", str(tmp_path / "hosts.json"), str(PLAYBOOK), "-l", limit,
                             "-e", "ansible_become=false", "-e", f"collect_dest_root={out}",
                             "-e", f"collect_label_studio_python={sys.executable}")  # fmt: skip
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]

    def keys(day: Path) -> list[tuple]:
        return [(t["data"]["host"], t["data"]["request_id"], t["data"]["index"])
                for t in json.loads((day / "label_studio.json").read_text())]  # fmt: skip

    collect("pi-empty")  # an empty day: no import file at all (Label Studio rejects [])
    (day,) = out.iterdir()
    assert not (day / "label_studio.json").exists()
    collect("pi-a")
    collect("pi-b")
    got = keys(day)
    assert sorted({k[0] for k in got}) == ["pi-a", "pi-b"]
    assert len(got) == 7 and len(set(got)) == 7
    collect("pi-a")  # the same host collected twice: nothing duplicated, nothing lost
    assert keys(day) == got
    assert json.loads((day / "index.json").read_text())["hosts"] == {
        "pi-a": True, "pi-b": True, "pi-empty": False
    }  # fmt: skip
