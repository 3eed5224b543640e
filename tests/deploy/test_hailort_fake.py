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
import subprocess
from pathlib import Path

import pytest
from deploylib import CTL, INVENTORY, on_host, run

VERSION = "4.20.0"
DEBCONF = {
    "name": "hailort-pcie-driver",
    "question": "hailort-pcie-driver/fake_use_dkms",
    "vtype": "boolean",
    "value": "true",
}
IDENTIFY = f"""Executing on device: 0000:01:00.0
Identifying board
Control Protocol Version: 2
Firmware Version: {VERSION} (release,app,extended context switch buffer)
Logger Version: 0
Board Name: Hailo-8
Device Architecture: HAILO8L
Serial Number: FAKE0000000000
Part Number: FAKE
Product Name: FAKE HAILO-8L (verified against a fake, not on hardware)
"""
CLEAN = (
    "dpkg --purge hailort hailort-pcie-driver >/dev/null 2>&1; "
    "rm -f /etc/udev/rules.d/51-hailo-udev.rules /etc/modprobe.d/hailo_pci.conf "
    "/run/fake-hailo0 /etc/ansible/facts.d/hailort.fact; rm -rf /var/cache/hailort-debs; "
    "groupdel hailo 2>/dev/null; true"
)


def _deb(root: Path, name: str, arch: str, files: dict[str, str], postinst: str = "") -> Path:
    pkg = root / name
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: {VERSION}\nArchitecture: {arch}\n"
        "Maintainer: deploy tests <nobody@example.invalid>\n"
        f"Description: FAKE {name} for tests (verified against a fake, not on hardware)\n"
    )
    if postinst:
        (pkg / "DEBIAN" / "postinst").write_text(f"#!/bin/sh\nset -e\n{postinst}\n")
        (pkg / "DEBIAN" / "postinst").chmod(0o755)
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
        (pkg / rel).chmod(0o755)
    out = root / f"{name}_{VERSION}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(pkg), str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def fake_debs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("fake-hailort")
    cli = (
        "#!/bin/sh\n# FAKE hailortcli (verified against a fake, not on hardware)\n"
        f'case "$*" in\n  --version) echo "HailoRT-CLI version {VERSION}";;\n'
        f"  'fw-control identify') cat <<'EOF'\n{IDENTIFY}EOF\n;;\n"
        '  *) echo "fake hailortcli: unsupported: $*" >&2; exit 2;;\nesac\n'
    )
    driver = _deb(root, "hailort-pcie-driver", "all", {}, postinst="touch /run/fake-hailo0")
    runtime = _deb(root, "hailort", "amd64", {"usr/bin/hailortcli": cli})
    return [driver, runtime]


@pytest.fixture(scope="module")
def one_host(edge_hosts: dict[str, str]):
    host = sorted(edge_hosts)[0]
    yield host
    on_host(host, CLEAN)


def _play(host: str, debs: list[Path], *extra: str):
    res = run(
        [
            str(CTL / "ansible-playbook"),
            "-i",
            str(INVENTORY),
            "site.yml",
            "--limit",
            host,
            "-e",
            "@playbooks/vars/lab.yml",
            "-e",
            "edge_has_accelerator=true",
            "-e",
            "hailort_install_method=deb",
            "-e",
            '{"hailort_deb_dependencies": []}',
            "-e",
            json.dumps({"hailort_deb_files": [str(d) for d in debs]}),
            "-e",
            json.dumps({"hailort_debconf_selections": [DEBCONF]}),
            *extra,
        ]
    )
    print(res.out[-4000:])
    return res


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
