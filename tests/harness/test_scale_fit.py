"""scripts/scale_fit.py: the scale run's line fit and projection (issue 28 item 7)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from ansible_core import serialized_batches

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from scale_fit import (
    PI5_FACTOR_CITED,
    OpPrice,
    Terms,
    chain_on_pi,
    cores_for,
    ctl_bound,
    fit_line,
    lan_terms,
    lan_wall,
    line_points,
    ops_to_cut,
    projections,
    rollout_batches,
    serial_batches,
    shared_wall,
    sliced_table,
    slices_for,
    table,
    terms_from_rows,
    terms_table,
    without_ops,
)
from scale_fit import lan_table as lan_md


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


# --- slices (scripts/rollout.py) and a Pi core slower than the lab's: hand-computed ------------

# the main process binds from 2 cores on (2 s/host against 4 / k): what slicing divides
M = replace(T, main_cpu_s=2.0)


@pytest.mark.parametrize("serial", [(1, "50%"), (1, 2, "100%"), ("30%",), (2,)])
@pytest.mark.parametrize("cores", [1, 2, 4, 16])
def test_one_slice_and_pi_factor_1_are_todays_formula_exactly(
    serial: tuple[int | str, ...], cores: int
) -> None:
    for n in (1, 2, 3, 7, 16, 100, 1000):
        for t in (T, M, Terms(2.11, 33.9, 12.0, 3.59, 10947309, 22.4)):
            today = (
                t.fixed_s
                + len(serial_batches(n, serial)) * t.chain_s
                + n * max(t.ctl_cpu_s / cores, t.main_cpu_s)
                + n * t.bytes_per_host * 8 / 1e9
            )
            assert lan_wall(n, t, cores, serial=serial) == today  # the defaults
            assert lan_wall(n, t, cores, serial=serial, slices=1, pi_factor=1.0) == today


def test_the_documented_artifact_only_figures_stand() -> None:
    # docs/performance.md, LAN model table: 100 Pis, 2 / 4 cores: 713 / 472 s (its 1000-Pi
    # figures came from the unrounded terms: 6 s apart from these rounded ones)
    doc = Terms(2.11, 33.9, 12.0, 3.59, 10947309, 22.4)
    assert [round(lan_wall(100, doc, k)) for k in (2, 4)] == [713, 472]


def test_slices_divide_the_main_process_per_batch() -> None:
    # 100 Pis = batches 1, 50, 49; 16 cores; 4 slices: the canary alone max(4/16, 2, 2/16) = 2;
    # 50 -> 4 processes of ceil(50/4) = 13 hosts: max(50x4/16, 13x2, 50x2/16) = 26; 49 -> 13: 26
    v = lan_terms(100, M, 16, slices=4)
    assert v["controller CPU"] == pytest.approx(2 + 26 + 26)
    # fixed once per batch (3 x 10), chain and link as in one process: 30 + 60 + 54 + 8
    assert v == pytest.approx(
        {"fixed": 30.0, "batches x chain": 60.0, "controller CPU": 54.0, "link": 8.0}
    )
    assert lan_wall(100, M, 16, slices=4) == pytest.approx(152.0)
    # one process: 10 + 60 + 100 x 2 + 8
    assert lan_wall(100, M, 16) == pytest.approx(278.0)


def test_a_slice_takes_the_ceiling_of_its_share() -> None:
    # 5 slices of 49 hosts: ceil(9.8) = 10 hosts in the largest, 10 x 2 s; 50 -> 10 x 2 s
    assert lan_terms(100, M, 16, slices=5)["controller CPU"] == pytest.approx(2 + 20 + 20)
    # 3 slices: ceil(50/3) = 17, ceil(49/3) = 17 -> 2 + 34 + 34
    assert lan_terms(100, M, 16, slices=3)["controller CPU"] == pytest.approx(70.0)


def test_the_canary_batch_runs_in_one_process() -> None:
    # serial [10, "50%"]: batches 10, 50, 40; 16 cores; 4 slices: the canary's 10 hosts in one
    # process: 10 x 2 = 20 (not ceil(10/4) x 2 = 6); 50 -> 13 x 2 = 26; 40 -> 10 x 2 = 20
    assert serial_batches(100, [10, "50%"]) == [10, 50, 40]
    v = lan_terms(100, M, 16, serial=[10, "50%"], slices=4)
    assert v["controller CPU"] == pytest.approx(20 + 26 + 20)


def test_the_workers_still_spread_over_the_cores() -> None:
    # T (0.5 s/host main process) on 4 cores, 4 slices: each batch bound by its workers
    # 1 x 4/4 + 50 x 4/4 + 49 x 4/4 = 100, as in one process
    assert lan_terms(100, T, 4, slices=4)["controller CPU"] == pytest.approx(100.0)


def test_no_more_main_processes_run_than_cores() -> None:
    # workers' share set to 0 to isolate the cap (measured ctl_cpu holds main_cpu, so the
    # workers' term implies it): 2 cores, 16 slices: 50 hosts -> 16 processes of 4 hosts, yet
    # only 2 run at a time: 50 x 2 / 2 = 50 (not 4 x 2 = 8); 49 -> 49; canary 1 x 2 = 2
    capped = replace(M, ctl_cpu_s=0.0)
    assert lan_terms(100, capped, 2, slices=16)["controller CPU"] == pytest.approx(2 + 50 + 49)


def test_the_start_up_is_paid_once_per_batch_when_sliced() -> None:
    assert lan_terms(100, T, 4, slices=2)["fixed"] == pytest.approx(30.0)  # 3 batches x 10
    assert lan_terms(100, T, 4, slices=1)["fixed"] == pytest.approx(10.0)  # one run
    assert lan_terms(1, T, 4, slices=8)["fixed"] == pytest.approx(10.0)  # one batch
    # so 2 slices can cost more than 1 where the main process does not bind (T on 4 cores):
    # 30 + 60 + (1 + 50 + 49) + 8 against 178
    assert lan_wall(100, T, 4, slices=2) == pytest.approx(198.0)


def test_slices_must_be_positive() -> None:
    with pytest.raises(ValueError, match="slices"):
        lan_terms(100, T, 4, slices=0)


def test_a_slower_pi_lengthens_the_chain_by_its_own_cpu_only() -> None:
    # chain 20 s holds 3 s of the host's CPU: at 2x, 20 + 1 x 3 = 23 per batch, 3 batches
    assert chain_on_pi(T, 2.0) == pytest.approx(23.0)
    assert lan_terms(100, T, 4, pi_factor=2.0)["batches x chain"] == pytest.approx(69.0)
    assert lan_wall(100, T, 4, pi_factor=2.0) == pytest.approx(178.0 + 9.0)
    # the host's CPU cannot exceed the chain that holds it: 30 s measured -> 20 + 1 x 20
    assert chain_on_pi(replace(T, host_cpu_s=30.0), 2.0) == pytest.approx(40.0)
    # the other terms do not move: the controller's CPU is not a Pi's
    slow = lan_terms(100, T, 4, pi_factor=3.0)
    assert {k: v for k, v in slow.items() if k != "batches x chain"} == pytest.approx(
        {"fixed": 10.0, "controller CPU": 100.0, "link": 8.0}
    )


def test_the_cited_pi_factor_is_the_geekbench_ratio() -> None:
    # 2500 (Core i7-12700, Geekbench 6's baseline) / 748 (a Pi 5) = 3.34
    assert round(PI5_FACTOR_CITED, 9) == 3.3


def test_cores_for_counts_the_sliced_start_up() -> None:
    # T, 100 Pis, 4 slices: 30 + 60 + 8 + (4/k + 200/k + 196/k) <= 180 -> 400/k <= 82 -> k = 5
    assert cores_for(100, T, 180.0, slices=4) == 5
    assert cores_for(100, T, 180.0, slices=1) == 4


def test_slices_for_the_goal() -> None:
    # M, 100 Pis, 16 cores: K = 1 278 s, 2 -> 30 + 60 + 8 + (2 + 50 + 50) = 200, 3 -> 168,
    # 4 -> 152, 5 -> 140
    assert slices_for(100, M, 170.0, cores=16) == 3
    assert slices_for(100, M, 150.0, cores=16) == 5
    assert slices_for(100, M, 150.0, cores=16, most=4) is None
    assert slices_for(100, M, 300.0, cores=16) == 1
    # 98 s of fixed, chain and link alone once sliced: 100 s is out of reach
    assert slices_for(100, M, 100.0, cores=16) is None
    # a 2x Pi: 3 more s per batch (9 s): 4 slices give 161 s, 5 give 149
    assert slices_for(100, M, 150.0, cores=16, pi_factor=2.0) == 5
    assert slices_for(100, M, 160.0, cores=16, pi_factor=2.0) == 5
    assert slices_for(100, M, 161.0, cores=16, pi_factor=2.0) == 4


def test_the_sliced_table() -> None:
    md = sliced_table(M, [100], [4, 16], [1, 4])
    assert md.splitlines()[0] == "| Pis | controller cores | 1 process (s) | 4 slices (s) |"
    # 4 cores, 4 slices: canary max(1, 2) = 2; 50 -> max(50, 26) = 50; 49 -> max(49, 26) = 49
    # -> 30 + 60 + 101 + 8 = 199; one process: 10 + 60 + 200 + 8 = 278
    assert "| 100 | 4 | 278 | 199 |" in md
    assert "| 100 | 16 | 278 | 152 |" in md
    # a 2x Pi: 3 s more per batch, 9 s on each
    assert "| 100 | 16 | 287 | 161 |" in sliced_table(M, [100], [16], [1, 4], pi_factor=2.0)


def test_the_other_tables_take_slices_and_pi_factor() -> None:
    md = terms_table(M, [100], [16], slices=4, pi_factor=2.0)
    # fixed 30, 3 x 23 chain, 54 controller CPU bound by the largest batch's main process
    assert "| 100 | 16 | 30.0 | 69.0 | 54.0 | main process | 8.0 | 161 |" in md
    # T on 16 cores: one process is bound by its main process (0.5 >= 4 / 16); 4 slices of the
    # 50-host batch are bound by the workers (50 x 4/16 = 12.5 > 13 x 0.5): 0.5 + 12.5 + 12.25
    assert "| main process |" in terms_table(T, [100], [16])
    assert "| 100 | 16 | 30.0 | 60.0 | 25.2 | workers / cores | 8.0 | 123 |" in terms_table(
        T, [100], [16], slices=4
    )
    naive = {100: {"wall_s": 1000.0}}
    assert lan_md(M, [100], [16], naive).splitlines()[2] == "| 100 | 3 | 1000 | 278 |"
    sliced = lan_md(M, [100], [16], naive, slices=4).splitlines()
    assert sliced[0] == "| Pis | batches | naive line (s) | LAN, 16 cores, 4 slices (s) |"
    assert sliced[2] == "| 100 | 3 | 1000 | 152 |"


# --- what a cut of the module runs per host buys (the op price measured by SCALE_OP_COST) ------

P = OpPrice(wall_s=0.25, host_cpu_s=0.2, ctl_cpu_s=0.05)


def test_without_ops_takes_each_runs_price_off_the_per_host_terms() -> None:
    cut = without_ops(T, 4, P)
    assert cut.chain_s == pytest.approx(20.0 - 1.0)
    assert cut.host_cpu_s == pytest.approx(3.0 - 0.8)
    assert cut.ctl_cpu_s == pytest.approx(4.0 - 0.2)
    assert (cut.main_cpu_s, cut.fixed_s, cut.bytes_per_host) == (0.5, 10.0, 1e7)
    # never below zero, and the controller never below its main process
    deep = without_ops(T, 1000, P)
    assert (deep.chain_s, deep.host_cpu_s, deep.ctl_cpu_s) == (0.0, 0.0, 0.5)
    with pytest.raises(ValueError, match=">= 0"):
        without_ops(T, -1, P)


def test_ops_to_cut_is_the_fewest_that_meet_the_goal() -> None:
    walls = [lan_wall(100, without_ops(T, k, P), 16, slices=8, pi_factor=2.0) for k in range(40)]
    goal = (walls[10] + walls[11]) / 2  # between the wall with 10 and with 11 runs removed
    assert ops_to_cut(100, T, P, goal, cores=16, slices=8, pi_factor=2.0) == 11
    assert ops_to_cut(100, T, P, walls[0] + 1, cores=16, slices=8, pi_factor=2.0) == 0
    assert ops_to_cut(100, T, P, 1.0, cores=16, slices=8, pi_factor=2.0) is None
