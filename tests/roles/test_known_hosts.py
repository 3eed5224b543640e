"""Issue 28 item 8: SSH host keys come from the inventory, never from a prompt.

- inventory/production makes ssh use its own known_hosts with StrictHostKeyChecking=yes (read
  through ansible, as a play sees it);
- scripts/enrol-host.sh writes a scanned key only when it matches the fingerprint read on the Pi,
  refuses a mismatch, and replaces a changed key only with the matching fingerprint. The scan is a
  stand-in ssh-keyscan printing a key made here with ssh-keygen.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from local_play import ROOT

CTL = ROOT / ".venv-ctl" / "bin"
needs = pytest.mark.skipif(
    not (CTL / "ansible").exists() or not shutil.which("ssh-keygen"),
    reason=".venv-ctl or ssh-keygen missing",
)


@needs
def test_production_inventory_pins_host_keys_to_its_known_hosts() -> None:
    r = subprocess.run(
        [str(CTL / "ansible"), "-i", "inventory/production", "pi-kitchen", "-m",
         "ansible.builtin.debug", "-a", "var=ansible_ssh_common_args", "-o"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    want = f"-o UserKnownHostsFile={ROOT}/inventory/production/known_hosts"
    assert want in r.stdout and "-o StrictHostKeyChecking=yes" in r.stdout, r.stdout
    assert (ROOT / "inventory/production/known_hosts").is_file()


def _key(tmp: Path, name: str) -> tuple[str, str]:
    path = tmp / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    blob = " ".join(path.with_suffix(".pub").read_text().split()[:2])
    fp = subprocess.run(["ssh-keygen", "-lf", str(path.with_suffix(".pub"))], capture_output=True,
                        text=True, check=True).stdout.split()[1]  # fmt: skip
    return blob, fp


def _enrol(tmp: Path, key: str, *args: str) -> subprocess.CompletedProcess:
    scan = tmp / "ssh-keyscan"
    scan.write_text(f"#!/bin/sh\necho '# 10.0.0.7:22 SSH-2.0-OpenSSH'\necho '10.0.0.7 {key}'\n")
    scan.chmod(0o755)
    env = {
        **os.environ,
        "SSH_KEYSCAN": str(scan),
        "ANSIBLE_INVENTORY_BIN": str(CTL / "ansible-inventory"),
    }
    return subprocess.run(
        ["bash", str(ROOT / "scripts/enrol-host.sh"), "-i", str(tmp / "inv"), "pi-7", *args],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip


@needs
def test_enrol_writes_only_a_reviewed_key_and_replaces_a_changed_one_only_when_checked(
    tmp_path: Path,
) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    hosts = {"all": {"children": {"edge": {"hosts": {"pi-7": {"ansible_host": "10.0.0.7"}}}}}}
    (inv / "hosts.yml").write_text(json.dumps(hosts))
    known = inv / "known_hosts"
    first, first_fp = _key(tmp_path, "a")
    second, second_fp = _key(tmp_path, "b")

    shown = _enrol(tmp_path, first)
    assert shown.returncode == 2 and first_fp in shown.stdout, shown.stdout + shown.stderr
    assert not known.exists(), "a scan alone must not write anything"

    wrong = _enrol(tmp_path, first, second_fp)
    assert wrong.returncode == 1 and "REFUSED" in wrong.stderr, wrong.stdout + wrong.stderr
    assert not known.exists()

    ok = _enrol(tmp_path, first, first_fp)
    assert ok.returncode == 0 and "enrolled" in ok.stdout, ok.stdout + ok.stderr
    assert known.read_text() == f"10.0.0.7 {first}\n"
    assert _enrol(tmp_path, first, first_fp).returncode == 0
    assert known.read_text() == f"10.0.0.7 {first}\n", "enrolling again must not add a line"

    # the Pi was re-imaged: a new key replaces the old one only with the new fingerprint
    refused = _enrol(tmp_path, second, first_fp)
    assert refused.returncode == 1 and known.read_text() == f"10.0.0.7 {first}\n"
    changed = _enrol(tmp_path, second, second_fp)
    assert changed.returncode == 0 and "KEY CHANGED" in changed.stdout, changed.stdout
    assert known.read_text() == f"10.0.0.7 {second}\n"
