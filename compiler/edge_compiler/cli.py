"""python -m edge_compiler {build,check-onnx} (see docs/model.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m edge_compiler", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="weights -> artifacts/<model>/<version>/")
    src = b.add_mutually_exclusive_group()
    src.add_argument("--recipe", choices=["untrained", "default"], default="default")
    src.add_argument(
        "--from-onnx", type=Path, metavar="PATH", help="import the original EdgeInfer ONNX"
    )
    src.add_argument(
        "--from-checkpoint",
        type=Path,
        metavar="PATH",
        help="trained PyTorch weights (.pt/.pth state_dict; docs/model.md)",
    )
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--steps", type=int, default=None, help="default recipe: training steps")
    b.add_argument(
        "--out", type=Path, default=Path("artifacts"), help="artifacts root (default: artifacts)"
    )
    b.add_argument(
        "--export-config", type=Path, default=None, help="default: models/export_config.yaml"
    )
    b.add_argument("--force", action="store_true", help="rebuild even if this version exists")
    b.add_argument("--no-progress", action="store_true")
    c = sub.add_parser(
        "check-onnx",
        help="Hailo compatibility check of an accelerator ONNX",
        description="Hailo compatibility check of an accelerator ONNX (docs/compile.md). "
        "Exit codes: 0 compatible, 1 not Hailo-parser-friendly (offending nodes named), "
        "2 file missing or unreadable, 3 not an ONNX model.",
    )
    c.add_argument("file", type=Path, help="the .onnx file to check")
    from .dfc_cli import add_hef_arguments  # the DFC step (docs/compile.md)

    h = sub.add_parser("compile-hef", help="add a parity-checked encoder.hef to an artifact")
    h.add_argument("artifact", type=Path, help="an artifacts/<model>/<version>/ folder")
    add_hef_arguments(h)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "check-onnx":
        from .compat import CompatError, NotOnnxError, OnnxMissingError, check_onnx

        try:
            check_onnx(args.file)
        except OnnxMissingError as exc:
            print(f"check-onnx: {exc}", file=sys.stderr)
            return 2
        except NotOnnxError as exc:
            print(f"check-onnx: {exc}", file=sys.stderr)
            return 3
        except CompatError as exc:
            print(f"check-onnx: FAIL: {exc}", file=sys.stderr)
            return 1
        print(f"check-onnx: OK: {args.file} uses only Hailo-parser-friendly ops and static shapes")
        return 0

    if args.cmd == "compile-hef":
        from .dfc_cli import options_from_args, run

        return run(args.artifact, options_from_args(args))

    from . import recipes
    from .build import BuildError, build_artifact
    from .checkpoint import CheckpointError
    from .importer import ImportError_

    torch.set_num_threads(2)
    for given in (args.from_onnx, args.from_checkpoint):
        if given is not None and not given.is_file():
            print(f"build: {given} not found", file=sys.stderr)
            return 2
    if args.from_onnx is not None:
        inputs, make = recipes.from_onnx(args.from_onnx, args.seed)
    elif args.from_checkpoint is not None:
        inputs, make = recipes.from_checkpoint(args.from_checkpoint, args.seed)
    elif args.recipe == "untrained":
        inputs, make = recipes.untrained(args.seed)
    else:
        inputs, make = recipes.default(args.seed, args.steps, progress=not args.no_progress)
    try:
        res = build_artifact(inputs, make, args.out, args.export_config, args.force)
    except (BuildError, CheckpointError, ImportError_) as exc:
        print(f"build: FAILED: {exc}", file=sys.stderr)
        return 1
    print(res.path)
    return 0
