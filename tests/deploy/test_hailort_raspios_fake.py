"""The hailort role's Raspberry Pi OS path against a FAKE apt archive on one lab host.

Verified against a fake, not on hardware: the lab host is Debian 12 on amd64 made to look like
Raspberry Pi OS (`/etc/rpi-issue`, `/boot/firmware/config.txt`), and its only apt source is a
local archive of fake packages built here with the names and pinned versions the role installs
(`hailort`, `hailofw`, `hailo-dkms`, `python3-hailort` = 4.20.0-1). The fake `hailo-dkms` puts a
stand-in `hailo_pci.ko` (an ELF file whose .modinfo says version=4.20.0, so `modinfo` reads it
as from a DKMS build) under /lib/modules and a stand-in device node; the fake `hailort` carries a
`hailortcli` printing the documented `--version` and `fw-control identify` formats. The kernel
module cannot be loaded in a container, which the role reports as a pending reboot. The fake
`hailo-dkms` refuses to install without `dkms` (it builds with DKMS but does not depend on it:
Raspberry Pi's docs install dkms first), so the role must install it. The archive also carries a
fake `hailo-all` (depending on hailort, hailofw, python3-hailort, hailo-tappas-core and
rpicam-apps-hailo-postprocess) for install method hailo-all, run last against a stand-in
in-kernel hailo_pci under kernel/drivers/media/pci/hailo (as Bookworm kernels 6.6.31+ ship it).

Raspberry Pi OS trixie (issue 27 item 5): when the stand-in (the last edge host by name) runs
Debian 13 (`make test-lab-trixie`: a lab host `name:edge:amd64:trixie`, Python 3.13), the archive
is trixie's: python3-hailort is a Python 3.13 extension built against NumPy 2, so it depends on
`python3 (>= 3.13~), python3 (<< 3.14)` and `python3-numpy2-abi0 | python3-numpy-abi9`, and
python3-numpy is a 2.x that provides python3-numpy2-abi0. Modelled on what Debian's helpers
generate for an arch:any extension (dh_python3's versioned python3 range; dh_numpy3 after the NumPy
2 transition for trixie: `${numpy3:Depends}` "python3-numpy2-abi0 | python3-numpy-abi9", no
versioned python3-numpy: debian-python list, "NumPy 2 transition", 2024, and wiki.debian.org
python-numpy); the real trixie python3-hailort's control file was not found to cite. The daemon's
venv is then built from the x86_64-cp313 wheelhouse (numpy 2, locks/edge-x86_64-cp313.txt).

So the whole success path runs: pinned apt install from the archive, packages held, PCIe Gen3
in config.txt (with a backup), REBOOT PENDING reported instead of rebooting, driver/library/
firmware versions matched, the local fact written, then the daemon deployed on an accelerator
host (the `hailo` group, onnx backend since the artifact has no HEF) and its health gate passed;
a rerun changes nothing. `hailort_reboot_allowed: true` reboots the lab container for real:
ansible's reboot module is told to watch PID 1's start time (a container keeps the kernel's
boot id) and a stand-in boot unit plays the kernel loading the installed hailo_pci. Not covered:
a real device and a real kernel.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import fake_hailort
import pytest
from deploylib import Result, ad_hoc, model_ref, on_host, play, playbook

pytestmark = pytest.mark.lab

VERSION = "4.20.0"
DEB_VERSION = f"{VERSION}-1"
NEW_VERSION = "4.21.0"
# what Raspberry Pi OS kernels ship in-tree (hailo_pci 4.17.0 / 4.19.0): the adopt test's version
PI_KERNEL_VERSION = "4.17.0"
# hailofw's Debian revision per release
REVISIONS = {VERSION: "1", NEW_VERSION: "2", PI_KERNEL_VERSION: "1"}
# A container can neither load a kernel module nor get a new boot id: the upgrade scenario points
# the role at a stand-in sysfs folder of a "loaded" hailo_pci and a stand-in boot id.
FAKE_SYSFS = "/run/fake-sys/module/hailo_pci"
FAKE_BOOT_ID = "/run/fake-boot-id"
ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / "wheelhouse" / "x86_64-cp311"
# per Debian suite of the stand-in: the Python the daemon's venv runs, apt's (fake) numpy, what
# python3-hailort depends on (see the module docstring for the sources)
# (trixie's python3-numpy: version, Provides and python3 range as Debian 13's archive has them,
# `apt-cache show python3-numpy` in a trixie debootstrap, 2026-12-07)
SUITES = {
    "bookworm": {"python": "3.11", "numpy": "1:1.24.2-1", "numpy_provides": "",
                 "numpy_depends": "", "hailort_depends": "python3-numpy"},
    "trixie": {"python": "3.13", "numpy": "1:2.2.4+ds-1",
               "numpy_provides": "python3-numpy-api19, python3-numpy2-abi0",
               "numpy_depends": "python3 (<< 3.14), python3 (>= 3.13~)",
               "hailort_depends": ("python3 (>= 3.13~), python3 (<< 3.14), "
                                   "python3-numpy2-abi0 | python3-numpy-abi9")},
}  # fmt: skip
NUMPY_VERSION = "'import numpy; print(\"venv numpy\", numpy.__version__)'"
REPO = "/srv/fake-hailo-apt"
DEVICE = "/run/fake-hailo0"
BOOT_CONFIG = "# Raspberry Pi OS config.txt (lab stand-in)\ndtparam=audio=on\n[all]\n"
PREPARE = f"""set -e
mkdir -p /etc/apt/lab-sources-aside /boot/firmware
[ ! -e /etc/apt/sources.list ] || mv /etc/apt/sources.list /etc/apt/lab-sources-aside/
mv /etc/apt/sources.list.d /etc/apt/lab-sources-aside/ && mkdir /etc/apt/sources.list.d
echo 'deb [trusted=yes] file:{REPO} ./' > /etc/apt/sources.list.d/fake-hailo.list
echo 'Raspberry Pi reference 2025-11-24 (lab stand-in, a fake)' > /etc/rpi-issue
printf '%s' '{BOOT_CONFIG}' > /boot/firmware/config.txt
# the apt cache looks fresh (as right after an apt-get update) yet has never seen the archive:
# the role must look its pins up and refresh, whatever cache_valid_time says
mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp
"""
IN_KERNEL = "/lib/modules/$(uname -r)/kernel/drivers/media/pci/hailo"
META = ("hailo-all", "hailo-tappas-core", "rpicam-apps-hailo-postprocess")
CLEAN = f"""dpkg --force-hold --purge {" ".join(META)} >/dev/null 2>&1
dpkg --force-hold --purge python3-hailort hailort hailo-dkms hailofw dkms >/dev/null 2>&1
rm -rf {IN_KERNEL}
dpkg --purge python3-numpy >/dev/null 2>&1
dpkg --force-hold --purge linux-image-$(uname -r) >/dev/null 2>&1
rm -f /lib/modules/$(uname -r)/updates/dkms/hailo_pci.ko; depmod -a 2>/dev/null || true
rm -rf /etc/rpi-issue {DEVICE} /run/fake-sys {FAKE_BOOT_ID}
systemctl disable --now fake-hailo-boot.service >/dev/null 2>&1
rm -f /etc/systemd/system/fake-hailo-boot.service
rm -rf /boot/firmware {REPO} /etc/ansible/facts.d/hailort.fact
if [ -d /etc/apt/lab-sources-aside/sources.list.d ]; then
  rm -rf /etc/apt/sources.list.d && mv /etc/apt/lab-sources-aside/* /etc/apt/
fi
rmdir /etc/apt/lab-sources-aside 2>/dev/null || true
rm -f /etc/udev/rules.d/51-hailo-udev.rules /etc/modprobe.d/hailo_pci.conf
gpasswd -d hailo-inference hailo >/dev/null 2>&1 || true; groupdel hailo 2>/dev/null || true
apt-get update -qq >/dev/null 2>&1 || true; true
"""


def _packages_index(debs: list[Path]) -> str:
    """The archive's Packages file: each deb's control fields plus Filename, Size, SHA256."""
    stanzas = []
    for deb in debs:
        control = subprocess.run(
            ["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True
        ).stdout.strip()
        data = deb.read_bytes()
        stanzas.append(
            f"{control}\nFilename: ./{deb.name}\nSize: {len(data)}\n"
            f"SHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    return "\n".join(stanzas)


def _release_debs(repo: Path, arch: str, version: str, suite: str) -> list[Path]:
    """One HailoRT release's four fake packages; hailofw's Debian revision differs, as it may."""
    ko = fake_hailort.kernel_module(
        {"version": version, "license": "GPL", "name": "hailo_pci", "description": "FAKE hailo_pci"}
    )
    rev = {"hailofw": REVISIONS[version]}
    deb = functools.partial(fake_hailort.deb, repo)
    return [
        deb("hailort", arch, fake_hailort.runtime_files(version),
            version=f"{version}-1"),
        deb("hailofw", "all", {"lib/firmware/hailo/hailo8_fw.bin": b"FAKE firmware\n"},
            version=f"{version}-{rev['hailofw']}"),
        deb("hailo-dkms", "all", {"usr/share/hailo-dkms-fake/hailo_pci.ko": ko},
            version=f"{version}-1",
            postinst=(
                "command -v dkms >/dev/null || { echo 'hailo-dkms: dkms is not installed:"
                " cannot build hailo_pci' >&2; exit 1; }; "
                'd=/lib/modules/$(uname -r)/updates/dkms; mkdir -p "$d"; '
                'cp /usr/share/hailo-dkms-fake/hailo_pci.ko "$d"/; depmod -a || true; '
                f"touch {DEVICE}"
            ),
            # dkms remove on purge, as the real package's prerm/postrm does
            postrm=("[ \"$1\" != purge ] || { rm -f /lib/modules/$(uname -r)/updates/dkms/"
                    "hailo_pci.ko; "
                    "depmod -a || true; }")),
        deb("python3-hailort", "all", {"usr/share/doc/python3-hailort/FAKE": b"fake\n"},
            version=f"{version}-1", depends=SUITES[suite]["hailort_depends"]),
        # Raspberry Pi's meta package (Bookworm: no driver package, the kernel ships hailo_pci)
        deb("hailo-all", "all", {}, version=f"{version}-1",
            depends=(f"hailort (= {version}-1), hailofw (= {version}-{rev['hailofw']}), "
                     f"python3-hailort (= {version}-1), hailo-tappas-core, "
                     "rpicam-apps-hailo-postprocess")),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def stand_in_suite(edge_hosts: dict[str, str]) -> str:
    """The Debian suite the Pi OS stand-in (the last edge host by name) runs: bookworm or trixie."""
    out = on_host(sorted(edge_hosts)[-1], ". /etc/os-release && echo $VERSION_CODENAME").stdout
    suite = out.split()[-1]
    assert suite in SUITES, out
    return suite


@pytest.fixture(scope="module")
def fake_archive(tmp_path_factory: pytest.TempPathFactory, stand_in_suite: str) -> Path:
    root = tmp_path_factory.mktemp("fake-hailo-apt")
    repo = root / "repo"
    repo.mkdir()
    arch = fake_hailort.dpkg_arch()
    releases = (VERSION, NEW_VERSION, PI_KERNEL_VERSION)
    debs = [deb for v in releases for deb in _release_debs(repo, arch, v, stand_in_suite)]
    # apt's numpy, as python3-hailort pulls it in: an older version than the wheelhouse's, which
    # the daemon's venv (--system-site-packages on accelerator hosts) must not pick up
    s = SUITES[stand_in_suite]
    up = s["numpy"].split(":")[1].split("-")[0].split("+")[0]  # upstream: 1.24.2 / 2.2.4
    debs.append(fake_hailort.deb(repo, "python3-numpy", "all", {
        "usr/lib/python3/dist-packages/numpy/__init__.py":
            f"raise ImportError('FAKE apt numpy {up}: the wheelhouse numpy must shadow it')\n"
            .encode(),
        f"usr/lib/python3/dist-packages/numpy-{up}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: numpy\nVersion: {up}\n".encode(),
        f"usr/lib/python3/dist-packages/numpy-{up}.dist-info/RECORD": b"",
    }, version=s["numpy"], provides=s["numpy_provides"], depends=s["numpy_depends"]))  # fmt: skip
    # what hailo-all pulls in besides HailoRT, and Debian's dkms (a stand-in command)
    debs += [fake_hailort.deb(repo, name, "all", {f"usr/share/doc/{name}/FAKE": b"fake\n"},
                              version="3.31.0-1") for name in META[1:]]  # fmt: skip
    stub = b"#!/bin/sh\n# FAKE dkms (verified against a fake, not on hardware)\nexit 0\n"
    debs.append(fake_hailort.deb(repo, "dkms", "all", {"usr/sbin/dkms": stub},
                                 version="3.0.10-8"))  # fmt: skip
    # the running kernel as a package (the lab hosts share the controller's kernel)
    kernel = f"linux-image-{os.uname().release}"
    debs.append(fake_hailort.deb(repo, kernel, "all", {"usr/share/doc/fake-kernel": b"fake\n"},
                                 version="1.0-fake"))  # fmt: skip
    (repo / "Packages").write_text(_packages_index(debs))
    for src in repo.glob("*.src"):  # only the .deb files and the index go to the host
        shutil.rmtree(src)
    return repo


@pytest.fixture(scope="module")
def raspios_host(edge_hosts: dict[str, str], fake_archive: Path):
    host = sorted(edge_hosts)[-1]
    res = ad_hoc(host, "ansible.builtin.copy", f"src={fake_archive}/ dest={REPO}/ mode=0644")
    assert res.rc == 0, res.out
    prep = on_host(host, PREPARE)
    assert prep.rc == 0, prep.out
    yield host
    on_host(host, CLEAN)


def _dpkg(host: str, *names: str) -> str:
    """`<name>=<version> <want> <flag> <status>` of each package, one a line."""
    query = "dpkg-query -W -f '${Package}=${Version} ${Status}\\n' " + " ".join(names)
    # 2>&1 on the host: "no packages found matching" (stderr) as a line of its own; Ansible's
    # ad-hoc report would glue the remote stderr to the last stdout line otherwise
    return on_host(host, query + " 2>&1").stdout


def _play(host: str, artifact: Path, *more: str) -> Result:
    """site.yml on the Pi OS stand-in, declared with an accelerator (the fake device node)."""
    extra = ["-e", "edge_has_accelerator=true", "-e", f"hailort_device={DEVICE}", *more]
    return playbook(artifact, "--limit", host, *extra)


def _locked_numpy(python: str) -> str:
    """numpy's version in the wheelhouse lock of the stand-in's Python (locks/edge-x86_64-cpXY)."""
    lock = ROOT / "locks" / f"edge-x86_64-cp{python.replace('.', '')}.txt"
    return next(
        line.split("==")[1].split()[0]
        for line in lock.read_text().splitlines()
        if line.startswith("numpy==")
    )


def test_raspios_fake_archive_pinned_held_gen3_versions_matched_verified_against_fake(
    raspios_host: str, artifact_a: Path, stand_in_suite: str
) -> None:
    """Verified against a fake, not on hardware: the Raspberry Pi OS apt path, end to end (on
    bookworm, or on trixie with the cp313 wheelhouse and numpy 2)."""
    res = _play(raspios_host, artifact_a)
    assert res.rc == 0, res.out[-5000:]
    assert res.recap()[raspios_host]["failed"] == 0
    # chosen because /etc/rpi-issue exists (hailort_install_method: auto)
    assert f"roles/hailort/tasks/raspios.yml for {raspios_host}" in res.out
    versions = _dpkg(raspios_host, "hailort", "hailofw", "hailo-dkms", "python3-hailort")
    for name in ("hailort", "hailofw", "hailo-dkms", "python3-hailort"):
        assert f"{name}={DEB_VERSION} hold ok installed" in versions, versions
    # no in-kernel hailo_pci here: the DKMS driver, so dkms came first (the fake refuses otherwise)
    dkms = _dpkg(raspios_host, "dkms")
    assert _installed(dkms, "dkms"), dkms
    boot = on_host(raspios_host, "cat /boot/firmware/config.txt; ls /boot/firmware").out
    assert "dtparam=pciex1_gen=3" in boot and "dtparam=audio=on" in boot, boot
    assert "config.txt." in boot, f"no backup of config.txt was kept: {boot}"
    # the container cannot load a kernel module and the play may not reboot: reported, not done
    flat = res.flat
    assert "REBOOT PENDING" in flat and "PCIe Gen3 set in /boot/firmware/config.txt" in flat
    fact = on_host(raspios_host, "cat /etc/ansible/facts.d/hailort.fact").stdout
    fact = json.loads(fact[fact.index("{") :])
    assert fact["library_version"] == fact["driver_version"] == VERSION, fact
    assert fact["firmware_version"] == VERSION and fact["architecture"] == "HAILO8L", fact
    assert fact["device"] == DEVICE and fact["reboot_pending"] is True, fact
    # the daemon on an accelerator host: in the hailo group, serving (onnx: no HEF), gate passed
    groups = on_host(raspios_host, "id -nG hailo-inference").stdout
    assert "hailo" in groups.split(), groups
    # apt's (fake, older) numpy came with python3-hailort; the venv sees system site-packages,
    # yet runs the wheelhouse's numpy (every wheel's version is a pip constraint)
    py = "/opt/hailo-inference/current/venv/bin/python"
    s = SUITES[stand_in_suite]
    numpy = on_host(
        raspios_host,
        f"dpkg-query -W python3-numpy; {py} -c 'import numpy, sys;"
        ' print("venv", *sys.version_info[:2], numpy.__version__)\'',
    )
    venv = f"venv {s['python'].replace('.', ' ')} {_locked_numpy(s['python'])}"
    assert s["numpy"] in numpy.out and venv in numpy.out, numpy.out
    # python3-hailort's dependencies are the suite's (trixie: Python 3.13, NumPy 2 ABI)
    deps = on_host(raspios_host, "dpkg-query -W -f '${Depends}' python3-hailort").stdout
    assert s["hailort_depends"] in deps, deps
    assert f"{raspios_host} serves {model_ref(artifact_a)}" in res.out, "no gate figures"


def test_raspios_fake_rerun_changes_nothing_and_still_reports_the_pending_reboot(
    raspios_host: str, artifact_a: Path
) -> None:
    """Verified against a fake, not on hardware."""
    res = _play(raspios_host, artifact_a)
    assert res.rc == 0, res.out[-5000:]
    assert res.recap()[raspios_host]["changed"] == 0, res.out[-5000:]
    flat = res.flat
    assert "REBOOT PENDING" in flat and "hailo_pci could not be loaded" in flat, flat[-3000:]
    # carried over from the first run (same boot), though config.txt did not change this time
    assert "PCIe Gen3 set in /boot/firmware/config.txt" in flat, flat[-3000:]


def test_raspios_fake_hold_kernel_holds_the_running_kernel_verified_against_fake(
    raspios_host: str, artifact_a: Path
) -> None:
    """Verified against a fake, not on hardware: hailort_hold_kernel holds the installed
    package of the running kernel (a fake one here), which the DKMS driver is built against."""
    kernel = f"linux-image-{os.uname().release}"
    inst = on_host(raspios_host, f"DEBIAN_FRONTEND=noninteractive apt-get install -y -q {kernel}")
    assert inst.rc == 0, inst.out
    res = _play(raspios_host, artifact_a, "-e", "hailort_hold_kernel=true")
    assert res.rc == 0, res.out[-3000:]
    sel = on_host(raspios_host, f"dpkg --get-selections {kernel}").out
    assert "hold" in sel, sel


def _fact(host: str) -> dict:
    out = on_host(host, "cat /etc/ansible/facts.d/hailort.fact").stdout
    return json.loads(out[out.index("{") :])


def test_raspios_fake_upgrade_under_loaded_driver_pending_until_reboot_verified_against_fake(
    raspios_host: str, artifact_a: Path
) -> None:
    """Verified against a fake, not on hardware: a new hailort_version upgrades the held set
    (each package to its own revision), the old driver still loaded makes it a pending reboot
    that fails the host with "loaded X, installed Y" (a canary that fails stops the rollout),
    a rerun in the same boot still reports it, and after a reboot the host passes."""
    stand_ins = [
        "-e",
        f"_hailort_sysfs_module={FAKE_SYSFS}",
        "-e",
        f"_hailort_boot_id_file={FAKE_BOOT_ID}",
    ]
    prep = on_host(
        raspios_host,
        f"mkdir -p {FAKE_SYSFS} && echo {VERSION} > {FAKE_SYSFS}/version"
        f" && echo boot-a > {FAKE_BOOT_ID}",
    )
    assert prep.rc == 0, prep.out
    upgrade = [*stand_ins, "-e", f"hailort_version={NEW_VERSION}", "-e", "hailort_upgrade=true"]

    res = _play(raspios_host, artifact_a, *upgrade)
    assert res.rc != 0, "the old driver is still loaded: the host must fail"
    flat = res.flat
    assert f"hailo_pci loaded {VERSION}, installed {NEW_VERSION}: reboot {raspios_host}" in flat
    assert "REBOOT PENDING" in flat and "HailoRT packages changed while hailo_pci" in flat
    versions = _dpkg(raspios_host, "hailort", "hailofw", "hailo-dkms")
    for name, rev in (("hailort", "1"), ("hailofw", "2"), ("hailo-dkms", "1")):
        assert f"{name}={NEW_VERSION}-{rev} hold ok installed" in versions, versions
    fact = _fact(raspios_host)
    assert fact["reboot_pending"] is True and fact["boot_id"] == "boot-a", fact
    assert any("changed while hailo_pci" in r for r in fact["reboot_reasons"]), fact

    # same boot: nothing changes on disk, yet the pending reboot is still reported
    res = _play(raspios_host, artifact_a, *upgrade)
    assert res.rc != 0
    assert "HailoRT packages changed while hailo_pci" in res.flat, "the pending reboot was lost"

    # the reboot: a new boot id, the installed driver loaded
    reboot = on_host(
        raspios_host, f"echo {NEW_VERSION} > {FAKE_SYSFS}/version && echo boot-b > {FAKE_BOOT_ID}"
    )
    assert reboot.rc == 0, reboot.out
    res = _play(raspios_host, artifact_a, *upgrade)
    assert res.rc == 0, res.out[-5000:]
    assert "REBOOT PENDING" not in res.out, res.out[-3000:]
    fact = _fact(raspios_host)
    assert fact["driver_version"] == fact["library_version"] == NEW_VERSION, fact
    assert fact["reboot_pending"] is False and fact["boot_id"] == "boot-b", fact


# A stand-in for what the kernel does at boot: load the installed hailo_pci (modprobe prefers
# updates/dkms, where the fake hailo-dkms put it), which shows its version in sysfs and creates the
# device node; and a new boot id. All of it lives in /run, which a reboot empties. Done before sshd
# starts, so the play's reboot task finds it when the host answers again.
BOOT_UNIT = "/etc/systemd/system/fake-hailo-boot.service"
BOOT_UNIT_TEXT = f"""[Unit]
Description=FAKE hailo_pci loaded at boot (verified against a fake, not on hardware)
Before=ssh.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'v=$$(modinfo --field version hailo_pci 2>/dev/null); \\
  if [ -n "$$v" ]; then mkdir -p {FAKE_SYSFS}; echo "$$v" > {FAKE_SYSFS}/version; \\
  touch {DEVICE}; fi; cat /proc/sys/kernel/random/uuid > {FAKE_BOOT_ID}'
[Install]
WantedBy=multi-user.target
"""
PID1_START = "cut -d' ' -f22 /proc/1/stat"


def _boot_marks(host: str) -> tuple[str, str]:
    """(fake boot id, PID 1's start time): both change when the lab host really reboots."""
    out = on_host(host, f"cat {FAKE_BOOT_ID}; {PID1_START}").stdout.splitlines()[-2:]
    return out[0].strip(), out[1].strip()


def test_raspios_fake_upgrade_with_reboot_allowed_passes_in_one_run_verified_against_fake(
    raspios_host: str, artifact_a: Path
) -> None:
    """Verified against a fake, not on hardware: with hailort_reboot_allowed the role reboots
    the host (a real reboot of the lab container; the stand-in boot unit loads the installed
    hailo_pci) and checks the versions read AFTER the reboot, so a single run changes HailoRT and
    passes. Before the fix it compared the driver version read before the reboot and failed
    with "hailo_pci loaded 4.20.0, installed 4.21.0: reboot" on every run (issue 28 item 1).
    Each step below needs a reboot, whatever the earlier tests left installed."""
    unit = on_host(
        raspios_host,
        f"cat > {BOOT_UNIT} <<'EOF'\n{BOOT_UNIT_TEXT}EOF\n"
        "systemctl daemon-reload && systemctl enable fake-hailo-boot.service"
        " && systemctl restart fake-hailo-boot.service",
    )
    assert unit.rc == 0, unit.out
    reboot = [
        "-e", f"_hailort_sysfs_module={FAKE_SYSFS}", "-e", f"_hailort_boot_id_file={FAKE_BOOT_ID}",
        "-e", json.dumps({"_hailort_boot_time_command": PID1_START}),
        "-e", "hailort_reboot_allowed=true", "-e", "hailort_reboot_timeout=300",
        "-e", "hailort_upgrade=true",
    ]  # fmt: skip
    installed = on_host(raspios_host, "dpkg-query -W -f '${Version}' hailort 2>/dev/null; true")
    # each step must need a reboot: from 4.21.0 (the earlier upgrade test) down first, then up;
    # from 4.20.0 or nothing installed (a -k run), straight up
    steps = (VERSION, NEW_VERSION) if NEW_VERSION in installed.stdout else (NEW_VERSION,)
    try:
        for version in steps:
            before = _boot_marks(raspios_host)
            res = _play(raspios_host, artifact_a, *reboot, "-e", f"hailort_version={version}")
            assert res.rc == 0, res.flat[-5000:]
            after = _boot_marks(raspios_host)
            assert after[0] != before[0] and after[1] != before[1], "the host did not reboot"
            flat = res.flat
            assert "REBOOT PENDING" not in flat and "DEPLOY FAILED" not in flat, flat[-3000:]
            fact = _fact(raspios_host)
            assert fact["driver_version"] == fact["library_version"] == version, fact
            assert fact["reboot_pending"] is False and fact["boot_id"] == after[0], fact
            assert f"{raspios_host} serves {model_ref(artifact_a)}" in res.out, "no gate"
        # nothing left to do: no reboot, nothing pending
        before = _boot_marks(raspios_host)
        res = _play(raspios_host, artifact_a, *reboot, "-e", f"hailort_version={NEW_VERSION}")
        assert res.rc == 0, res.flat[-5000:]
        assert _boot_marks(raspios_host) == before, "rebooted although nothing changed"
        assert res.recap()[raspios_host]["changed"] == 0, res.out[-3000:]
    finally:
        on_host(raspios_host, f"systemctl disable --now fake-hailo-boot.service; rm -f {BOOT_UNIT}")


def test_raspios_fake_unknown_pin_fails_naming_the_available_versions_verified_against_fake(
    raspios_host: str, artifact_a: Path
) -> None:
    """Verified against a fake, not on hardware: a pin no apt source offers fails before apt
    installs anything (after a cache refresh) and names the versions the archive does offer;
    what is installed stays as it was. Runs last: the earlier tests need a never-seen archive."""
    query = "dpkg-query -W -f '${Package}=${Version}\\n' hailort hailofw"
    before = on_host(raspios_host, query).stdout
    pins = json.dumps({"hailort_apt_packages": ["hailort=9.9.9-1", f"hailofw={DEB_VERSION}"]})
    res = _play(raspios_host, artifact_a, "-e", pins, "-e", "hailort_upgrade=true")
    assert res.rc != 0, res.out[-3000:]
    flat = res.flat
    assert "do not offer these pinned versions" in flat, flat[-3000:]
    available = f"{NEW_VERSION}-1 {DEB_VERSION} {PI_KERNEL_VERSION}-1"
    assert f"hailort=9.9.9-1 (available: {available})" in flat, flat[-3000:]
    named = flat.split("pinned versions:")[1].split("Set hailort_apt_packages")[0]
    assert "hailofw" not in named, f"only the unknown pin is named: {named}"
    assert on_host(raspios_host, query).stdout == before, "what is installed must stay as it was"


def test_raspios_fake_uninstall_with_hailort_purges_the_stack_verified_against_fake(
    raspios_host: str,
) -> None:
    """Verified against a fake, not on hardware: uninstall.yml -e uninstall_hailort=true purges
    the held packages and removes the udev rule, module options, local fact and group; issue 28
    item 8: it also releases the kernel hold (the hold_kernel test's), purges dkms (no module
    left in it) and removes the PCIe Gen3 line, which the earlier tests left in place."""
    kernel = f"linux-image-{os.uname().release}"
    leftovers = (
        f"dpkg --get-selections {kernel} dkms 2>/dev/null | grep -w hold; "
        "dpkg-query -W -f 'dkms ${db:Status-Status}\\n' dkms 2>/dev/null | grep ' installed$'; "
        "grep -H '^dtparam=pciex1_gen=3' /boot/firmware/config.txt; true"
    )
    before = on_host(raspios_host, leftovers).stdout
    assert "hold" in before and "dkms installed" in before and "pciex1_gen=3" in before, before
    res = play("-e", "uninstall_hailort=true", name="uninstall.yml", limit=raspios_host,
               lab_vars=False)  # fmt: skip
    assert res.rc == 0, res.out[-3000:]
    left = on_host(
        raspios_host,
        "dpkg-query -W -f '${Package} ${db:Status-Status}\\n' hailort hailofw hailo-dkms "
        "python3-hailort 2>/dev/null | grep ' installed$'; "
        "for p in /etc/udev/rules.d/51-hailo-udev.rules /etc/modprobe.d/hailo_pci.conf "
        "/etc/ansible/facts.d/hailort.fact /opt/hailo-inference; do "
        "[ -e $p ] && echo LEFT $p; done; "
        "getent group hailo && echo LEFT group; true",
    ).stdout
    assert "installed" not in left and "LEFT" not in left, left
    after = on_host(raspios_host, leftovers).stdout.split(">>", 1)[-1]  # past ad-hoc's header
    assert after.strip() == "", f"uninstall left kernel holds, dkms or the Gen3 line: {after}"


def _in_kernel_driver(host: str, version: str, tmp: Path) -> None:
    """A stand-in in-kernel hailo_pci of `version` where Bookworm kernels ship it, and the device
    node the kernel driver would create."""
    ko = tmp / "hailo_pci.ko"
    ko.write_bytes(fake_hailort.kernel_module(
        {"version": version, "license": "GPL", "name": "hailo_pci", "description": "FAKE in-tree"}
    ))  # fmt: skip
    dest = IN_KERNEL.replace("$(uname -r)", os.uname().release)
    assert on_host(host, f"mkdir -p {dest}").rc == 0
    res = ad_hoc(host, "ansible.builtin.copy", f"src={ko} dest={dest}/hailo_pci.ko mode=0644")
    assert res.rc == 0, res.out
    res = on_host(host, f"depmod -a && touch {DEVICE} && modinfo --field filename hailo_pci")
    assert res.rc == 0 and "/kernel/drivers/media/pci/hailo/" in res.out, res.out


def _installed(state: str, name: str) -> bool:
    return any(
        line.startswith(f"{name}=") and line.endswith(" ok installed")
        for line in state.splitlines()
    )


def test_raspios_fake_hailo_all_with_in_kernel_driver_installs_no_dkms_verified_against_fake(
    raspios_host: str, artifact_a: Path, tmp_path: Path
) -> None:
    """Verified against a fake, not on hardware: install method hailo-all on a kernel that ships
    hailo_pci in-tree installs the meta package and what it pulls in, pinned and held, but neither
    hailo-dkms nor dkms; the in-kernel driver's version is the one compared. Runs after the
    uninstall test (nothing of HailoRT installed)."""
    # dkms from the earlier tests stays after uninstall.yml (not HailoRT's): start without it
    assert on_host(raspios_host, "dpkg --purge dkms").rc == 0
    _in_kernel_driver(raspios_host, VERSION, tmp_path)
    res = _play(raspios_host, artifact_a, "-e", "hailort_install_method=hailo-all",
                "--tags", "hailort")  # fmt: skip
    assert res.rc == 0, res.out[-5000:]
    state = _dpkg(
        raspios_host, "hailort", "hailofw", "python3-hailort", *META, "hailo-dkms", "dkms"
    )
    for name in ("hailo-all", "hailort", "hailofw", "python3-hailort"):
        assert f"{name}={DEB_VERSION} hold ok installed" in state, state
    for name in META[1:]:
        assert f"{name}=3.31.0-1 hold ok installed" in state, state
    for name in ("hailo-dkms", "dkms"):
        assert not _installed(state, name), f"{name} installed beside the in-kernel driver: {state}"
    fact = _fact(raspios_host)
    assert fact["driver_version"] == fact["library_version"] == VERSION, fact


def test_raspios_fake_in_kernel_driver_of_another_version_fails_first_verified_against_fake(
    raspios_host: str, artifact_a: Path, tmp_path: Path
) -> None:
    """Verified against a fake, not on hardware: an in-kernel hailo_pci that is not
    hailort_version fails before apt changes anything, naming both versions and the way out."""
    _in_kernel_driver(raspios_host, "4.17.0", tmp_path)
    query = "dpkg-query -W -f '${Package}=${Version}\\n' hailo-all hailort hailofw"
    before = on_host(raspios_host, query).stdout
    res = _play(raspios_host, artifact_a, "-e", "hailort_install_method=hailo-all",
                "-e", f"hailort_version={NEW_VERSION}", "-e", "hailort_version_adopt=false",
                "--tags", "hailort")  # fmt: skip
    assert res.rc != 0, res.out[-3000:]
    flat = res.flat
    assert f"the in-kernel hailo_pci 4.17.0 of kernel {os.uname().release}" in flat, flat[-3000:]
    assert f"is not hailort_version {NEW_VERSION}" in flat and "hailort_driver: dkms" in flat
    assert on_host(raspios_host, query).stdout == before, "nothing may change before the check"


def test_raspios_fake_adopts_in_kernel_driver_upgrades_only_when_asked_verified_against_fake(
    raspios_host: str, artifact_a: Path, tmp_path: Path
) -> None:
    """Verified against a fake, not on hardware (issue 27 item 5, issue 28 item 5): a stock Pi OS
    kernel ships hailo_pci 4.17.0; with the default pin 4.20.0 and hailort_driver auto the host
    runs the in-kernel driver's version (hailort_version_adopt) instead of being refused. The
    host has 4.20.0 installed (the earlier hailo-all test), so the run would change HailoRT: it
    says so up front and installs nothing without -e hailort_upgrade=true; with it, one run
    installs the 4.17.0 set (revisions from the run's lock) and records the adopted version.
    Before, both runs failed: "the in-kernel hailo_pci 4.17.0 ... is not hailort_version 4.20.0"."""
    _in_kernel_driver(raspios_host, PI_KERNEL_VERSION, tmp_path)
    query = "dpkg-query -W -f '${Package}=${Version}\\n' hailo-all hailort hailofw"
    before = on_host(raspios_host, query).stdout
    assert f"hailort={DEB_VERSION}" in before, before
    method = ("-e", "hailort_install_method=hailo-all", "--tags", "hailort")
    res = _play(raspios_host, artifact_a, *method)
    assert res.rc != 0, res.out[-3000:]
    flat = res.flat
    change = f"HAILORT CHANGE: {raspios_host} {VERSION} -> {PI_KERNEL_VERSION} (in-kernel hailo_pci"
    assert change in flat and "hailort_upgrade=true" in flat, flat[-3000:]
    assert on_host(raspios_host, query).stdout == before, "nothing may change without the flag"
    res = _play(raspios_host, artifact_a, *method, "-e", "hailort_upgrade=true")
    assert res.rc == 0, res.flat[-5000:]
    flat = res.flat
    lock = f"{PI_KERNEL_VERSION}: hailo-all={PI_KERNEL_VERSION}-1 hailort={PI_KERNEL_VERSION}-1"
    assert "HAILORT LOCK for this run" in flat and lock in flat, flat[-3000:]
    state = _dpkg(raspios_host, "hailo-all", "hailort", "hailofw", "python3-hailort")
    for name in ("hailo-all", "hailort", "hailofw", "python3-hailort"):
        assert f"{name}={PI_KERNEL_VERSION}-1 hold ok installed" in state, state
    fact = _fact(raspios_host)
    assert fact["driver_version"] == fact["library_version"] == PI_KERNEL_VERSION, fact
    assert fact["version"] == PI_KERNEL_VERSION and "in-kernel" in fact["version_source"], fact
