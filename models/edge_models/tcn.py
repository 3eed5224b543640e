"""The TCN-VAE encoder as the original was trained, written Hailo-friendly.

Original (prior-art.md section 1): input (B,100,9) -> transpose -> 3 TemporalBlocks
(widths 64/128/256, kernel 3, dilations 1/2/4; each [Conv1d, pad (k-1)d + Chomp1d, ReLU,
Dropout] x2, 1x1 Conv1d downsample residual in every block, ReLU(out + res)) ->
adaptive_avg_pool1d -> fc_mu Linear(256 -> 64); the served latent is mu.

Here (same arithmetic, different graph):
- activations are (N, C, 1, T); every Conv1d(k, d) is Conv2d(kernel (1, k), dilation (1, d));
- causality is an explicit LEFT zero-pad of (k-1)*d samples (an ONNX `Pad`, constant 0) followed
  by an unpadded Conv, instead of symmetric pad + Slice (Chomp1d); see docs/model.md for why a
  Pad node rather than asymmetric Conv pads;
- pooling is AdaptiveAvgPool2d(1) -> ONNX GlobalAveragePool;
- fc_mu is a 1x1 Conv2d(256 -> 64): output (N, 64, 1, 1), no Squeeze/Flatten/Gemm.
Normalization, the (N,64,1,1) -> (N,64) reshape and motif scoring run on the host
(hailo_inference.tail), identically for every backend.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ExportConfig


class CausalConv(nn.Module):
    """Left zero-pad by (k-1)*d along time, then Conv2d (1,k) with dilation (1,d), no padding."""

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.pad = nn.ZeroPad2d(((kernel - 1) * dilation, 0, 0, 0))  # (left, right, top, bottom)
        self.conv = nn.Conv2d(cin, cout, (1, kernel), dilation=(1, dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class TemporalBlock(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = CausalConv(cin, cout, kernel, dilation)
        self.conv2 = CausalConv(cout, cout, kernel, dilation)
        self.drop = nn.Dropout(dropout)
        self.downsample = nn.Conv2d(cin, cout, 1)  # the original has one in every block
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.drop(self.relu(self.conv1(x)))
        out = self.drop(self.relu(self.conv2(out)))
        return self.relu(out + self.downsample(x))


class TCNEncoder(nn.Module):
    """(N, 9, 1, 100) normalized -> latent mu (N, 64, 1, 1). The accelerator graph."""

    def __init__(
        self,
        in_channels: int = 9,
        widths: tuple[int, ...] = (64, 128, 256),
        kernel: int = 3,
        dilations: tuple[int, ...] = (1, 2, 4),
        latent_dim: int = 64,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        blocks = []
        cin = in_channels
        for w, d in zip(widths, dilations):
            blocks.append(TemporalBlock(cin, w, kernel, d, dropout))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc_mu = nn.Conv2d(cin, latent_dim, 1)

    @classmethod
    def from_config(cls, cfg: ExportConfig) -> TCNEncoder:
        return cls(
            in_channels=cfg.n_channels,
            widths=cfg.widths,
            kernel=cfg.kernel_size,
            dilations=cfg.dilations,
            latent_dim=cfg.latent_dim,
            dropout=cfg.dropout,
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features (N, 256, 1, 1) before fc_mu."""
        return self.pool(self.blocks(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_mu(self.features(x))


def seeded_encoder(cfg: ExportConfig, seed: int) -> TCNEncoder:
    """A randomly initialised encoder, identical for identical (config, seed)."""
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = TCNEncoder.from_config(cfg)
    finally:
        torch.random.set_rng_state(gen_state)
    return model.eval()
