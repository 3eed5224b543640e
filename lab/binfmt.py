"""qemu-user's binfmt handler, so a lab host of a foreign architecture (arm64 on x86_64) runs.

The kernel hands every aarch64 ELF to qemu-aarch64-static (Debian's qemu-user-static) through
binfmt_misc. The entry needs flag F (the interpreter is opened at registration, so it also works
inside a container's root, where no qemu binary exists) and flag C (credentials from the binary,
not the interpreter: without it setuid programs lose their bit, so `sudo` fails on the host and
with it Ansible's become; Debian's file has neither C nor, for binfmt-support, F by default, so
they are added). `ensure` mounts binfmt_misc when it is
not mounted and registers the entry from qemu-user-static's /usr/lib/binfmt.d file when absent,
and records what it did in a marker; `undo` reverts exactly that: an entry or mount the system
had before is never touched.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

BINFMT = Path("/proc/sys/fs/binfmt_misc")
# Debian architecture -> (kernel machine name, binfmt entry, qemu binary)
QEMU = {"arm64": ("aarch64", "qemu-aarch64", "qemu-aarch64-static")}
MACHINE_TO_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def native_arch() -> str:
    return MACHINE_TO_ARCH.get(platform.machine(), platform.machine())


def emulated(arch: str) -> bool:
    """A host of this architecture runs under qemu-user on this machine."""
    return arch != native_arch()


NEEDED_FLAGS = "CF"  # C: setuid works (sudo, become); F: works inside the hosts' roots


def entry_line(conf: str) -> str:
    """The register line of a binfmt.d file, with flags C and F added when it lacks them."""
    line = next(ln for ln in conf.splitlines() if ln.startswith(":"))
    fields = line.split(":")  # :name:type:offset:magic:mask:interpreter:flags
    fields[7] += "".join(f for f in NEEDED_FLAGS if f not in fields[7])
    return ":".join(fields)


def entry_flags(status: str) -> str:
    """The flags of a registered entry (its /proc/sys/fs/binfmt_misc/<name> text)."""
    for ln in status.splitlines():
        if ln.startswith("flags:"):
            return ln.split(":", 1)[1].strip()
    return ""


def _read_marker(marker: Path) -> dict:
    try:
        return json.loads(marker.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {"mounted": False, "registered": []}


def ensure(arch: str, marker: Path, log: Callable[[str], None]) -> None:
    """Make binaries of `arch` run here; record what we changed in `marker`."""
    machine, entry, qemu = QEMU.get(arch, (arch, "", ""))
    if not entry:
        raise SystemExit(f"lab: no qemu-user emulation known for {arch} on {native_arch()}")
    conf = Path(f"/usr/lib/binfmt.d/{entry}.conf")
    if not shutil.which(qemu) or not conf.is_file():
        raise SystemExit(
            f"lab: {arch} hosts need {qemu} and {conf}: apt-get install qemu-user-static "
            "(make lab-up installs it when LAB_HOSTS names an arm64 host)"
        )
    done = _read_marker(marker)
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
        done["mounted"] = True
        log(f"lab: mounted binfmt_misc on {BINFMT}")
    if (BINFMT / entry).exists():
        status = (BINFMT / entry).read_text()
        lacks = [f for f in NEEDED_FLAGS if f not in entry_flags(status)]
        if "enabled" not in status.splitlines()[0] or lacks:
            raise SystemExit(
                f"lab: {BINFMT / entry} is disabled or lacks flags {''.join(lacks)}, so {machine} "
                f"binaries cannot run inside a lab host (F) or sudo cannot (C); let the lab "
                f"register it: echo -1 > {BINFMT / entry}; then make lab-up again"
            )
    else:
        (BINFMT / "register").write_text(entry_line(conf.read_text()))
        done["registered"] = sorted({*done["registered"], entry})
        log(f"lab: registered binfmt {entry} ({conf}, flags {NEEDED_FLAGS} added)")
    marker.write_text(json.dumps(done))


def undo(marker: Path, log: Callable[[str], None]) -> None:
    """Unregister the entries and unmount binfmt_misc if, and only if, `ensure` added them."""
    if not marker.exists():
        return
    done = _read_marker(marker)
    for entry in done["registered"]:
        if (BINFMT / entry).exists():
            (BINFMT / entry).write_text("-1")
            log(f"lab: unregistered binfmt {entry}")
    if done["mounted"] and (BINFMT / "register").exists():
        others = {p.name for p in BINFMT.iterdir()} - {"register", "status"}
        if others:
            log(f"lab: binfmt_misc left mounted: others registered {sorted(others)} since")
        else:
            subprocess.run(["umount", str(BINFMT)], check=True)
            log(f"lab: unmounted binfmt_misc from {BINFMT}")
    marker.unlink()


def leftovers(marker: Path) -> list[str]:
    done = _read_marker(marker) if marker.exists() else {"mounted": False, "registered": []}
    left = [f"binfmt {e}" for e in done["registered"] if (BINFMT / e).exists()]
    if done["mounted"] and (BINFMT / "register").exists():
        left.append(f"mount {BINFMT}")
    return left
