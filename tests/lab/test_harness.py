"""Harness behaviour of the lab fleet (lab/fleet.py) on the running lab (`make test-lab`).

Runs as root with the lab up, anywhere in a lab session: each fault test puts its host back as it
found it (link up, container running, the daemon answering /readyz again if it did before), so the
tests that run after it see the fleet they expect. The one test that cannot do that, the teardown
(lab down, nothing left behind, lab up again: fresh hosts with nothing deployed), is marked
`lab_down` and tests/conftest.py runs it after every other test of the session, wherever it was
collected.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from deploylib import PORT

ROOT = Path(__file__).resolve().parents[2]
FLEET = ROOT / "lab" / "fleet.py"
KNOWN_HOSTS = ROOT / "inventory" / "lab" / ".ssh" / "known_hosts"

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab fleet needs root"),
]


def lab(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["python3", str(FLEET), *args], text=True, capture_output=True, check=check, timeout=300
    )


def status() -> dict[str, dict]:
    return {r["name"]: r for r in json.loads(lab("status", "--json").stdout)}


def ssh_ok(addr: str) -> bool:
    try:
        with socket.create_connection((addr, 22), timeout=2) as s:
            return s.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def serving(addr: str) -> bool:
    """Whether the host's daemon answers /readyz with 200 (playbooks/vars/lab.yml: lab address)."""
    try:
        return requests.get(f"http://{addr}:{PORT}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_serving(addr: str, was: bool, limit_s: float = 90.0) -> None:
    """After a fault is undone: wait until the daemon serves again if it served before, so the
    tests after this one find the fleet as it was (a host that served nothing stays so)."""
    deadline = time.monotonic() + limit_s
    while was and not serving(addr):
        assert time.monotonic() < deadline, f"{addr}: the daemon did not serve again in {limit_s} s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def hosts() -> dict[str, dict]:
    rows = status()
    if not rows:
        pytest.skip("no lab running: run `make lab-up` (or `make test-lab`)")
    return rows


def test_status_lists_every_host_running(hosts: dict[str, dict]) -> None:
    for r in hosts.values():
        assert r["state"] == "running", r
        assert r["pid"] and Path(f"/proc/{r['pid']}").exists()
        assert r["address"].startswith("10.77.0.")
        assert r["link"] == "up"
    assert len({r["address"] for r in hosts.values()}) == len(hosts)


def test_each_host_has_its_own_host_key(hosts: dict[str, dict]) -> None:
    keys = [line.split()[2] for line in KNOWN_HOSTS.read_text().splitlines() if "ed25519" in line]
    assert len(keys) == len(hosts) and len(set(keys)) == len(keys)


def test_lab_up_again_leaves_running_hosts_alone(hosts: dict[str, dict]) -> None:
    spec = " ".join(f"{n}:{r['group']}:{r['arch']}" for n, r in hosts.items())
    lab("up", "--hosts", spec)
    assert {n: r["pid"] for n, r in status().items()} == {n: r["pid"] for n, r in hosts.items()}


def test_fault_cut_then_restore(hosts: dict[str, dict]) -> None:
    name, row = next(iter(hosts.items()))
    was = serving(row["address"])
    lab("fault", name, "cut")
    try:
        assert status()[name]["link"] == "cut"
        assert not ssh_ok(row["address"])
        assert status()[name]["state"] == "running"  # cut, not stopped
    finally:
        lab("fault", name, "restore")
    assert status()[name]["link"] == "up"
    assert ssh_ok(row["address"])
    wait_serving(row["address"], was)


def test_fault_reboot_comes_back_running_with_state_kept(hosts: dict[str, dict]) -> None:
    name = list(hosts)[-1]
    marker = f"/var/lib/edge-lab/hosts/{name}/rootfs/var/tmp/lab-reboot-marker"
    Path(marker).write_text("kept")
    was = serving(hosts[name]["address"])
    lab("fault", name, "reboot")
    row = status()[name]
    assert row["state"] == "running"
    assert ssh_ok(row["address"])
    assert Path(marker).read_text() == "kept"
    assert row["pid"] != hosts[name]["pid"]  # a new nspawn: the host really restarted
    Path(marker).unlink()
    wait_serving(row["address"], was)


def test_fault_stop_then_start(hosts: dict[str, dict]) -> None:
    name = next(iter(hosts))
    was = serving(hosts[name]["address"])
    lab("fault", name, "stop")
    row = status()[name]
    assert row["state"] == "stopped" and row["pid"] is None
    assert not ssh_ok(row["address"])
    lab("fault", name, "start")
    row = status()[name]
    assert row["state"] == "running" and ssh_ok(row["address"])
    wait_serving(row["address"], was)


def test_unknown_host_is_a_clear_error() -> None:
    r = lab("fault", "no-such-host", "cut", check=False)
    assert r.returncode != 0 and "no host 'no-such-host'" in r.stderr


@pytest.mark.lab_down
def test_down_leaves_nothing_then_up_again(hosts: dict[str, dict]) -> None:
    """lab-down removes every netns, veth, bridge, mount, process; then the lab comes back (fresh
    hosts, nothing deployed: marked lab_down, so it runs after every other test)."""
    spec = " ".join(f"{n}:{r['group']}:{r['arch']}" for n, r in hosts.items())
    pids = [r["pid"] for r in status().values()]
    lab("down")
    r = lab("verify-clean", check=False)
    assert r.returncode == 0, r.stderr
    assert not any(Path(f"/proc/{p}").exists() for p in pids)
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "edgelab-" not in netns
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "br-edgelab" not in links and " el-" not in links
    lab("up", "--hosts", spec)
    assert all(r["state"] == "running" for r in status().values())
