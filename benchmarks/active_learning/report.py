"""Tables and the budget-curve PNG from results.json (run.py writes it).

Spreads: random and dedup-only are drawn several times per seed, their ± is the sd over every
single draw (all seeds); a selector arm is deterministic for a day, its ± is the sd over seeds.
"""

from __future__ import annotations

import statistics as st
from pathlib import Path

KEYS = ("picks", "enrichment", "rare_fraction", "coverage", "same_bout", "macro_f1", "weighted_f1")
BASELINES = ("random", "dedup-only 0.98 (random order)", "dedup-only 0.999 (random order)")
SELECTOR = "selector (timer defaults: coverage)"


def _ms(vals: list[float]) -> str:
    m = st.fmean(vals)
    sd = st.stdev(vals) if len(vals) > 1 else 0.0
    return f"{m:.3f} ± {sd:.3f}" if m < 10 else f"{m:.1f} ± {sd:.1f}"


def values(result: dict, name: str, budget: str, key: str) -> list[float]:
    """Every single figure of `name` at `budget`: per draw (baselines) or per seed (arms)."""
    out: list[float] = []
    for s in result["seeds"]:
        if name in BASELINES:
            out += [d[key] for d in s[name].get(budget, [])]
        elif budget in s["arms"][name]:
            out.append(s["arms"][name][budget][key])
    return out


def names(result: dict) -> list[str]:
    return [*BASELINES, *result["seeds"][0]["arms"]]


def budgets(result: dict) -> list[str]:
    return list(result["seeds"][0]["random"])


def curve_table(result: dict, key: str) -> str:
    bs = budgets(result)
    lines = ["| picks | " + " | ".join(bs) + " |", "|---" * (len(bs) + 1) + "|"]
    for name in names(result):
        cells = [_ms(values(result, name, b, key)) for b in bs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def margin_table(result: dict) -> str:
    """Selector minus the best baseline's mean, per budget and metric; seeds won."""
    bs = budgets(result)
    lines = ["| metric | " + " | ".join(bs) + " |", "|---" * (len(bs) + 1) + "|"]
    for key in ("macro_f1", "weighted_f1"):
        cells = []
        for b in bs:
            best = max(BASELINES, key=lambda n, b=b: st.fmean(values(result, n, b, key)))
            sel = values(result, SELECTOR, b, key)
            margin = st.fmean(sel) - st.fmean(values(result, best, b, key))
            won = sum(
                s["arms"][SELECTOR][b][key] > st.fmean(d[key] for d in s[bn][b])
                for s in result["seeds"]
                for bn in BASELINES
            )
            cells.append(f"{margin:+.3f} ({won}/{len(BASELINES) * len(sel)})")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detail_table(result: dict, budget: str) -> str:
    lines = ["| picks | " + " | ".join(KEYS) + " |", "|---" * (len(KEYS) + 1) + "|"]
    for name in names(result):
        cells = [_ms(values(result, name, budget, k)) for k in KEYS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tables(result: dict) -> str:
    n = len(result["seeds"])
    draws = result["params"]["draws"]
    top = [s["top_k_5000_returned"] for s in result["seeds"]]
    return "\n\n".join([
        f"{n} fleet days; baselines {draws} draws per day (± = sd over single draws), "
        f"selector arms ± = sd over days. top_k 5000 returned {top} windows (candidates "
        f"{[s['candidates'] for s in result['seeds']]}).",
        "macro-F1 by budget:", curve_table(result, "macro_f1"),
        "frequency-weighted F1 by budget:", curve_table(result, "weighted_f1"),
        "selector minus the best baseline (mean), (day x baseline pairs where the selector beat "
        "that day's mean of the baseline's draws):", margin_table(result),
        "budget 25, all figures:", detail_table(result, "25"),
        "budget 100, all figures:", detail_table(result, "100"),
    ])  # fmt: skip


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bs = budgets(result)
    xs = [int(b) for b in bs]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), dpi=110, sharey=True)
    shown = [*BASELINES, SELECTOR, "score, dedup 0.98 (issue 17)"]
    for ax, key, title in zip(
        axes, ("macro_f1", "weighted_f1"), ("macro-F1 (balanced)", "frequency-weighted F1")
    ):
        for name in shown:
            per = [values(result, name, b, key) for b in bs]
            m = [st.fmean(v) for v in per]
            sd = [st.stdev(v) if len(v) > 1 else 0.0 for v in per]
            ax.plot(xs, m, marker="o", label=name, lw=2.5 if name == SELECTOR else 1.3)
            ax.fill_between(xs, [a - b for a, b in zip(m, sd)], [a + b for a, b in zip(m, sd)],
                            alpha=0.15)  # fmt: skip
        ax.set_xscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_xlabel("labelling budget (windows)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("F1 of a classifier trained on the picks")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"selector vs baselines, {len(result['seeds'])} fleet days (band: ± 1 sd, "
                 "single draws for the baselines)")  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
