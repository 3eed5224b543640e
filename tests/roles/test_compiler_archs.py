"""compile.yml builds a HEF for each Hailo architecture the fleet has (issue 27 item 2;
roles/hailo_compiler/tasks/archs.yml): hailo_compiler_hw_archs when set, else what the hosts of
hailo_compiler_fleet_group recorded (the hailort role's local fact hailort.fact, "architecture"
from `hailortcli fw-control identify`), else the safe [hailo8l]. The role's real task file runs
through ansible-playbook against local stand-in hosts, each reading its own facts folder.
Verified against stand-in hosts, not on hardware.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, run_play

PLAY = """- hosts: gpusrv
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_compiler
        tasks_from: archs
    - ansible.builtin.debug:
        msg: "ARCHS {{ __hailo_compiler_archs | to_json }}"
"""


def fleet(tmp_path: Path, archs: dict[str, str | None]) -> dict:
    """An edge group of stand-in hosts, each with the hailort fact it would have recorded."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {}
    for name, arch in archs.items():
        facts = tmp_path / name
        facts.mkdir(parents=True)
        if arch is not None:
            (facts / "hailort.fact").write_text(json.dumps({"architecture": arch}))
        hosts[name] = local | {"_hailo_compiler_fact_path": str(facts)}
    return {"edge": {"hosts": hosts}, "gpusrv": {"hosts": {"gpu": local}}}


def archs(tmp_path: Path, edge: dict[str, str | None], **gpu_vars: object) -> list[str]:
    inv = fleet(tmp_path, edge)
    inv["gpusrv"]["hosts"]["gpu"] |= gpu_vars
    r = run_play(tmp_path, inv, PLAY)
    assert r.returncode == 0, r.stdout + r.stderr
    found = re.search(r"ARCHS (\[.*?\])", r.stdout.replace('\\"', '"'))
    assert found, r.stdout
    return json.loads(found.group(1))


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_compile_targets_the_fleets_architectures_verified_against_fake(tmp_path: Path) -> None:
    """Fails on the old role (one hailo_compiler_hw_arch, default hailo8, whatever the fleet)."""
    mixed = {"pi_8": "HAILO8", "pi_8l": "HAILO8L", "pi_none": None}
    assert archs(tmp_path / "mixed", mixed) == ["hailo8l", "hailo8"]
    assert archs(tmp_path / "only8", {"pi_8": "HAILO8", "pi_cpu": None}) == ["hailo8"]
    # nobody reports a device: the safe default, a HEF every Hailo-8/8L runs
    assert archs(tmp_path / "none", {"pi_cpu": None, "pi_odd": "HAILO15H"}) == ["hailo8l"]
    # set explicitly: taken as given
    given = archs(tmp_path / "given", mixed, hailo_compiler_hw_archs=["hailo8"])
    assert given == ["hailo8"]
