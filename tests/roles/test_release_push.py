"""Issue 28 item 7 (scale): the role's real release.yml through ansible-playbook on a local
stand-in host (no SSH, no lab). The artifact travels as one archive of manifest.json + the
serving files (calibration.npy stays on the controller), every file is still checked on the host
with `python -m edge_artifact verify`, a release that changes only the configuration hard-links
the previous release's files, and with a site mirror the host downloads the archive checked
against its sha256."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from local_play import ANSIBLE, ROOT, run_play
from test_file_roles import make_artifact

PLAY = """- hosts: edge
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: hailo_inference
        tasks_from: release
      vars:
        __hailo_inference_release: "{{ release }}"
        __hailo_inference_release_dir: "{{ hailo_inference_root }}/releases/{{ release }}"
        __hailo_inference_artifact_dir: "{{ artifact }}"
        __hailo_inference_manifest_sha256: "{{ lookup('ansible.builtin.file', manifest_file,
          rstrip=false) | hash('sha256') }}"
        manifest_file: "{{ artifact }}/manifest.json"
        __hailo_inference_venv_id: v1
        __hailo_inference_daemon_version: 0.1.0
        __hailo_inference_model_ref: tcn@0.1.0-x
"""

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason=".venv-ctl missing: run `make setup`")


def stand_in(tmp_path: Path, **extra: str) -> dict:
    """A local host whose release venv's python finds edge_artifact (as the wheel installs it)."""
    root = tmp_path / "opt"
    (root / "bin").mkdir(parents=True, exist_ok=True)  # user.yml makes it on a real host
    py = root / "venvs" / "v1" / "bin" / "python"
    py.parent.mkdir(parents=True, exist_ok=True)
    py.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT / "artifact"} exec {sys.executable} "$@"\n')
    py.chmod(0o755)
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "hailo_inference_root": str(root),
        "hailo_inference_group": "root",
        "hailo_inference_push_dir": str(tmp_path / "push"),
        **extra,
    }
    return {"edge": {"hosts": {"pi": host}}}


def deploy(tmp_path: Path, inv: dict, release: str, artifact: Path) -> str:
    inv["edge"]["hosts"]["pi"].update(release=release, artifact=str(artifact))
    r = run_play(tmp_path, inv, PLAY)
    return r.stdout + r.stderr if r.returncode else ""


def test_only_the_serving_files_reach_the_host_each_verified(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "artifacts" / "tcn" / "0.1.0-x")
    inv = stand_in(tmp_path)
    assert deploy(tmp_path, inv, "r1", art) == ""
    got = sorted(p.name for p in (tmp_path / "opt/releases/r1/artifact").iterdir())
    assert got == ["encoder.hailo8l.hef", "encoder_cpu.onnx", "golden.npz", "manifest.json"]
    assert (tmp_path / "opt/releases/r1/RELEASE.json").is_file()


def test_a_config_only_release_hard_links_the_previous_files(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "artifacts" / "tcn" / "0.1.0-x")
    inv = stand_in(tmp_path)
    assert deploy(tmp_path, inv, "r1", art) == ""
    assert deploy(tmp_path, inv, "r2", art) == ""
    for name in ("golden.npz", "encoder_cpu.onnx", "manifest.json"):
        a = (tmp_path / "opt/releases/r1/artifact" / name).stat()
        b = (tmp_path / "opt/releases/r2/artifact" / name).stat()
        assert (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev), f"{name} was copied, not linked"


def test_a_changed_file_in_the_archive_is_refused_on_the_host(tmp_path: Path) -> None:
    art = make_artifact(tmp_path / "artifacts" / "tcn" / "0.1.0-x")
    inv = stand_in(tmp_path)
    from edge_artifact.pack import pack, write_archive

    info = pack(art, tmp_path / "push")
    bad = tmp_path / "bad"
    shutil.copytree(art, bad)
    (bad / "golden.npz").write_bytes(b"G" * 500)  # same size, other bytes: a transfer error
    write_archive(bad, info["files"], Path(info["path"]))
    out = deploy(tmp_path, inv, "r1", art)
    assert "REFUSED artifact tcn@0.1.0-x" in out and "golden.npz has sha256" in out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        _Quiet.seen.append(self.path)


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "mirror"
    (folder / "artifacts").mkdir(parents=True)
    handler = functools.partial(_Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    _Quiet.seen = []
    yield f"http://127.0.0.1:{srv.server_address[1]}/", folder
    srv.shutdown()


def test_with_a_mirror_the_host_downloads_the_archive_checked(
    tmp_path: Path, mirror: tuple[str, Path]
) -> None:
    url, folder = mirror
    art = make_artifact(tmp_path / "artifacts" / "tcn" / "0.1.0-x")
    from edge_artifact.pack import pack

    info = pack(art, tmp_path / "push")
    shutil.copy(info["path"], folder / "artifacts" / info["name"])
    inv = stand_in(tmp_path, hailo_inference_mirror_url=url)
    assert deploy(tmp_path, inv, "r1", art) == ""
    assert f"/artifacts/{info['name']}" in _Quiet.seen
    assert not (tmp_path / "opt/releases/r1" / info["name"]).exists()  # download removed
    with tarfile.open(info["path"]) as tar:
        assert sorted(p.name for p in (tmp_path / "opt/releases/r1/artifact").iterdir()) == sorted(
            tar.getnames()
        )
    assert json.loads((tmp_path / "opt/releases/r1/RELEASE.json").read_text())["release"] == "r1"
    # a mirror serving other bytes under the archive's name: get_url's checksum refuses them
    shutil.rmtree(tmp_path / "opt/releases")
    (folder / "artifacts" / info["name"]).write_bytes(b"stale copy")
    out = deploy(tmp_path, inv, "r1", art)
    assert "did not match" in out, out[-2000:]
