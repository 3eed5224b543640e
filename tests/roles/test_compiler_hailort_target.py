"""compile.yml builds for the HailoRT the fleet runs (issue 27 item 5; roles/hailo_compiler/tasks/
hailort_target.yml, dfc_pair.yml): hailo_compiler_target_hailort_version when set, else the
version the hosts of hailo_compiler_fleet_group recorded (the hailort role's local fact
hailort.fact, "version"), else the hailort role's default pin; the paired DFC comes from
artifact/edge_artifact/hailo_pairs.json. A fleet on several versions is refused when a HEF may be
built, naming each version and its hosts, unless the target is given; an installed DFC that is
not the pair is refused before compiling. The role's real task files run through
ansible-playbook against local stand-in hosts with fake facts: verified against a fake (stand-in
hosts, a stand-in DFC version), not on hardware.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from local_play import ANSIBLE, ROOT, run_play
from tool_output import play_recap

PLAY = """- hosts: gpusrv
  gather_facts: false
  tasks:
    - ansible.builtin.include_role: {name: hailo_compiler, tasks_from: hailort_target}
    - ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        content: >-
          {{ {'target': __hailo_compiler_target_hailort, 'dfc': __hailo_compiler_paired_dfc,
              'said': __hailo_compiler_hailort_said} | to_json }}
        mode: "0644"
    - ansible.builtin.set_fact:
        __hailo_compiler_versions: {stdout: "{{ {'dataflow_compiler': installed_dfc} | to_json }}"}
    - ansible.builtin.include_role: {name: hailo_compiler, tasks_from: dfc_pair}
"""
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
# The fleets: one group per case, each host with the hailort fact it would have recorded.
FLEETS: dict[str, dict[str, dict | None]] = {
    "pi_os": {"pi-1": {"version": "4.17.0", "version_source": "in-kernel hailo_pci"},
              "pi-2": {"version": "4.17.0"}, "pi-cpu": None},
    "old_fact": {"pi-9": {"library_version": "4.23.0"}},  # a fact from before "version"
    "nobody": {"pi-cpu2": None},
    "mixed": {"pi-a": {"version": "4.20.0"}, "pi-b": {"version": "4.17.0"},
              "pi-c": {"version": "4.17.0"}, "pi-d": {"version": "4.9.0"}},
}  # fmt: skip
# gpusrv stand-ins: (fleet group, role variables, installed DFC as the toolchain venv reports it)
GPUS: dict[str, tuple[str, dict, str | None]] = {
    "gpu_follows_pi_os": ("pi_os", {}, "3.27.0"),
    "gpu_old_fact": ("old_fact", {}, None),
    "gpu_pin": ("nobody", {}, "3.30.0"),
    "gpu_unpaired_dfc": ("pi_os", {}, "3.30.0"),
    "gpu_unpaired_allowed": ("pi_os", {"hailo_compiler_allow_unpaired_dfc": True}, "3.30.0"),
    "gpu_fake_dfc_on_pin": ("nobody", {"hailo_compiler_test_fake_dfc": "/fake"}, "3.33.0+fake"),
    "gpu_mixed": ("mixed", {"hailo_compiler_test_fake_dfc": "/fake"}, None),
    "gpu_mixed_named": ("mixed", {"hailo_compiler_target_hailort_version": "4.17.0",
                              "hailo_compiler_test_fake_dfc": "/fake"}, "3.27.0"),
    "gpu_mixed_leftover_dfc": ("mixed", {}, "3.27.0"),
    "gpu_mixed_onnx_only": ("mixed", {"hailo_compiler_hef": "skip"}, "3.33.0"),
}  # fmt: skip


def run(tmp_path: Path) -> tuple[dict[str, int], str]:
    inventory: dict = {}
    for group, hosts in FLEETS.items():
        inventory[group] = {"hosts": {}}
        for name, fact in hosts.items():
            facts = tmp_path / "facts" / name
            facts.mkdir(parents=True)
            if fact is not None:
                (facts / "hailort.fact").write_text(json.dumps(fact))
            inventory[group]["hosts"][name] = LOCAL | {"_hailo_compiler_fact_path": str(facts)}
    gpus = {}
    for name, (group, role_vars, dfc) in GPUS.items():
        gpus[name] = LOCAL | role_vars | {
            "hailo_compiler_fleet_group": group, "hailo_compiler_repo": str(ROOT),
            "installed_dfc": dfc, "out_dir": str(tmp_path)}  # fmt: skip
    inventory["gpusrv"] = {"hosts": gpus}
    r = run_play(tmp_path, inventory, PLAY)
    failed = {h: c["failed"] for h, c in play_recap(r.stdout).items() if h in GPUS}
    return failed, " ".join((r.stdout + r.stderr).split())


def chose(tmp_path: Path, host: str) -> dict:
    return json.loads((tmp_path / f"{host}.json").read_text())


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_compile_targets_the_fleets_hailort_and_its_paired_dfc_verified_against_fake(
    tmp_path: Path,
) -> None:
    """Fails on the old role: the target was hailo_compiler_target_hailort_version's fixed
    4.20.0 whatever the fleet recorded, a mixed fleet compiled, and the installed DFC was only
    checked once the compile had started."""
    failed, out = run(tmp_path)
    want = {h: 0 for h in GPUS} | {"gpu_unpaired_dfc": 1, "gpu_fake_dfc_on_pin": 1,
                                   "gpu_mixed": 1, "gpu_mixed_leftover_dfc": 1}  # fmt: skip
    assert failed == want, out[-6000:]
    # a Pi OS fleet that adopted its kernel's 4.17.0: built for 4.17.0 with DFC 3.27
    got = chose(tmp_path, "gpu_follows_pi_os")
    assert (got["target"], got["dfc"]) == ("4.17.0", "3.27"), got
    assert "recorded by pi-1, pi-2 of pi_os" in got["said"], got
    assert (chose(tmp_path, "gpu_old_fact")["target"], chose(tmp_path, "gpu_old_fact")["dfc"]) == (
        "4.23.0",
        "3.33",
    )
    # nobody recorded a version: the hailort role's default pin
    got = chose(tmp_path, "gpu_pin")
    assert (got["target"], got["dfc"]) == ("4.20.0", "3.30") and "default pin" in got["said"], got
    # the installed DFC is not the fleet's pair: refused, naming the fleet, the DFC and the ways out
    assert (
        "The Dataflow Compiler installed on gpu_unpaired_dfc is 3.30.0, but the fleet runs "
        "HailoRT 4.17.0 (recorded by pi-1, pi-2 of pi_os), which needs DFC 3.27" in out
    ), out
    assert "install DFC 3.27 for HailoRT 4.17.0 (hailo_compiler_dfc_wheel)" in out, out
    assert "or set hailo_compiler_target_hailort_version" in out, out
    assert "hailo_compiler_allow_unpaired_dfc: true" in out, out
    # the fake DFC (3.33) on a fleet with nothing recorded: the phrase the lab test looks for
    assert "is 3.33.0+fake, but the fleet runs HailoRT 4.20.0" in out, out
    assert "install DFC 3.30 for HailoRT 4.20.0" in out, out
    # several versions: each version with its hosts and DFC (sorted as versions, not text)
    assert (
        "The hosts of mixed run several HailoRT versions: 4.9.0 on pi-d (no DFC in the "
        "table); 4.17.0 on pi-b, pi-c (DFC 3.27); 4.20.0 on pi-a (DFC 3.30)" in out
    ), out
    assert "-e hailo_compiler_target_hailort_version=4.9.0" in out, out
    got = chose(tmp_path, "gpu_mixed_named")
    assert (got["target"], got["dfc"]) == ("4.17.0", "3.27"), got
    assert "(hailo_compiler_target_hailort_version)" in got["said"], got
    assert "several versions: name the one to build for" in out, out


def test_the_fallback_pin_is_the_hailort_roles_default() -> None:
    pin = yaml.safe_load((ROOT / "roles/hailo_compiler/vars/main.yml").read_text())
    hailort = yaml.safe_load((ROOT / "roles/hailort/defaults/main.yml").read_text())
    assert pin["_hailo_compiler_hailort_pin"] == hailort["hailort_version"]
