"""The cached base image: a debootstrap of Debian 12 (bookworm) close to Raspberry Pi OS Lite,
or of Debian 13 (trixie, Python 3.13) for a Raspberry Pi OS trixie stand-in.

One image per architecture and suite, cached outside the repo: amd64 bookworm under
/var/cache/edge-lab/base-<hash of the recipe>, any other architecture (arm64) under
/var/cache/edge-lab/<arch>/base-<hash>, another suite one folder further, .../trixie/base-<hash>;
architecture and suite are part of the recipe, so of the hash.
Rebuilt only when the recipe changes; built under a lock into a temporary folder, then renamed,
so a killed build never leaves a half image behind; older images of the same architecture only
are removed. A foreign architecture needs its qemu binfmt handler registered first (lab/binfmt.py):
debootstrap then runs the second stage through it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CACHE = Path("/var/cache/edge-lab")
MIRROR = "http://deb.debian.org/debian"
# What a fresh Raspberry Pi OS Lite has that roles may rely on; NOT what the roles install.
PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "libpam-systemd", "openssh-server", "sudo",
    "python3", "python3-venv", "python3-apt", "iproute2", "iputils-ping", "ca-certificates",
    "procps", "curl", "wget", "less", "nano", "rsync", "cron", "logrotate", "netbase",
    "tzdata", "gnupg", "lsb-release", "xz-utils", "kmod",
]  # fmt: skip
# Run inside the new tree (chroot) after debootstrap. Host keys and machine-id are removed:
# every lab host gets its own at provisioning time.
POST = r"""
set -eu
useradd -m -s /bin/bash -G sudo,adm,dialout,video,plugdev -u 1000 pi || true
passwd -l pi
echo 'pi ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/010_pi-nopasswd
chmod 0440 /etc/sudoers.d/010_pi-nopasswd
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n' \
  > /etc/ssh/sshd_config.d/10-lab.conf
systemctl mask systemd-networkd-wait-online.service getty@tty1.service >/dev/null 2>&1 || true
apt-get clean
rm -rf /var/lib/apt/lists/*
"""
# arm64 only (it runs under qemu-user on the lab machine): qemu-user cannot set up a unit's
# credentials (systemd: "Failed to set up credentials: Invalid argument", exit 243/CREDENTIALS),
# so systemd-sysctl, -sysusers, -tmpfiles-setup(-dev) would fail and leave the host degraded. No
# credentials are ever passed to a lab host: the units' LoadCredential= lists are emptied.
QEMU_POST = r"""
for f in $(grep -l '^LoadCredential=' /lib/systemd/system/*.service); do
  d=/etc/systemd/system/$(basename "$f").d
  mkdir -p "$d"
  printf '[Service]\nLoadCredential=\n' > "$d/10-lab-qemu-user.conf"
done
"""
RECIPE = {"suite": "bookworm", "variant": "minbase", "packages": PACKAGES, "post": POST,
          "mirror": MIRROR}  # fmt: skip
# Debian suites: bookworm (Pi OS bookworm, Python 3.11) is the default and its recipe and hash are
# the ones from before suites existed; trixie (Pi OS trixie, Python 3.13) is opt-in per host.
SUITES = ("bookworm", "trixie")
DEFAULT_SUITE = "bookworm"
# Debian architecture names; amd64 is the machine's own (its recipe, hash and folder are the ones
# from before architectures existed, so a cached amd64 image stays valid).
ARCHES = ("amd64", "arm64")
DEFAULT_ARCH = "amd64"
# Emulated arm64 runs dpkg's configure step under qemu-user: about 4 minutes instead of 1.
BUILD_MINUTES = {"amd64": "1-3", "arm64": "4-8"}  # trixie amd64: 75 s measured (2026-12-07)


def recipe(arch: str = DEFAULT_ARCH, suite: str = DEFAULT_SUITE) -> dict:
    if arch not in ARCHES:
        raise SystemExit(f"lab: architecture {arch!r}: use one of {', '.join(ARCHES)}")
    if suite not in SUITES:
        raise SystemExit(f"lab: suite {suite!r}: use one of {', '.join(SUITES)}")
    r = RECIPE if arch == DEFAULT_ARCH else {**RECIPE, "arch": arch, "post": POST + QEMU_POST}
    return r if suite == DEFAULT_SUITE else {**r, "suite": suite}


def recipe_hash(arch: str = DEFAULT_ARCH, suite: str = DEFAULT_SUITE) -> str:
    return hashlib.sha256(json.dumps(recipe(arch, suite), sort_keys=True).encode()).hexdigest()[:12]


def cache_dir(arch: str = DEFAULT_ARCH, suite: str = DEFAULT_SUITE) -> Path:
    """The folder holding this architecture's and suite's images (and its build lock)."""
    base = CACHE if arch == DEFAULT_ARCH else CACHE / arch
    return base if suite == DEFAULT_SUITE else base / suite


def image_path(arch: str = DEFAULT_ARCH, suite: str = DEFAULT_SUITE) -> Path:
    return cache_dir(arch, suite) / f"base-{recipe_hash(arch, suite)}"


def debootstrap_cmd(arch: str, dest: Path, suite: str = DEFAULT_SUITE) -> list[str]:
    return [
        "debootstrap", f"--arch={arch}", f"--variant={RECIPE['variant']}",
        "--include=" + ",".join(PACKAGES), recipe(arch, suite)["suite"], str(dest), MIRROR,
    ]  # fmt: skip


def ensure_image(
    log: Callable[[str], None] = print, arch: str = DEFAULT_ARCH, suite: str = DEFAULT_SUITE
) -> Path:
    """Return the base image folder of `arch` and `suite`, building it (under a lock,
    atomically) if absent."""
    target = image_path(arch, suite)
    if (target / ".edge-lab-complete").is_file():
        return target
    folder = cache_dir(arch, suite)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".edge-lab-complete").is_file():
            return target
        for stale in folder.glob("tmp-*"):  # left by a killed build
            shutil.rmtree(stale, ignore_errors=True)
        tmp = folder / f"tmp-{target.name}"
        log(f"lab: building base image {target} (debootstrap {arch} {suite}, about "
            f"{BUILD_MINUTES[arch]} minutes)")  # fmt: skip
        t0 = time.monotonic()
        subprocess.run(debootstrap_cmd(arch, tmp, suite), check=True, stdout=subprocess.DEVNULL)
        post = recipe(arch, suite)["post"]
        subprocess.run(["chroot", str(tmp), "/bin/sh", "-c", post], check=True)
        (tmp / ".edge-lab-complete").write_text(json.dumps(recipe(arch, suite), sort_keys=True))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
        for old in stale_images(arch, suite):
            shutil.rmtree(old, ignore_errors=True)
        log(f"lab: base image {arch} {suite} built in {time.monotonic() - t0:.0f} s")
    return target


def stale_images(arch: str = DEFAULT_ARCH, suite: str = DEFAULT_SUITE) -> list[Path]:
    """Images of this architecture and suite other than the current recipe's (never another
    architecture's or suite's: those live in their own folders)."""
    return [p for p in cache_dir(arch, suite).glob("base-*") if p != image_path(arch, suite)]


if __name__ == "__main__":
    arch = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_ARCH
    suite = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_SUITE
    print(ensure_image(log=lambda m: print(m, file=sys.stderr), arch=arch, suite=suite))
