"""Where an artifact's weights come from: untrained (seeded), default (seeded training), import."""

from __future__ import annotations

from pathlib import Path

from edge_models.config import ExportConfig
from edge_models.tcn import seeded_encoder

from .build import Recipe, Weights
from .files import sha256_bytes
from .versioning import state_dict_sha256


def untrained(seed: int) -> tuple[dict, Recipe]:
    """Randomly initialised (seeded) weights: a complete, valid artifact in seconds (tests)."""
    inputs = {"name": "untrained", "seed": seed}

    def make(cfg: ExportConfig) -> Weights:
        model = seeded_encoder(cfg, seed)
        return Weights(model, "untrained", inputs, state_dict_sha256(model))

    return inputs, make


def default(seed: int, steps: int | None = None, progress: bool = True) -> tuple[dict, Recipe]:
    """Brief seeded training on the synthetic IMU generator (edge_models.train)."""
    from edge_models.train import DEFAULT_RECIPE, train_default

    params = dict(DEFAULT_RECIPE)
    if steps is not None:
        params["steps"] = steps
    inputs = {"name": "default", "seed": seed, **params}

    def make(cfg: ExportConfig) -> Weights:
        model, stats = train_default(cfg, seed=seed, progress=progress, **params)
        return Weights(
            model, "synthetic-default", {**inputs, "final": stats}, state_dict_sha256(model)
        )

    return inputs, make


def from_onnx(path: Path, seed: int = 0) -> tuple[dict, Recipe]:
    """Import the original EdgeInfer ONNX, gated on latent cosine vs that ONNX in ORT."""
    from .importer import import_edgeinfer_onnx

    data = Path(path).read_bytes()
    inputs = {"name": "import-onnx", "onnx_sha256": sha256_bytes(data), "seed": seed}

    def make(cfg: ExportConfig) -> Weights:
        model, comp, report = import_edgeinfer_onnx(Path(path), cfg)
        return Weights(
            model,
            "import-onnx",
            {**inputs, "file": Path(path).name},
            inputs["onnx_sha256"],
            extra_checks=[comp],
            extra_report={"import": report},
        )

    return inputs, make


def from_checkpoint(path: Path, seed: int = 0) -> tuple[dict, Recipe]:
    """Trained PyTorch weights (.pt/.pth state_dict): this repo's TCNEncoder layout, or the
    original TCN-VAE layout (weight-norm folded, gated on latent cosine vs the original)."""
    from .checkpoint import import_checkpoint

    data = Path(path).read_bytes()
    inputs = {"name": "checkpoint", "checkpoint_sha256": sha256_bytes(data), "seed": seed}

    def make(cfg: ExportConfig) -> Weights:
        model, comp, report = import_checkpoint(Path(path), cfg)
        return Weights(
            model,
            "checkpoint",
            {**inputs, "file": Path(path).name, "layout": report["layout"]},
            inputs["checkpoint_sha256"],
            extra_checks=[comp] if comp is not None else [],
            extra_report={"import": report},
        )

    return inputs, make
