"""The hailort role's preflight on stand-in hosts (issue 27 item 5, issue 28 item 5). Verified
against a fake, not on hardware: the running kernel's modules folder holds a stand-in in-kernel
hailo_pci.ko whose .modinfo says 4.17.0 (what Raspberry Pi OS kernels ship); `dpkg-query` is a
stub per host (HailoRT not installed, or 4.20.0-1 installed). With the default pin 4.20.0 the
host adopts the driver's 4.17.0 (before: refused, "is not hailort_version 4.20.0"); a host that
runs 4.20.0 is stopped before anything is installed unless hailort_upgrade is true.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fake_hailort
import pytest
from local_play import ANSIBLE, ROOT
from tool_output import play_recap

PLAY = """- hosts: pis
  gather_facts: true
  gather_subset: [min]
  tasks:
    - ansible.builtin.include_role: {name: hailort, tasks_from: preflight}
    - ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        content: "{{ {'target': __hailort_target, 'source': __hailort_target_source} | to_json }}"
        mode: "0644"
"""
# `modinfo --field version FILE`: the field from the file's .modinfo (kmod may not be installed)
MODINFO = "#!/bin/sh\n# FAKE modinfo\ntr '\\0' '\\n' < \"$3\" | sed -n 's/^version=//p'\n"
INSTALLED = {"pi-new": "", "pi-old": "installed 4.20.0-1", "pi-old-upgrade": "installed 4.20.0-1"}


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_in_kernel_driver_adopted_and_a_change_needs_the_flag_verified_against_fake(
    tmp_path: Path,
) -> None:
    modules = tmp_path / "modules"
    ko = modules / "kernel/drivers/media/pci/hailo/hailo_pci.ko"
    ko.parent.mkdir(parents=True)
    ko.write_bytes(fake_hailort.kernel_module({"version": "4.17.0", "name": "hailo_pci"}))
    hosts = {}
    for host, installed in INSTALLED.items():
        stubs = tmp_path / host
        stubs.mkdir()
        query = f"#!/bin/sh\n# FAKE dpkg-query\necho -n '{installed}'\n"
        (stubs / "dpkg-query").write_text(query if installed else "#!/bin/sh\nexit 1\n")
        (stubs / "dpkg-query").chmod(0o755)
        (stubs / "modinfo").write_text(MODINFO)
        (stubs / "modinfo").chmod(0o755)
        shell = tmp_path / f"sh-{host}"
        shell.write_text(
            f'#!/bin/sh\nexport PATH={stubs}:/usr/sbin:/sbin:/usr/bin:/bin\nexec /bin/sh "$@"\n'
        )
        shell.chmod(0o755)
        hosts[host] = {
            "ansible_connection": "local", "ansible_shell_executable": str(shell),
            "ansible_python_interpreter": sys.executable, "out_dir": str(tmp_path),
            "hailort_upgrade": host.endswith("upgrade"),
        }  # fmt: skip
    (tmp_path / "hosts.json").write_text(json.dumps({"pis": {"hosts": hosts}}))
    (tmp_path / "play.yml").write_text(PLAY)
    # role vars (vars/main.yml) outrank the inventory: the stand-in paths go in as extra vars
    stand_ins = {"_hailort_modules_dir": str(modules),
                 "_hailort_sysfs_module": str(tmp_path / "no"),
                 "_hailort_fact_file": str(tmp_path / "hailort.fact")}  # fmt: skip
    r = subprocess.run(
        [str(ANSIBLE), "-i", str(tmp_path / "hosts.json"), str(tmp_path / "play.yml"),
         "-e", json.dumps(stand_ins)],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": "/usr/sbin:/sbin:/usr/bin:/bin"},
    )  # fmt: skip
    out = " ".join((r.stdout + r.stderr).split())
    failed = {h: c["failed"] for h, c in play_recap(r.stdout).items()}
    assert failed == {"pi-new": 0, "pi-old": 1, "pi-old-upgrade": 0}, out[-4000:]
    for host in ("pi-new", "pi-old-upgrade"):
        got = json.loads((tmp_path / f"{host}.json").read_text())
        assert got["target"] == "4.17.0" and "in-kernel hailo_pci" in got["source"], got
    assert "HAILORT CHANGE: pi-old 4.20.0 -> 4.17.0 (in-kernel hailo_pci" in out, out[-4000:]
    assert "pi-old runs HailoRT 4.20.0; this run would install 4.17.0" in out, out[-4000:]
    assert not (tmp_path / "pi-old.json").exists()
