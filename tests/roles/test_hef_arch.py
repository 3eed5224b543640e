"""site.yml refuses, before activation, a host whose Hailo device runs none of the artifact's
HEFs (issue 27 item 2; roles/hailo_inference/tasks/hef_arch.yml, included by preflight.yml).

The role's real task file runs through ansible-playbook against local stand-in hosts, each with
the device architecture the hailort role would have recorded (the play's __hailort_found, or the
local fact /etc/ansible/facts.d/hailort.fact: `hailortcli fw-control identify`'s "Device
Architecture") and the manifest the controller read. The rule is HailoRT's is_hef_compatible
(device_internal.cpp@v4.20.0 lines 716-722). Verified against stand-in hosts and fake HEF
manifests, not on hardware.
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
        tasks_from: hef_arch
    - ansible.builtin.debug:
        msg: "PASSED {{ inventory_hostname }}"
"""


def hef(arch: str) -> dict:
    return {"file": f"encoder.{arch}.hef", "parity": {"min_cosine": 0.995}}


def manifest(*archs: str) -> dict:
    m = {"model": {"name": "tcn-vae-encoder", "version": "0.1.0-abc"}, "backends": {"onnx": {}}}
    if archs:
        primary = archs[0]
        m["backends"]["hailo"] = {"file": f"encoder.{primary}.hef", "hw_arch": primary,
                                  "hefs": {a: hef(a) for a in archs}}  # fmt: skip
    return m


def run(tmp_path: Path, hosts: dict[str, dict]) -> subprocess.CompletedProcess:
    return run_accelerator_hosts(tmp_path, hosts, PLAY)


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_device_without_a_hef_it_runs_is_refused_before_activation_verified_against_fake(
    tmp_path: Path,
) -> None:
    """Fails on the role without hef_arch.yml (every host passed; the daemon fell back to
    onnx on the Hailo-8L, or HailoRT refused the HEF with 26/93)."""
    facts = tmp_path / "facts.d"  # what the hailort role writes to /etc/ansible/facts.d
    facts.mkdir()
    (facts / "hailort.fact").write_text(json.dumps({"architecture": "HAILO8L"}))
    only_8 = manifest("hailo8")
    r = run(
        tmp_path,
        {
            "pi_8l": {"__hailort_found": {"architecture": "HAILO8L"},
                      "__hailo_inference_manifest": only_8},
            "pi_8l_fact": {"fact_dir": str(facts), "__hailo_inference_manifest": only_8},
            "pi_8": {"__hailort_found": {"architecture": "HAILO8"},
                     "__hailo_inference_manifest": only_8},
            "pi_8_on_8l": {"__hailort_found": {"architecture": "HAILO8"},
                           "__hailo_inference_manifest": manifest("hailo8l")},
            "pi_8l_both": {"__hailort_found": {"architecture": "HAILO8L"},
                           "__hailo_inference_manifest": manifest("hailo8l", "hailo8")},
            "no_accel": {"hailo_inference_accelerator": False,
                         "__hailo_inference_manifest": only_8},
            "onnx_backend": {"hailo_inference_backend": "onnx",
                             "__hailort_found": {"architecture": "HAILO8L"},
                             "__hailo_inference_manifest": only_8},
            "no_hef": {"__hailort_found": {"architecture": "HAILO8L"},
                       "__hailo_inference_manifest": manifest()},
            "not_identified": {"__hailort_found": {"architecture": "unknown"},
                               "__hailo_inference_manifest": only_8},
        },
    )  # fmt: skip
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    failed = set(re.findall(r"^(\S+)\s*:.*failed=1", r.stdout, re.M))
    assert failed == {"pi_8l", "pi_8l_fact"}, out
    for host in ("pi_8", "pi_8_on_8l", "pi_8l_both", "no_accel", "onnx_backend", "no_hef",
                 "not_identified"):  # fmt: skip
        assert f"PASSED {host}" in out, out
    flat = " ".join(out.replace('\\"', '"').split())
    assert "pi_8l's Hailo device is HAILO8L, and tcn-vae-encoder@0.1.0-abc carries no HEF" in flat
    assert """ansible-playbook compile.yml -l gpusrv -e '{"hailo_compiler_hw_archs": """ in flat
    assert "Nothing was activated" in flat
    assert "pi_8_on_8l (HAILO8) loads encoder.hailo8l.hef: HEF was compiled for Hailo8L" in flat
    assert "pi_8l_both (HAILO8L) loads encoder.hailo8l.hef" in flat
