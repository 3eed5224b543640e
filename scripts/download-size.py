#!/usr/bin/env python3
"""What installing a lock downloads from plain PyPI (docs/setup.md: the README's size promises).

    python3 scripts/download-size.py locks/dev-cpu.txt [--wheel-dir DIR]

Runs `pip install --dry-run --report` with PIP_CONFIG_FILE=/dev/null (no local wheel folder, no
mirror: what a user's machine resolves), reads the file pip picked for each package from the
report (stdout only), and takes each file's size from PyPI's JSON API. torch's CPU build is not
on PyPI (PyTorch's own index): it is measured from --wheel-dir when that folder holds the locked
file, and otherwise reported as not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path


def pip_default_index(python: str) -> str:
    """pip's own default index (PyPI), asked of pip rather than written here."""
    code = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
    return subprocess.run([python, "-c", code], stdout=subprocess.PIPE, text=True,
                          check=True).stdout.strip()  # fmt: skip


def pypi_size(index: str, name: str, filename: str) -> int | None:
    """The file's size from the simple index in JSON (PEP 691, sizes per PEP 700)."""
    accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
    req = urllib.request.Request(f"{index.rstrip('/')}/{name}/", headers=accept)
    with urllib.request.urlopen(req, timeout=30) as r:
        for f in json.load(r)["files"]:
            if f["filename"] == filename:
                return int(f["size"])
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lock", type=Path)
    ap.add_argument("--wheel-dir", type=Path, default=Path("/opt/wheels"))
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    text = a.lock.read_text()
    local = re.search(r"^torch==(\S+\+cpu)", text, re.M)
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "req.txt"
        # torch's CPU build is measured apart (not on PyPI); the rest exactly as locked
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
        req.write_text("\n".join(b for b in blocks if not (local and b.startswith("torch=="))))
        report = Path(tmp) / "report.json"
        env = dict(os.environ, PIP_CONFIG_FILE="/dev/null")
        for k in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_CONSTRAINT"):
            env.pop(k, None)
        cmd = [a.python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
               "--require-hashes", "--quiet", "--report", str(report), "-r", str(req)]  # fmt: skip
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        items = json.loads(report.read_text())["install"]
    index = pip_default_index(a.python)
    total, rows = 0, []
    for it in items:
        name, version = it["metadata"]["name"], it["metadata"]["version"]
        filename = it["download_info"]["url"].rsplit("/", 1)[1]
        size = pypi_size(index, name, filename) or 0
        total += size
        rows.append((size, f"{name}=={version}"))
    if local:
        wheels = sorted(a.wheel_dir.glob(f"torch-{local.group(1)}-*.whl"))
        size = wheels[0].stat().st_size if wheels else 0
        total += size
        src = f"measured from {wheels[0].name})" if wheels else "NOT measured)"
        rows.append((size, f"torch=={local.group(1)} (PyTorch's CPU index; {src}"))
    for size, what in sorted(rows, reverse=True)[:8]:
        print(f"  {size / 1e6:9.1f} MB  {what}")
    print(f"{a.lock}: {len(rows)} packages, {total / 1e6:.0f} MB to download from plain PyPI"
          + (" + PyTorch's CPU index" if local else ""))  # fmt: skip


if __name__ == "__main__":
    main()
