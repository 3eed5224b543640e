"""Base checks on every lab host, as a fresh Raspberry Pi OS Lite host would pass them.

testinfra over SSH through the Ansible backend and inventory/lab (user pi, the lab key,
StrictHostKeyChecking with the lab known_hosts), exactly as with inventory/production.
"""

from __future__ import annotations

from fleetlib import hosts, lab_marks

pytestmark = lab_marks()
testinfra_hosts = hosts("all", sudo=False)


def test_systemd_is_pid1_and_running(host) -> None:
    assert host.check_output("cat /proc/1/comm") == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run("systemctl --failed --plain --no-legend").stdout


def test_architecture_is_the_one_the_lab_asked_for(host) -> None:
    """An arm64 lab host runs an aarch64 userland (under qemu-user), an amd64 one x86_64."""
    lab_arch = host.ansible.get_variables()["lab_arch"]
    want = {"amd64": "x86_64", "arm64": "aarch64"}[lab_arch]
    assert host.system_info.arch == want
    assert host.check_output("dpkg --print-architecture") == lab_arch
    assert host.check_output("python3 -c 'import platform; print(platform.machine())'") == want


def test_debian_suite_is_the_one_the_lab_asked_for(host) -> None:
    """A trixie lab host (the Pi OS trixie stand-in) runs Debian 13 and Python 3.13."""
    suite = host.ansible.get_variables()["lab_suite"]
    assert host.check_output(". /etc/os-release && echo $VERSION_CODENAME") == suite
    want = {"bookworm": "3 11", "trixie": "3 13"}[suite]
    assert host.check_output("python3 -c 'import sys; print(*sys.version_info[:2])'") == want


def test_sshd_running_and_enabled(host) -> None:
    ssh = host.service("ssh")
    assert ssh.is_running
    assert ssh.is_enabled


def test_python3_at_least_3_9(host) -> None:
    out = host.check_output("python3 -c 'import sys; print(*sys.version_info[:2])'")
    major, minor = map(int, out.split())
    assert (major, minor) >= (3, 9)
    assert host.run("python3 -m venv --help").rc == 0


def test_user_is_pi_not_root_and_sudo_works(host) -> None:
    assert host.check_output("id -un") == "pi"
    assert host.check_output("sudo -n id -u") == "0"


def test_host_has_no_default_route(host) -> None:
    """Like the real fleet: no registry access; only the controller and lab hosts."""
    assert "default" not in host.check_output("ip route")
