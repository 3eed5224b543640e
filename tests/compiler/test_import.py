"""Importing the original EdgeInfer ONNX: the rewrite is exact (latent cosine >= 0.99999)."""

from __future__ import annotations

import json

import pytest
import torch
from edge_artifact import load_artifact
from edge_compiler import importer, recipes
from edge_compiler.build import BuildError, build_artifact
from edge_compiler.compat import check_onnx

QUIET = {"log": lambda _m: None}


def test_import_passes_the_gate_against_onnx_runtime(edgeinfer_onnx, tmp_path):
    inputs, make = recipes.from_onnx(edgeinfer_onnx)
    res = build_artifact(inputs, make, tmp_path, **QUIET)
    art = load_artifact(res.path)
    assert art.manifest["source"]["kind"] == "import-onnx"
    parity = json.loads((res.path / "parity.json").read_text())
    gate = parity["comparisons"]["import_torch_vs_original_onnx"]
    assert gate["windows"] >= 256 and gate["latent_min_cosine"] >= 0.99999
    assert gate["latent_allclose"] and gate["passed"]
    check_onnx(res.path / "encoder_accel.onnx")


def test_a_wrong_weight_mapping_fails_the_import_gate(edgeinfer_onnx, tmp_path, monkeypatch):
    real = importer.read_edgeinfer_weights

    def swapped(model, cfg):  # e.g. conv1/conv2 of block 1 mixed up by a bad importer
        sd = real(model, cfg)
        w = sd["blocks.1.conv2.conv.weight"]
        sd["blocks.1.conv2.conv.weight"] = torch.flip(w, dims=[3])  # kernel taps reversed
        return sd

    monkeypatch.setattr(importer, "read_edgeinfer_weights", swapped)
    inputs, make = recipes.from_onnx(edgeinfer_onnx)
    with pytest.raises(BuildError, match="import_torch_vs_original_onnx"):
        build_artifact(inputs, make, tmp_path, **QUIET)
