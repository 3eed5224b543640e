"""The cached base image: a debootstrap of Debian 12 (bookworm) close to Raspberry Pi OS Lite.

Cached outside the repo under /var/cache/edge-lab/base-<hash of the recipe>; rebuilt only when
the recipe below changes; built under a lock into a temporary folder, then renamed, so a killed
build never leaves a half image behind.
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
RECIPE = {"suite": "bookworm", "variant": "minbase", "packages": PACKAGES, "post": POST,
          "mirror": MIRROR}  # fmt: skip


def recipe_hash() -> str:
    return hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:12]


def image_path() -> Path:
    return CACHE / f"base-{recipe_hash()}"


def ensure_image(log: Callable[[str], None] = print) -> Path:
    """Return the base image folder, building it (under a lock, atomically) if absent."""
    target = image_path()
    if (target / ".edge-lab-complete").is_file():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".edge-lab-complete").is_file():
            return target
        for stale in CACHE.glob("tmp-*"):  # left by a killed build
            shutil.rmtree(stale, ignore_errors=True)
        tmp = CACHE / f"tmp-{target.name}"
        log(f"lab: building base image {target} (debootstrap bookworm, about 1-3 minutes)")
        t0 = time.monotonic()
        subprocess.run(
            ["debootstrap", f"--variant={RECIPE['variant']}",
             "--include=" + ",".join(PACKAGES), RECIPE["suite"], str(tmp), MIRROR],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run(["chroot", str(tmp), "/bin/sh", "-c", POST], check=True)
        (tmp / ".edge-lab-complete").write_text(json.dumps(RECIPE, sort_keys=True))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
        for old in CACHE.glob("base-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        log(f"lab: base image built in {time.monotonic() - t0:.0f} s")
    return target


if __name__ == "__main__":
    print(ensure_image(log=lambda m: print(m, file=sys.stderr)))
