"""compile.yml's fetch (roles/hailo_compiler/tasks/fetch.yml): every fetched file is checked on the
controller with edge_artifact's rule (`python -m edge_artifact verify`), not a Jinja copy of it.

The role's real task file runs through ansible-playbook against a local stand-in "GPU server"
whose artifact folder is the test's; a flipped byte there must stop the play naming the file.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, run_play

PLAY = """- hosts: gpusrv
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_compiler
        tasks_from: fetch
"""


def _run(tmp_path: Path, art: Path) -> tuple[int, str]:
    manifest_files = sorted(p.name for p in art.iterdir() if p.name != "manifest.json")
    summary = {"artifact": str(art), "model": "tcn", "version": art.name, "source": "test",
               "hef": "none", "files": manifest_files}  # fmt: skip
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "hailo_compiler_fetch_dest": str(tmp_path / "fetched"),
            "__hailo_compiler_summaries": [summary]}  # fmt: skip
    r = run_play(tmp_path, {"gpusrv": {"hosts": {"gpu": host}}}, PLAY)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_fetch_checks_every_sha256_with_edge_artifact(tmp_path: Path, tiny_artifact: Path) -> None:
    art = tmp_path / "remote" / tiny_artifact.name
    shutil.copytree(tiny_artifact, art)
    (tmp_path / "ok").mkdir()
    rc, out = _run(tmp_path / "ok", art)
    assert rc == 0, out
    assert "every sha256 matches the manifest" in out, out
    onnx = art / "encoder_cpu.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    (tmp_path / "bad").mkdir()
    rc, out = _run(tmp_path / "bad", art)
    assert rc != 0, out
    assert "encoder_cpu.onnx has sha256" in out and "the copy is corrupt" in out, out
