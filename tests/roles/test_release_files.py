"""Issue 28 item 7: the host keeps its wheelhouse; files/release_files.py compares it with the
controller's SHA256SUMS so only the changed wheels travel and stale ones are removed (the folder
must equal the controller's: the venv pins every wheel in it)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

HELPER = Path(__file__).resolve().parents[2] / "roles/hailo_inference/files/release_files.py"


def wheels(folder: Path, sums: str, *extra: str) -> dict:
    r = subprocess.run([sys.executable, str(HELPER), "wheels", str(folder), *extra], input=sums,
                       capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(r.stdout)


def line(name: str, data: bytes) -> str:
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n"


def test_only_changed_wheels_are_missing_and_stale_ones_are_pruned(tmp_path: Path) -> None:
    (tmp_path / "a-1.whl").write_bytes(b"a1")
    (tmp_path / "b-1.whl").write_bytes(b"b1")  # the daemon's old wheel: not listed any more
    (tmp_path / "c-1.whl").write_bytes(b"corrupt")  # listed, other bytes: re-sent
    (tmp_path / "REQUIREMENTS").write_text("a\n")
    sums = line("a-1.whl", b"a1") + line("b-2.whl", b"b2") + line("c-1.whl", b"c1")
    dry = wheels(tmp_path, sums, "--dry-run")
    assert dry == {"kept": 1, "missing": ["b-2.whl", "c-1.whl"], "pruned": ["b-1.whl", "c-1.whl"]}
    assert (tmp_path / "b-1.whl").exists()  # a dry run changes nothing
    assert wheels(tmp_path, sums) == dry
    assert sorted(p.name for p in tmp_path.iterdir()) == ["REQUIREMENTS", "a-1.whl"]


def test_reuse_links_an_earlier_release_with_the_same_manifest(tmp_path: Path) -> None:
    old = tmp_path / "releases/r1/artifact"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text("{}\n")
    (old / "golden.npz").write_bytes(b"g")
    msha = hashlib.sha256(b"{}\n").hexdigest()
    run = [sys.executable, str(HELPER), "reuse", str(tmp_path / "releases")]
    new = tmp_path / "releases/r2"
    r = subprocess.run([*run, str(new), msha], capture_output=True, text=True, check=True)
    assert json.loads(r.stdout) == {"from": str(old.parent), "state": "reused"}
    assert (new / "artifact/golden.npz").stat().st_ino == (old / "golden.npz").stat().st_ino
    r = subprocess.run([*run, str(new), msha], capture_output=True, text=True, check=True)
    assert json.loads(r.stdout) == {"state": "present"}
    r = subprocess.run([*run, str(tmp_path / "releases/r3"), "0" * 64], capture_output=True,
                       text=True, check=True)  # fmt: skip
    assert json.loads(r.stdout) == {"state": "missing"}
