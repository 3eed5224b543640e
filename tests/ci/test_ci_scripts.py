"""The workflows' helper scripts (.github/scripts): gate summary, compile inputs, HEF gate.
The HEF gate's inputs mirror compile_report.json/manifest.json as the DFC step writes them;
verified against a fake, not on hardware (no DFC here)."""

from __future__ import annotations

import importlib.util
import json
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
    assert v["hailo_compiler_hef"] == "require"
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
        (art / "encoder.hef").write_bytes(b"fake")
    parity = {"windows": 64, "min_cosine": cosine, "min_snr_db": 25.0, "max_abs": 0.01}
    report = {"hef": {"status": "built", "hw_arch": "hailo8l", "failures": []},
              "parity": {"hailo": parity}}  # fmt: skip
    tol = {"hailo": {"min_cosine": 0.99, "min_snr_db": 20.0}}
    (art / "compile_report.json").write_text(json.dumps(report))
    (art / "manifest.json").write_text(json.dumps({"tolerance": tol}))
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
    with pytest.raises(hg.GateError, match=r"no encoder\.hef"):
        hg.check(hg.find_artifact(tmp_path / "nohef"))
