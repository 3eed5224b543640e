"""Hailo compatibility check (`check-onnx`): pure graph inspection, no Hailo tools involved."""

from __future__ import annotations

import subprocess
import sys

import onnx
import pytest
from edge_compiler.compat import CompatError, check_model, check_onnx


def test_our_accelerator_graph_passes(tiny_artifact):
    check_onnx(tiny_artifact / "encoder_accel.onnx")
    ops = {n.op_type for n in onnx.load(str(tiny_artifact / "encoder_accel.onnx")).graph.node}
    assert ops == {"Pad", "Conv", "Relu", "Add", "GlobalAveragePool"}


def test_original_edgeinfer_onnx_fails_naming_the_offending_nodes(edgeinfer_onnx):
    with pytest.raises(CompatError) as e:
        check_onnx(edgeinfer_onnx)
    msg = str(e.value)
    for needle in (
        "'/Transpose' (Transpose)",
        "chomp1/Slice' (Slice)",
        "'/Squeeze' (Squeeze)",
        "'/fc_mu/Gemm' (Gemm)",
        "kernel [3]",
    ):
        assert needle in msg, needle


def test_dynamic_batch_cpu_graph_fails(tiny_artifact):
    problems = check_model(onnx.load(str(tiny_artifact / "encoder_cpu.onnx")))
    assert any("dynamic" in p.reason and p.node == "imu_nchw" for p in problems)


def test_1d_kernel_and_stride_are_named(tiny_artifact):
    m = onnx.load(str(tiny_artifact / "encoder_accel.onnx"))
    conv = next(n for n in m.graph.node if n.op_type == "Conv")
    for a in conv.attribute:
        if a.name == "strides":
            a.ints[:] = [1, 2]
    problems = check_model(m)
    assert [p.node for p in problems] == [conv.name]
    assert "strides" in problems[0].reason


def test_cli_exit_codes(tiny_artifact, edgeinfer_onnx):
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "edge_compiler",
            "check-onnx",
            str(tiny_artifact / "encoder_accel.onnx"),
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "edge_compiler", "check-onnx", str(edgeinfer_onnx)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "Transpose" in bad.stderr and "Gemm" in bad.stderr


def _check_onnx_cli(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edge_compiler", "check-onnx", str(path)],
        capture_output=True,
        text=True,
    )


def test_cli_missing_and_non_onnx_files_get_own_exit_codes_and_one_line(tmp_path):
    missing = _check_onnx_cli(tmp_path / "nope.onnx")
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"check-onnx: {tmp_path / 'nope.onnx'}: no such file"
    for name, data in (("notes.txt", b"hello world\n"), ("empty.onnx", b"")):
        f = tmp_path / name
        f.write_bytes(data)
        r = _check_onnx_cli(f)
        assert r.returncode == 3, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        assert f"{f}: not an ONNX model" in r.stderr


def test_cli_help_documents_the_exit_codes():
    r = subprocess.run(
        [sys.executable, "-m", "edge_compiler", "check-onnx", "--help"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "2 file missing or unreadable" in text and "3 not an ONNX model" in text


def test_make_model_check_without_onnx_says_onnx_path():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(
        ["make", "-s", "-o", "setup-dev", "model-check"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "make model-check ONNX=path" in r.stderr
