#!/usr/bin/env python3
"""Turn a site.yml log into the deploy run's summary: each host's health-gate figures and recap.

deploy.yml runs site.yml with ANSIBLE_CALLBACK_RESULT_FORMAT=json and tees the output to a log;
the health gate (roles/hailo_inference/tasks/health_gate.yml, "Report the gate figures") prints
`"msg": "<host> serves <model>@<version>: {<health_gate.py's JSON line>}"` for every host that
passed. Prints Markdown for $GITHUB_STEP_SUMMARY; exit 0 always (the play's own exit code
decides the job).

    python3 .github/scripts/gate_summary.py LOG [--title TEXT] >> "$GITHUB_STEP_SUMMARY"
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

MSG = re.compile(r'^\s*"msg": (".*")\s*,?\s*$')
SERVES = re.compile(r"^(?P<host>\S+) serves (?P<model>\S+): (?P<figures>\{.*\})$")
RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")
FIGURES = ("backend", "cosine", "min_snr_db", "max_abs")  # health_gate.py's names


def gate_figures(lines: list[str]) -> dict[str, dict]:
    """host -> {"model": ..., **health_gate.py's figures}; the last report of a host wins."""
    out: dict[str, dict] = {}
    for line in lines:
        m = MSG.match(line)
        if not m:
            continue
        try:
            s = SERVES.match(json.loads(m.group(1)))
            figures = json.loads(s.group("figures")) if s else None
        except ValueError:
            continue
        if s and isinstance(figures, dict):
            out[s.group("host")] = {"model": s.group("model"), **figures}
    return out


def recap(lines: list[str]) -> dict[str, dict[str, int]]:
    """host -> PLAY RECAP counts (ok, changed, unreachable, failed, ...) of the last recap."""
    out: dict[str, dict[str, int]] = {}
    seen = False
    for line in lines:
        if line.startswith("PLAY RECAP"):
            seen, out = True, {}
            continue
        m = RECAP.match(line.strip()) if seen else None
        if m:
            counts = dict(kv.split("=") for kv in m.group("counts").split())
            out[m.group("host")] = {k: int(v) for k, v in counts.items()}
    return out


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.10g}"  # cosines near 1 need the digits
    return "-" if v is None else str(v)


def markdown(lines: list[str], title: str) -> str:
    gates, counts = gate_figures(lines), recap(lines)
    rows = [f"### {title}", ""]
    rows += [
        "| host | gate | model | "
        + " | ".join(FIGURES)
        + " | ok | changed | failed | unreachable |"
    ]
    rows += ["|" + "---|" * (7 + len(FIGURES))]
    for host in sorted(set(gates) | set(counts)):
        g, c = gates.get(host), counts.get(host, {})
        verdict = "passed" if g and g.get("ok") else "no report"
        figs = [_fmt((g or {}).get(k)) for k in FIGURES]
        rec = [_fmt(c.get(k)) for k in ("ok", "changed", "failed", "unreachable")]
        rows.append(
            f"| {host} | {verdict} | {_fmt((g or {}).get('model'))} | "
            + " | ".join(figs + rec)
            + " |"
        )
    if not gates and not counts:
        rows.append("\nNo health-gate report and no PLAY RECAP in the log: see the job's output.")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "log", type=Path, help="site.yml output (run with ANSIBLE_CALLBACK_RESULT_FORMAT=json)"
    )
    ap.add_argument("--title", default="Health gate per host")
    args = ap.parse_args(argv)
    lines = args.log.read_text(errors="replace").splitlines() if args.log.is_file() else []
    sys.stdout.write(markdown(lines, args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
