"""The workflows' helper scripts (.github/scripts): gate summary, compile inputs, HEF gate, the
release step (immutable releases) and the ref guard of the self-hosted jobs (with a fake `gh`).
The HEF gate's inputs mirror compile_report.json/manifest.json as the DFC step writes them;
verified against a fake, not on hardware (no DFC here)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / ".github" / "scripts"


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gate_summary_reads_each_hosts_figures_and_recap():
    gs = script("gate_summary")
    fig = {"expected_model": "m@1", "backend": "onnx", "cosine": 0.9999999, "ok": True}
    msg = json.dumps(f"pi-1 serves m@1: {json.dumps(fig)}")
    log = [
        "ok: [pi-1] => {",
        f'    "msg": {msg}',
        "}",
        "PLAY RECAP *****",
        "pi-1   : ok=30 changed=2 unreachable=0 failed=0 skipped=3 rescued=0 ignored=0",
        "pi-2   : ok=10 changed=0 unreachable=0 failed=1 skipped=0 rescued=1 ignored=0",
    ]
    assert gs.gate_figures(log)["pi-1"]["backend"] == "onnx"
    md = gs.markdown(log, "t")
    assert "| pi-1 | passed | m@1 | onnx | 0.9999999 |" in md
    assert "| pi-2 | no report | - |" in md and "| 10 | 0 | 1 | 0 |" in md
    assert "No health-gate report" in gs.markdown([], "t")


def test_compile_inputs_name_what_to_set(tmp_path):
    ci = script("compile_inputs")
    env = {"DFC_WHEEL": "/secure/dfc.whl", "HW_ARCH": "hailo8l", "FETCH_DEST": str(tmp_path)}
    v = ci.compile_vars({**env, "HEF_SOURCE": "onnx:/data/enc.onnx"})
    assert v["hailo_compiler_hef"] == "require" and v["hailo_compiler_hw_archs"] == ["hailo8l"]
    both = ci.compile_vars({**env, "HW_ARCH": "hailo8l,hailo8"})
    assert both["hailo_compiler_hw_archs"] == ["hailo8l", "hailo8"]
    assert ci.compile_vars({k: v for k, v in env.items() if k != "HW_ARCH"})[
        "hailo_compiler_hw_archs"
    ] == ["hailo8l"]  # the safe default
    with pytest.raises(ci.InputError, match="hailo8l"):
        ci.compile_vars({**env, "HW_ARCH": "hailo9"})
    assert v["hailo_compiler_sources"] == [
        {"name": "enc", "kind": "onnx", "onnx": "/data/enc.onnx"}
    ]
    with pytest.raises(ci.InputError, match="variable DFC_WHEEL"):
        ci.compile_vars({**env, "DFC_WHEEL": ""})
    for bad in ("onnx:rel.onnx", "weights:/x", "default"):
        with pytest.raises(ci.InputError):
            ci.compile_vars({**env, "HEF_SOURCE": bad})


def _artifact(root: Path, cosine: float, hef: bool = True) -> Path:
    art = root / "tcn_encoder" / "1.0.0-abc"
    art.mkdir(parents=True)
    if hef:
        (art / "encoder.hailo8l.hef").write_bytes(b"fake")
    parity = {"windows": 64, "min_cosine": cosine, "min_snr_db": 25.0, "max_abs": 0.01}
    report = {"hef": {"status": "built", "hw_arch": "hailo8l", "failures": []},
              "parity": {"hailo": parity}}  # fmt: skip
    tol = {"hailo": {"min_cosine": 0.99, "min_snr_db": 20.0}}
    hefs = {"hailo8l": {"file": "encoder.hailo8l.hef", "parity": parity}}
    hailo = {"file": "encoder.hailo8l.hef", "hw_arch": "hailo8l", "hefs": hefs}
    (art / "compile_report.json").write_text(json.dumps(report))
    (art / "manifest.json").write_text(json.dumps({"tolerance": tol, "backends": {"hailo": hailo},
                                                   "parity": {"hailo": parity}}))  # fmt: skip
    return art


def test_hef_gate_passes_a_good_hef_and_refuses_below_tolerance(tmp_path):
    """Verified against a fake, not on hardware: JSON shaped like the DFC step's output."""
    hg = script("hef_gate")
    good = _artifact(tmp_path / "good", 0.995)
    summary = tmp_path / "summary.md"
    assert hg.main([str(tmp_path / "good"), "--summary", str(summary)]) == 0
    assert "min_cosine | 0.995" in summary.read_text() and hg.find_artifact(good.parents[1]) == good
    _artifact(tmp_path / "low", 0.98)
    assert hg.main([str(tmp_path / "low")]) == 1
    _artifact(tmp_path / "nohef", 0.999, hef=False)
    with pytest.raises(hg.GateError, match=r"no encoder\.hailo8l\.hef"):
        hg.check(hg.find_artifact(tmp_path / "nohef"))


def _fake_gh(tmp_path: Path, script_body: str) -> dict[str, str]:
    """A `gh` on PATH that logs its arguments to tmp_path/gh.log and runs script_body."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/usr/bin/env bash\necho "$*" >>"{tmp_path}/gh.log"\n{script_body}\n')
    gh.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "GH_REPO": "o/r"}


def _run(name: str, env: dict[str, str], *args: str, cwd: Path | None = None):
    return subprocess.run(
        ["bash", str(SCRIPTS / name), *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def _bundle(tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "enc-1.0.0.tar.gz").write_bytes(b"tgz")
    subprocess.run("sha256sum enc-1.0.0.tar.gz >enc-1.0.0.tar.gz.sha256", shell=True, cwd=out,
                   check=True)  # fmt: skip
    return out


def test_publish_release_creates_a_new_release_and_never_touches_an_existing_one(tmp_path):
    """Releases are immutable once published: a fleet may run their files (docs/ci.md)."""
    out = _bundle(tmp_path)
    base = {"BUNDLE": "enc-1.0.0", "SHA": "a" * 40, "REF_TYPE": "tag", "REF_NAME": "hef-enc-1"}
    env = {**_fake_gh(tmp_path, 'case "$1 $2" in "release view") exit 1 ;; esac'), **base}
    res = _run("publish_release.sh", env, cwd=out)
    assert res.returncode == 0, res.stderr
    log = (tmp_path / "gh.log").read_text()
    assert "release create hef-enc-1 enc-1.0.0.tar.gz enc-1.0.0.tar.gz.sha256" in log
    assert "upload" not in log and "clobber" not in log

    (tmp_path / "gh.log").unlink()
    (tmp_path / "bin" / "gh").write_text(
        f'#!/usr/bin/env bash\necho "$*" >>"{tmp_path}/gh.log"\nexit 0\n'
    )  # the release exists
    res = _run("publish_release.sh", env, cwd=out)
    assert res.returncode != 0 and "hef-enc-1" in res.stderr and "immutable" in res.stderr
    assert "create" not in (tmp_path / "gh.log").read_text()

    dispatched = {**env, "REF_TYPE": "branch", "REF_NAME": "main", "TAG_INPUT": ""}
    (tmp_path / "bin" / "gh").write_text(
        f'#!/usr/bin/env bash\necho "$*" >>"{tmp_path}/gh.log"\n[ "$2" != view ]\n'
    )
    assert _run("publish_release.sh", dispatched, cwd=out).returncode == 0
    assert "release create hef-enc-1.0.0 " in (tmp_path / "gh.log").read_text()
    (out / "enc-1.0.0.tar.gz").write_bytes(b"changed")
    assert _run("publish_release.sh", dispatched, cwd=out).returncode != 0  # sha256 mismatch


@pytest.mark.parametrize(
    ("ref", "status", "allowed", "ok"),
    [
        ("refs/heads/main", None, ["main"], True),
        ("refs/heads/feature", None, ["main"], False),
        ("refs/heads/feature", None, ["main", "hef-*"], False),
        ("refs/tags/hef-enc-1", "behind", ["main"], False),
        ("refs/tags/hef-enc-1", "ahead", ["main", "hef-*"], True),
        ("refs/tags/hef-enc-1", "identical", ["main", "hef-*"], True),
        ("refs/tags/hef-enc-1", "diverged", ["main", "hef-*"], False),
        ("refs/tags/v1.0.0", "ahead", ["main", "hef-*"], False),
        ("refs/heads/hef-x", None, ["main", "hef-*"], False),
    ],
)
def test_ref_guard_lets_only_main_and_release_tags_on_main_through(tmp_path, ref, status, allowed,
                                                                   ok):  # fmt: skip
    """A tag can point at any commit: a release tag's commit must be on main (the compare API's
    status of <sha>...main is ahead or identical)."""
    env = _fake_gh(tmp_path, f'echo "{status}"')
    env.update(GITHUB_REF=ref, GITHUB_SHA="b" * 40)
    res = _run("ref_guard.sh", env, *allowed)
    assert (res.returncode == 0) is ok, (res.stdout, res.stderr)
    if not ok:
        assert ref in res.stderr or "main" in res.stderr
    calls = (tmp_path / "gh.log").read_text() if (tmp_path / "gh.log").exists() else ""
    assert ("compare/" + "b" * 40 + "...main" in calls) is (status is not None and
                                                         ref.startswith("refs/tags/hef-") and
                                                         "hef-*" in allowed)  # fmt: skip
