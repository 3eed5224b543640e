"""The run's summary reports the fleet's HailoRT versions (issue 27 item 5: "report a mixed fleet").

edge.yml's last play (playbooks/tasks/edge_summary.yml) names each HailoRT version the run's
hosts run (the hailort role's __hailort_target, set in an earlier play as the role does), with
its hosts, oldest first, and the DFC to compile for (playbooks/filter_plugins/edge_hailort.py,
pairs from artifact/edge_artifact/hailo_pairs.json). Stand-in hosts, no HailoRT: verified against
a fake (host variables standing in for what the hailort role found), not on hardware.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from edge_hailort import edge_hailort_versions, hailort_by_version
from local_play import ANSIBLE, ROOT, run_play

TASKS = ROOT / "playbooks" / "tasks"
PLAY = """- hosts: edge
  gather_facts: false
  serial: 1
  tasks:
    - name: What the hailort role sets on a host with an accelerator
      ansible.builtin.set_fact:
        __hailort_target: "{{{{ runs }}}}"
      when: runs is defined

- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.import_tasks: {tasks}/edge_summary.yml
"""
MIXED = {"pi-3": {"__hailort_target": "4.20.0"}, "pi-1": {"__hailort_target": "4.17.0"},
         "pi-2": {"__hailort_target": "4.17.0"}, "pi-cpu": {}}  # fmt: skip
MIXED_LINE = (
    "HailoRT versions in this run: 4.17.0 (pi-1, pi-2), 4.20.0 (pi-3): a mixed fleet; compile "
    "for the oldest so every host loads the HEF: ansible-playbook compile.yml -l gpusrv -e "
    "hailo_compiler_target_hailort_version=4.17.0 (DFC 3.27), or bring the fleet to one version "
    "(hailort_version, hailort_upgrade)."
)


def test_a_mixed_fleet_names_each_version_its_hosts_and_the_oldests_dfc() -> None:
    order = ["pi-3", "pi-1", "pi-2", "pi-cpu"]
    assert edge_hailort_versions(order, MIXED) == MIXED_LINE


def test_one_version_names_its_dfc_and_no_version_says_nothing() -> None:
    one = {"pi-1": {"__hailort_target": "4.20.0"}, "pi-2": {"__hailort_target": "4.20.0"}}
    assert edge_hailort_versions(["pi-1", "pi-2"], one) == (
        "HailoRT versions in this run: 4.20.0 (pi-1, pi-2): compile with DFC 3.30 "
        "(ansible-playbook compile.yml -l gpusrv)."
    )
    assert edge_hailort_versions(["pi-cpu", "gone"], {"pi-cpu": {}}) == ""


def test_versions_sort_as_versions_and_an_unpaired_one_says_so(tmp_path: Path) -> None:
    hv = {"a": {"__hailort_target": "4.17.0"}, "b": {"__hailort_target": "4.9.0"},
          "c": {"__hailort_target": "unknown"}}  # fmt: skip
    assert hailort_by_version(["a", "b", "c"], hv) == {"4.9.0": ["b"], "4.17.0": ["a"]}
    line = edge_hailort_versions(["a", "b"], hv)
    assert "4.9.0 (b), 4.17.0 (a)" in line and "(a DFC hailo_pairs.json does not name)" in line
    missing = tmp_path / "hailo_pairs.json"  # no table at all: versions still reported
    assert "compile with a DFC hailo_pairs.json does not name" in edge_hailort_versions(
        ["a"], hv, missing
    )


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_the_run_summary_carries_the_mixed_fleet_line(tmp_path: Path) -> None:
    """Fails on the old summary (the mixed-fleet line was the hailort role's, per batch: with
    batches of one it never saw two versions)."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {h: local | ({"runs": v["__hailort_target"]} if v else {}) for h, v in MIXED.items()}
    r = run_play(tmp_path, {"edge": {"hosts": hosts}}, PLAY.format(tasks=TASKS))
    out = " ".join((r.stdout + r.stderr).split())
    assert r.returncode == 0, out[-3000:]
    assert f"ROLLOUT SUMMARY: every host answered. {MIXED_LINE}" in out, out[-3000:]
    assert out.count("HailoRT versions in this run") == 1, out[-3000:]
