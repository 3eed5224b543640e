"""What compile.yml runs on the GPU server: build the ONNX artifact, add the HEF, write a report.

    python -m edge_compiler.hef.pipeline --source default|untrained|onnx|checkpoint
        [--onnx PATH] [--checkpoint PATH]
        --out ARTIFACTS [--export-config PATH] [HEF options of `compile-hef`]

1. the ONNX artifact build, as `python -m edge_compiler build` (content-addressed: it skips
   when the same inputs already produced a valid artifact);
2. the DFC step (edge_compiler.hef.dfc): a parity-checked encoder.hef, or a plain statement of why
   none was built;
3. compile_report.json/.md into the artifact folder when anything changed.
The last stdout line is a JSON summary: artifact path, model, version, changed, hef status.
Exit codes as `compile-hef` (0 ok, 2 HEF failed parity, 3 HEF required but absent, 1 error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from edge_artifact import Manifest
from edge_artifact.sections import HAILO_ARCHS

from .. import recipes
from ..build import BuildError, build_artifact
from ..checkpoint import CheckpointError
from ..importer import ImportError_
from .dfc import DfcError, HefOptions, HefResult, compile_hef, update_manifest
from .options import add_hef_arguments, options_per_arch
from .report import REPORT_JSON, build_report, write_report


def build(args: argparse.Namespace) -> tuple[Path, dict]:
    """The content-addressed ONNX artifact build (it is skipped when the same inputs already
    produced a valid artifact) -> (artifact folder, build facts for the report)."""
    if args.source in ("onnx", "checkpoint"):
        given = args.onnx if args.source == "onnx" else args.checkpoint
        if given is None:
            what = (
                "(the original EdgeInfer ONNX)"
                if args.source == "onnx"
                else "(a .pt/.pth state_dict)"
            )
            raise DfcError(f"--source {args.source} needs --{args.source} PATH {what}")
    else:
        given = None
    torch.set_num_threads(2)
    seed = 0 if args.seed is None else args.seed
    inputs, make = recipes.for_source(args.source, given, seed, args.steps, progress=False)
    print(f"pipeline: build --source {args.source} --out {args.out}", flush=True)
    res = build_artifact(
        inputs, make, args.out, args.export_config, log=lambda s: print(s, flush=True)
    )
    return res.path, {"skipped": res.skipped, "seconds": round(res.seconds, 2)}


ORDER = ("rejected", "unavailable", "skipped", "built", "up-to-date")  # worst first


def compile_hefs(art: Path, per_arch: list[HefOptions]) -> list[HefResult]:
    """One HEF per architecture from the same artifact (ONNX, calibration, golden windows)."""
    return [compile_hef(art, opts, log=lambda s: print(s, flush=True)) for opts in per_arch]


def combined(results: list[HefResult]) -> dict:
    """The DFC step's outcome over every architecture, as one HefResult dict (the report's and
    the summary's `hef`): the worst status, each architecture's reason, the primary's parity
    (hailo8l when built: it runs on every device), and `hefs` per architecture."""
    by_arch = {r.hw_arch: r for r in results}
    primary = next((by_arch[a] for a in HAILO_ARCHS if a in by_arch), results[0])
    out = primary.as_dict()
    out["status"] = min((r.status for r in results), key=ORDER.index)
    out["reason"] = "; ".join(f"{r.hw_arch}: {r.reason}" for r in results)
    out["hw_arch"] = ",".join(r.hw_arch for r in results)
    out["failures"] = [f"{r.hw_arch}: {f}" for r in results for f in r.failures]
    out["hefs"] = {r.hw_arch: {"status": r.status, "reason": r.reason, "parity": r.parity,
                               "dfc_version": r.dfc_version} for r in results}  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m edge_compiler.hef.pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--source", choices=recipes.SOURCES, default="default")
    p.add_argument("--onnx", type=Path, default=None, help="with --source onnx")
    p.add_argument("--checkpoint", type=Path, default=None, help="with --source checkpoint")
    p.add_argument("--out", type=Path, default=Path("artifacts"))
    p.add_argument("--export-config", type=Path, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    add_hef_arguments(p)
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    try:
        per_arch = options_per_arch(a)
        art, build_info = build(a)
        results = compile_hefs(art, per_arch)
    except (DfcError, BuildError, CheckpointError, ImportError_, ValueError, OSError) as exc:
        print(f"pipeline: error: {exc}", file=sys.stderr)
        print(json.dumps({"status": "error", "reason": str(exc)}))
        return 1
    res = combined(results)
    print(f"pipeline: HEF {res['status']}: {res['reason']}", flush=True)
    changed = (not build_info["skipped"]) or any(r.status == "built" for r in results)
    report_missing = not (art / REPORT_JSON).is_file()
    if changed or report_missing:
        manifest = Manifest.read(art)
        names = write_report(art, build_report(manifest, art, build_info, res))
        files = manifest.files
        files.update({n: {} for n in names})
        update_manifest(art, {"files": files})
        changed = True
    return _summarize(
        art, build_info, changed, res, max(r.exit_code(per_arch[0].mode) for r in results)
    )


def _summarize(art: Path, build_info: dict, changed: bool, res: dict, code: int) -> int:
    """Print the summary (the last stdout line is its JSON) and the error the exit code means."""
    manifest = Manifest.read(art)
    summary = {
        "artifact": str(art),
        "model": manifest.name,
        "version": manifest.version,
        "changed": changed,
        "build_skipped": build_info["skipped"],
        "hef": res["status"],
        "hef_reason": res["reason"],
        "hw_arch": res["hw_arch"],
        "hefs": res["hefs"],
        "parity_hailo": res["parity"],
        "files": sorted(manifest.files),
    }
    print(
        f"pipeline: summary: {summary['model']} {summary['version']} "
        f"({'changed' if changed else 'unchanged'}), {len(summary['files'])} files, "
        f"HEF {res['status']} ({res['hw_arch']})",
        flush=True,
    )
    if code == 3:
        print(
            f"pipeline: error: --hef require, and no HEF was built: {res['reason']}",
            file=sys.stderr,
        )
    elif code == 2:
        print(f"pipeline: error: {res['reason']}", file=sys.stderr)
    print(json.dumps(summary, sort_keys=True))
    return code


if __name__ == "__main__":
    sys.exit(main())
