"""The build fails (and publishes nothing) when a gate fails; rebuilds are content-addressed."""

from __future__ import annotations

import hashlib

import numpy as np
import onnx
import pytest
from edge_compiler import build as build_mod
from edge_compiler import recipes
from edge_compiler.build import BuildError, build_artifact
from onnx import numpy_helper

QUIET = {"log": lambda _m: None}


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_corrupted_cpu_onnx_weights_fail_the_parity_gate(tmp_path, monkeypatch):
    real = build_mod.ex.export_onnx

    def corrupt(model, cfg, dynamic_batch):
        data = real(model, cfg, dynamic_batch)
        if not dynamic_batch:
            return data
        m = onnx.load_from_string(data)
        init = next(i for i in m.graph.initializer if i.name == "blocks.2.conv2.conv.weight")
        w = numpy_helper.to_array(init).copy()
        w[0] += 0.5  # one corrupted filter
        init.CopyFrom(numpy_helper.from_array(w, init.name))
        return m.SerializeToString()

    monkeypatch.setattr(build_mod.ex, "export_onnx", corrupt)
    inputs, make = recipes.untrained(seed=11)
    with pytest.raises(BuildError, match="onnx_cpu_vs_torch: latent min cosine"):
        build_artifact(inputs, make, tmp_path, **QUIET)
    model_dir = tmp_path / "tcn-vae-encoder"
    names = sorted(p.name for p in model_dir.iterdir())
    assert len(names) == 1 and names[0].endswith(".failed"), names  # nothing publishable
    assert (model_dir / names[0] / "parity.json").is_file()


def test_same_inputs_give_identical_files_and_version(tmp_path):
    inputs, make = recipes.untrained(seed=5)
    a = build_artifact(inputs, make, tmp_path / "a", **QUIET)
    b = build_artifact(inputs, make, tmp_path / "b", **QUIET)
    assert a.version == b.version and not a.skipped
    for name in (
        "encoder_accel.onnx",
        "encoder_cpu.onnx",
        "golden.npz",
        "calibration.npy",
        "parity.json",
        "parity.png",
        "export_config.yaml",
    ):
        assert _sha(a.path / name) == _sha(b.path / name), name
    again = build_artifact(inputs, make, tmp_path / "a", **QUIET)
    assert again.skipped and again.path == a.path
    other, make2 = recipes.untrained(seed=6)
    assert build_artifact(other, make2, tmp_path / "a", **QUIET).version != a.version


def test_default_recipe_is_deterministic(tmp_path):
    """Two short trainings (3 steps) with one seed: identical ONNX and golden bytes."""
    shas = []
    for sub in ("x", "y"):
        inputs, make = recipes.default(seed=0, steps=3, progress=False)
        res = build_artifact(inputs, make, tmp_path / sub, **QUIET)
        shas.append([_sha(res.path / f) for f in ("encoder_accel.onnx", "golden.npz")])
    assert shas[0] == shas[1]
    g = np.load(res.path / "golden.npz")
    assert np.isfinite(g["latent"]).all()
