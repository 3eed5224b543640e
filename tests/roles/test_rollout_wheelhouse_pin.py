"""Issue 28 item 8: the wheelhouse is pinned for the run, like the artifact.

Runs edge.yml's own playbooks/tasks/edge_pin_wheelhouse.yml (and the summary play's cleanup) with
ansible-playbook, two local stand-in hosts and `serial: 1`; between the batches the wheelhouse is
rebuilt (SHA256SUMS rewritten, as `make wheelhouse` does). Both batches must read the canary's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, ROOT, run_play

TASKS = ROOT / "playbooks" / "tasks"
PLAY = """- hosts: edge
  gather_facts: false
  serial: 1
  tasks:
    - ansible.builtin.import_tasks: {tasks}/edge_pin_wheelhouse.yml
    - name: The wheelhouse is rebuilt after the canary's batch pinned it
      ansible.builtin.copy:
        dest: "{{{{ source }}}}/x86_64-cp311/SHA256SUMS"
        content: "rebuilt\\n"
        mode: "0644"
      when: inventory_hostname == 'canary'
    - ansible.builtin.debug:
        msg: "SAW {{{{ inventory_hostname }}}} {{{{ lookup('file', sums) }}}}"
      vars:
        sums: "{{{{ hailo_inference_wheelhouse_dir }}}}/x86_64-cp311/SHA256SUMS"

- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.import_tasks: {tasks}/edge_summary.yml
"""


def _play(tmp_path: Path, source: Path, runs: Path, **extra: str) -> subprocess.CompletedProcess:
    """PLAY on two local stand-in hosts (canary, batch2) with the wheelhouse at `source`."""
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "hailo_inference_wheelhouse_dir": str(source),
        "edge_rollout_runs_dir": str(runs),
        "source": str(source),
        **extra,
    }
    inventory = {"edge": {"hosts": {"canary": host, "batch2": host}}}
    return run_play(tmp_path, inventory, PLAY.format(tasks=TASKS))


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_a_wheelhouse_rebuilt_mid_rollout_does_not_reach_later_batches(tmp_path: Path) -> None:
    source = tmp_path / "wheelhouse"
    (source / "x86_64-cp311").mkdir(parents=True)
    (source / "x86_64-cp311" / "SHA256SUMS").write_text("original\n")
    runs = tmp_path / "runs"
    r = _play(tmp_path, source, runs)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert (source / "x86_64-cp311" / "SHA256SUMS").read_text() == "rebuilt\n", "not rebuilt"
    assert "SAW canary original" in out, out[-3000:]
    assert "SAW batch2 original" in out, f"the rebuild reached a later batch: {out[-3000:]}"
    assert runs.is_dir() and not any(runs.iterdir()), "the run's copy must be removed at the end"


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_the_pin_of_scripts_rollout_is_used_as_given_and_left_to_it(tmp_path: Path) -> None:
    """scripts/rollout.py pins one copy for all its processes (edge_rollout_wheelhouse_pin):
    every batch reads that copy, no copy of its own is made, and the pin stays (rollout.py
    removes it when the whole rollout ends, not the first process)."""
    source, pin = tmp_path / "wheelhouse", tmp_path / "pinned"
    for folder, text in ((source, "original\n"), (pin, "pinned\n")):
        (folder / "x86_64-cp311").mkdir(parents=True)
        (folder / "x86_64-cp311" / "SHA256SUMS").write_text(text)
    runs = tmp_path / "runs"
    r = _play(tmp_path, source, runs, edge_rollout_wheelhouse_pin=str(pin))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "SAW canary pinned" in out and "SAW batch2 pinned" in out, out[-3000:]
    assert not runs.exists() or not any(runs.iterdir()), "a copy of its own was made"
    assert (pin / "x86_64-cp311" / "SHA256SUMS").read_text() == "pinned\n", "the pin was removed"
