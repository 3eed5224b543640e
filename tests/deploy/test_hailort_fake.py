"""The hailort role's Debian/Ubuntu path against FAKE HailoRT .deb files on one lab host.

Verified against a fake, not on hardware: the lab has no Hailo device, kernel module or real
HailoRT packages. The fake packages (built here with dpkg-deb) carry a `hailortcli` that prints
the documented `--version` and `fw-control identify` formats; no hailo_pci module exists, so the
role must (1) install, hold and configure the .debs without prompts and then fail loudly because
the declared accelerator is missing, and (2) with a stand-in device node, fail on the version
match because the driver reports no version. The host is cleaned afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import fake_hailort
import pytest
from deploylib import Result, on_host, play

pytestmark = pytest.mark.lab

VERSION = "4.20.0"
DEBCONF = {
    "name": "hailort-pcie-driver",
    "question": "hailort-pcie-driver/fake_use_dkms",
    "vtype": "boolean",
    "value": "true",
}
CLEAN = (
    "systemctl disable --now hailort.service >/dev/null 2>&1; "
    "dpkg --force-hold --purge hailort hailort-pcie-driver >/dev/null 2>&1; "
    "rm -f /etc/udev/rules.d/51-hailo-udev.rules /etc/modprobe.d/hailo_pci.conf "
    "/run/fake-hailo0 /etc/ansible/facts.d/hailort.fact; rm -rf /var/cache/hailort-debs; "
    "groupdel hailo 2>/dev/null; true"
)


def _debs(root: Path, version: str) -> list[Path]:
    driver = fake_hailort.deb(
        root, "hailort-pcie-driver", "all", {}, version=version, postinst="touch /run/fake-hailo0"
    )
    files = fake_hailort.runtime_files(version)
    runtime = fake_hailort.deb(root, "hailort", fake_hailort.dpkg_arch(), files, version=version)
    return [driver, runtime]


@pytest.fixture(scope="module")
def fake_debs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _debs(tmp_path_factory.mktemp("fake-hailort"), VERSION)


@pytest.fixture(scope="module")
def one_host(edge_hosts: dict[str, str]):
    host = sorted(edge_hosts)[0]
    yield host
    on_host(host, CLEAN)


def _play(host: str, debs: list[Path], *extra: str) -> Result:
    """site.yml on one host declared with an accelerator, HailoRT from the fake .debs."""
    fake = {
        "edge_has_accelerator": True,
        "hailort_install_method": "deb",
        "hailort_deb_dependencies": [],
        "hailort_deb_files": [str(d) for d in debs],
        "hailort_debconf_selections": [DEBCONF],
    }
    return play("-e", json.dumps(fake), *extra, limit=host)


def test_fake_debs_installed_held_then_missing_device_fails_loudly(fake_debs, one_host) -> None:
    """Verified against a fake, not on hardware."""
    before = on_host(one_host, "readlink /opt/hailo-inference/current").out
    res = _play(one_host, fake_debs)
    assert res.rc != 0
    assert "declared WITH a Hailo accelerator" in res.out and "does not exist" in res.out
    assert "Nothing was activated" in res.out
    sel = on_host(one_host, "dpkg --get-selections hailort hailort-pcie-driver").out
    assert "hailort\t" in sel.replace(" ", "\t") and sel.count("hold") == 2, sel
    rule = on_host(one_host, "cat /etc/udev/rules.d/51-hailo-udev.rules").out
    assert (
        'GROUP="hailo", MODE="0660", TAG+="systemd"' in rule
        and "0666" not in rule.split("rules.d")[-1].split("SUBSYSTEM")[-1]
    )
    conf = on_host(one_host, "cat /etc/modprobe.d/hailo_pci.conf").out
    assert "options hailo_pci force_desc_page_size=4096" in conf
    dc = on_host(one_host, "debconf-show hailort-pcie-driver").out
    assert "fake_use_dkms: true" in dc, dc
    assert on_host(one_host, "readlink /opt/hailo-inference/current").out == before


def test_fake_device_with_unknown_driver_version_fails_the_version_match(
    fake_debs, one_host
) -> None:
    """Verified against a fake, not on hardware: the stand-in device exists, no driver does."""
    res = _play(one_host, fake_debs, "-e", "hailort_device=/run/fake-hailo0")
    assert res.rc != 0
    assert "HailoRT versions do not match" in res.out, res.out[-3000:]
    assert f"library {VERSION}" in res.out and "driver unknown" in res.out
    assert f"firmware {VERSION}" in res.out


def test_multi_process_service_enabled_and_started_from_the_fake_deb(fake_debs, one_host) -> None:
    """Verified against a fake, not on hardware: hailort_multi_process_service enables and
    starts the hailort.service unit the fake hailort package ships (the upstream unit's
    directives; its EnvironmentFile must exist or it would not start)."""
    res = _play(
        one_host, fake_debs, "-e", "hailort_device=/run/fake-hailo0",
        "-e", "hailort_multi_process_service=true",
    )  # fmt: skip
    assert "Enable and start hailort.service" in res.out, res.out[-3000:]
    state = on_host(
        one_host, "systemctl is-enabled hailort.service; systemctl is-active hailort.service"
    ).out
    assert state.split(">>")[-1].split() == ["enabled", "active"], state


NEWER = "4.20.1"
SERVICE_ARGS = ("-e", "hailort_device=/run/fake-hailo0", "-e", "hailort_multi_process_service=true")


@pytest.fixture(scope="module")
def newer_debs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _debs(tmp_path_factory.mktemp("fake-hailort-newer"), NEWER)


def _service_pid(host: str) -> str:
    out = on_host(host, "systemctl show --property=MainPID,ActiveState hailort.service").out
    props = dict(line.split("=", 1) for line in out.split(">>")[-1].split() if "=" in line)
    assert props.get("ActiveState") == "active", out
    return props["MainPID"]


def test_multi_process_service_restarted_after_a_package_upgrade_only(
    fake_debs, newer_debs, one_host
) -> None:
    """Verified against a fake, not on hardware: a running hailort_service of the old version
    answers a new libhailort with HAILO_RPC_FAILED / a version mismatch (78), so the role
    restarts hailort.service when this run changed the HailoRT packages, and only then."""
    _play(one_host, fake_debs, *SERVICE_ARGS, "-e", f"hailort_version={VERSION}")
    old = _service_pid(one_host)
    # issue 28 item 5: a run that would change HailoRT stops up front without hailort_upgrade
    res = _play(one_host, newer_debs, *SERVICE_ARGS, "-e", f"hailort_version={NEWER}")
    flat = " ".join(res.out.split())
    assert res.rc != 0 and f"HAILORT CHANGE: {one_host} {VERSION} -> {NEWER}" in flat, flat[-3000:]
    assert _service_pid(one_host) == old, "nothing may change without hailort_upgrade"
    res = _play(one_host, newer_debs, *SERVICE_ARGS, "-e", f"hailort_version={NEWER}",
                "-e", "hailort_upgrade=true")  # fmt: skip
    assert "Restart hailort.service after the HailoRT packages changed" in res.out
    upgraded = _service_pid(one_host)
    assert upgraded != old, "hailort.service kept the old process after the package upgrade"
    have = on_host(one_host, "dpkg-query -W -f='${Version}' hailort").out
    assert have.split(">>")[-1].strip() == NEWER, have
    _play(one_host, newer_debs, *SERVICE_ARGS, "-e", f"hailort_version={NEWER}")
    assert _service_pid(one_host) == upgraded, "restarted although no package changed"
