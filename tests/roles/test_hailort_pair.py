"""site.yml's HailoRT check before activation (roles/hailo_inference/tasks/hailort_pair.yml).

The role's real task file runs through ansible-playbook against local stand-in hosts, each with
the HailoRT version the hailort role would have found (the play's __hailort_found, or the local
fact /etc/ansible/facts.d/hailort.fact) and the manifest the controller read. Verified against
stand-in hosts and a fake HEF's manifest, not on hardware.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from local_play import ANSIBLE, run_accelerator_hosts

PLAY = """- hosts: edge
  gather_facts: false
  tasks:
    - name: Read the local facts as the play's gather_facts does
      ansible.builtin.setup:
        gather_subset: ["!all", "!min", "local"]
        fact_path: "{{ fact_dir }}"
      when: fact_dir is defined
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: hailort_pair
    - ansible.builtin.debug:
        msg: "PASSED {{ inventory_hostname }}"
"""
HEF_3_33 = {"dfc_version": "3.33.0+fake", "hailort_min_version": "4.23",
            "hailort_below_version": "5.0", "file": "encoder.hef"}  # fmt: skip


def manifest(hailo: dict | None) -> dict:
    m = {"model": {"name": "tcn-vae-encoder", "version": "0.1.0-abc"}, "backends": {"onnx": {}}}
    if hailo is not None:
        m["backends"]["hailo"] = hailo
    return m


def run(tmp_path: Path, hosts: dict[str, dict]) -> subprocess.CompletedProcess:
    return run_accelerator_hosts(tmp_path, hosts, PLAY)


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_hailort_too_old_for_the_hef_is_refused_before_activation_verified_against_fake(
    tmp_path: Path,
) -> None:
    """Fails on the old role (no check: every host passed and the daemon fell back to onnx)."""
    facts = tmp_path / "facts.d"  # what the hailort role writes to /etc/ansible/facts.d
    facts.mkdir()
    (facts / "hailort.fact").write_text(json.dumps({"library_version": "4.20.0"}))
    r = run(
        tmp_path,
        {
            "pi_420": {"__hailort_found": {"library_version": "4.20.0"},
                       "__hailo_inference_manifest": manifest(HEF_3_33)},
            "pi_fact": {"fact_dir": str(facts), "__hailo_inference_manifest": manifest(HEF_3_33)},
            "pi_423": {"__hailort_found": {"library_version": "4.23.0"},
                       "__hailo_inference_manifest": manifest(HEF_3_33)},
            "pi_5": {"__hailort_found": {"library_version": "5.1.0"},
                     "__hailo_inference_manifest": manifest(HEF_3_33)},
            "no_accel": {"hailo_inference_accelerator": False,
                         "__hailo_inference_manifest": manifest(HEF_3_33)},
            "onnx_only": {"__hailort_found": {"library_version": "4.20.0"},
                          "__hailo_inference_manifest": manifest(None)},
            "old_manifest": {"__hailort_found": {"library_version": "4.20.0"},
                             "__hailo_inference_manifest": manifest({"dfc_version": "3.33.0"})},
        },
    )  # fmt: skip
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    failed = set(re.findall(r"^(\S+)\s*:.*failed=1", r.stdout, re.M))
    assert failed == {"pi_420", "pi_fact", "pi_5"}, out
    for host in ("pi_423", "no_accel", "onnx_only", "old_manifest"):
        assert f"PASSED {host}" in out, out
    assert "pi_420 runs HailoRT 4.20.0" in out and "DFC 3.33.0+fake" in out, out
    assert 'hailort_version: \\"4.23.0\\"' in out or 'hailort_version: "4.23.0"' in out, out
    assert "hailo_compiler_target_hailort_version=4.20.0" in out, out
    assert "HailoRT 5.x runs only Hailo-10/15" in out, out
