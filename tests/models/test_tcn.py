"""The Hailo-friendly encoder computes exactly what the original Conv1d TCN computes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from edge_models.config import load_export_config
from edge_models.tcn import TCNEncoder, seeded_encoder

CFG = load_export_config()


def original_forward(model: TCNEncoder, x_btc: torch.Tensor) -> torch.Tensor:
    """The original graph (Conv1d, symmetric pad + chomp, Linear), written from prior-art.md
    with the weights of `model` reshaped back to Conv1d/Linear."""
    h = x_btc.transpose(1, 2)
    for blk, d in zip(model.blocks, CFG.dilations):
        p = (CFG.kernel_size - 1) * d

        def conv(c, inp, d=d, p=p):
            w = c.conv.weight[:, :, 0, :]
            return F.conv1d(inp, w, c.conv.bias, padding=p, dilation=d)[:, :, :-p]

        out = F.relu(conv(blk.conv2, F.relu(conv(blk.conv1, h))))
        res = F.conv1d(h, blk.downsample.weight[:, :, 0, :], blk.downsample.bias)
        h = F.relu(out + res)
    pooled = h.mean(-1)
    return F.linear(pooled, model.fc_mu.weight[:, :, 0, 0], model.fc_mu.bias)


@torch.no_grad()
def test_rewrite_matches_conv1d_pad_chomp_linear():
    model = seeded_encoder(CFG, 3)
    x = torch.randn(16, CFG.window, CFG.n_channels)
    ours = model(x.transpose(1, 2)[:, :, None, :]).flatten(1)
    ref = original_forward(model, x)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


@torch.no_grad()
def test_causal_with_receptive_field_29():
    model = seeded_encoder(CFG, 1)
    x = torch.randn(1, CFG.n_channels, 1, CFG.window)
    base = model.blocks(x)
    y = x.clone()
    y[..., 50] += 5.0  # perturb one time step
    diff = (model.blocks(y) - base).abs().amax(dim=(0, 1, 2))
    assert diff[:50].max() == 0, "output before the perturbed step changed: not causal"
    assert diff[50:79].min() > 0, "receptive field shorter than 29 samples"
    assert diff[79:].max() == 0, "receptive field longer than 29 samples"


def test_one_downsample_per_block_and_parameter_count():
    model = TCNEncoder.from_config(CFG)
    assert all(b.downsample.weight.shape[2:] == (1, 1) for b in model.blocks)
    assert model.blocks[0].downsample.weight.shape[:2] == (64, 9)
    # the original ONNX has 441,984 parameters (prior-art.md section 1)
    assert sum(p.numel() for p in model.parameters()) == 441_984


def test_seeded_init_is_reproducible_and_seed_sensitive():
    a, b, c = seeded_encoder(CFG, 0), seeded_encoder(CFG, 0), seeded_encoder(CFG, 1)
    for (ka, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(va, vb), ka
    assert not torch.equal(a.fc_mu.weight, c.fc_mu.weight)


def test_export_config_normalization_is_edgeinfer_model_config():
    src = (
        Path(__file__).resolve().parents[3]
        / "shared/models/edgeinfer-tcn-encoder/model_config.json"
    )
    if not src.is_file():
        pytest.skip(f"EdgeInfer model_config.json not present at {src}")
    norm = json.loads(src.read_text())["normalization"]
    assert list(CFG.channels) == norm["channel_order"]
    assert CFG.mean == pytest.approx(norm["mean"], abs=1e-6)
    assert CFG.std == pytest.approx(norm["std"], abs=1e-6)
    assert CFG.window == 100 and CFG.latent_dim == 64 and CFG.motif_count == 12 and CFG.opset == 11
