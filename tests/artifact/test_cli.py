"""`python -m edge_artifact verify|newest|describe|check-pair`: the one command Ansible, CI and the
scripts call for the artifact's rules (sha256, the newest complete artifact, the pair rule), and
the one golden.npz reader. check-pair's HEF entries are verified against a fake DFC's manifest
fields, not on hardware."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from edge_artifact import ArtifactError, read_golden, sha256_file
from edge_artifact.names import GOLDEN, MANIFEST

ARTIFACT_SRC = Path(__file__).resolve().parents[2] / "artifact"
HEF_3_33 = {"dfc_version": "3.33.0+fake", "hailort_min_version": "4.23",
            "hailort_below_version": "5.0", "file": "encoder.hef"}  # fmt: skip


def cli(*args: str, no_numpy: bool = False) -> subprocess.CompletedProcess:
    """The command as the controller runs it: PYTHONPATH=artifact/, optionally without numpy."""
    block = "import sys; sys.modules['numpy'] = None; " if no_numpy else ""
    code = f"{block}import runpy; runpy.run_module('edge_artifact', run_name='__main__')"
    env = dict(os.environ, PYTHONPATH=str(ARTIFACT_SRC))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip


@pytest.fixture
def art(tmp_path: Path, tiny_artifact: Path) -> Path:
    dest = tmp_path / "tcn" / tiny_artifact.name
    shutil.copytree(tiny_artifact, dest)
    return dest


def test_verify_accepts_an_intact_artifact_without_numpy(art: Path) -> None:
    r = cli("verify", str(art), "--manifest-sha256", sha256_file(art / MANIFEST), no_numpy=True)
    assert r.returncode == 0, r.stderr
    assert "every sha256 matches the manifest" in r.stdout


def test_verify_refuses_a_tampered_file_and_names_every_one(art: Path) -> None:
    (art / GOLDEN).write_bytes((art / GOLDEN).read_bytes() + b"x")
    (art / "encoder_cpu.onnx").unlink()
    r = cli("verify", str(art))
    assert r.returncode == 1, r.stdout
    assert f"{art / GOLDEN} has sha256" in r.stderr and "but the manifest says" in r.stderr
    assert "encoder_cpu.onnx is listed in manifest.json but missing" in r.stderr


def test_verify_refuses_a_manifest_that_changed_in_transfer(art: Path) -> None:
    r = cli("verify", str(art), "--manifest-sha256", "0" * 64)
    assert r.returncode == 1 and "changed in transfer" in r.stderr, r.stderr


def test_verify_refuses_a_folder_without_manifest(tmp_path: Path) -> None:
    r = cli("verify", str(tmp_path))
    assert r.returncode == 1 and f"no {MANIFEST} in {tmp_path}" in r.stderr, r.stderr


def _folder(root: Path, name: str, manifest_mtime: int | None, folder_mtime: int = 0) -> Path:
    d = root / "tcn" / name
    d.mkdir(parents=True)
    if manifest_mtime is not None:
        (d / MANIFEST).write_text("{}")
        os.utime(d / MANIFEST, (manifest_mtime, manifest_mtime))
    os.utime(d, (folder_mtime, folder_mtime))
    return d


def test_newest_is_the_latest_manifest_of_a_complete_folder(tmp_path: Path) -> None:
    assert cli("newest", str(tmp_path)).returncode == 1
    _folder(tmp_path, "v1", 1_000, folder_mtime=9_000)  # a touched folder does not make it newer
    v2 = _folder(tmp_path, "v2", 2_000)
    _folder(tmp_path, "v3.failed", 3_000)
    _folder(tmp_path, ".v4.tmp", 4_000)
    _folder(tmp_path, "v5", None, folder_mtime=5_000)  # no manifest: incomplete
    r = cli("newest", str(tmp_path), no_numpy=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(v2)


def test_newest_breaks_a_tie_by_path_not_listing_order(tmp_path: Path) -> None:
    _folder(tmp_path, "b", 1_000)
    a = _folder(tmp_path, "a", 1_000)
    c = _folder(tmp_path, "c", 1_000)
    assert cli("newest", str(tmp_path)).stdout.strip() == str(c), a


def test_newest_one_refuses_none_or_several(tmp_path: Path) -> None:
    _folder(tmp_path, "v1", 1_000)
    assert cli("newest", "--one", str(tmp_path)).returncode == 0
    _folder(tmp_path, "v2", 2_000)
    r = cli("newest", "--one", str(tmp_path))
    assert r.returncode == 1 and "found 2" in r.stderr, r.stderr


def test_describe_prints_the_manifest_summary(art: Path) -> None:
    r = cli("describe", str(art), no_numpy=True)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    manifest = json.loads((art / MANIFEST).read_text())
    assert d["ref"] == f"{manifest['model']['name']}@{manifest['model']['version']}"
    assert d["manifest_sha256"] == sha256_file(art / MANIFEST)
    assert d["files"] == sorted(manifest["files"]) and "onnx" in d["backends"]


@pytest.mark.parametrize(
    ("hailort", "ok", "reason"),
    [("4.23.0", True, ""), ("4.24.1", True, ""), ("4.20.0", False, "hailort_too_old"),
     ("5.1.0", False, "hailort_too_new")],
)  # fmt: skip
def test_check_pair_applies_the_pair_rule_verified_against_fake(hailort, ok, reason) -> None:
    r = cli("check-pair", "--hailo-json", json.dumps(HEF_3_33), "--hailort", hailort,
            no_numpy=True)  # fmt: skip
    v = json.loads(r.stdout)
    assert (r.returncode == 0, v["ok"], v["reason"]) == (ok, ok, reason), r.stderr
    if not ok:
        assert v["message"] and v["message"] in r.stderr


def test_check_pair_passes_an_artifact_without_hef_or_range(art: Path) -> None:
    assert cli("check-pair", str(art), "--hailort", "4.20.0").returncode == 0
    old = json.dumps({"dfc_version": "3.33.0"})  # before the pair table: nothing refused
    assert cli("check-pair", "--hailo-json", old, "--hailort", "4.20.0").returncode == 0


def test_golden_reader_checks_shapes_against_each_other_and_the_manifest(
    art: Path, tmp_path: Path
) -> None:
    manifest = json.loads((art / MANIFEST).read_text())
    g = read_golden(art, manifest)
    assert g.x.shape[1:] == (manifest["input"]["window"], len(manifest["input"]["channels"]))
    bad = tmp_path / "short.npz"
    np.savez(bad, x=g.x, latent=g.latent[:-1], motif_scores=g.motif_scores)
    with pytest.raises(ArtifactError, match="inconsistent shapes"):
        read_golden(bad)
    np.savez(bad, x=g.x[:, :50], latent=g.latent, motif_scores=g.motif_scores)
    with pytest.raises(ArtifactError, match="does not match its manifest: window 50"):
        read_golden(bad, manifest)
    np.savez(bad, x=g.x, latent=g.latent)
    with pytest.raises(ArtifactError, match="lacks array motif_scores"):
        read_golden(bad)
