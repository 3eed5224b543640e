"""hailo_inference puts `hailo-inference` on PATH: a link to the active release's entry point
through the `current` link (tasks/path_link.yml, included by service.yml), so a rollback that
re-points current needs no task of its own; idempotent, check mode changes nothing, and
uninstall.yml removes it.

The role's real task file runs through ansible-playbook on a local stand-in host, with the root
and the link under tmp_path; the fleet check (tests/fleet/test_path_cli.py) runs the deployed
one from PATH on the lab hosts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from local_play import ANSIBLE, ansible_playbook

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "roles/hailo_inference/tasks"
PLAY = """- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: path_link
"""

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")


def _release(root: Path, name: str) -> Path:
    """releases/<name>/venv/bin/hailo-inference: a stand-in entry point that names its release."""
    entry = root / "releases" / name / "venv/bin/hailo-inference"
    entry.parent.mkdir(parents=True)
    entry.write_text(f'#!/bin/sh\necho "{name} $*"\n')
    entry.chmod(0o755)
    return entry.parents[2]


def _activate(root: Path, release: Path) -> None:
    tmp = root / "current.tmp"
    tmp.symlink_to(release)
    os.replace(tmp, root / "current")


def _play(tmp_path: Path, root: Path, link: Path, *args: str) -> int:
    """Run the task file; the number of changed tasks."""
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "hailo_inference_root": str(root),
    }
    (tmp_path / "hosts.json").write_text(json.dumps({"edge": {"hosts": {"pi-1": host}}}))
    (tmp_path / "play.yml").write_text(PLAY)
    play = [str(tmp_path / "play.yml"), "-e", f"_hailo_inference_path_link={link}", *args]
    r = ansible_playbook("-i", str(tmp_path / "hosts.json"), *play)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"pi-1\s*:\s*ok=\d+\s+changed=(\d+)", r.stdout)
    assert m, r.stdout
    return int(m.group(1))


def _on_path(bin_dir: Path) -> str:
    r = subprocess.run(
        ["hailo-inference", "--check-config", "/etc/hailo-inference/config.yaml"],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_link_follows_current_is_idempotent_and_check_mode_safe(tmp_path: Path) -> None:
    root, bin_dir = tmp_path / "opt", tmp_path / "bin"
    bin_dir.mkdir()
    link = bin_dir / "hailo-inference"
    # a fresh host in check mode: nothing released yet, nothing written
    assert _play(tmp_path, root, link, "--check") == 1
    assert not link.is_symlink() and not root.exists()

    first, second = _release(root, "r1"), _release(root, "r2")
    _activate(root, first)
    assert _play(tmp_path, root, link) == 1
    assert os.readlink(link) == f"{root}/current/venv/bin/hailo-inference"
    assert _on_path(bin_dir) == "r1 --check-config /etc/hailo-inference/config.yaml"
    assert _play(tmp_path, root, link) == 0
    assert _play(tmp_path, root, link, "--check") == 0

    # a deploy or rollback only re-points current: PATH follows with no task run
    _activate(root, second)
    assert _on_path(bin_dir).startswith("r2 ")
    _activate(root, first)
    assert _on_path(bin_dir).startswith("r1 ")


def test_activation_includes_it_and_uninstall_removes_it() -> None:
    service = yaml.safe_load((TASKS / "service.yml").read_text())
    assert any(t.get("ansible.builtin.include_tasks") == "activate.yml" for t in service)
    activate = yaml.safe_load((TASKS / "activate.yml").read_text())
    names = [t.get("ansible.builtin.import_tasks") for t in activate]
    switch = next(i for i, t in enumerate(activate) if t["name"].startswith("Switch current"))
    assert names.index("path_link.yml") > switch, "linked before current is switched"
    uninstall = yaml.safe_load((TASKS / "uninstall.yml").read_text())
    removal = next(t for t in uninstall if t["name"] == "Remove the units, files and folders")
    assert "_hailo_inference_path_link" in removal["loop"]
    assert removal["ansible.builtin.file"]["state"] == "absent"
