"""weights -> artifacts/<model>/<version>/ (docs/artifact.md): export, gates, manifest."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from edge_artifact import ArtifactError, HostTail, Manifest, load_artifact
from edge_artifact.manifest import file_entry
from edge_artifact.names import (
    ACCEL_ONNX,
    CALIBRATION,
    CPU_ONNX,
    EXPORT_CONFIG,
    GOLDEN,
    MANIFEST,
)
from edge_artifact.sections import (
    AcceleratorGraph,
    InputSpec,
    Motifs,
    Normalization,
    OnnxBackend,
    Source,
    new_manifest,
)
from edge_models.config import ExportConfig, load_export_config
from edge_models.synthetic import generate
from edge_models.tcn import TCNEncoder

from . import export as ex
from .compat import CompatError, check_onnx
from .motifs import kmeans_prototypes
from .parity import HAILO_TOLERANCE, ONNX_TOLERANCE, Comparison, ParityError, compare, run_onnx
from .parity import write_report as write_parity
from .reference import tail_for, torch_latent
from .reproducible import save_npy, save_npz_deterministic
from .versioning import code_sha256, inputs_sha256, state_dict_sha256, tool_versions, version_of

CALIBRATION_WINDOWS = 1024
GOLDEN_WINDOWS = 256
CALIBRATION_SEED = 1_000_003  # fixed: every version is calibrated and checked on the same data
GOLDEN_SEED = 2_000_003


class BuildError(Exception):
    """The build failed; the message names the failing step and what to do."""


@dataclass
class Weights:
    """What a recipe hands to the build: the model and how it was obtained."""

    model: TCNEncoder
    kind: str  # untrained | synthetic-default | import-onnx | checkpoint
    recipe: dict
    source_sha256: str
    extra_checks: list[Comparison] = field(default_factory=list)
    extra_report: dict = field(default_factory=dict)


Recipe = Callable[[ExportConfig], Weights]


@dataclass
class BuildResult:
    path: Path
    version: str
    skipped: bool
    seconds: float


def planned_version(recipe_inputs: dict, cfg: ExportConfig) -> tuple[str, dict]:
    inputs = {
        "recipe": recipe_inputs,
        "export_config_sha256": cfg.sha256,
        "tools": tool_versions(),
        "code_sha256": code_sha256(),
        "calibration": [CALIBRATION_WINDOWS, CALIBRATION_SEED],
        "golden": [GOLDEN_WINDOWS, GOLDEN_SEED],
    }
    return version_of(inputs_sha256(inputs)), inputs


def existing_artifact(path: Path) -> bool:
    if not (path / MANIFEST).is_file():
        return False
    try:
        load_artifact(path, verify=True)
    except ArtifactError:
        return False
    return True


def build_artifact(
    recipe_inputs: dict,
    make_weights: Recipe,
    out_root: Path,
    export_config: Path | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Build (or reuse) artifacts/<model>/<version>/; raise BuildError when a gate fails."""
    t0 = time.monotonic()
    cfg = load_export_config(export_config)
    version, inputs = planned_version(recipe_inputs, cfg)
    dest = Path(out_root) / cfg.model_name / version
    if not force and existing_artifact(dest):
        log(f"edge_compiler: {dest} already built (same inputs); skipping")
        return BuildResult(dest, version, True, time.monotonic() - t0)
    weights = make_weights(cfg)
    tmp = dest.parent / f".{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        manifest = _write_artifact(tmp, cfg, weights, version, inputs, log)
    except (ParityError, CompatError) as exc:
        failed = dest.parent / f"{version}.failed"
        shutil.rmtree(failed, ignore_errors=True)
        tmp.rename(failed)
        raise BuildError(f"{exc}\n(partial output kept in {failed} for inspection)") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.monotonic() - t0
    Manifest(manifest).updated({"build_seconds": round(seconds, 2)}).write(tmp)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    log(f"edge_compiler: built {dest} in {seconds:.1f} s")
    return BuildResult(dest, version, False, seconds)


def _write_artifact(
    out: Path, cfg: ExportConfig, w: Weights, version: str, inputs: dict, log: Callable[[str], None]
) -> dict:
    model = w.model.eval()
    tail0 = tail_for(cfg)
    x_cal, _ = generate(CALIBRATION_WINDOWS, CALIBRATION_SEED, cfg.window, cfg.sample_rate_hz)
    x_gold, _ = generate(GOLDEN_WINDOWS, GOLDEN_SEED, cfg.window, cfg.sample_rate_hz)
    cal_latent = torch_latent(model, tail0.prepare(x_cal, "NCHW"))
    protos = kmeans_prototypes(cal_latent, cfg.motif_count, seed=int(w.recipe.get("seed", 0)))
    tail = tail_for(cfg, protos)

    accel, cpu = _write_onnx(out, cfg, model, log)
    ref, onnx_parity = _parity_gate(out, w, model, tail, x_gold, accel, cpu, log)
    save_npz_deterministic(
        out / GOLDEN,
        x=x_gold,
        latent=ref.astype(np.float32),
        motif_scores=tail.motif_scores(ref),
    )
    save_npy(out / CALIBRATION, tail.prepare(x_cal, "NHWC"))
    (out / EXPORT_CONFIG).write_bytes(cfg.raw_bytes)
    return _manifest(out, cfg, w, model, version, inputs, protos, onnx_parity)


def _write_onnx(
    out: Path, cfg: ExportConfig, model: TCNEncoder, log: Callable[[str], None]
) -> tuple[bytes, bytes]:
    """The accelerator graph (batch 1, checked for the Hailo DFC) and the CPU graph."""
    accel = ex.export_onnx(model, cfg, dynamic_batch=False)
    cpu = ex.export_onnx(model, cfg, dynamic_batch=True)
    (out / ACCEL_ONNX).write_bytes(accel)
    (out / CPU_ONNX).write_bytes(cpu)
    check_onnx(out / ACCEL_ONNX)
    log(f"edge_compiler: {ACCEL_ONNX} passes the Hailo compatibility check")
    return accel, cpu


def _parity_gate(
    out: Path,
    w: Weights,
    model: TCNEncoder,
    tail: HostTail,
    x_gold: np.ndarray,
    accel: bytes,
    cpu: bytes,
    log: Callable[[str], None],
) -> tuple[np.ndarray, list[dict]]:
    """Both ONNX graphs against PyTorch on the golden windows (parity.json written); raise
    ParityError on a failure -> (PyTorch golden latents, the two ONNX comparisons)."""
    g_nchw = tail.prepare(x_gold, "NCHW")
    ref = torch_latent(model, g_nchw)
    comps = [
        compare(
            "onnx_accel_vs_torch",
            ref,
            run_onnx(accel, g_nchw, batch_one=True),
            tail,
            ONNX_TOLERANCE,
        ),
        compare(
            "onnx_cpu_vs_torch", ref, run_onnx(cpu, g_nchw, batch_one=False), tail, ONNX_TOLERANCE
        ),
        *w.extra_checks,
    ]
    report = write_parity(out, comps, w.extra_report)
    failures = [f for c in comps for f in c.failures]
    if failures:
        raise ParityError("parity gate failed:\n  " + "\n  ".join(failures))
    for c in comps:
        log(
            f"edge_compiler: parity {c.name}: min cosine {c.cosine.min():.9f}, "
            f"max |d| {c.max_abs:.2e}"
        )
    return ref, [report["comparisons"][c.name] for c in comps[:2]]


def _manifest(
    out: Path,
    cfg: ExportConfig,
    w: Weights,
    model: TCNEncoder,
    version: str,
    inputs: dict,
    protos: np.ndarray,
    onnx_parity: list[dict],
) -> dict:
    """The manifest of the files now in `out` (edge_artifact.new_manifest)."""
    files = {
        p.name: file_entry(p) for p in sorted(out.iterdir()) if p.is_file() and p.name != MANIFEST
    }
    return new_manifest(
        name=cfg.model_name,
        version=version,
        created_utc=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        inputs=inputs,
        inputs_sha256=inputs_sha256(inputs),
        export_config_sha256=cfg.sha256,
        input_spec=InputSpec(cfg.window, tuple(cfg.channels), tuple(cfg.units),
                             cfg.sample_rate_hz, tuple(cfg.ranges) if cfg.ranges else None),
        normalization=Normalization(tuple(cfg.mean), tuple(cfg.std)),
        latent_dim=cfg.latent_dim,
        motifs=Motifs(cfg.motif_count, cfg.motif_definition, tuple(map(tuple, protos)),
                      f"spherical k-means (k={cfg.motif_count}) over "
                      f"{CALIBRATION_WINDOWS} calibration latents"),
        files=files,
        onnx=OnnxBackend(CPU_ONNX, cfg.accel_input_name, cfg.output_name),
        accelerator_graph=AcceleratorGraph(
            ACCEL_ONNX, cfg.accel_input_name, (1, cfg.n_channels, 1, cfg.window),
            cfg.output_name, (1, cfg.latent_dim, 1, 1), cfg.opset),
        tolerance={"onnx": ONNX_TOLERANCE, "hailo": HAILO_TOLERANCE},
        parity={"onnx": {"min_cosine": min(p["latent_min_cosine"] for p in onnx_parity),
                         "max_abs": max(p["latent_max_abs"] for p in onnx_parity)}},
        source=Source(w.kind, w.source_sha256, state_dict_sha256(model)),
        recipe=w.recipe,
        tools=tool_versions(),
        # trained with fleet labels: which labelled-windows dataset (docs/telemetry.md)
        extra=(
            {"training": {"dataset_sha256": w.recipe["labelled"]["dataset_sha256"]}}
            if "labelled" in w.recipe
            else None
        ),
    ).as_dict()  # fmt: skip
