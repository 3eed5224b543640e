"""The compile report written into the artifact folder: versions, timings, parity, plots.

compile_report.json (for tools) and compile_report.md (for people); both are listed with their
sha256 in manifest.json like every other file.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

from edge_artifact import Manifest
from edge_artifact.names import COMPILE_REPORT

REPORT_JSON = COMPILE_REPORT
REPORT_MD = "compile_report.md"


def build_report(manifest: Manifest, art_dir: Path, build: dict, hef: dict) -> dict:
    """`build`: {"skipped": bool, "seconds": float}; `hef`: HefResult dict."""
    plots = [p for p in ("parity.png", "hailo_parity.png") if (art_dir / p).is_file()]
    plots += sorted(p.name for p in art_dir.glob("hailo_parity.*.png"))  # one per hw_arch
    tools = manifest.tools
    if hef.get("dfc_version"):
        tools["hailo_dataflow_compiler"] = hef["dfc_version"]
    return {
        "model": {"name": manifest.name, "version": manifest.version},
        "source": manifest.source.as_dict(),
        "artifact_created_utc": manifest.created_utc,
        "host": platform.node(),
        "tools": tools,
        "timings_s": {
            "build": None if build.get("skipped") else build.get("seconds"),
            "build_skipped": bool(build.get("skipped")),
            "dfc": hef.get("timings_s") or {},
        },
        "parity": {
            "onnx": manifest.parity("onnx"),
            "hailo": hef.get("parity"),
            "hailo_fp_optimized": hef.get("fp_parity"),
            **{f"hailo_{a}": h.get("parity") for a, h in (hef.get("hefs") or {}).items()},
        },
        "tolerance": manifest.tolerances,
        "hef": {
            "status": hef.get("status"),
            "reason": hef.get("reason"),
            "hw_arch": hef.get("hw_arch"),
            "dfc_version": hef.get("dfc_version") or None,
            "failures": hef.get("failures") or [],
            "hefs": hef.get("hefs") or {},
        },
        "plots": plots,
    }


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "-" if v is None else str(v)


def markdown(r: dict) -> str:
    m = r["model"] or {}
    lines = [
        f"# Compile report: {m.get('name')} {m.get('version')}",
        "",
        f"- source: {(r.get('source') or {}).get('kind')}",
        f"- built on: {r['host']}, artifact created {r['artifact_created_utc']}",
        f"- HEF: **{r['hef']['status']}**: {r['hef']['reason']}",
        "",
        "## Versions",
        "",
        *[f"- {k}: {v}" for k, v in sorted(r["tools"].items())],
        "",
        "## Timings (s)",
        "",
        f"- build: {'skipped (same inputs)' if r['timings_s']['build_skipped'] else _fmt(r['timings_s']['build'])}",  # noqa: E501
        *[f"- dfc {k}: {_fmt(v)}" for k, v in r["timings_s"]["dfc"].items()],
        "",
        "## Parity",
        "",
    ]
    for name, p in r["parity"].items():
        if p:
            lines.append(f"- {name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in p.items()))
    if r["hef"]["failures"]:
        lines += ["", "Gate failures:", *[f"- {f}" for f in r["hef"]["failures"]]]
    lines += ["", "## Plots", "", *[f"![{p}]({p})" for p in r["plots"]], ""]
    return "\n".join(lines)


def write_report(art_dir: Path, report: dict) -> list[str]:
    (art_dir / REPORT_JSON).write_text(json.dumps(report, indent=2) + "\n")
    (art_dir / REPORT_MD).write_text(markdown(report))
    return [REPORT_JSON, REPORT_MD]
