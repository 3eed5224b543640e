"""A host whose platform has no wheelhouse yet gets one built on the controller, from its facts.

The role's wheelhouse.yml runs through ansible-playbook against two local stand-in hosts whose
facts say aarch64/cp311 (Pi OS bookworm) and x86_64/cp313 (a trixie host); `_hailo_inference_repo`
is a stand-in repo with the project's wheelhouse locks (locks/edge-<target>.txt, names only) whose
scripts/wheelhouse.sh records the target it was asked for and writes SHA256SUMS, as the real one
does (the real one downloads binary wheels from PyPI: not run here). A host on a Python no lock
exists for (3.12) is refused before anything is built, naming the locked targets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, run_play

PLAY = """- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        ansible_facts: "{{ fake_facts }}"
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: wheelhouse
      vars:
        _hailo_inference_repo: "{{ fake_repo }}"
"""
SCRIPT = """#!/bin/bash
set -eu
echo "$1" >> "$(dirname "$0")/../built.log"
mkdir -p "$WHEELHOUSE_DIR/$1" && echo "x  dummy.whl" > "$WHEELHOUSE_DIR/$1/SHA256SUMS"
echo "wheelhouse: $1: 1 wheels"
"""


ROOT = Path(__file__).resolve().parents[2]
LOCKED = sorted(p.name for p in (ROOT / "locks").glob("edge-*-cp3*.txt"))


def _inventory(tmp_path: Path, build: bool, x86_minor: int = 13) -> dict:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True, exist_ok=True)
    (repo / "scripts" / "wheelhouse.sh").write_text(SCRIPT)
    (repo / "locks").mkdir(exist_ok=True)
    for name in LOCKED:  # the project's targets (the real locks' names; contents not read)
        (repo / "locks" / name).write_text("# stand-in\n")
    common = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "fake_repo": str(repo),
        "hailo_inference_wheelhouse_dir": str(tmp_path / "wheelhouse"),
        "hailo_inference_wheelhouse_build_missing": build,
    }
    facts = {
        "pi-arm": {"architecture": "aarch64", "python": {"version": {"major": 3, "minor": 11}}},
        "pi-x86": {
            "architecture": "x86_64",
            "python": {"version": {"major": 3, "minor": x86_minor}},
        },
    }
    return {"edge": {"hosts": {h: {**common, "fake_facts": f} for h, f in facts.items()}}}


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_each_missing_platform_is_built_once_from_the_hosts_facts(tmp_path: Path) -> None:
    r = run_play(tmp_path, _inventory(tmp_path, build=True), PLAY)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    built = sorted((tmp_path / "repo" / "built.log").read_text().split())
    assert built == ["aarch64-cp311", "x86_64-cp313"], built
    r = run_play(tmp_path, _inventory(tmp_path, build=True), PLAY)  # now present: nothing built
    assert r.returncode == 0 and len((tmp_path / "repo" / "built.log").read_text().split()) == 2


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_without_building_the_play_names_the_wheelhouse_to_build(tmp_path: Path) -> None:
    r = run_play(tmp_path, _inventory(tmp_path, build=False), PLAY)
    assert r.returncode != 0
    assert "make wheelhouse WHEELHOUSE_TARGETS=aarch64-cp311" in r.stdout, r.stdout[-3000:]
    assert not (tmp_path / "repo" / "built.log").exists()


def test_the_project_locks_bookworm_and_trixie_targets() -> None:
    assert {"edge-aarch64-cp311.txt", "edge-aarch64-cp313.txt"} <= set(LOCKED), LOCKED


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_a_python_without_a_lock_is_refused_naming_the_locked_targets(tmp_path: Path) -> None:
    r = run_play(tmp_path, _inventory(tmp_path, build=True, x86_minor=12), PLAY)
    assert r.returncode != 0
    out = " ".join(r.stdout.split())
    assert "pi-x86 runs Python 3.12 on x86_64 (x86_64-cp312): the project locks no" in out
    assert "Locked targets: aarch64-cp311, aarch64-cp313, x86_64-cp311, x86_64-cp313" in out, out
    # the refused host builds nothing; the other host's wheelhouse is built as before
    assert (tmp_path / "repo" / "built.log").read_text().split() == ["aarch64-cp311"]
