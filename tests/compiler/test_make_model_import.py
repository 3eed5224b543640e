"""`make model-import` without a usable EDGEINFER_ONNX stops before any set-up or Python with
exit 2 and a message naming `EDGEINFER_ONNX=` and the command to run.

It runs a copy of Makefile + mk/ (no .venv, and no ../shared/ beside it, so the default file is
missing as on a fresh clone); setup-dev is not even attempted (the file is checked first)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = "run make model-import EDGEINFER_ONNX=/path/encoder.onnx"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "clone" / "repo"
    copy.mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", copy / "Makefile")
    shutil.copytree(ROOT / "mk", copy / "mk")
    (copy / "scripts").mkdir()
    # were setup-dev to run, it would leave this trace instead of setting anything up
    (copy / "scripts/setup.sh").write_text('echo SETUP-RAN "$@"\n')
    return copy


def _make(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "EDGEINFER_ONNX"}
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "model-import", *args],
        cwd=repo,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _refused(r: subprocess.CompletedProcess, *wanted: str) -> str:
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "SETUP-RAN" not in out and "edge_compiler" not in out, out
    for w in wanted:
        assert w in r.stderr, out
    return r.stderr


def test_missing_file_names_the_variable_and_the_command(repo: Path, tmp_path: Path):
    missing = tmp_path / "x.onnx"
    gone = f"EDGEINFER_ONNX={missing} does not exist"
    _refused(_make(repo, f"EDGEINFER_ONNX={missing}"), gone, RUN)
    # from the environment too
    _refused(_make(repo, env={"EDGEINFER_ONNX": str(missing)}), gone, RUN)


def test_a_folder_is_not_a_file(repo: Path, tmp_path: Path):
    _refused(_make(repo, f"EDGEINFER_ONNX={tmp_path}"), f"EDGEINFER_ONNX={tmp_path} is not a file")


def test_empty_variable_is_required(repo: Path):
    _refused(_make(repo, "EDGEINFER_ONNX="), "EDGEINFER_ONNX=<path> is required", RUN)


def test_no_variable_and_no_default_file(repo: Path):
    err = _refused(_make(repo), "no EDGEINFER_ONNX given and the default", RUN)
    assert "tcn_encoder_for_edgeinfer.onnx does not exist" in err


def test_an_existing_file_goes_on_to_setup_and_the_import(repo: Path, tmp_path: Path):
    onnx = tmp_path / "encoder.onnx"
    onnx.write_bytes(b"not checked here")
    r = subprocess.run(
        ["make", "-n", "model-import", f"EDGEINFER_ONNX={onnx}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert f'edge_compiler build --from-onnx "{onnx}"' in r.stdout
