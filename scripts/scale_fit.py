"""The scale run's arithmetic (scripts/scale-run.py): a least-squares line through the measured
points and its projection, as a Markdown table. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line y = a + b x; needs two distinct x."""
    if len(xs) != len(ys) or len(set(xs)) < 2:
        raise ValueError("fit_line needs at least two points with different x")
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - b * mx, b


def project(fit: tuple[float, float], x: float) -> float:
    return fit[0] + fit[1] * x


def table(rows: list[dict], projections: dict[int, dict]) -> str:
    """Markdown: the measured rows, then the projected ones (marked)."""
    out = [
        "| edge hosts | wall time (s) | remote ops per host | controller MB sent | MB per host |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['hosts']} | {r['wall_s']:.1f} | {r['ops_per_host']:.0f} | "
            f"{r['tx_bytes'] / 1e6:.2f} | {r['tx_bytes'] / 1e6 / r['hosts']:.3f} |"
        )
    for n, p in sorted(projections.items()):
        out.append(
            f"| {n} (projected) | {p['wall_s']:.0f} | {p['ops_per_host']:.0f} | "
            f"{p['tx_bytes'] / 1e6:.1f} | {p['tx_bytes'] / 1e6 / n:.3f} |"
        )
    return "\n".join(out)


def projections(rows: list[dict], targets: Sequence[int]) -> dict[int, dict]:
    xs = [float(r["hosts"]) for r in rows]
    wall = fit_line(xs, [r["wall_s"] for r in rows])
    tx = fit_line(xs, [float(r["tx_bytes"]) for r in rows])
    ops = sum(r["ops_per_host"] for r in rows) / len(rows)
    return {
        n: {"wall_s": project(wall, n), "tx_bytes": project(tx, n), "ops_per_host": ops,
            "wall_fit": wall, "tx_fit": tx}
        for n in targets
    }  # fmt: skip
