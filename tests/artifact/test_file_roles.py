"""Issue 28 item 7: only the files the daemon needs reach a Pi. Each listed file has a role
(serve/build, edge_artifact.file_roles); `pack` ships manifest.json + the serving files as one
reproducible archive; `verify` accepts a host copy without the build-only files and still checks
every file present. HEF entries are verified against a fake manifest, not on hardware."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from edge_artifact import ArtifactError, Manifest, load_artifact
from edge_artifact.file_roles import file_role, served_files
from edge_artifact.pack import pack

ARTIFACT_SRC = Path(__file__).resolve().parents[2] / "artifact"
CONTENT = {
    "calibration.npy": b"c" * 4000,
    "encoder_accel.onnx": b"a" * 300,
    "encoder_cpu.onnx": b"o" * 300,
    "encoder.hailo8l.hef": b"h" * 200,
    "export_config.yaml": b"x: 1\n",
    "golden.npz": b"g" * 500,
    "parity.json": b"{}",
}


def make_artifact(root: Path, roles: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True)
    files = {}
    for name, data in CONTENT.items():
        (root / name).write_bytes(data)
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        if roles and name in roles:
            files[name]["role"] = roles[name]
    manifest = {
        "schema": 1,
        "model": {"name": "tcn", "version": "0.1.0-x"},
        "files": files,
        "backends": {
            "onnx": {"file": "encoder_cpu.onnx"},
            "hailo": {"hefs": {"hailo8l": {"file": "encoder.hailo8l.hef"}}},
        },
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return root


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ARTIFACT_SRC))
    return subprocess.run([sys.executable, "-m", "edge_artifact", *args], capture_output=True,
                          text=True, env=env, check=False)  # fmt: skip


def test_the_serving_files_are_golden_and_what_the_backends_name(tmp_path: Path) -> None:
    m = Manifest.read(make_artifact(tmp_path / "a"))
    assert served_files(m) == ["encoder.hailo8l.hef", "encoder_cpu.onnx", "golden.npz"]
    assert file_role(m, "calibration.npy") == "build"
    assert file_role(m, "encoder_accel.onnx") == "build"


def test_a_files_entry_may_say_its_role(tmp_path: Path) -> None:
    m = Manifest.read(make_artifact(tmp_path / "a", {"export_config.yaml": "serve"}))
    assert "export_config.yaml" in served_files(m)
    bad = Manifest.read(make_artifact(tmp_path / "b", {"parity.json": "ship"}))
    with pytest.raises(ArtifactError, match="role is 'ship': use one of serve, build"):
        served_files(bad)


def test_a_host_copy_without_build_files_verifies_and_loads(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "a")
    (art / "calibration.npy").unlink()
    (art / "parity.json").unlink()
    ok = cli("verify", str(art))
    assert ok.returncode == 0, ok.stderr
    assert "5 of 7 listed files present" in ok.stdout
    load_artifact(art, verify=True)  # the daemon's check
    strict = cli("verify", str(art), "--complete")
    assert strict.returncode == 1
    assert "calibration.npy is listed in manifest.json but missing" in strict.stderr


def test_a_missing_serving_file_or_a_corrupt_build_file_still_fails(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "a")
    (art / "golden.npz").unlink()
    r = cli("verify", str(art))
    assert r.returncode == 1 and "golden.npz is listed in manifest.json but missing" in r.stderr
    art2 = make_artifact(tmp_path / "b")
    (art2 / "calibration.npy").write_bytes(b"changed")
    r2 = cli("verify", str(art2))
    assert r2.returncode == 1 and "calibration.npy has sha256" in r2.stderr


def test_pack_ships_manifest_and_serving_files_reproducibly(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "a")
    one = pack(art, tmp_path / "out1")
    os.utime(art / "golden.npz", (1, 1))  # file times must not change the archive
    two = pack(art, tmp_path / "out2")
    assert one["sha256"] == two["sha256"]
    assert one["name"] == two["name"] and one["name"].startswith("tcn-0.1.0-x-")
    with tarfile.open(one["path"]) as tar:
        names = tar.getnames()
    assert names == ["encoder.hailo8l.hef", "encoder_cpu.onnx", "golden.npz", "manifest.json"]
    assert one["bytes"] < sum(len(v) for v in CONTENT.values())  # calibration.npy not in it


def test_pack_refuses_a_corrupt_serving_file(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "a")
    (art / "encoder_cpu.onnx").write_bytes(b"flipped")
    r = cli("pack", str(art), str(tmp_path / "out"))
    assert r.returncode == 1 and "encoder_cpu.onnx has sha256" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()
