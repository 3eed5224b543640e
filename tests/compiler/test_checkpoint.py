"""Building an artifact from trained PyTorch weights (`build --from-checkpoint`).

The original layout is exercised with an independent re-implementation of the original TCN-VAE
encoder (prior-art.md section 1: weight_norm Conv1d, pad + Chomp1d, 1x1 residual, average pool,
Linear fc_mu), so the import is checked against a different code path than its own gate.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from edge_compiler import recipes
from edge_compiler.build import build_artifact
from edge_compiler.checkpoint import CheckpointError, _fold, import_checkpoint
from edge_compiler.reference import tail_for, torch_latent
from edge_models.config import load_export_config
from edge_models.synthetic import generate
from edge_models.tcn import seeded_encoder
from torch import nn
from torch.nn.utils import weight_norm
from torch.nn.utils.parametrizations import weight_norm as weight_norm_new

CFG = load_export_config(None)
# the original code used the old torch.nn.utils.weight_norm (weight_g / weight_v in its files)
pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm.*is deprecated:FutureWarning")


class Chomp1d(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, : -self.n].contiguous()


class OrigBlock(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, d: int) -> None:
        super().__init__()
        pad = (k - 1) * d
        self.conv1 = weight_norm(nn.Conv1d(cin, cout, k, padding=pad, dilation=d))
        self.conv2 = weight_norm(nn.Conv1d(cout, cout, k, padding=pad, dilation=d))
        self.chomp = Chomp1d(pad)
        self.downsample = nn.Conv1d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.chomp(self.conv1(x)))
        out = torch.relu(self.chomp(self.conv2(out)))
        return torch.relu(out + self.downsample(x))


class OrigTCN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cin, layers = CFG.n_channels, []
        for w, d in zip(CFG.widths, CFG.dilations):
            layers.append(OrigBlock(cin, w, CFG.kernel_size, d))
            cin = w
        self.network = nn.Sequential(*layers)


class OrigVAE(nn.Module):
    """The parts of the original TCN-VAE a checkpoint holds (+ an unused fc_logvar head)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1234)
        self.tcn = OrigTCN()
        self.fc_mu = nn.Linear(CFG.widths[-1], CFG.latent_dim)
        self.fc_logvar = nn.Linear(CFG.widths[-1], CFG.latent_dim)
        with torch.no_grad():  # weight_g away from its init (= ||v||) so the fold matters
            for m in self.modules():
                if hasattr(m, "weight_g"):
                    m.weight_g.mul_(torch.rand_like(m.weight_g) + 0.5)

    def forward(self, x_nct: torch.Tensor) -> torch.Tensor:
        return self.fc_mu(self.tcn.network(x_nct).mean(dim=-1))


def windows(n: int = 64) -> np.ndarray:
    x, _ = generate(n, 7, CFG.window, CFG.sample_rate_hz)
    return tail_for(CFG).prepare(x, "NCHW")  # normalized (N, C, 1, T)


def test_weight_norm_fold_matches_torch():
    conv = weight_norm(nn.Conv1d(4, 6, 3))
    with torch.no_grad():
        conv.weight_g.mul_(3.0)
    conv(torch.zeros(1, 4, 5))  # the hook recomputes .weight
    got = _fold(conv.weight_g.detach(), conv.weight_v.detach())
    assert torch.allclose(got, conv.weight.detach(), atol=1e-6)


def test_original_tcn_vae_checkpoint_reproduces_the_original_model(tmp_path: Path):
    orig = OrigVAE().eval()
    path = tmp_path / "best_tcn_vae.pth"
    torch.save({"epoch": 40, "model_state_dict": orig.state_dict()}, path)
    model, comp, report = import_checkpoint(path, CFG)
    assert report["layout"] == "original-tcn-vae" and report["passed"], report
    x = windows()
    with torch.no_grad():
        want = orig(torch.from_numpy(x).squeeze(2)).numpy()
    got = torch_latent(model, x)
    cos = (want * got).sum(1) / (np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1))
    assert cos.min() >= 0.99999, cos.min()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5)
    assert comp is not None and comp.cosine.min() >= 0.99999


def test_repo_layout_checkpoint_builds_the_same_latents_as_the_model(tmp_path: Path):
    model = seeded_encoder(CFG, 5)
    path = tmp_path / "encoder.pt"
    torch.save(model.state_dict(), path)
    inputs, make = recipes.from_checkpoint(path)
    res = build_artifact(inputs, make, tmp_path / "artifacts", log=lambda _m: None)
    manifest = json.loads((res.path / "manifest.json").read_text())
    assert manifest["source"]["kind"] == "checkpoint", manifest["source"]
    golden = np.load(res.path / "golden.npz")
    x = tail_for(CFG).prepare(golden["x"], "NCHW")
    np.testing.assert_allclose(golden["latent"], torch_latent(model, x), rtol=1e-4, atol=1e-5)


def test_tcn_only_state_dict_is_refused_naming_fc_mu(tmp_path: Path):
    path = tmp_path / "tcn_encoder_for_edgeinfer.pth"
    torch.save(OrigVAE().tcn.state_dict(), path)  # like the published file: no fc_mu
    with pytest.raises(CheckpointError, match="no fc_mu"):
        import_checkpoint(path, CFG)


def test_wrong_widths_are_refused_with_the_config_named(tmp_path: Path):
    sd = OrigVAE().state_dict()
    sd["fc_mu.weight"] = torch.zeros(CFG.latent_dim, 128)
    path = tmp_path / "bad.pth"
    torch.save(sd, path)
    with pytest.raises(CheckpointError, match=r"export_config\.yaml"):
        import_checkpoint(path, CFG)


@pytest.mark.parametrize("flag", ["--from-checkpoint", "--from-onnx"])
def test_cli_reports_a_garbage_file_cleanly(tmp_path: Path, flag: str):
    bad = tmp_path / "garbage.bin"
    bad.write_bytes(b"not a model at all")
    r = subprocess.run(
        [sys.executable, "-m", "edge_compiler", "build", flag, str(bad), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("build: FAILED:") and "Traceback" not in r.stderr, r.stderr
    assert str(bad) in r.stderr


def test_new_style_weight_norm_names_are_understood(tmp_path: Path):
    orig = OrigVAE().eval()
    sd = {}
    for k, v in orig.state_dict().items():
        sd[k.replace(".weight_g", ".parametrizations.weight.original0").replace(
            ".weight_v", ".parametrizations.weight.original1")] = v  # fmt: skip
    path = tmp_path / "new.pth"
    torch.save(sd, path)
    _model, comp, report = import_checkpoint(path, CFG)
    assert report["layout"] == "original-tcn-vae" and comp is not None and not comp.failures
    conv = weight_norm_new(nn.Conv1d(2, 3, 3))  # the names this test assumes are torch's own
    assert "parametrizations.weight.original0" in conv.state_dict()
