"""Tables and the learning-curve PNG from results.json (run.py writes it)."""

from __future__ import annotations

import statistics as st
from collections.abc import Callable
from pathlib import Path
from typing import Any

Get = Callable[..., Any]

KEYS = ("picks", "enrichment", "rare_fraction", "coverage", "same_bout", "cos_dup", "macro_f1")


def _ms(vals: list[float]) -> str:
    m = st.fmean(vals)
    sd = st.stdev(vals) if len(vals) > 1 else 0.0
    return f"{m:.3f} ± {sd:.3f}" if m < 10 else f"{m:.1f} ± {sd:.1f}"


def _per_seed_mean(result: dict, get: Get) -> list[float]:
    """One figure per seed (random draws averaged within the seed), so spreads are seed spreads."""
    return [get(s) for s in result["seeds"]]


def tables(result: dict, budget: int = 100) -> str:
    b = str(budget)
    lines = [f"budget {budget}, mean ± sd over {len(result['seeds'])} seeds "
             f"(rare base rate {_ms([s['rare_base'] for s in result['seeds']])})", ""]  # fmt: skip
    lines.append("| picks | " + " | ".join(KEYS) + " |")
    lines.append("|---" * (len(KEYS) + 1) + "|")

    def row(name: str, get: Get) -> None:
        cells = [_ms(_per_seed_mean(result, lambda s, k=k: get(s)[k])) for k in KEYS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    row("random", lambda s: _avg(s["random"][b]))
    for name in result["seeds"][0]["curve"]:
        row(name, lambda s, n=name: s["curve"][n][b])
    for name in result["seeds"][0]["ablation"]:
        row(name, lambda s, n=name: s["ablation"][n])
    lines += ["", "macro-F1 by budget (mean ± sd over seeds):", ""]
    budgets = list(result["seeds"][0]["random"])
    lines.append("| picks | " + " | ".join(budgets) + " |")
    lines.append("|---" * (len(budgets) + 1) + "|")
    curves = {"random": lambda s, k: _avg(s["random"][k])["macro_f1"]}
    for name in result["seeds"][0]["curve"]:
        curves[name] = lambda s, k, n=name: s["curve"][n][k]["macro_f1"]
    for name, get in curves.items():
        cells = [_ms(_per_seed_mean(result, lambda s, k=k, g=get: g(s, k))) for k in budgets]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _avg(draws: list[dict]) -> dict:
    return {k: st.fmean(d[k] for d in draws) for k in KEYS}


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = list(result["seeds"][0]["random"])
    xs = [int(k) for k in budgets]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    curves = {"random (mean of draws)": lambda s, k: _avg(s["random"][k])["macro_f1"]}
    for name in result["seeds"][0]["curve"]:
        curves[name] = lambda s, k, n=name: s["curve"][n][k]["macro_f1"]
    for name, get in curves.items():
        per = [[get(s, k) for s in result["seeds"]] for k in budgets]
        m = [st.fmean(v) for v in per]
        ax.plot(xs, m, marker="o", label=name)
        ax.fill_between(xs, [min(v) for v in per], [max(v) for v in per], alpha=0.2)
    ax.set_xscale("log")
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("labelling budget (windows)")
    ax.set_ylabel("macro-F1 on the held-out labelled set (8 behaviours)")
    ax.set_title(f"selector vs random, {len(result['seeds'])} fleet days (band: min-max)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
