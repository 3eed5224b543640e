"""python -m edge_compiler {build,check-onnx,compile-hef} (see docs/model.md, docs/compile.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from edge_models.labelled import DatasetError

from . import recipes
from .build import BuildError, build_artifact
from .checkpoint import CheckpointError
from .compat import CompatError, NotOnnxError, OnnxMissingError, check_onnx
from .hef.dfc import DfcError, HefOptions, compile_hef
from .hef.options import add_hef_arguments, options_per_arch
from .importer import ImportError_


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
        "--labelled",
        type=Path,
        default=None,
        metavar="DIR",
        help="default recipe: also train on this labelled-windows dataset (docs/telemetry.md)",
    )
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
    h = sub.add_parser("compile-hef", help="add a parity-checked encoder.hef to an artifact")
    h.add_argument("artifact", type=Path, help="an artifacts/<model>/<version>/ folder")
    add_hef_arguments(h)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.cmd == "check-onnx":
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
        try:
            per_arch = options_per_arch(args)
        except (ValueError, OSError) as exc:
            parser.error(str(exc))
        return max([compile_hef_command(args.artifact, opts) for opts in per_arch])

    torch.set_num_threads(2)
    for given in (args.from_onnx, args.from_checkpoint):
        if given is not None and not given.is_file():
            print(f"build: {given} not found", file=sys.stderr)
            return 2
    source = "onnx" if args.from_onnx else "checkpoint" if args.from_checkpoint else args.recipe
    try:
        inputs, make = recipes.for_source(
            source, args.from_onnx or args.from_checkpoint, args.seed, args.steps,
            not args.no_progress, args.labelled,
        )  # fmt: skip
    except (DatasetError, ValueError) as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 2
    try:
        res = build_artifact(inputs, make, args.out, args.export_config, args.force)
    except (BuildError, CheckpointError, ImportError_, DatasetError) as exc:
        print(f"build: FAILED: {exc}", file=sys.stderr)
        return 1
    print(res.path)
    return 0


def compile_hef_command(artifact: Path, opts: HefOptions) -> int:
    """`compile-hef`: exit 0 built, up to date or none needed, 2 failed the gate, 3 --hef
    require without a HEF, 1 any other error; the last line printed is a JSON summary."""
    try:
        res = compile_hef(artifact, opts, log=lambda s: print(s, flush=True))
    except (DfcError, ValueError, OSError) as exc:
        print(f"dfc: error: {exc}", file=sys.stderr)
        print(json.dumps({"status": "error", "reason": str(exc)}))
        return 1
    print(f"dfc: {res.status}: {res.reason}", flush=True)
    if res.parity:
        p = res.parity
        print(
            f"dfc: parity min cosine {p['min_cosine']:.5f}, min SNR {p['min_snr_db']:.1f} dB "
            f"over {p['windows']} golden windows",
            flush=True,
        )
    code = res.exit_code(opts.mode)
    if code == 3:
        print("dfc: error: --hef require, and no HEF is in the artifact", file=sys.stderr)
    print(json.dumps(res.as_dict(), sort_keys=True))
    return code
