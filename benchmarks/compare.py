"""The figures of the peer comparison (issue 16): rounds combined, ratios, targets, the table.

Pure functions over the dicts benchmarks/vs_peer.py measures, so they can be tested without a
server. Conventions: a closed-loop figure over several rounds is the mean requests/s of the
rounds and the worst (highest) of each latency percentile, the same for every server; a ratio
with a zero/NaN denominator is NaN (reported, never met).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

EDGEINFER_TIMEOUT_MS = 45.0  # EdgeInfer's HTTP read timeout (configure.swift)
TARGET_CLOSED_RATIO = 1.5  # >= 1.5x the peer's requests/s at c=8
TARGET_OPEN_P99_MS = 10.0  # open loop at 200 windows/s
TARGET_SINGLE_RATIO = 0.7  # >= 0.7x the bare backend with as many callers as workers
PEER_LABEL = "peer FastAPI+uvicorn"


def ratio(a: float | None, b: float | None) -> float:
    """a / b, NaN when either is missing or b is 0/NaN."""
    if a is None or b is None or not b or math.isnan(b) or math.isnan(a):
        return float("nan")
    return a / b


def per_window_ms(cpu_s: float, windows: int) -> float:
    """Server CPU milliseconds per window served (NaN for no window)."""
    return cpu_s * 1000 / windows if windows else float("nan")


def combine(rounds: Sequence[Mapping]) -> dict:
    """Several closed-loop rounds of one server -> one line: mean rates, worst percentiles."""
    if not rounds:
        return {}

    def mean(k: str) -> float:
        vals = [r[k] for r in rounds if r.get(k) is not None]
        return sum(vals) / len(vals) if vals else float("nan")

    out = {
        "rounds": len(rounds),
        "throughput_rps": mean("throughput_rps"),
        "windows_per_s": mean("windows_per_s"),
        "success_rate": min(r["success_rate"] for r in rounds),
        "cpu_ms_per_window": mean("cpu_ms_per_window"),
    }
    for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
        out[k] = max(r[k] for r in rounds)
    return out


def _t(value: float, target: str, met: bool | None) -> dict:
    return {"value": value, "target": target, "met": met}


def _met(ok: bool, *values: float) -> bool | None:
    """None (not measured) when a value is NaN, else `ok`."""
    return None if any(math.isnan(v) for v in values) else ok


def targets(servers: Mapping[str, Mapping], bare: Mapping[str, Mapping], ours: str) -> dict:
    """The issue's targets for the server named `ours` (ours_wN, else ours_w1) vs the peer.

    servers[name] holds "closed" (combined), "open", "memory"; bare["callers_<n>"] the bare
    backend with n caller threads. The single-window ratio compares each of our servers with
    the bare backend at as many callers as it has workers."""
    o, p = servers[ours]["closed"], servers["peer"]["closed"]
    op = servers[ours]["open"]
    r = ratio(o["windows_per_s"], p["windows_per_s"])
    out = {
        "compared": ours,
        "closed_rps_ratio_to_peer": _t(
            r, f">= {TARGET_CLOSED_RATIO}", _met(r >= TARGET_CLOSED_RATIO, r)
        ),
        "closed_p99_ms": _t(
            o["p99_ms"],
            f"< {EDGEINFER_TIMEOUT_MS:g} and < peer's {p['p99_ms']:.1f}",
            _met(
                o["p99_ms"] < EDGEINFER_TIMEOUT_MS and o["p99_ms"] < p["p99_ms"],
                o["p99_ms"],
                p["p99_ms"],
            ),
        ),
        "open_p99_ms": _t(
            op["p99_ms"],
            f"<= {TARGET_OPEN_P99_MS:g}",
            _met(op["p99_ms"] <= TARGET_OPEN_P99_MS, op["p99_ms"]),
        ),
        "open_success": _t(op["success_rate"], "1.0", op["success_rate"] == 1.0),
    }
    for name, s in servers.items():
        if name == "peer":
            continue
        n = s["workers"]
        b = bare.get(f"callers_{n}", {}).get("windows_per_s")
        sr = ratio(s["closed"]["windows_per_s"], b)
        out[f"single_ratio_to_bare_{name}"] = _t(
            sr, f">= {TARGET_SINGLE_RATIO} (bare, {n} callers)", _met(sr >= TARGET_SINGLE_RATIO, sr)
        )
    return out


def _f(v: float | None, fmt: str) -> str:
    """format(v, fmt), or "-" in the same width for a missing/NaN value."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-".rjust(int(fmt.split(".")[0] or 0))
    return format(v, fmt)


def table(servers: Mapping[str, Mapping], tg: Mapping, client: str) -> str:
    """The printed summary: one line per server and phase, then the targets."""
    head = (
        f"{'server':<28} {'phase':<10} {'win/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'ok %':>6} {'CPU ms/win':>10} {'RSS MB tot':>10} {'RSS MB/worker':>14}"
    )
    lines = [f"closed loop client: {client}", head, "-" * len(head)]
    for name, s in servers.items():
        mem = s.get("memory") or {}
        tot = mem.get("total_rss_kb")
        per = " ".join(_f(k / 1024 if k else None, ".0f") for k in mem.get("per_worker_rss_kb", []))
        for phase in ("closed", "open"):
            r = s.get(phase) or {}
            ok = r.get("success_rate")
            cols = [
                _f(r.get("windows_per_s"), "7.0f"),
                *(_f(r.get(k), "6.1f") for k in ("p50_ms", "p95_ms", "p99_ms")),
                _f(None if ok is None else 100 * ok, "6.1f"),
                _f(r.get("cpu_ms_per_window"), "10.2f"),
                _f(tot / 1024 if tot and phase == "closed" else None, "10.0f"),
                f"{per if phase == 'closed' else '':>14}",
            ]
            lines.append(f"{s.get('label', name):<28} {phase:<10} " + " ".join(cols))
    lines.append("")
    lines.append(f"targets ({tg['compared']} vs the peer; latencies in ms):")
    for k, v in tg.items():
        if k == "compared":
            continue
        verdict = {True: "met", False: "NOT met", None: "not measured"}[v["met"]]
        lines.append(f"  {k:<36} {_f(v['value'], '.3g'):>8}  target {v['target']}: {verdict}")
    return "\n".join(lines)
