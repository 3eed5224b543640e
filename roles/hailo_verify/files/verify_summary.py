#!/usr/bin/env python3
"""Judge the fetched per-host verify reports on the CONTROLLER (stdlib only; docs/verify.md).

Reads <dir>/<host>.json for every host given, judges each against the SLO (p95 < p95_ms,
offered rate >= min_rate_per_s, success rate >= min_success_rate), the golden check, the
backend that served the load (the one the golden check certified; hailo on a host declared
with an accelerator, so CPU latency is never certified as the accelerator's), the accelerator
and, on such a host, the loaded hailo_pci driver, then writes <dir>/summary.json
and <dir>/summary.md and prints the table. Exit 0 when every host passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def judge_served(served: str | None, expected: str | None) -> tuple[bool, str]:
    """Whether the load ran on the backend its figures are reported for."""
    if served is not None and served == expected:
        return True, f"load served on {served}"
    if served is None:
        return False, "/metrics named no backend serving the model after the load"
    if expected in (None, "?"):
        return False, f"load served on {served}; no backend was certified (golden did not finish)"
    if served == "onnx" and expected == "hailo":
        return False, (
            "load served on onnx, the CPU fallback, not on hailo: its p50/p95/p99 are CPU "
            "latency, not the accelerator's (see /healthz `fallback` and "
            "`journalctl -u hailo-inference` for why the daemon fell back)"
        )
    return False, f"load served on {served}, golden checked on {expected or '?'}"


def judge(report: dict[str, Any], slo: dict[str, float], expect_accelerator: bool) -> dict:
    """Every check of one host: {name: (ok, detail)} and the verdict."""
    load = report.get("load", {})
    golden = report.get("golden", {})
    p95, rate = load.get("p95_ms"), load.get("offered_rate_per_s")
    success = load.get("success_rate")
    checks: dict[str, tuple[bool, str]] = {
        "golden": (
            bool(golden.get("ok")),
            f"{golden.get('backend', '?')}: "
            + str(golden.get("error") or (golden.get("report") or {}).get("message", "not run")),
        ),
        "p95": (
            p95 is not None and p95 < slo["p95_ms"],
            f"{_fmt(p95)} ms (< {slo['p95_ms']:g})",
        ),
        "rate": (
            rate is not None and rate >= slo["min_rate_per_s"],
            f"{_fmt(rate)}/s (>= {slo['min_rate_per_s']:g})",
        ),
        "success": (
            success is not None and success >= slo["min_success_rate"],
            f"{_fmt(None if success is None else success * 100)} % "
            f"(>= {slo['min_success_rate'] * 100:g})",
        ),
    }
    used = bool(report.get("accelerator_used"))
    served = load.get("served_backend")
    expected = "hailo" if expect_accelerator else golden.get("backend")
    checks["served"] = judge_served(served, expected)
    if expect_accelerator:
        checks["accelerator"] = (used, "served on Hailo" if used else report.get("statement", "?"))
        stack = report.get("stack") or {}
        finding = stack.get("driver_finding")
        loaded = stack.get("driver_version")
        checks["driver"] = (
            finding is None and loaded is not None,
            finding or (f"hailo_pci {loaded} loaded" if loaded else "hailo_pci not loaded"),
        )
    ok = all(c[0] for c in checks.values())
    return {
        "host": report.get("host"),
        "verdict": "PASS" if ok else "FAIL",
        "accelerator": (
            ("hailo" if served == "hailo" else f"hailo golden, load on {served or '?'}")
            if used
            else "none (onnx)"
        ),
        "checks": {k: {"ok": v[0], "detail": v[1]} for k, v in checks.items()},
        "p50_ms": load.get("p50_ms"),
        "p95_ms": p95,
        "p99_ms": load.get("p99_ms"),
        "rate_per_s": rate,
        "success_pct": None if success is None else success * 100,
        "temperatures_c": load.get("temperatures_c") or {},
        "stack": {k: (report.get("stack") or {}).get(k) for k in _STACK},
        "statement": report.get("statement", ""),
    }


_STACK = (
    "library_version",
    "driver_version",  # loaded (/sys/module/hailo_pci/version)
    "firmware_version",
    "architecture",
    "driver_installed_version",  # on disk (modinfo)
    "driver_finding",
)


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f}"


def table(rows: list[dict]) -> str:
    """A Markdown table, one line per host, then each host's plain statement."""
    head = (
        "| host | verdict | accelerator | HailoRT lib/driver/fw | arch | p50 ms | p95 ms | p99 ms "
        "| rate/s | success % | temp C | golden |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        st, c = r["stack"], r["checks"]
        versions = "/".join(str(st.get(k) or "-") for k in _STACK[:3])
        temp = max(r["temperatures_c"].values()) if r["temperatures_c"] else None
        lines.append(
            f"| {r['host']} | {r['verdict']} | {r['accelerator']} | {versions} "
            f"| {st.get('architecture') or '-'} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} "
            f"| {_fmt(r['p99_ms'])} | {_fmt(r['rate_per_s'])} | {_fmt(r['success_pct'])} "
            f"| {_fmt(temp)} "
            f"| {'ok' if c.get('golden', {}).get('ok') else 'FAIL'} |"
        )
    lines.append("")
    for r in rows:
        failed = [f"{k}: {v['detail']}" for k, v in r["checks"].items() if not v["ok"]]
        lines.append(f"- {r['host']}: {r['statement']}" + (f"; FAILED {failed}" if failed else ""))
    return "\n".join(lines) + "\n"


def summarize(
    folder: Path, hosts: list[str], slo: dict[str, float], expect: dict[str, bool]
) -> dict:
    rows = []
    for h in hosts:
        p = folder / f"{h}.json"
        if not p.is_file():
            rows.append(_missing(h, f"no report at {p}: the host failed before writing one"))
            continue
        try:
            report = json.loads(p.read_text())
        except ValueError as exc:
            rows.append(_missing(h, f"{p} is not JSON ({exc})"))
            continue
        rows.append({**judge(report, slo, expect.get(h, False)), "host": h})
    return {
        "slo": slo,
        "hosts": rows,
        "passed": all(r["verdict"] == "PASS" for r in rows) and bool(rows),
    }


def _missing(host: str, why: str) -> dict:
    return {
        "host": host,
        "verdict": "FAIL",
        "accelerator": "?",
        "checks": {"report": {"ok": False, "detail": why}},
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "rate_per_s": None,
        "success_pct": None,
        "temperatures_c": {},
        "stack": {},
        "statement": why,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, required=True, help="folder of <host>.json reports")
    ap.add_argument("--hosts", nargs="+", required=True)
    ap.add_argument("--slo", required=True, help='JSON {"p95_ms", "min_rate_per_s", ...}')
    ap.add_argument(
        "--expect-accelerator", nargs="*", default=[], help="hosts declared with an accelerator"
    )
    a = ap.parse_args(argv)
    slo = {k: float(v) for k, v in json.loads(a.slo).items()}
    result = summarize(a.dir, a.hosts, slo, {h: True for h in a.expect_accelerator})
    md = table(result["hosts"])
    (a.dir / "summary.json").write_text(json.dumps(result, indent=2) + "\n")
    (a.dir / "summary.md").write_text(md)
    print(md + ("VERIFY PASSED" if result["passed"] else "VERIFY FAILED") + f" ({a.dir})")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
