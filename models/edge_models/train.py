"""The default recipe: brief, seeded, deterministic training on the synthetic IMU generator.

Objective (a small VAE plus an activity head, all heads training-only):
- encoder = TCNEncoder (the exported graph); mu = fc_mu(features), logvar = a 1x1 Conv head;
- z = mu + eps * exp(logvar / 2); a light decoder Linear(64 -> 9 * 20) reconstructs the
  normalized window average-pooled to 20 steps (MSE);
- KL(q(z|x) || N(0, I)) with weight `beta`;
- an activity classifier Linear(64 -> len(ACTIVITIES)) on mu (cross-entropy), so the latent
  separates the synthetic activities the motif prototypes later cluster.
Deterministic: fixed seeds for data, init, dropout and batches; 2 threads;
torch.use_deterministic_algorithms(True). Only the encoder is kept.

Labelled windows from the fleet (edge_models.labelled, the dataset docs/telemetry.md describes):
each batch gets `labelled_per_batch` of them beside the synthetic ones, under the same three
terms, so their labels reach the encoder through the activity head. Why the encoder and not the
motif prototypes: the prototypes are unsupervised k-means centres (12, not one per behaviour)
refit from calibration latents at every build anyway, so labels have nothing to fit there; what
a label can improve is the latent itself (rare behaviours the generator under-represents pulled
apart), which is what a downstream classifier on the latents sees. Without labelled windows the
run is bit-identical to before.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from .config import ExportConfig
from .labelled import LabelledWindows
from .synthetic import ACTIVITIES, generate
from .tcn import TCNEncoder

DEFAULT_RECIPE: dict = {
    "steps": 300,
    "batch": 32,
    "lr": 2e-3,
    "train_windows": 4096,
    "beta": 1e-3,
    "recon_steps": 20,
    "threads": 2,
}


class _TrainingHeads(nn.Module):
    def __init__(self, cfg: ExportConfig, recon_steps: int) -> None:
        super().__init__()
        self.fc_logvar = nn.Conv2d(cfg.widths[-1], cfg.latent_dim, 1)
        self.decoder = nn.Sequential(
            nn.Linear(cfg.latent_dim, 128), nn.ReLU(), nn.Linear(128, cfg.n_channels * recon_steps)
        )
        self.classifier = nn.Linear(cfg.latent_dim, len(ACTIVITIES))


def train_default(
    cfg: ExportConfig,
    seed: int = 0,
    steps: int = 300,
    batch: int = 32,
    lr: float = 2e-3,
    train_windows: int = 4096,
    beta: float = 1e-3,
    recon_steps: int = 20,
    threads: int = 2,
    progress: bool = True,
    labelled: LabelledWindows | None = None,
    labelled_per_batch: int = 8,
    init_state: dict | None = None,
) -> tuple[TCNEncoder, dict]:
    """Train the encoder (with `labelled` windows mixed into every batch when given); returns it
    in eval mode and the final loss figures (rounded). `init_state` (an encoder state_dict):
    fine-tune from those weights (the training heads start fresh) instead of a seeded init."""
    prev_threads = torch.get_num_threads()
    prev_det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(
            cfg, seed, steps, batch, lr, train_windows, beta, recon_steps, progress,
            labelled, labelled_per_batch, init_state,
        )  # fmt: skip
    finally:
        torch.set_num_threads(prev_threads)
        torch.use_deterministic_algorithms(prev_det)


def _train(
    cfg: ExportConfig,
    seed: int,
    steps: int,
    batch: int,
    lr: float,
    train_windows: int,
    beta: float,
    recon_steps: int,
    progress: bool,
    labelled: LabelledWindows | None = None,
    labelled_per_batch: int = 8,
    init_state: dict | None = None,
) -> tuple[TCNEncoder, dict]:
    x, y = generate(train_windows, seed, cfg.window, cfg.sample_rate_hz)
    n_syn = len(x)
    if labelled is not None:
        x = np.concatenate([x, labelled.x.astype(np.float32)])
        y = np.concatenate([y, labelled.y.astype(y.dtype)])
    mean = np.asarray(cfg.mean, np.float32)
    std = np.asarray(cfg.std, np.float32)
    xn = ((x - mean) / std).astype(np.float32)  # same z-score as the host tail
    x_nchw = torch.from_numpy(np.ascontiguousarray(xn.transpose(0, 2, 1)[:, :, None, :]))
    labels = torch.from_numpy(y)
    pool = cfg.window // recon_steps
    target = x_nchw[:, :, 0, : pool * recon_steps].reshape(
        len(xn), cfg.n_channels, recon_steps, pool
    )
    target = target.mean(-1).reshape(len(xn), -1)

    torch.manual_seed(seed)
    enc = TCNEncoder.from_config(cfg)
    if init_state is not None:
        enc.load_state_dict(init_state)
    heads = _TrainingHeads(cfg, recon_steps)
    params = list(enc.parameters()) + list(heads.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    gen = torch.Generator().manual_seed(seed + 1)
    enc.train()
    heads.train()
    stats: dict = {}
    bar = tqdm(range(steps), desc="train default", unit="step", disable=not progress)
    for _ in bar:
        idx = torch.randint(0, n_syn, (batch,), generator=gen)
        if labelled is not None:
            lab = torch.randint(n_syn, len(xn), (labelled_per_batch,), generator=gen)
            idx = torch.cat([idx, lab])
        xb = x_nchw[idx]
        feats = enc.features(xb)
        mu = enc.fc_mu(feats).flatten(1)
        logvar = heads.fc_logvar(feats).flatten(1).clamp(-8, 8)
        z = mu + torch.randn(mu.shape, generator=gen) * torch.exp(0.5 * logvar)
        recon = F.mse_loss(heads.decoder(z), target[idx])
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1))
        ce = F.cross_entropy(heads.classifier(mu), labels[idx])
        loss = recon + beta * kl + ce
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        sched.step()
        stats = {"loss": loss.item(), "recon": recon.item(), "kl": kl.item(), "ce": ce.item()}
        bar.set_postfix(loss=f"{stats['loss']:.3f}", ce=f"{stats['ce']:.3f}")
    enc.eval()
    heads.eval()
    with torch.no_grad():  # accuracy of the activity head on held-out synthetic windows
        xv, yv = generate(1024, seed + 7, cfg.window, cfg.sample_rate_hz)
        xv = torch.from_numpy(
            ((xv - mean) / std).astype(np.float32).transpose(0, 2, 1)[:, :, None, :].copy()
        )
        pred = heads.classifier(enc(xv).flatten(1)).argmax(1).numpy()
        stats["heldout_activity_accuracy"] = float((pred == yv).mean())
        if labelled is not None:  # on the labelled windows themselves (they were trained on)
            xl = x_nchw[n_syn:]
            pred_l = heads.classifier(enc(xl).flatten(1)).argmax(1).numpy()
            stats["labelled_windows"] = len(xl)
            stats["labelled_train_accuracy"] = float((pred_l == y[n_syn:]).mean())
    return enc, {k: round(float(v), 5) for k, v in stats.items()}
