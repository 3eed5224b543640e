"""The reference every gate compares against: the host tail of a config, PyTorch latents."""

from __future__ import annotations

import numpy as np
import torch
from edge_artifact import HostTail
from edge_models.config import ExportConfig
from edge_models.tcn import TCNEncoder


def tail_for(cfg: ExportConfig, prototypes: np.ndarray | None = None) -> HostTail:
    protos = prototypes if prototypes is not None else np.eye(cfg.motif_count, cfg.latent_dim)
    return HostTail(
        mean=np.asarray(cfg.mean, np.float32),
        std=np.asarray(cfg.std, np.float32),
        prototypes=np.asarray(protos, np.float32),
        window=cfg.window,
        channels=cfg.n_channels,
    )


@torch.no_grad()
def torch_latent(model: TCNEncoder, x_nchw: np.ndarray, batch: int = 256) -> np.ndarray:
    model.eval()
    outs = [
        model(torch.from_numpy(x_nchw[i : i + batch])).numpy() for i in range(0, len(x_nchw), batch)
    ]
    return np.concatenate(outs).reshape(len(x_nchw), -1)
