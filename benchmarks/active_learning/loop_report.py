"""The loop's before/after table and plot from loop.json (loop.py writes it)."""

from __future__ import annotations

import statistics as st
from pathlib import Path

KEYS = ("macro_f1", "weighted_f1", "rare_f1")
PER_SEED = ("random picks", "selector")
FIXED = ("base (no loop)", "control (fine-tune, no labels)")


def _ms(vals: list[float]) -> str:
    sd = st.stdev(vals) if len(vals) > 1 else 0.0
    return f"{st.fmean(vals):.3f} ± {sd:.3f}"


def vals(result: dict, arm: str, key: str) -> list[float]:
    if arm in FIXED:
        return [result[arm][key]]
    return [s[arm][key] for s in result["seeds"]]


def table(result: dict) -> str:
    n = len(result["seeds"])
    lines = [
        f"downstream classifier on each artifact's latents ({n} fleet days; ± = sd over days; "
        "base and control do not depend on the day)",
        "",
        "| arm | " + " | ".join(KEYS) + " |",
        "|---" * (len(KEYS) + 1) + "|",
    ]
    for arm in (*FIXED, *PER_SEED):
        lines.append(f"| {arm} | " + " | ".join(_ms(vals(result, arm, k)) for k in KEYS) + " |")
    lines += ["", "selector minus each other arm (mean over days; days the selector won):", ""]
    lines.append("| vs | " + " | ".join(KEYS) + " |")
    lines.append("|---" * (len(KEYS) + 1) + "|")
    for other in (*FIXED, "random picks"):
        cells = []
        for k in KEYS:
            sel = vals(result, "selector", k)
            oth = vals(result, other, k)
            diffs = [a - (oth[i] if len(oth) > 1 else oth[0]) for i, a in enumerate(sel)]
            cells.append(f"{st.fmean(diffs):+.3f} ({sum(d > 0 for d in diffs)}/{len(diffs)})")
        lines.append(f"| {other} | " + " | ".join(cells) + " |")
    lines += ["", "labels per behaviour in the picks (summed over days):", ""]
    acts = list(result["seeds"][0]["picks"]["selector"])
    lines.append("| picks | " + " | ".join(acts) + " |")
    lines.append("|---" * (len(acts) + 1) + "|")
    for arm in PER_SEED:
        tot = [sum(s["picks"][arm][a] for s in result["seeds"]) for a in acts]
        lines.append(f"| {arm} | " + " | ".join(str(t) for t in tot) + " |")
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = (*FIXED, *PER_SEED)
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    width = 0.2
    for j, arm in enumerate(arms):
        xs = [i + (j - 1.5) * width for i in range(len(KEYS))]
        means = [st.fmean(vals(result, arm, k)) for k in KEYS]
        ax.bar(xs, means, width, label=arm)
        for i, k in enumerate(KEYS):
            v = vals(result, arm, k)
            ax.plot([xs[i]] * len(v), v, "k.", ms=4)
    ax.set_xticks(range(len(KEYS)), ["macro-F1", "frequency-weighted F1", "rare behaviours F1"])
    ax.set_ylabel("downstream classifier F1 (dots: single days)")
    ax.set_ylim(0, 1)
    ax.set_title(f"one active-learning loop, {len(result['seeds'])} fleet days, "
                 f"budget {result['params']['budget']}")  # fmt: skip
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
