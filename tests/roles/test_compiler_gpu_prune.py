"""hailo_compiler's GPU preflight (gpu.yml) and DFC work-folder pruning (prune.yml), run with
ansible-playbook against a local stand-in host. `nvidia-smi` is a stand-in script printing what
the real one prints for `--query-gpu=... --format=csv,noheader` (one GPU per line), or failing as
it does without a driver ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA
driver", exit 9). Without a GPU the DFC reduces optimization to level 0 ("Reducing optimization
level to 0 ... because there's no available GPU", Hailo DFC log): warned, or refused on request.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, run_play

PLAY = """- hosts: gpusrv
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_compiler
        tasks_from: "{{ entry }}"
      vars:  # role parameters outrank the role's vars/main.yml, where the real path is
        _hailo_compiler_nvidia_smi: "{{ smi | default('nvidia-smi') }}"
"""
GPU = "#!/bin/sh\necho 'NVIDIA GeForce RTX 4090, 550.54.14, 24564 MiB'\n"
NO_DRIVER = (
    "#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
    'driver. Make sure that the latest NVIDIA driver is installed and running." >&2\nexit 9\n'
)
pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run make setup")


def _play(tmp_path: Path, entry: str, **hostvars: object):
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "entry": entry, **hostvars}  # fmt: skip
    return run_play(tmp_path, {"gpusrv": {"hosts": {"gpu01": host}}}, PLAY)


def _smi(tmp_path: Path, script: str | None) -> str:
    path = tmp_path / "nvidia-smi"
    if script is not None:
        path.write_text(script)
        path.chmod(0o755)
    return str(path)


def test_a_listed_gpu_is_reported(tmp_path: Path) -> None:
    r = _play(tmp_path, "gpu", smi=_smi(tmp_path, GPU),
              hailo_compiler_require_gpu=True)  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:]
    assert "GPU for the DFC (optimization level 2): NVIDIA GeForce RTX 4090" in r.stdout


@pytest.mark.parametrize("script", [None, NO_DRIVER], ids=["no-nvidia-smi", "no-driver"])
def test_no_gpu_warns_by_default_and_fails_when_required(tmp_path: Path, script) -> None:
    smi = _smi(tmp_path, script)
    r = _play(tmp_path, "gpu", smi=smi)
    assert r.returncode == 0, r.stdout[-3000:]
    flat = " ".join(r.stdout.split())
    assert "WARNING: hailo_compiler_optimization_level is 2 but gpu01 shows no NVIDIA GPU" in flat
    assert "reduces the optimization level to 0" in flat
    r = _play(tmp_path, "gpu", smi=smi, hailo_compiler_require_gpu=True)
    assert r.returncode != 0
    assert "hailo_compiler_require_gpu is true: stopped before compiling" in r.stdout


def test_prune_keeps_the_newest_work_folders(tmp_path: Path) -> None:
    work = tmp_path / "srv" / "dfc" / "work"
    for age, name in enumerate(["e", "d", "c", "b", "a"]):  # a is the oldest
        (work / name).mkdir(parents=True)
        os.utime(work / name, (1_700_000_000 - age * 100, 1_700_000_000 - age * 100))
    (work / "hailo_sdk.client.log").write_text("a file, not a work folder\n")
    r = _play(tmp_path, "prune", hailo_compiler_root=str(tmp_path / "srv"),
              hailo_compiler_keep_work_dirs=2)  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:]
    assert sorted(p.name for p in work.iterdir()) == ["d", "e", "hailo_sdk.client.log"]
