"""`make compile-wheelhouse COMPILE_PYTHON_VERSION=3.10` takes the 3.10 toolchain lock (Ubuntu
22.04's python3).

onnxruntime 1.32.0 and matplotlib 3.11.2 publish no cp310 wheel, so the toolchain requirements
give 3.10 older pins through environment markers, and locks/compile-cp310.txt is resolved for 3.10
(scripts/lock.py: uv evaluates the markers for --python-version, where pip would evaluate them for
the Python running it, pypa/pip#11198). COMPILE_RESOLVE_ONLY=1 prints the lock's packages: no
network, nothing written. Before the markers the 3.10 toolchain failed with "No matching
distribution found for onnxruntime==1.32.0".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _resolve(python_version: str, out: Path) -> str:
    env = dict(os.environ, COMPILE_RESOLVE_ONLY="1", COMPILE_PYTHON_VERSION=python_version,
               COMPILE_WHEELHOUSE=str(out), PY=sys.executable)  # fmt: skip
    p = subprocess.run(["bash", "scripts/compile-wheelhouse.sh"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    return p.stdout


def test_the_python_310_toolchain_resolves_with_its_own_onnxruntime(tmp_path: Path) -> None:
    out = tmp_path / "wheelhouse"
    text = _resolve("3.10", out)
    line = next(
        x for x in text.splitlines() if "Python 3.10 (locks/compile-cp310.txt) resolves" in x
    )
    pins = set(line.split("packages:", 1)[1].split())
    assert {"onnxruntime==1.23.2", "matplotlib==3.10.9", "numpy==1.26.4"} <= pins
    assert any(p.startswith("torch==2.13.0") for p in pins), pins
    assert not out.exists(), "a resolve-only run must write no wheelhouse"


def test_a_python_without_a_toolchain_lock_is_refused_naming_the_fix(tmp_path: Path) -> None:
    env = dict(os.environ, COMPILE_RESOLVE_ONLY="1", COMPILE_PYTHON_VERSION="3.9",
               COMPILE_WHEELHOUSE=str(tmp_path / "w"), PY=sys.executable)  # fmt: skip
    p = subprocess.run(["bash", "scripts/compile-wheelhouse.sh"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert p.returncode == 1
    assert "no toolchain lock for Python 3.9 (locks/compile-cp39.txt)" in p.stderr
    assert "make lock" in p.stderr
