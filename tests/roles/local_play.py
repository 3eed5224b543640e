"""Run a small playbook with ansible-playbook against local stand-in hosts (no SSH, no lab)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE = ROOT / ".venv-ctl/bin/ansible-playbook"


def ansible_playbook(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """`ansible-playbook ARGS` of .venv-ctl from the repo root, with its ansible.cfg and a clean
    environment (no proxy or ANSIBLE_* settings of the caller's shell leak in)."""
    return subprocess.run(
        [str(ANSIBLE), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=timeout,
    )


def run_play(tmp_path: Path, inventory: dict, play: str, *args: str) -> subprocess.CompletedProcess:
    """Write inventory (JSON) and play into tmp_path, run them with the repo's ansible.cfg."""
    (tmp_path / "hosts.json").write_text(json.dumps(inventory))
    (tmp_path / "play.yml").write_text(play)
    return ansible_playbook("-i", str(tmp_path / "hosts.json"), str(tmp_path / "play.yml"), *args)


def run_accelerator_hosts(
    tmp_path: Path, hosts: dict[str, dict], play: str
) -> subprocess.CompletedProcess:
    """run_play on local stand-in edge hosts with an accelerator (backend auto), each host's own
    variables over those."""
    base = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "hailo_inference_accelerator": True, "hailo_inference_backend": "auto"}  # fmt: skip
    return run_play(tmp_path, {"edge": {"hosts": {n: base | h for n, h in hosts.items()}}}, play)
