"""The daemon's default worker count uses the host (issue 27 item 7c).

On a host without an accelerator the backend is onnx and one process left cores idle
(benchmarks: 1 worker 0.97x the FastAPI peer's req/s, 2 workers 1.48x), so the role's default is
`auto` there; with the accelerator it stays 1 (several workers on hailo need hailort.service).
The lab keeps its own rule (playbooks/vars/lab.yml: 1 on hosts with the fake accelerator).
Evaluated by ansible-playbook itself on the role's defaults file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from local_play import ANSIBLE, ansible_playbook

ROOT = Path(__file__).resolve().parents[2]
PLAY = """- hosts: localhost
  gather_facts: false
  vars_files: [{defaults}]
  tasks:
    - ansible.builtin.debug:
        msg: "WORKERS=[{{{{ hailo_inference_workers }}}}]"
"""


def workers(tmp_path: Path, *extra: str) -> str:
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(defaults=ROOT / "roles/hailo_inference/defaults/main.yml"))
    r = ansible_playbook("-i", "localhost,", "-c", "local", str(play), *extra)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    found = re.search(r"WORKERS=\[(.*?)\]", r.stdout)
    assert found, r.stdout[-3000:]
    return found.group(1)


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup-ctl`")
def test_default_workers_follow_the_backend(tmp_path: Path) -> None:
    """Fails on the old default (1 everywhere)."""
    assert str(workers(tmp_path, "-e", "edge_has_accelerator=false")) == "auto"
    assert str(workers(tmp_path, "-e", "edge_has_accelerator=true")) == "1"
    assert str(workers(tmp_path, "-e", "hailo_inference_backend=hailo")) == "1"
    assert str(workers(tmp_path, "-e", "hailo_inference_backend=onnx")) == "auto"
    # the lab's rule still wins: one worker on a host with the (fake) accelerator
    lab = ["-e", "@" + str(ROOT / "playbooks/vars/lab.yml"), "-e", "ansible_host=10.0.0.2"]
    assert str(workers(tmp_path, *lab, "-e", "edge_has_accelerator=true")) == "1"
    assert str(workers(tmp_path, *lab, "-e", "edge_has_accelerator=false")) == "2"
