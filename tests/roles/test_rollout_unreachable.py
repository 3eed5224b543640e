"""Issue 28 item 4: one offline Pi does not stop a rollout, the canary must answer.

Runs edge.yml's own task files (playbooks/tasks/edge_reach.yml, edge_summary.yml) with
ansible-playbook, the same serial/max_fail_percentage play keywords as edge.yml, two local stand-in
hosts and a third whose SSH port refuses connections (unreachable within a second). The filters
(playbooks/filter_plugins/edge_rollout.py) are checked directly too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from local_play import ANSIBLE, ROOT, run_play

TASKS = ROOT / "playbooks" / "tasks"

PLAY = """- hosts: edge
  gather_facts: false
  serial: {serial}
  max_fail_percentage: 0
  tasks:
    - ansible.builtin.import_tasks: {tasks}/edge_reach.yml
    - ansible.builtin.debug:
        msg: "DEPLOYED {{{{ inventory_hostname }}}}"

- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.import_tasks: {tasks}/edge_summary.yml
"""


def _inventory(order: list[str], extra: dict | None = None) -> dict:
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    off = {
        "ansible_connection": "ssh",
        "ansible_host": "127.0.0.1",
        "ansible_port": 1,  # nothing listens: connection refused, unreachable at once
        "ansible_ssh_common_args": "-o ConnectTimeout=2 -o StrictHostKeyChecking=no",
    }
    hosts = {h: (off if h == "pi-17" else local) for h in order}
    return {"all": {"vars": extra or {}}, "edge": {"hosts": hosts}}


def _run(tmp_path: Path, order: list[str], serial: list, **extra: object):
    play = PLAY.format(serial=json.dumps(serial), tasks=TASKS)
    r = run_play(tmp_path, _inventory(order, dict(extra)), play)
    return r, " ".join((r.stdout + r.stderr).split())


needs_ansible = pytest.mark.skipif(
    not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`"
)


@needs_ansible
def test_an_unreachable_host_in_a_later_batch_is_skipped_and_listed(tmp_path: Path) -> None:
    r, out = _run(tmp_path, ["pi-1", "pi-2", "pi-17"], [1, 2], edge_rollout_max_unreachable=1)
    assert r.returncode == 0, out[-3000:]
    assert "DEPLOYED pi-1" in out and "DEPLOYED pi-2" in out, out[-3000:]
    assert "DEPLOYED pi-17" not in out, out[-3000:]
    assert "not updated: pi-17, unreachable" in out, out[-3000:]
    assert "ROLLOUT SUMMARY: not updated: pi-17, unreachable" in out, out[-3000:]


@needs_ansible
def test_more_unreachable_hosts_than_allowed_stop_the_rollout(tmp_path: Path) -> None:
    r, out = _run(tmp_path, ["pi-1", "pi-17", "pi-2"], [1, 1], edge_rollout_max_unreachable=0)
    assert r.returncode != 0, out[-3000:]
    assert "more than edge_rollout_max_unreachable (0 = 0 hosts) allows" in out, out[-3000:]
    assert "DEPLOYED pi-2" not in out, f"a batch ran after the budget was spent: {out[-3000:]}"
    assert "ROLLOUT SUMMARY" not in out, out[-3000:]


@needs_ansible
def test_the_default_budget_is_five_percent_rounded_down(tmp_path: Path) -> None:
    """3 hosts: 5% allows none, so the default stops where a count of 1 would not."""
    r, out = _run(tmp_path, ["pi-1", "pi-2", "pi-17"], [1, 2])
    assert r.returncode != 0, out[-3000:]
    assert "edge_rollout_max_unreachable (5% = 0 hosts)" in out, out[-3000:]


@needs_ansible
def test_an_unreachable_canary_stops_the_rollout_whatever_the_budget(tmp_path: Path) -> None:
    r, out = _run(tmp_path, ["pi-17", "pi-1", "pi-2"], [1, 2], edge_rollout_max_unreachable="100%")
    assert r.returncode != 0, out[-3000:]
    assert "ROLLOUT STOPPED: canary pi-17 does not answer SSH" in out, out[-3000:]
    assert "DEPLOYED" not in out, out[-3000:]


@needs_ansible
def test_a_failed_host_still_stops_at_once(tmp_path: Path) -> None:
    """The budget is for hosts that do not answer, never for failures (a failed gate)."""
    play = PLAY.format(serial="[1, 1]", tasks=TASKS).replace(
        '    - ansible.builtin.debug:\n        msg: "DEPLOYED',
        "    - ansible.builtin.fail:\n        msg: gate failed\n"
        "      when: inventory_hostname == 'pi-2'\n"
        '    - ansible.builtin.debug:\n        msg: "DEPLOYED',
        1,
    )
    inv = _inventory(["pi-1", "pi-2", "pi-3"], {"edge_rollout_max_unreachable": "100%"})
    inv["edge"]["hosts"]["pi-3"] = inv["edge"]["hosts"]["pi-1"]
    r = run_play(tmp_path, inv, play)
    out = " ".join((r.stdout + r.stderr).split())
    assert r.returncode != 0, out[-3000:]
    assert "DEPLOYED pi-3" not in out, out[-3000:]


@needs_ansible
def test_a_later_slice_of_scripts_rollout_skips_within_the_budget_in_its_first_batch(
    tmp_path: Path,
) -> None:
    """scripts/rollout.py runs a later batch as its own process (serial ["100%"],
    edge_rollout_canary_done): the host that does not answer is skipped within the budget, not
    taken for a canary, and the summary JSON it reads names it (edge_rollout_report_file)."""
    report = tmp_path / "slice.json"
    r, out = _run(tmp_path, ["pi-17", "pi-1"], ["100%"], edge_rollout_max_unreachable=1,
                  edge_rollout_canary_done=True, edge_rollout_report_file=str(report))  # fmt: skip
    assert r.returncode == 0, out[-3000:]
    assert "DEPLOYED pi-1" in out and "DEPLOYED pi-17" not in out, out[-3000:]
    summary = json.loads(report.read_text())
    assert summary["skipped"] == ["pi-17"], summary
    assert sorted(summary["hosts"]) == ["pi-1", "pi-17"], summary
    # without the flag the same first batch is a canary: the rule of one process stands
    r, out = _run(tmp_path, ["pi-17", "pi-1"], ["100%"], edge_rollout_max_unreachable=1)
    assert r.returncode != 0 and "ROLLOUT STOPPED: canary pi-17" in out, out[-3000:]


def test_edge_yml_probes_before_facts_and_ends_with_the_summary() -> None:
    plays = yaml.safe_load((ROOT / "playbooks" / "edge.yml").read_text())
    names = [t.get("ansible.builtin.import_tasks") for t in plays[0]["tasks"]]
    gather = [t.get("name") for t in plays[0]["tasks"]].index("Gather facts")
    assert names.index("tasks/edge_reach.yml") < gather, names
    assert plays[0]["max_fail_percentage"] == 0
    assert plays[-1]["hosts"] == "edge"  # not localhost: skipped under --limit
    assert plays[-1]["tasks"][0]["ansible.builtin.import_tasks"] == "tasks/edge_summary.yml"


@pytest.mark.parametrize(
    ("spec", "total", "want"),
    [("5%", 100, 5), ("5%", 19, 0), ("5%", 20, 1), ("10%", 7, 0), (3, 2, 3), ("2", 50, 2),
     ("0%", 100, 0), ("100%", 4, 4), (" 12.5 % ", 8, 1)],
)  # fmt: skip
@pytest.mark.ctl  # the filters raise ansible's errors: .venv-ctl's Python runs these
def test_budget(spec: object, total: int, want: int) -> None:
    from edge_rollout import edge_unreachable_budget

    assert edge_unreachable_budget(spec, total) == want


@pytest.mark.parametrize("spec", ["-1", -1, "101%", "five", "5 %%", True, "", None])
@pytest.mark.ctl
def test_budget_refuses_what_it_cannot_read(spec: object) -> None:
    from ansible.errors import AnsibleFilterError
    from edge_rollout import edge_unreachable_budget

    with pytest.raises(AnsibleFilterError, match="edge_rollout_max_unreachable is"):
        edge_unreachable_budget(spec, 10)


@pytest.mark.ctl
def test_unreachable_and_unsynced_read_the_registered_results() -> None:
    from edge_rollout import edge_unreachable, edge_unsynced

    hv = {
        "a": {"__edge_probe": {"ping": "pong"}, "__edge_ntp": {"rc": 0, "stdout": "yes"}},
        "b": {"__edge_probe": {"unreachable": True}, "__edge_ntp": {"rc": 0, "stdout": "no"}},
        "c": {"__edge_ntp": {"rc": 1, "stdout": ""}},
    }
    assert edge_unreachable(["a", "b", "c"], hv) == ["b"]
    assert edge_unsynced(["a", "b", "c"], hv) == ["b", "c"]
