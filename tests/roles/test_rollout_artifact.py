"""site.yml picks the artifact once per run: the canary's batch pins it for every later batch.

Runs the role's real artifact.yml through ansible-playbook with two local stand-in hosts and
`serial: 1`; between the batches a newer artifact appears under artifacts/, as when a build
finishes during a rollout. Both batches must deploy the one the canary got.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, run_play

PLAY = """- hosts: edge
  gather_facts: false
  serial: 1
  tasks:
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: artifact
    - name: A newer artifact appears after the canary's batch chose
      ansible.builtin.copy:
        dest: "{{ newer }}/manifest.json"
        content: "{}"
        mode: "0644"
      when: inventory_hostname == 'canary'
    - ansible.builtin.debug:
        msg: "CHOSE {{ inventory_hostname }} {{ __hailo_inference_artifact_dir }}"
"""


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_an_artifact_that_appears_mid_rollout_does_not_reach_later_batches(tmp_path: Path) -> None:
    arts = tmp_path / "artifacts"
    first = arts / "tcn-vae-encoder" / "0.1.0-aaaa"
    first.mkdir(parents=True)
    (first / "manifest.json").write_text("{}")
    failed = arts / "tcn-vae-encoder" / "0.1.0-cccc.failed"  # a refused build: never chosen
    newer = arts / "tcn-vae-encoder" / "0.1.0-bbbb"
    newer.mkdir(parents=True)
    failed.mkdir(parents=True)
    (failed / "manifest.json").write_text("{}")
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "hailo_inference_artifacts_dir": str(arts),
        "newer": str(newer),
    }
    inventory = {"edge": {"hosts": {"canary": host, "batch2": host}}}
    r = run_play(tmp_path, inventory, PLAY)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (newer / "manifest.json").exists(), "the newer artifact was not written"
    assert f"CHOSE canary {first}" in r.stdout, r.stdout
    assert f"CHOSE batch2 {first}" in r.stdout, r.stdout
