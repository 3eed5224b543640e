"""Issue 28 item 6: the release lifecycle written once.

- activate.yml, prove.yml and retire.yml are the only places that switch current, run the gate's
  /infer and remove releases; the deployment (service.yml, health_gate.yml, prune.yml), the rescue
  (rollback.yml) and rollback.yml (rollback_release.yml) include them, and rollback.yml has a
  rescue of its own (parsed task files).
- Releases are ordered by id (the controller's time of their latest activation, RELEASE_ORDER),
  not by file times on a Pi that may have no RTC (filter_plugins/release_order.py).
- retire.yml removes folders and ids but never the release current points at (a local play).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from local_play import ANSIBLE, ROOT, run_play
from release_order import hailo_release_before, hailo_release_order

TASKS = ROOT / "roles/hailo_inference/tasks"


def _tasks(name: str) -> list[dict]:
    """Every task of a task file, blocks and rescues flattened."""
    out: list[dict] = []

    def walk(items: list[dict]) -> None:
        for t in items or []:
            out.append(t)
            for key in ("block", "rescue", "always"):
                walk(t.get(key, []))

    walk(yaml.safe_load((TASKS / name).read_text()))
    return out


def _modules(name: str) -> set[str]:
    return {k for t in _tasks(name) for k in t if k.startswith("ansible.builtin.")}


def _includes(name: str) -> list[str]:
    return [t.get("ansible.builtin.include_tasks") for t in _tasks(name)]


def test_switch_and_gate_are_written_once() -> None:
    for name in ("service.yml", "rollback.yml", "rollback_release.yml", "health_gate.yml"):
        text = (TASKS / name).read_text()
        assert "_hailo_inference_gate_script" not in text, f"{name} runs the gate's /infer itself"
        links = [t for t in _tasks(name) if "ansible.builtin.file" in t]
        assert not any(
            "_hailo_inference_current" in str(t["ansible.builtin.file"].get("dest", ""))
            for t in links
        ), f"{name} switches current itself"
    assert "_hailo_inference_gate_script" in (TASKS / "prove.yml").read_text()
    assert "activate.yml" in _includes("service.yml")
    assert "prove.yml" in _includes("health_gate.yml")
    assert {"activate.yml", "prove.yml", "retire.yml"} <= set(_includes("rollback.yml"))
    assert {"activate.yml", "prove.yml"} <= set(_includes("rollback_release.yml"))
    assert "retire.yml" in _includes("prune.yml")


def test_rollback_playbook_has_a_rescue_that_goes_back_and_proves() -> None:
    top = yaml.safe_load((TASKS / "rollback_release.yml").read_text())
    (guarded,) = [t for t in top if "block" in t]
    rescue_includes = [t.get("ansible.builtin.include_tasks") for t in guarded["rescue"]]
    assert rescue_includes.count("activate.yml") == 1 and "prove.yml" in rescue_includes
    assert "ansible.builtin.fail" in guarded["rescue"][-1]


def _f(name: str, mtime: float) -> dict:
    return {"path": f"/opt/hailo-inference/releases/{name}", "mtime": mtime}


def test_order_is_by_id_whatever_the_file_times_say() -> None:
    """A Pi without its RTC battery: the newest release's folder looks oldest."""
    files = [_f("a", 2_000_000_000.0), _f("b", 1_000.0), _f("old", 5.0), _f("older", 1.0)]
    order = "20261201T100000.000000Z a\n20261207T090000.000001Z b\ngarbage line\n"
    got = hailo_release_order(files, order)
    assert [p.rsplit("/", 1)[1] for p in got] == ["older", "old", "a", "b"]
    assert hailo_release_before(got, "/opt/hailo-inference/releases/b") == got[2]
    assert hailo_release_before(got, got[0]) == ""
    assert hailo_release_before(got, "/elsewhere") == ""


def test_order_reads_release_json_paths_too() -> None:
    files = [
        {"path": "/r/releases/x/RELEASE.json", "mtime": 9.0},
        {"path": "/r/releases/y/RELEASE.json", "mtime": 1.0},
    ]
    got = hailo_release_order(files, "20261207T090000.000001Z x\n20261207T090000.000002Z y\n")
    assert got == ["/r/releases/x", "/r/releases/y"]


RETIRE = """- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: retire
      vars:
        __hailo_inference_retire: {retire}
"""


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_retire_removes_folders_and_ids_but_never_current(tmp_path: Path) -> None:
    root = tmp_path / "root"
    rel = root / "releases"
    for name in ("a", "b", "c"):
        (rel / name).mkdir(parents=True)
    (root / "current").symlink_to(rel / "c")
    (root / "RELEASE_ORDER").write_text(
        "20261201T000000.000000Z a\n20261202T000000.000000Z b\n20261203T000000.000000Z c\n"
    )
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "hailo_inference_root": str(root)}  # fmt: skip
    retire = json.dumps([str(rel / "a"), str(rel / "c")])
    r = run_play(tmp_path, {"edge": {"hosts": {"pi": host}}}, RETIRE.format(retire=retire))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert sorted(p.name for p in rel.iterdir()) == ["b", "c"], "current must stay"
    assert (root / "RELEASE_ORDER").read_text() == (
        "20261202T000000.000000Z b\n20261203T000000.000000Z c\n"
    )
    again = run_play(tmp_path, {"edge": {"hosts": {"pi": host}}}, RETIRE.format(retire=retire))
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-2000:]
