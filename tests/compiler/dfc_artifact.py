"""A small artifact folder with the real contract, for the DFC tests (no torch, ~1 s to build).

Same interface as the encoder's (docs/artifact.md): encoder_accel.onnx takes (1, 9, 1, 100)
normalized NCHW and returns the latent (1, 64, 1, 1); a causal TCN of two residual blocks with
explicit left Pad, Conv (1,3) dilated, Relu, Add, GlobalAveragePool and a 1x1 Conv head;
golden.npz holds raw windows and their float latents; calibration.npy is (N, 1, 100, 9)
normalized NHWC; manifest.json lists sha256 of every file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

MEAN = [0.12, -0.08, 9.78, 0.002, -0.001, 0.003, 22.4, -8.7, 43.2]
STD = [3.92, 3.87, 2.45, 1.24, 1.31, 0.98, 28.5, 31.2, 24.8]
CHANNELS = ["ax", "ay", "az", "gx", "gy", "gz", "mx", "my", "mz"]
UNITS = ["m/s^2"] * 3 + ["rad/s"] * 3 + ["uT"] * 3


def raw_windows(n: int, seed: int) -> np.ndarray:
    """Plausible raw IMU windows (N, 100, 9): oscillations around each channel's mean."""
    rng = np.random.default_rng(seed)
    t = np.arange(100) / 100.0
    mean, std = np.asarray(MEAN), np.asarray(STD)
    f = rng.uniform(0.5, 3.0, (n, 1, 1))
    amp = rng.uniform(0.0, 1.2, (n, 1, 9))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 9))
    x = amp * np.sin(2 * np.pi * f * t[None, :, None] + phase)
    x += 0.3 * rng.standard_normal((n, 100, 9))
    return (mean + std * x).astype(np.float32)


def tcn_onnx(path: Path, seed: int = 0, widths: tuple[int, ...] = (16, 32)) -> None:
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def conv(x: str, cin: int, cout: int, k: int, d: int, tag: str) -> str:
        w = rng.standard_normal((cout, cin, 1, k)).astype(np.float32) * np.sqrt(2.0 / (cin * k))
        b = (0.05 * rng.standard_normal(cout)).astype(np.float32)
        src = x
        if k > 1:
            pads = const(f"{tag}_pads", np.array([0, 0, 0, (k - 1) * d, 0, 0, 0, 0], np.int64))
            nodes.append(helper.make_node("Pad", [x, pads], [f"{tag}_p"], name=f"/{tag}/Pad"))
            src = f"{tag}_p"
        nodes.append(
            helper.make_node(
                "Conv",
                [src, const(f"{tag}_w", w), const(f"{tag}_b", b)],
                [f"{tag}_y"],
                name=f"/{tag}/Conv",
                kernel_shape=[1, k],
                dilations=[1, d],
            )
        )
        return f"{tag}_y"

    def relu(x: str, tag: str) -> str:
        nodes.append(helper.make_node("Relu", [x], [f"{tag}_r"], name=f"/{tag}/Relu"))
        return f"{tag}_r"

    x, cin = "imu_nchw", 9
    for i, (w, d) in enumerate(zip(widths, (1, 2, 4))):
        h = relu(conv(x, cin, w, 3, d, f"b{i}c1"), f"b{i}c1")
        h = relu(conv(h, w, w, 3, d, f"b{i}c2"), f"b{i}c2")
        r = conv(x, cin, w, 1, 1, f"b{i}down")
        nodes.append(helper.make_node("Add", [h, r], [f"b{i}_sum"], name=f"/b{i}/Add"))
        x, cin = relu(f"b{i}_sum", f"b{i}out"), w
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="/pool/GAP"))
    w = rng.standard_normal((64, cin, 1, 1)).astype(np.float32) * np.sqrt(1.0 / cin)
    nodes.append(
        helper.make_node(
            "Conv",
            ["pooled", const("fc_w", w), const("fc_b", np.zeros(64, np.float32))],
            ["latent"],
            name="/fc_mu/Conv",
            kernel_shape=[1, 1],
        )
    )
    g = helper.make_graph(
        nodes,
        "tcn",
        [helper.make_tensor_value_info("imu_nchw", TensorProto.FLOAT, [1, 9, 1, 100])],
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, [1, 64, 1, 1])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def run_onnx(path: Path, x_raw: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    xn = (x_raw - np.asarray(MEAN, np.float32)) / np.asarray(STD, np.float32)
    xn = xn.transpose(0, 2, 1)[:, :, None, :].astype(np.float32)
    return np.concatenate(
        [sess.run(["latent"], {"imu_nchw": xn[i : i + 1]})[0] for i in range(len(xn))]
    ).reshape(len(xn), 64)


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def build_artifact(root: Path, n_calib: int = 1024, n_golden: int = 64, seed: int = 0) -> Path:
    """Write artifacts/<model>/<version>/ under root and return that folder."""
    d = root / "tcn-vae-encoder" / "0.0.0-test"
    d.mkdir(parents=True)
    tcn_onnx(d / "encoder_accel.onnx", seed)
    gold = raw_windows(n_golden, seed + 1)
    lat = run_onnx(d / "encoder_accel.onnx", gold)
    protos = np.random.default_rng(seed + 2).standard_normal((12, 64)).astype(np.float32)
    np.savez(
        d / "golden.npz", x=gold, latent=lat, motif_scores=np.zeros((n_golden, 12), np.float32)
    )
    cal = raw_windows(n_calib, seed + 3)
    cal = (cal - np.asarray(MEAN, np.float32)) / np.asarray(STD, np.float32)
    np.save(d / "calibration.npy", cal.reshape(n_calib, 1, 100, 9).astype(np.float32))
    (d / "export_config.yaml").write_text("schema: 1\n")
    files = {
        n: {"sha256": sha(d / n), "bytes": (d / n).stat().st_size}
        for n in ("encoder_accel.onnx", "golden.npz", "calibration.npy", "export_config.yaml")
    }
    manifest = {
        "schema": 1,
        "model": {"name": "tcn-vae-encoder", "version": "0.0.0-test"},
        "created_utc": "2026-11-28T07:00:00Z",
        "inputs_sha256": "0" * 64,
        "export_config_sha256": files["export_config.yaml"]["sha256"],
        "input": {"window": 100, "channels": CHANNELS, "units": UNITS, "sample_rate_hz": 100},
        "normalization": {"mean": MEAN, "std": STD},
        "latent_dim": 64,
        "motifs": {
            "count": 12,
            "definition": "(1 + cos(latent, p_k)) / 2",
            "prototypes": protos.tolist(),
        },
        "files": files,
        "backends": {
            "onnx": {
                "file": "encoder_accel.onnx",
                "input": "imu_nchw",
                "output": "latent",
                "layout": "NCHW",
                "normalization_on_chip": False,
            }
        },
        "tolerance": {"onnx": {"min_cosine": 0.99999, "rtol": 1e-3, "atol": 1e-5}},
        "parity": {"onnx": {"min_cosine": 1.0, "max_abs": 0.0}},
        "source": {"kind": "test", "sha256": "0" * 64},
        "tools": {"python": "3.11"},
    }
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return d
