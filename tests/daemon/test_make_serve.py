"""`make serve`: the newest *complete* artifact (never a *.failed/ folder) and the real port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _newest(root: Path) -> str:
    r = subprocess.run(
        ["bash", str(ROOT / "scripts/newest-artifact.sh"), str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    return r.stdout.strip()


def _folder(root: Path, name: str, mtime: int, manifest: bool = True) -> Path:
    d = root / "tcn" / name
    d.mkdir(parents=True)
    if manifest:  # edge_artifact's rule: the newest manifest.json (written last) wins
        (d / "manifest.json").write_text("{}")
        os.utime(d / "manifest.json", (mtime, mtime))
    os.utime(d, (mtime, mtime))
    return d


def test_newest_artifact_skips_failed_tmp_and_incomplete_folders(tmp_path):
    assert _newest(tmp_path) == ""
    _folder(tmp_path, "v1", 1_000)
    _folder(tmp_path, "v2", 2_000)
    _folder(tmp_path, "v3.failed", 3_000)
    _folder(tmp_path, ".v4.tmp", 4_000)
    _folder(tmp_path, "v5", 5_000, manifest=False)
    assert _newest(tmp_path) == f"{tmp_path}/tcn/v2"


def test_make_serve_names_the_configured_port_and_a_complete_artifact(tmp_path, tiny_artifact):
    arts = tmp_path / "artifacts"
    good = arts / "tcn" / "v1"
    shutil.copytree(tiny_artifact, good)
    failed = _folder(arts, "v2.failed", 2_000_000_000)
    os.utime(good / "manifest.json", (1_000, 1_000))
    with socket.socket() as busy:  # the daemon then stops with "cannot listen" (exit 4)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAILO_INFERENCE_")}
        env["HAILO_INFERENCE_SERVER_PORT"] = str(port)
        r = subprocess.run(
            ["make", "-s", "-o", "setup-dev", "serve", f"ARTIFACTS={arts}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    first = r.stdout.splitlines()[0]
    assert f"serve: {good} on http://127.0.0.1:{port} " in first, r.stdout + r.stderr
    assert str(failed) not in r.stdout and ":9000" not in first
