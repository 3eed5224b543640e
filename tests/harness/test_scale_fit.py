"""scripts/scale_fit.py: the scale run's line fit and projection (issue 28 item 7)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from scale_fit import fit_line, projections, table


def test_the_fit_recovers_a_line_and_projects_it() -> None:
    a, b = fit_line([2, 4, 8, 16], [30 + 1.5 * x for x in (2, 4, 8, 16)])
    assert (round(a, 9), round(b, 9)) == (30.0, 1.5)
    rows = [{"hosts": n, "wall_s": 30 + 1.5 * n, "tx_bytes": 1e5 * n, "ops_per_host": 40 + n % 3}
            for n in (2, 4, 8, 16)]  # fmt: skip
    p = projections(rows, [100, 1000])
    assert round(p[100]["wall_s"], 6) == 180.0
    assert round(p[1000]["tx_bytes"]) == 1e8
    md = table(rows, p)
    assert "| 100 (projected) | 180 |" in md and md.count("\n") == 7


def test_one_size_cannot_be_fitted() -> None:
    with pytest.raises(ValueError, match="two points with different x"):
        fit_line([4, 4], [1, 2])
