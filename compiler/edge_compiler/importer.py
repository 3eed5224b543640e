"""Import the original EdgeInfer encoder ONNX into the Hailo-friendly TCNEncoder.

The original graph (prior-art.md section 1): Transpose -> per block [Conv1d k=3 with symmetric
pads (k-1)d + Slice chomp, Relu] x2, 1x1 Conv1d downsample, Add, Relu -> GlobalAveragePool ->
Squeeze -> Gemm (fc_mu). Weight-norm is already folded. Mapping:
Conv1d weight [O, I, k] -> Conv2d [O, I, 1, k]; Gemm weight [64, 256] (transB=1) -> 1x1 Conv
[64, 256, 1, 1]. The rewrite is proven by a gate: latent cosine >= 0.99999 (min over the
windows) and allclose against the original run in ONNX Runtime, window by window (its input
is (1, 100, 9) already normalized, batch 1 static).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import torch
from edge_models.config import ExportConfig
from edge_models.synthetic import generate
from edge_models.tcn import TCNEncoder
from onnx import numpy_helper

from .parity import ONNX_TOLERANCE, Comparison, compare, run_onnx
from .reference import tail_for, torch_latent

IMPORT_WINDOWS = 512  # >= 256 required
IMPORT_SEED = 3_000_017

_CONV = re.compile(r"network\.(\d+)/(?:net/)?(conv1|conv2|downsample)/Conv")


class ImportError_(Exception):
    """The ONNX file is not the EdgeInfer TCN encoder this importer understands."""


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def read_edgeinfer_weights(model: onnx.ModelProto, cfg: ExportConfig) -> dict[str, torch.Tensor]:
    """state_dict for TCNEncoder from the original graph (by node names, checked by shape)."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    sd: dict[str, torch.Tensor] = {}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    if len(convs) != 3 * len(cfg.widths) or len(gemms) != 1:
        raise ImportError_(
            f"expected {3 * len(cfg.widths)} Conv and 1 Gemm nodes (EdgeInfer TCN encoder), got "
            f"{len(convs)} Conv and {len(gemms)} Gemm: is this the right file?"
        )
    for idx, node in enumerate(convs):
        m = _CONV.search(node.name)
        if m:
            block, role = int(m.group(1)), m.group(2)
        else:  # unnamed export: the exporter's order is conv1, conv2, downsample per block
            block, role = divmod(idx, 3)[0], ("conv1", "conv2", "downsample")[idx % 3]
        a = _attrs(node)
        w = inits[node.input[1]]
        b = inits[node.input[2]] if len(node.input) > 2 else np.zeros(w.shape[0], np.float32)
        d = cfg.dilations[block]
        if role == "downsample":
            key = f"blocks.{block}.downsample"
        else:
            key = f"blocks.{block}.{role}.conv"
            want_pads = [(cfg.kernel_size - 1) * d] * 2
            if list(a.get("dilations", [1])) != [d] or list(a.get("pads", [])) != want_pads:
                raise ImportError_(
                    f"{node.name}: dilation/pads {a.get('dilations')}/{a.get('pads')} differ from "
                    f"the causal TCN ({d}/{want_pads}); check export_config.yaml encoder settings"
                )
        sd[f"{key}.weight"] = torch.from_numpy(
            w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]).copy()
        )
        sd[f"{key}.bias"] = torch.from_numpy(b.copy())
    g = gemms[0]
    ga = _attrs(g)
    w = inits[g.input[1]]
    if not ga.get("transB", 0):
        w = w.T
    sd["fc_mu.weight"] = torch.from_numpy(
        np.array(w, dtype=np.float32).reshape(w.shape[0], w.shape[1], 1, 1)
    )
    sd["fc_mu.bias"] = torch.from_numpy(inits[g.input[2]].copy())
    return sd


def import_edgeinfer_onnx(path: Path, cfg: ExportConfig) -> tuple[TCNEncoder, Comparison, dict]:
    """Load the weights, then gate: our PyTorch model vs the original in ORT, >= 256 windows."""
    try:
        original = onnx.load(str(path))
    except Exception as exc:  # protobuf raises DecodeError and friends for a bad file
        raise ImportError_(
            f"{path}: not a readable ONNX model ({type(exc).__name__}: {exc}); pass the "
            "original EdgeInfer encoder .onnx"
        ) from exc
    model = TCNEncoder.from_config(cfg)
    sd = read_edgeinfer_weights(original, cfg)
    missing = set(model.state_dict()) - set(sd)
    if missing:
        raise ImportError_(f"{path}: no weights found for {sorted(missing)}")
    model.load_state_dict(sd, strict=True)
    model.eval()

    tail = tail_for(cfg)
    x, _ = generate(IMPORT_WINDOWS, IMPORT_SEED, cfg.window, cfg.sample_rate_hz)
    x_ntc = tail.prepare(x, "NHWC").reshape(len(x), cfg.window, cfg.n_channels)  # normalized
    ref = run_onnx(path, np.ascontiguousarray(x_ntc), batch_one=True)
    ours = torch_latent(model, tail.prepare(x, "NCHW"))
    # the prototypes are irrelevant to the latent gate; motif parity is gated in the build
    comp = compare("import_torch_vs_original_onnx", ref, ours, tail, ONNX_TOLERANCE)
    report = {
        "original_onnx": path.name,
        "windows": IMPORT_WINDOWS,
        "latent_min_cosine": float(comp.cosine.min()),
        "latent_max_abs": comp.max_abs,
        "passed": not comp.failures,
    }
    return model, comp, report
