"""Issue 28 item 7: only the files the daemon needs reach a Pi. Each listed file has a role
(serve/calibration/report/build, edge_artifact.file_roles), written by the compiler into the
manifest (sections.new_manifest, the DFC step) and derived by the old rule for manifests from
before; `pack` ships manifest.json + the serving files as one reproducible archive; `verify`
accepts a host copy without the non-serving files and still checks every file present. HEF
entries are verified against a fake manifest, not on hardware."""

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
from edge_artifact.file_roles import file_role, served_files, with_roles
from edge_artifact.pack import pack, write_archive

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
    assert file_role(m, "calibration.npy") == "calibration"
    assert file_role(m, "parity.json") == "report"
    assert file_role(m, "encoder_accel.onnx") == "build"


def test_a_files_entry_may_say_its_role(tmp_path: Path) -> None:
    m = Manifest.read(make_artifact(tmp_path / "a", {"export_config.yaml": "serve"}))
    assert "export_config.yaml" in served_files(m)
    bad = Manifest.read(make_artifact(tmp_path / "b", {"parity.json": "ship"}))
    with pytest.raises(
        ArtifactError, match="role is 'ship': use one of serve, calibration, report"
    ):
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


def test_pack_does_not_reuse_an_archive_packed_by_another_rule(tmp_path: Path) -> None:
    """The archive's name keys it by manifest only: one with other members (an older packing
    rule, a half-written change: seen in a scale run, manifest.json alone) is packed again."""
    art = make_artifact(tmp_path / "a")
    first = pack(art, tmp_path / "out")
    stale = Path(first["path"])
    write_archive(art, ["manifest.json"], stale)  # same name, wrong members
    again = pack(art, tmp_path / "out")
    with tarfile.open(again["path"]) as tar:
        assert tar.getnames() == sorted(first["files"]) and again["sha256"] == first["sha256"]
    stale.write_bytes(b"not a tar")  # a truncated or foreign file of that name
    assert pack(art, tmp_path / "out")["sha256"] == first["sha256"]


# -- roles written into the manifest (issue 28 item 7: the manifest says which) -------------
OLD_SET = ["encoder.hailo8l.hef", "encoder_cpu.onnx", "golden.npz", "manifest.json"]


def packed(art: Path, out: Path) -> list[str]:
    with tarfile.open(pack(art, out)["path"]) as tar:
        return tar.getnames()


def test_the_roles_decide_what_is_packed(tmp_path: Path) -> None:
    """A file marked serve is packed, one marked otherwise is not, whatever its name: fails
    when pack ignores the roles (encoder_accel.onnx is build by the rule)."""
    art = make_artifact(tmp_path / "a", {"encoder_accel.onnx": "serve", "parity.json": "report",
                                         "calibration.npy": "calibration"})  # fmt: skip
    got = packed(art, tmp_path / "out")
    assert got == ["encoder.hailo8l.hef", "encoder_accel.onnx", "encoder_cpu.onnx", "golden.npz",
                   "manifest.json"]  # fmt: skip
    for name in ("calibration.npy", "parity.json", "export_config.yaml"):
        assert name not in got


def test_an_old_manifest_without_roles_packs_the_same_set(tmp_path: Path) -> None:
    old = make_artifact(tmp_path / "old")
    assert "role" not in json.loads((old / "manifest.json").read_text())["files"]["golden.npz"]
    assert packed(old, tmp_path / "out_old") == OLD_SET
    # the same artifact with the roles the compiler writes: the same serving set
    new = make_artifact(tmp_path / "new")
    with_roles(Manifest.read(new)).write(new)
    files = json.loads((new / "manifest.json").read_text())["files"]
    assert {n: e["role"] for n, e in files.items()} == {
        "calibration.npy": "calibration", "encoder.hailo8l.hef": "serve",
        "encoder_accel.onnx": "build", "encoder_cpu.onnx": "serve",
        "export_config.yaml": "build", "golden.npz": "serve", "parity.json": "report",
    }  # fmt: skip
    assert packed(new, tmp_path / "out_new") == OLD_SET
    load_artifact(new, verify=True)  # roles change nothing the verification checks


def test_a_role_cannot_drop_a_file_the_host_reads(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "a", {"golden.npz": "report"})
    r = cli("pack", str(art), str(tmp_path / "out"))
    assert r.returncode == 1 and "files.golden.npz.role is 'report' but the host reads" in r.stderr
    # a host copy without the graph a backend names is refused, not excused as non-serving
    art2 = make_artifact(tmp_path / "b", {"encoder_cpu.onnx": "build"})
    (art2 / "encoder_cpu.onnx").unlink()
    with pytest.raises(ArtifactError, match="must be serve"):
        load_artifact(art2, verify=True)


def test_rehashing_keeps_the_roles(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "a", {"parity.json": "report"})
    (art / "parity.json").write_bytes(b'{"changed": 1}')
    files = Manifest.read(art).rehashed(art).files
    assert files["parity.json"]["role"] == "report"
    assert files["parity.json"]["bytes"] == len(b'{"changed": 1}')


def test_the_compiler_writes_every_files_role(tiny_artifact: Path) -> None:
    """The manifest's one constructor (sections.new_manifest) gives each file its role. Fails
    on the old constructor (no role in any entry)."""
    files = json.loads((tiny_artifact / "manifest.json").read_text())["files"]
    roles = {n: e.get("role") for n, e in files.items()}
    assert None not in roles.values(), roles
    assert roles["golden.npz"] == roles["encoder_cpu.onnx"] == "serve", roles
    assert roles["calibration.npy"] == "calibration" and roles["parity.json"] == "report", roles
    assert roles["encoder_accel.onnx"] == roles["export_config.yaml"] == "build", roles
    assert served_files(Manifest.read(tiny_artifact)) == ["encoder_cpu.onnx", "golden.npz"]
