"""HailoRT package revisions are resolved once per run and every host installs them (issue 28
item 5). Verified against a fake, not on hardware: two local stand-in hosts whose `apt-cache`
(a stub answering `madison` from a per-host list) differ: pi-b's archive already offers a newer
hailofw revision (published mid-rollout). The play runs in batches of one host (serial: 1, the
rollout's shape) and includes the hailort role's lock.yml, which resolves on the first host of the
first batch and keeps the result on the controller. Before, each host resolved its own newest
revision (apt-pins-missing.sh per host), so pi-b would have installed hailofw 4.20.0-2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from local_play import ANSIBLE, ROOT

ARCHIVES = {
    "pi-a": {"hailort": ["4.20.0-1"], "hailofw": ["4.20.0-1"]},
    "pi-b": {"hailort": ["4.20.0-1"], "hailofw": ["4.20.0-2", "4.20.0-1"]},
}
APT_CACHE = """#!/bin/sh
# FAKE apt-cache: `madison NAME` from $FAKE_APT/$FAKE_APT_HOST/NAME (one version a line)
[ "$1" = madison ] || exit 2
f="$FAKE_APT/$FAKE_APT_HOST/$2"; [ -f "$f" ] || exit 0
while read -r v; do echo " $2 | $v | file:/srv/fake ./ Packages"; done < "$f"
"""
DPKG_QUERY = "#!/bin/sh\n# FAKE dpkg-query: nothing installed\nexit 1\n"
PLAY = """- hosts: pis
  gather_facts: false
  serial: 1
  tasks:
    - ansible.builtin.set_fact:
        __hailort_target: "4.20.0"
        __hailort_target_source: hailort_version
        __hailort_apt_wanted: [hailort, hailofw]
    - ansible.builtin.include_role: {name: hailort, tasks_from: lock}
    - ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        content: "{{ __hailort_apt_locked | to_json }}"
        mode: "0644"
"""


@pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")
def test_every_batch_installs_the_revisions_resolved_once_verified_against_fake(
    tmp_path: Path,
) -> None:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, text in (("apt-cache", APT_CACHE), ("dpkg-query", DPKG_QUERY)):
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    hosts = {}
    for host, packages in ARCHIVES.items():
        for pkg, versions in packages.items():
            (tmp_path / "apt" / host).mkdir(parents=True, exist_ok=True)
            (tmp_path / "apt" / host / pkg).write_text("\n".join(versions) + "\n")
        # the host's shell: its own archive (ansible_shell_executable runs each module)
        shell = tmp_path / f"sh-{host}"
        shell.write_text(
            f"#!/bin/sh\nexport FAKE_APT_HOST={host} FAKE_APT={tmp_path / 'apt'} "
            f'PATH={stubs}:/usr/bin:/bin\nexec /bin/sh "$@"\n'
        )
        shell.chmod(0o755)
        hosts[host] = {"ansible_connection": "local", "ansible_shell_executable": str(shell),
                       "ansible_python_interpreter": sys.executable,
                       "out_dir": str(tmp_path)}  # fmt: skip
    (tmp_path / "hosts.json").write_text(json.dumps({"pis": {"hosts": hosts}}))
    (tmp_path / "play.yml").write_text(PLAY)
    r = subprocess.run(
        [str(ANSIBLE), "-i", str(tmp_path / "hosts.json"), str(tmp_path / "play.yml")],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    flat = " ".join(out.split())
    assert (
        "HAILORT LOCK for this run, resolved on pi-a: 4.20.0: hailort=4.20.0-1 hailofw=4.20.0-1"
        in flat
    ), flat[-3000:]
    locked = {h: json.loads((tmp_path / f"{h}.json").read_text()) for h in ARCHIVES}
    assert locked["pi-a"] == locked["pi-b"] == ["hailort=4.20.0-1", "hailofw=4.20.0-1"], locked
    assert flat.count("HAILORT LOCK for this run") == 1, "resolved again in a later batch"
