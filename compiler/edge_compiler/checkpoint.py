"""Import trained PyTorch weights (a .pt/.pth checkpoint) into the Hailo-friendly TCNEncoder.

Two layouts are understood (a wrapper dict with "state_dict" / "model_state_dict" / "model" is
unwrapped first):
- this repository's own: the TCNEncoder state_dict (`blocks.<i>.conv1.conv.weight`, ...,
  `fc_mu.weight` [64, 256, 1, 1]), loaded as is;
- the original TCN-VAE (prior-art.md section 1): `...network.<i>.conv1.weight_g/weight_v`
  (weight-norm, old `weight_g/weight_v` or new `parametrizations.weight.original0/1` names,
  folded here: w = g * v / ||v|| per output channel), `...conv2...`,
  `...downsample.weight/bias`, and `fc_mu.weight` [64, 256] (Linear). Other heads (fc_logvar,
  decoder, classifier) are ignored. A TemporalConvNet-only state_dict has no fc_mu: refused.

The rewrite of the original layout is proven like the ONNX import: the original Conv1d network
(pad + chomp, run here in PyTorch from the checkpoint's own tensors) against the TCNEncoder on
the import windows, latent cosine >= 0.99999 and allclose, or the build fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from edge_models.config import ExportConfig
from edge_models.synthetic import generate
from edge_models.tcn import TCNEncoder

from .parity import ONNX_TOLERANCE, Comparison, compare
from .reference import tail_for, torch_latent

IMPORT_WINDOWS = 512
IMPORT_SEED = 3_000_019
_ORIGINAL = re.compile(
    r"(?:^|\.)network\.(\d+)\.(?:net\.)?(conv1|conv2|downsample)\.(weight|weight_g|weight_v|bias)$"
)


class CheckpointError(Exception):
    """The checkpoint is not a TCN encoder this importer understands; the message says why."""


def _unwrap(obj: Any, path: Path) -> dict[str, torch.Tensor]:
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(
            f"{path}: not a state_dict (a dict of tensors, possibly under 'state_dict'); save "
            "the model with torch.save(model.state_dict(), path)"
        )
    out = {}
    for k, v in obj.items():  # DataParallel prefix; new-style weight_norm parametrization names
        k = k.removeprefix("module.")
        k = k.replace(".parametrizations.weight.original0", ".weight_g")
        k = k.replace(".parametrizations.weight.original1", ".weight_v")
        out[k] = v.detach().cpu().float()
    return out


def load_state(path: Path) -> dict[str, torch.Tensor]:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise CheckpointError(
            f"{path}: torch.load failed ({type(exc).__name__}: {exc}); is it a PyTorch "
            "checkpoint saved with torch.save?"
        ) from exc
    return _unwrap(obj, path)


def _fold(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """weight_norm (dim=0): w = g * v / ||v||, the norm over every dim but the first."""
    norm = v.flatten(1).norm(dim=1).reshape(-1, *([1] * (v.dim() - 1)))
    return g.reshape(norm.shape) * v / norm


def original_to_encoder(sd: dict[str, torch.Tensor], cfg: ExportConfig) -> dict:
    """The original TCN-VAE layout -> (Conv1d weights per block, fc_mu) in plain tensors."""
    parts: dict[tuple[int, str], dict[str, torch.Tensor]] = {}
    for key, t in sd.items():
        m = _ORIGINAL.search(key)
        if m and not key.startswith(("decoder", "fc_logvar")):
            parts.setdefault((int(m.group(1)), m.group(2)), {})[m.group(3)] = t
    blocks: list[dict[str, tuple[torch.Tensor, torch.Tensor]]] = []
    for i in range(len(cfg.widths)):
        block = {}
        for role in ("conv1", "conv2", "downsample"):
            p = parts.get((i, role))
            if not p or "bias" not in p:
                raise CheckpointError(
                    f"no weights for network.{i}.{role} (weight or weight_g/weight_v, and bias)"
                )
            if "weight" in p:
                w = p["weight"]
            elif "weight_g" in p and "weight_v" in p:
                w = _fold(p["weight_g"], p["weight_v"])
            else:
                raise CheckpointError(f"network.{i}.{role}: weight_g without weight_v (or back)")
            if w.dim() != 3:
                raise CheckpointError(f"network.{i}.{role}.weight: Conv1d [O, I, k], got {w.shape}")
            block[role] = (w, p["bias"])
        blocks.append(block)
    fc = [k for k in sd if k.endswith("fc_mu.weight")]
    if not fc:
        raise CheckpointError(
            "the checkpoint has no fc_mu: a TemporalConvNet-only state_dict (like the published "
            "tcn_encoder_for_edgeinfer.pth) cannot make a latent; pass the full TCN-VAE "
            "checkpoint, or import the EdgeInfer ONNX instead (--from-onnx)"
        )
    prefix = fc[0].removesuffix("weight")
    return {"blocks": blocks, "fc_mu": (sd[prefix + "weight"], sd[prefix + "bias"])}


def original_forward(parts: dict, cfg: ExportConfig, x_nct: torch.Tensor) -> torch.Tensor:
    """The original network as trained: Conv1d with symmetric padding (k-1)d, then chomp."""
    h = x_nct
    for d, block in zip(cfg.dilations, parts["blocks"]):
        pad = (cfg.kernel_size - 1) * d
        out = h
        for role in ("conv1", "conv2"):
            w, b = block[role]
            out = F.conv1d(out, w, b, padding=pad, dilation=d)[..., :-pad]
            out = F.relu(out)
        w, b = block["downsample"]
        h = F.relu(out + F.conv1d(h, w, b))
    w, b = parts["fc_mu"]
    return F.linear(h.mean(dim=-1), w, b)


def _encoder_state(parts: dict) -> dict[str, torch.Tensor]:
    sd: dict[str, torch.Tensor] = {}
    for i, block in enumerate(parts["blocks"]):
        for role, (w, b) in block.items():
            key = f"blocks.{i}.downsample" if role == "downsample" else f"blocks.{i}.{role}.conv"
            sd[f"{key}.weight"] = w.unsqueeze(2).contiguous()  # [O, I, k] -> [O, I, 1, k]
            sd[f"{key}.bias"] = b
    w, b = parts["fc_mu"]
    sd["fc_mu.weight"] = w.reshape(w.shape[0], w.shape[1], 1, 1).contiguous()
    sd["fc_mu.bias"] = b
    return sd


def import_checkpoint(
    path: Path, cfg: ExportConfig
) -> tuple[TCNEncoder, Comparison | None, dict[str, Any]]:
    """Checkpoint -> TCNEncoder (+ the rewrite gate for the original layout) and a report."""
    sd = load_state(path)
    model = TCNEncoder.from_config(cfg)
    own = model.state_dict()
    report: dict[str, Any] = {"checkpoint": path.name}
    if set(own) <= set(sd):  # this repository's layout
        try:
            model.load_state_dict({k: sd[k] for k in own}, strict=True)
        except RuntimeError as exc:
            raise CheckpointError(
                f"{path}: a TCNEncoder state_dict whose shapes do not match "
                f"export_config.yaml's encoder settings: {exc}"
            ) from exc
        report["layout"] = "tcn-encoder"
        return model.eval(), None, report
    parts = original_to_encoder(sd, cfg)
    try:
        model.load_state_dict(_encoder_state(parts), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{path}: original TCN-VAE weights whose shapes do not match export_config.yaml's "
            f"encoder (widths {cfg.widths}, kernel {cfg.kernel_size}): {exc}"
        ) from exc
    model.eval()
    tail = tail_for(cfg)
    x, _ = generate(IMPORT_WINDOWS, IMPORT_SEED, cfg.window, cfg.sample_rate_hz)
    x_nct = torch.from_numpy(tail.prepare(x, "NCHW")).squeeze(2)  # normalized (N, C, T)
    with torch.no_grad():
        ref = original_forward(parts, cfg, x_nct).numpy()
    ours = torch_latent(model, tail.prepare(x, "NCHW"))
    name = "import_torch_vs_original_checkpoint"
    comp = compare(name, ref, np.asarray(ours), tail, ONNX_TOLERANCE)
    report.update(
        layout="original-tcn-vae",
        windows=IMPORT_WINDOWS,
        latent_min_cosine=float(comp.cosine.min()),
        latent_max_abs=comp.max_abs,
        passed=not comp.failures,
    )
    return model, comp, report
