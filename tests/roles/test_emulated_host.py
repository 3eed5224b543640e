"""What the hailo_inference role changes for a host the lab runs under qemu-user (edge_emulated,
edge_time_scale; docs/lab.md), and that a real host gets none of it."""

from __future__ import annotations

from pathlib import Path

from local_play import run_play
from test_service_unit import directives, render

SCALED = {"TimeoutStartSec", "WatchdogSec"}
PLAY = """
- name: Time limits as the role computes them
  hosts: real:emulated:capped
  gather_facts: false
  vars_files:
    - ROLE/defaults/main.yml
    - ROLE/vars/main.yml
  tasks:
    - name: Show them
      ansible.builtin.debug:
        msg: >-
          LIMITS {{ inventory_hostname }} {{ _hailo_inference_health_retries }}
          {{ _hailo_inference_gate_timeout_s }} {{ _hailo_inference_request_timeout_s | float }}
- name: Refuse emulated on a host whose PID 1 is not qemu-user
  hosts: notqemu
  gather_facts: false
  tasks:
    - name: The role's emulation check
      ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: emulation
"""


def test_a_real_host_keeps_private_users_and_its_time_limits() -> None:
    d = directives(render(edge_has_accelerator=False))
    assert d["PrivateUsers"] == ["yes"]
    assert (d["TimeoutStartSec"], d["WatchdogSec"]) == (["120"], ["30"])


def test_an_emulated_host_loses_only_private_users_and_stretches_only_time_limits() -> None:
    real = directives(render(edge_has_accelerator=False))
    emu = directives(render(edge_has_accelerator=False, edge_emulated=True, edge_time_scale=30))
    assert "PrivateUsers" not in emu
    assert (emu["TimeoutStartSec"], emu["WatchdogSec"]) == (["3600"], ["900"])
    assert {k: v for k, v in real.items() if k not in SCALED | {"PrivateUsers"}} == {
        k: v for k, v in emu.items() if k not in SCALED
    }


def test_with_an_accelerator_nothing_about_private_users_changes() -> None:
    accel = render(edge_has_accelerator=True)
    assert render(edge_has_accelerator=True, edge_emulated=True) == accel


def test_role_refuses_emulated_where_pid1_is_not_qemu_and_scales_limits(tmp_path: Path) -> None:
    local = {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}
    inv = {
        "all": {
            "hosts": {
                "notqemu": {**local, "edge_emulated": True, "ansible_become": False},
                "real": local,
                "emulated": {**local, "edge_time_scale": 30},
                "capped": {**local, "edge_time_scale": 300},
            }
        }
    }
    role = Path(__file__).resolve().parents[2] / "roles/hailo_inference"
    r = run_play(tmp_path, inv, PLAY.replace("ROLE/", f"{role}/"))
    out = r.stdout + r.stderr
    flat = " ".join(out.split())
    assert "edge_emulated) is true for notqemu" in flat and "not qemu-user" in flat, out[-3000:]
    shown = [ln.split() for ln in r.stdout.splitlines() if ln.strip().startswith("msg: LIMITS")]
    limits = {w[2]: w[3:6] for w in shown}
    assert limits == {
        "real": ["60", "10", "0.5"],
        "emulated": ["1800", "300", "15.0"],
        "capped": ["18000", "3000", "60.0"],  # the daemon refuses a deadline above 60 s
    }, out[-3000:]
