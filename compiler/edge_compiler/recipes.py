"""Where an artifact's weights come from: untrained (seeded), default (seeded training), import."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edge_models.config import ExportConfig
from edge_models.tcn import seeded_encoder

from .build import Recipe, Weights
from .checkpoint import import_checkpoint
from .importer import import_edgeinfer_onnx
from .reproducible import sha256_bytes
from .versioning import state_dict_sha256

SOURCES = ("default", "untrained", "onnx", "checkpoint")


def untrained(seed: int) -> tuple[dict, Recipe]:
    """Randomly initialised (seeded) weights: a complete, valid artifact in seconds (tests)."""
    inputs = {"name": "untrained", "seed": seed}

    def make(cfg: ExportConfig) -> Weights:
        model = seeded_encoder(cfg, seed)
        return Weights(model, "untrained", inputs, state_dict_sha256(model))

    return inputs, make


def default(
    seed: int, steps: int | None = None, progress: bool = True, labelled: Path | None = None
) -> tuple[dict, Recipe]:
    """Brief seeded training on the synthetic IMU generator (edge_models.train); with
    `labelled` (a labelled-windows dataset folder, docs/telemetry.md) its windows join every
    batch and its sha256 joins the inputs (so the artifact version) and the manifest."""
    from edge_models.labelled import load_labelled
    from edge_models.train import DEFAULT_RECIPE, train_default

    params = dict(DEFAULT_RECIPE)
    if steps is not None:
        params["steps"] = steps
    inputs = {"name": "default", "seed": seed, **params}
    data = None
    if labelled is not None:
        data = load_labelled(Path(labelled))
        inputs["labelled"] = {"dataset_sha256": data.sha256, "windows": len(data.y),
                              "left_out": data.left_out, "per_batch": 8}  # fmt: skip

    def make(cfg: ExportConfig) -> Weights:
        if data is not None and data.x.shape[1] != cfg.window:
            raise ValueError(
                f"{labelled}: windows of {data.x.shape[1]}, the model's are {cfg.window}"
            )
        extra = {} if data is None else {"labelled": data, "labelled_per_batch": 8}
        model, stats = train_default(cfg, seed=seed, progress=progress, **params, **extra)
        return Weights(
            model, "synthetic-default", {**inputs, "final": stats}, state_dict_sha256(model)
        )

    return inputs, make


def _imported(path: Path, seed: int, kind: str, sha_key: str, importer: Callable) -> tuple:
    """A recipe whose weights come from a file; its sha256 addresses the artifact version."""
    inputs = {"name": kind, sha_key: sha256_bytes(Path(path).read_bytes()), "seed": seed}

    def make(cfg: ExportConfig) -> Weights:
        model, comp, report = importer(Path(path), cfg)
        recipe = {**inputs, "file": Path(path).name}
        if "layout" in report:
            recipe["layout"] = report["layout"]
        return Weights(
            model,
            kind,
            recipe,
            inputs[sha_key],
            extra_checks=[comp] if comp is not None else [],
            extra_report={"import": report},
        )

    return inputs, make


def from_onnx(path: Path, seed: int = 0) -> tuple[dict, Recipe]:
    """Import the original EdgeInfer ONNX, gated on latent cosine vs that ONNX in ORT."""
    return _imported(path, seed, "import-onnx", "onnx_sha256", import_edgeinfer_onnx)


def from_checkpoint(path: Path, seed: int = 0) -> tuple[dict, Recipe]:
    """Trained PyTorch weights (.pt/.pth state_dict): this repo's TCNEncoder layout, or the
    original TCN-VAE layout (weight-norm folded, gated on latent cosine vs the original)."""
    return _imported(path, seed, "checkpoint", "checkpoint_sha256", import_checkpoint)


def for_source(
    source: str,
    path: Path | None,
    seed: int,
    steps: int | None = None,
    progress: bool = True,
    labelled: Path | None = None,
) -> tuple[dict, Recipe]:
    """The recipe for `source` (one of SOURCES); onnx and checkpoint read the file at `path`;
    `labelled` (a labelled-windows dataset folder) only with the default recipe."""
    if labelled is not None and source != "default":
        raise ValueError(f"--labelled trains with the default recipe, not with {source}")
    if source in ("onnx", "checkpoint"):
        if path is None or not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such file (the {source} to build from)")
        return (from_onnx if source == "onnx" else from_checkpoint)(Path(path), seed)
    if source == "untrained":
        return untrained(seed)
    if source == "default":
        return default(seed, steps, progress=progress, labelled=labelled)
    raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
