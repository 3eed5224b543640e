"""The default trainer fine-tunes from given encoder weights (the active-learning loop's retrain,
benchmarks/active_learning/loop.py): it starts from them, not from the seeded init."""

from __future__ import annotations

import torch
from edge_models.config import load_export_config
from edge_models.tcn import seeded_encoder
from edge_models.train import train_default

KW = {"steps": 2, "batch": 8, "train_windows": 64, "progress": False}


def _weights(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_fine_tune_starts_from_the_given_weights():
    """lr 0: the encoder comes back exactly as given (from the seeded init it would not)."""
    cfg = load_export_config()
    init = seeded_encoder(cfg, 123).state_dict()
    frozen, _ = train_default(cfg, seed=0, init_state=init, **KW | {"lr": 0.0})
    assert torch.equal(_weights(frozen), _weights(seeded_encoder(cfg, 123)))
