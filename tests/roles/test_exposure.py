"""hailo_inference refuses a listen address beyond loopback that any client may reach.

The API has no authentication; beyond loopback `hailo_inference_allowed_clients` becomes the
unit's IPAddressAllow list, and an empty list would let every client in. The role's real
tasks/exposure.yml runs through ansible-playbook on a local stand-in host with the variables of
each case; the last test runs the whole role with a daemon tag to prove preflight runs it first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, run_play

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = "with an empty hailo_inference_allowed_clients"
EXPOSURE_PLAY = """- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: exposure
    - ansible.builtin.debug:
        msg: EXPOSURE PASSED
"""
ROLE_PLAY = """- hosts: edge
  gather_facts: false
  roles:
    - hailo_inference
"""

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")


def _run(
    tmp_path: Path, play: str, host_vars: dict[str, object], *args: str
) -> subprocess.CompletedProcess[str]:
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    host.update(host_vars)
    return run_play(tmp_path, {"edge": {"hosts": {"pi-1": host}}}, play, *args)


@pytest.mark.parametrize(
    "host_vars",
    [
        {},  # the default: 127.0.0.1
        {"hailo_inference_listen_host": "::1"},
        {"hailo_inference_listen_host": "0.0.0.0", "hailo_inference_allow_any_client": True},
        {
            "hailo_inference_listen_host": "0.0.0.0",
            "hailo_inference_allowed_clients": ["10.0.0.8"],
        },
    ],
    ids=["loopback-default", "loopback-v6", "any-client-on-purpose", "allow-list"],
)
def test_accepted_exposures_pass(tmp_path: Path, host_vars: dict[str, object]) -> None:
    r = _run(tmp_path, EXPOSURE_PLAY, host_vars)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "EXPOSURE PASSED" in r.stdout


def test_beyond_loopback_with_no_allow_list_is_refused_with_the_fix(tmp_path: Path) -> None:
    r = _run(tmp_path, EXPOSURE_PLAY, {"hailo_inference_listen_host": "0.0.0.0"})
    assert r.returncode != 0
    out = " ".join((r.stdout + r.stderr).split())
    assert f"0.0.0.0:9000 {REFUSAL}" in out, out
    assert "hailo_inference_allow_any_client: true" in out
    assert "EXPOSURE PASSED" not in r.stdout


def test_the_lab_vars_still_pass(tmp_path: Path) -> None:
    """playbooks/vars/lab.yml: the host's lab address with the lab bridge as the allow-list."""
    r = _run(
        tmp_path,
        EXPOSURE_PLAY,
        {"ansible_host": "10.77.0.11"},
        "-e",
        f"@{ROOT / 'playbooks/vars/lab.yml'}",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "EXPOSURE PASSED" in r.stdout


def test_preflight_refuses_before_anything_else_even_under_a_tag(tmp_path: Path) -> None:
    r = _run(
        tmp_path,
        ROLE_PLAY,
        {"hailo_inference_listen_host": "0.0.0.0", "edge_has_accelerator": False},
        "--tags",
        "hailo_inference_configure",
    )
    assert r.returncode != 0
    out = " ".join((r.stdout + r.stderr).split())
    assert REFUSAL in out, out
    assert "Choose the artifact for this run" not in out, "the refusal must come first"
