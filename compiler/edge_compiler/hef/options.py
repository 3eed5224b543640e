"""The HEF options of `python -m edge_compiler compile-hef` and of the compile pipeline."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from .dfc import HEF_MODES, HW_ARCHS, HefOptions
from .gate import Thresholds
from .script import PRECISION_MODES, ScriptOptions


def hw_archs(text: str) -> tuple[str, ...]:
    """`hailo8l,hailo8` -> ("hailo8l", "hailo8"): each once, each a known architecture."""
    archs = tuple(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    bad = [a for a in archs if a not in HW_ARCHS]
    if not archs or bad:
        raise argparse.ArgumentTypeError(
            f"--hw-arch {text!r}: give one or more of {', '.join(HW_ARCHS)}, comma-separated"
        )
    return archs


def add_hef_arguments(p: argparse.ArgumentParser) -> None:
    """The HEF options, shared with any command that wants to offer the DFC step."""
    g = p.add_argument_group("Hailo HEF (Dataflow Compiler)")
    g.add_argument(
        "--hef",
        choices=HEF_MODES,
        default="auto",
        help="auto: build when the DFC is installed; require: fail without a HEF; "
        "skip: ONNX only (default auto)",
    )
    g.add_argument(
        "--hw-arch",
        type=hw_archs,
        default=("hailo8l",),
        help="comma-separated, one HEF each from the same ONNX and calibration: hailo8l HEFs run "
        "on Hailo-8 and Hailo-8L, hailo8 only on Hailo-8 (default hailo8l)",
    )
    g.add_argument("--min-cosine", type=float, default=0.99)
    g.add_argument("--min-snr-db", type=float, default=20.0)
    g.add_argument(
        "--normalization",
        choices=("chip", "host"),
        default="chip",
        help="chip: .alls normalization layer, the HEF takes raw windows",
    )
    g.add_argument("--input-precision", choices=PRECISION_MODES, default="a16_w16")
    g.add_argument("--output-precision", choices=PRECISION_MODES, default="a16_w16")
    g.add_argument("--optimization-level", type=int, default=2)
    g.add_argument("--calibset-size", type=int, default=1024)
    g.add_argument(
        "--alls-extra",
        type=Path,
        action="append",
        default=[],
        help="a file of extra .alls lines appended to the generated script",
    )
    g.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="user-recorded raw windows (N, 100, 9) .npy for optimize (default: the artifact's "
        "calibration.npy, from the synthetic generator)",
    )
    g.add_argument("--work-dir", type=Path, default=None)
    g.add_argument(
        "--no-escalate",
        action="store_true",
        help="do not retry a HEF that fails the gate with every layer at a16_w16",
    )
    g.add_argument("--force", action="store_true", help="rebuild even when up to date")
    g.add_argument(
        "--target-hailort",
        default="",
        help="the HailoRT version the fleet runs (e.g. 4.20.0): the DFC must be the one Hailo "
        "ships with it (edge_artifact/hailo_pairs.json); empty: not checked",
    )
    g.add_argument(
        "--allow-unpaired-dfc",
        action="store_true",
        help="build even when the DFC and --target-hailort are not a pair Hailo ships together",
    )


def options_per_arch(a: argparse.Namespace) -> list[HefOptions]:
    """One HefOptions per --hw-arch architecture (the same ONNX, calibration and gate)."""
    first = options_from_args(a)
    return [replace(first, hw_arch=arch) for arch in a.hw_arch]


def options_from_args(a: argparse.Namespace) -> HefOptions:
    extra: list[str] = []
    for f in a.alls_extra:
        extra += f.read_text().splitlines()
    return HefOptions(
        hw_arch=a.hw_arch[0],
        mode=a.hef,
        thresholds=Thresholds(a.min_cosine, a.min_snr_db),
        script=ScriptOptions(
            normalization_on_chip=a.normalization == "chip",
            input_precision=a.input_precision,
            output_precision=a.output_precision,
            optimization_level=a.optimization_level,
            calibset_size=a.calibset_size,
            extra_lines=tuple(extra),
        ),
        work_dir=a.work_dir,
        force=a.force,
        calibration=a.calibration,
        escalate=not a.no_escalate,
        target_hailort=a.target_hailort,
        allow_unpaired=a.allow_unpaired_dfc,
    )
