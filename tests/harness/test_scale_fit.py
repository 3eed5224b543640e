"""scripts/scale_fit.py: the scale run's line fit and projection (issue 28 item 7)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from ansible_core import serialized_batches

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from scale_fit import (
    Terms,
    cores_for,
    ctl_bound,
    fit_line,
    lan_terms,
    lan_wall,
    line_points,
    projections,
    rollout_batches,
    serial_batches,
    shared_wall,
    table,
    terms_from_rows,
    terms_table,
)


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


# --- the LAN model (lan_wall): each term checked by its own hand-computed effect -------------

T = Terms(fixed_s=10.0, chain_s=20.0, ctl_cpu_s=4.0, main_cpu_s=0.5, bytes_per_host=1e7,
          host_cpu_s=3.0)  # fmt: skip


@pytest.mark.parametrize(
    ("n", "batches"),
    # playbooks/vars/rollout.yml's own examples (10 -> 1, 5, 4; 4 -> 1, 2, 1) and the run's sizes
    [
        (1, [1]),
        (2, [1, 1]),
        (4, [1, 2, 1]),
        (10, [1, 5, 4]),
        (16, [1, 8, 7]),
        (100, [1, 50, 49]),
        (1000, [1, 500, 499]),
    ],
)
def test_serial_batches_follow_ansibles_arithmetic(n: int, batches: list[int]) -> None:
    assert serial_batches(n) == batches
    assert serial_batches(5, [2]) == [2, 2, 1] and serial_batches(3, [0]) == [3]


def test_lan_wall_is_the_stated_formula() -> None:
    # 100 Pis, 4 cores: 10 + 3 x 20 + 100 x max(4 / 4, 0.5) + 100 x 1e7 x 8 / 1e9 = 178
    assert lan_wall(100, T, cores=4) == pytest.approx(178.0)
    # 16 cores: the main process (0.5 s/host, one core) is the bound, not 4 / 16
    assert lan_wall(100, T, cores=16) == pytest.approx(10 + 60 + 50 + 8)
    # the hosts' CPU is inside the chain on a LAN: it does not appear again
    assert lan_wall(100, replace(T, host_cpu_s=300.0), cores=4) == pytest.approx(178.0)


@pytest.mark.parametrize(
    ("field", "delta", "effect"),
    [
        ("fixed_s", 1.0, 1.0),  # once per run
        ("chain_s", 1.0, 3.0),  # once per batch: 3 batches of 100
        ("ctl_cpu_s", 4.0, 100.0),  # n x delta / cores (4)
        ("bytes_per_host", 1e6, 0.8),  # n x bytes x 8 / 1 Gbit/s
    ],
)
def test_each_term_counts_with_its_own_weight(field: str, delta: float, effect: float) -> None:
    more = replace(T, **{field: getattr(T, field) + delta})
    assert lan_wall(100, more, cores=4) - lan_wall(100, T, cores=4) == pytest.approx(effect)


def test_the_main_process_term_counts_once_it_dominates() -> None:
    more = replace(T, main_cpu_s=2.0)  # above 4 / 4 cores: 100 x (2 - 1) more
    assert lan_wall(100, more, cores=4) - lan_wall(100, T, cores=4) == pytest.approx(100.0)


def test_the_terms_are_the_walls_parts() -> None:
    # 100 Pis, 4 cores: fixed 10, 3 batches x 20, 100 x max(4 / 4, 0.5), 100 x 1e7 x 8 / 1e9
    assert lan_terms(100, T, cores=4) == pytest.approx(
        {"fixed": 10.0, "batches x chain": 60.0, "controller CPU": 100.0, "link": 8.0}
    )
    assert sum(lan_terms(1000, T, cores=16).values()) == pytest.approx(lan_wall(1000, T, 16))
    assert (ctl_bound(T, 4), ctl_bound(T, 16)) == ("workers / cores", "main process")
    md = terms_table(T, [100], [4, 16])
    assert "| 100 | 4 | 10.0 | 60.0 | 100.0 | workers / cores | 8.0 | 178 |" in md
    assert "| 100 | 16 | 10.0 | 60.0 | 50.0 | main process | 8.0 | 128 |" in md


def test_the_shared_check_adds_the_hosts_cpu_to_the_controllers() -> None:
    # the lab: 8 hosts on 2 cores: 10 + 3 x 20 + 8 x (4 + 3) / 2
    assert shared_wall(8, T, cores=2) == pytest.approx(98.0)


def test_cores_for_the_goal() -> None:
    # 180 s for 100 Pis: 70 + 8 + 100 x 4 / k <= 180 -> k >= 4 (3 cores: 211 s)
    assert cores_for(100, T, 180.0) == 4
    assert cores_for(100, replace(T, chain_s=40.0), 180.0) is None  # 10 + 120 + 50 + 8 > 180


def test_terms_come_from_the_runs() -> None:
    rows = []
    for n in (2, 4, 8, 16):
        batches = [{"hosts": 1, "seconds": 20.0 + n % 3 * 0.1},
                   {"hosts": n - 1, "seconds": 20 + 0.5 * n}]  # fmt: skip
        rows.append({
            "hosts": n, "wall_s": 15 + 2 * n + sum(b["seconds"] for b in batches),
            "batches": batches, "ctl_cpu_s": 7 + 4 * n, "main_cpu_s": 2 + 0.5 * n,
            "tx_bytes": 1e6 + 1e7 * n, "hosts_cpu_s": 3.0 * n,
        })  # fmt: skip
    t = terms_from_rows(rows)
    assert t.fixed_s == pytest.approx(15.0)  # intercept of the time outside the batches
    assert t.chain_s == pytest.approx(20.15)  # median canary batch (20.2, 20.1, 20.2, 20.1)
    assert (t.ctl_cpu_s, t.main_cpu_s, t.host_cpu_s) == pytest.approx((4.0, 0.5, 3.0))
    assert t.bytes_per_host == pytest.approx(1e7)


def test_the_serial_play_is_the_one_started_per_batch() -> None:
    plays = [{"play": "Check", "start_s": 0.0, "end_s": 1.0},
             {"play": "Roll out", "start_s": 1.0, "end_s": 30.0},
             {"play": "Roll out", "start_s": 30.0, "end_s": 50.0},
             {"play": "Summarize", "start_s": 50.0, "end_s": 80.0}]  # fmt: skip
    assert [p["start_s"] for p in rollout_batches(plays)] == [1.0, 30.0]
    assert rollout_batches(plays[:2] + plays[3:]) == [plays[3]]  # one each: the longest
    with pytest.raises(ValueError, match="op_count callback"):
        rollout_batches([])


def test_serial_batches_are_ansible_cores_own() -> None:
    """serial_batches against PlaybookExecutor._get_serialized_batches (.venv-ctl's ansible)."""
    cases = [([1, "50%"], n) for n in (1, 2, 3, 4, 10, 16, 100, 1000)]
    cases += [([1, 2, "100%"], 7), (["30%"], 10), ([2], 5)]
    assert [serial_batches(n, s) for s, n in cases] == serialized_batches(cases)


def test_the_naive_line_is_drawn_from_one_host() -> None:
    # the plot's axes are logarithmic: a line from x = 0 degenerated to a flat line (21:03 plot)
    assert line_points((38.5, 18.0), [1, 1000]) == [[1.0, 56.5], [1000.0, 18038.5]]
    with pytest.raises(ValueError, match="logarithmic"):
        line_points((38.5, 18.0), [0, 1000])
