"""What compile.yml runs on the GPU server: build the ONNX artifact, add the HEF, write a report.

    python -m edge_compiler.dfc_pipeline --source default|untrained|onnx|checkpoint
        [--onnx PATH] [--checkpoint PATH]
        --out ARTIFACTS [--export-config PATH] [HEF options of `compile-hef`]

1. `python -m edge_compiler build ...` (the content-addressed build: it skips when the same
   inputs already produced a valid artifact);
2. the DFC step (edge_compiler.dfc): a parity-checked encoder.hef, or a plain statement of why
   none was built;
3. compile_report.json/.md into the artifact folder when anything changed.
The last stdout line is a JSON summary: artifact path, model, version, changed, hef status.
Exit codes as `compile-hef` (0 ok, 2 HEF failed parity, 3 HEF required but absent, 1 error).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from edge_artifact import Manifest
from edge_artifact.names import MANIFEST

from . import dfc_report
from .dfc import DfcError, compile_hef, update_manifest
from .dfc_cli import add_hef_arguments, options_from_args


def _manifest_stamps(root: Path) -> dict[str, int]:
    return {str(p.parent): p.stat().st_mtime_ns for p in root.glob(f"*/*/{MANIFEST}")}


def build(args: argparse.Namespace) -> tuple[Path, dict]:
    cmd = [sys.executable, "-m", "edge_compiler", "build", "--out", str(args.out), "--no-progress"]
    if args.source == "onnx":
        if args.onnx is None:
            raise DfcError("--source onnx needs --onnx PATH (the original EdgeInfer ONNX)")
        cmd += ["--from-onnx", str(args.onnx)]
    elif args.source == "checkpoint":
        if args.checkpoint is None:
            raise DfcError("--source checkpoint needs --checkpoint PATH (a .pt/.pth state_dict)")
        cmd += ["--from-checkpoint", str(args.checkpoint)]
    else:
        cmd += ["--recipe", args.source]
    if args.export_config:
        cmd += ["--export-config", str(args.export_config)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    if args.steps is not None:
        cmd += ["--steps", str(args.steps)]
    before = _manifest_stamps(args.out)
    print(f"pipeline: {' '.join(cmd[1:])}", flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:  # stream the build's progress
        print(line.rstrip(), flush=True)
        if line.strip():
            last = line.strip()
    rc = proc.wait()
    seconds = round(time.monotonic() - t0, 2)
    if rc != 0:
        raise DfcError(f"the ONNX artifact build failed (exit {rc}); see its output above")
    path = Path(last)
    if not (path / MANIFEST).is_file():
        raise DfcError(f"the build did not name an artifact folder (last line: {last!r})")
    stamp = (path / MANIFEST).stat().st_mtime_ns
    skipped = before.get(str(path)) == stamp
    return path, {"skipped": skipped, "seconds": seconds, "command": cmd[1:]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m edge_compiler.dfc_pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument(
        "--source", choices=("default", "untrained", "onnx", "checkpoint"), default="default"
    )
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
        opts = options_from_args(a)
        art, build_info = build(a)
        res = compile_hef(art, opts, log=lambda s: print(s, flush=True))
    except (DfcError, ValueError, OSError) as exc:
        print(f"pipeline: error: {exc}", file=sys.stderr)
        print(json.dumps({"status": "error", "reason": str(exc)}))
        return 1
    print(f"pipeline: HEF {res.status}: {res.reason}", flush=True)
    changed = (not build_info["skipped"]) or res.status == "built"
    report_missing = not (art / dfc_report.REPORT_JSON).is_file()
    if changed or report_missing:
        manifest = Manifest.read(art)
        report = dfc_report.build_report(manifest, art, build_info, res.as_dict())
        names = dfc_report.write(art, report)
        files = manifest.get("files", {})
        files.update({n: {} for n in names})
        update_manifest(art, {"files": files})
        changed = True
    manifest = Manifest.read(art)
    summary = {
        "artifact": str(art),
        "model": manifest["model"]["name"],
        "version": manifest["model"]["version"],
        "changed": changed,
        "build_skipped": build_info["skipped"],
        "hef": res.status,
        "hef_reason": res.reason,
        "hw_arch": res.hw_arch,
        "parity_hailo": res.parity,
        "files": sorted(manifest["files"]),
    }
    print(
        f"pipeline: summary: {summary['model']} {summary['version']} "
        f"({'changed' if changed else 'unchanged'}), {len(summary['files'])} files, "
        f"HEF {res.status}",
        flush=True,
    )
    code = res.exit_code(opts.mode)
    if code == 3:
        print(
            f"pipeline: error: --hef require, and no HEF was built: {res.reason}", file=sys.stderr
        )
    elif code == 2:
        print(f"pipeline: error: {res.reason}", file=sys.stderr)
    print(json.dumps(summary, sort_keys=True))
    return code


if __name__ == "__main__":
    sys.exit(main())
