"""FAKE HailoRT packages for the hailort role's lab tests: verified against a fake, not on hardware.

Built on the controller with dpkg-deb: a `hailortcli` printing the documented `--version` and
`fw-control identify` formats, a stand-in kernel module whose .modinfo `modinfo` reads, and any
other package as a named, versioned placeholder.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path


def identify_output(version: str, arch: str = "HAILO8L") -> str:
    """What `hailortcli fw-control identify` prints (HailoRT 4.x format)."""
    return f"""Executing on device: 0000:01:00.0
Identifying board
Control Protocol Version: 2
Firmware Version: {version} (release,app,extended context switch buffer)
Logger Version: 0
Board Name: Hailo-8
Device Architecture: {arch}
Serial Number: FAKE0000000000
Part Number: FAKE
Product Name: FAKE {arch} (verified against a fake, not on hardware)
"""


def hailortcli(version: str) -> bytes:
    """A FAKE `hailortcli` script answering `--version` and `fw-control identify`."""
    return (
        "#!/bin/sh\n# FAKE hailortcli (verified against a fake, not on hardware)\n"
        f'case "$*" in\n  --version) echo "HailoRT-CLI version {version}";;\n'
        f"  'fw-control identify') cat <<'EOF'\n{identify_output(version)}EOF\n;;\n"
        '  *) echo "fake hailortcli: unsupported: $*" >&2; exit 2;;\nesac\n'
    ).encode()


# hailort.service as github hailo-ai/hailort ships it (hailort/hailort_service/hailort.service,
# tag v4.23.0, commit 08f088d3b443), ExecStart aside: the fake's binary lives in /usr/bin.
SERVICE_UNIT = """[Unit]
Description=HailoRT service
Documentation=https://github.com/hailo-ai/hailort

[Service]
Type=forking
EnvironmentFile=/etc/default/hailort_service
ExecStart=/usr/bin/hailort_service
Restart=on-failure
RemainAfterExit=yes
PIDFile=/run/hailo/hailort_service.pid
ExecReload=/bin/kill -HUP $MAINPID
ExecStartPost=/bin/sleep 0.1

[Install]
WantedBy=multi-user.target
"""


def runtime_files(version: str) -> dict[str, bytes]:
    """The fake `hailort` package's files: hailortcli and the multi-process service's unit, its
    environment file (the unit refuses to start without it, as the real one) and a stand-in
    hailort_service that forks and writes its PID file (Type=forking)."""
    service = (
        "#!/bin/sh\n# FAKE hailort_service (verified against a fake, not on hardware)\n"
        "mkdir -p /run/hailo\nsleep infinity >/dev/null 2>&1 &\n"
        "echo $! >/run/hailo/hailort_service.pid\n"
    )
    return {
        "usr/bin/hailortcli": hailortcli(version),
        "usr/bin/hailort_service": service.encode(),
        "lib/systemd/system/hailort.service": SERVICE_UNIT.encode(),
        "etc/default/hailort_service": b'[Service]\nHAILORT_LOGGER_PATH="/var/log/hailo"\n',
    }


def kernel_module(modinfo: dict[str, str]) -> bytes:
    """A minimal ELF64 relocatable with a .modinfo section: what `modinfo` and `depmod` read."""
    info = b"".join(f"{k}={v}".encode() + b"\0" for k, v in modinfo.items())
    shstr = b"\0.modinfo\0.shstrtab\0"
    off_info, off_str = 64, 64 + len(info)
    off_sh = (off_str + len(shstr) + 7) & ~7
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little endian, SysV
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, off_sh, 0, 64, 0, 0, 64, 3, 2)
    body = hdr + info + shstr
    body += bytes(off_sh - len(body))
    sections = bytes(64)  # the null section
    sections += struct.pack("<IIQQQQIIQQ", 1, 1, 2, 0, off_info, len(info), 0, 0, 1, 0)
    sections += struct.pack("<IIQQQQIIQQ", 10, 3, 0, 0, off_str, len(shstr), 0, 0, 1, 0)
    return body + sections


def deb(
    root: Path,
    name: str,
    arch: str,
    files: dict[str, bytes],
    *,
    version: str,
    postinst: str = "",
    postrm: str = "",
    depends: str = "",
    provides: str = "",
) -> Path:
    """Build `<root>/<name>_<version>_<arch>.deb` holding `files` (path -> bytes; mode 0755 in a
    bin/ folder, else 0644)."""
    pkg = root / f"{name}_{version}.src"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\n"
        "Maintainer: deploy tests <nobody@example.invalid>\n"
        + (f"Depends: {depends}\n" if depends else "")
        + (f"Provides: {provides}\n" if provides else "")
        + f"Description: FAKE {name} for tests (verified against a fake, not on hardware)\n"
    )
    for script, body in (("postinst", postinst), ("postrm", postrm)):
        if body:
            (pkg / "DEBIAN" / script).write_text(f"#!/bin/sh\nset -e\n{body}\n")
            (pkg / "DEBIAN" / script).chmod(0o755)
    for rel, data in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_bytes(data)
        (pkg / rel).chmod(0o755 if "bin/" in rel else 0o644)
    out = root / f"{name}_{version}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(pkg), str(out)],
        check=True,
        capture_output=True,
    )
    return out


def dpkg_arch() -> str:
    """The controller's Debian architecture (the lab hosts share it)."""
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()
