"""The scale run's arithmetic (scripts/scale-run.py): a least-squares line through the measured
points and its projection (the naive model), and the LAN model for Pis with their own CPUs
(lan_wall, below), as Markdown tables. Standard library only."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from statistics import median


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


def line_points(fit: tuple[float, float], xs: Sequence[float]) -> list[list[float]]:
    """[x, a + b x] for a plot on log axes: an x <= 0 cannot be drawn there (matplotlib drops
    it and a two-point line degenerates), so it is refused."""
    if any(x <= 0 for x in xs):
        raise ValueError("line_points: the plot's axes are logarithmic, every x must be > 0")
    return [[float(x), project(fit, x)] for x in xs]


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


# --- The LAN model: what scales with the controller vs. what runs on each Pi -------------------
#
# The naive line above is fitted on the lab, where the controller and every host share the same
# 2 cores: each added host adds its own CPU to the controller's machine. On a LAN each Pi runs its
# part on its own CPU, so the run's wall time is modelled from separately measured terms:
#
#   wall(n) = fixed                            # once per run: start-up, preflight play, summary
#           + batches(n) x chain               # one host's critical path, once per serial batch
#           + n x max(ctl_cpu / cores, main_cpu)   # the controller's CPU per host: the workers
#                                              # spread over the cores, the strategy loop (one
#                                              # process) does not
#           + n x bytes x 8 / link_bps         # what the controller sends, through its one link
#
# Conservative where it simplifies: the canary's chain already holds one host's controller CPU
# and its bytes, and the terms are added, not overlapped.

DEFAULT_SERIAL: tuple[int | str, ...] = (1, "50%")  # playbooks/vars/rollout.yml


def serial_batches(n: int, serial: Sequence[int | str] = DEFAULT_SERIAL) -> list[int]:
    """Batch sizes Ansible makes of n hosts for a play's `serial` list (PlaybookExecutor.
    _get_serialized_batches with pct_to_int: a percentage of all n hosts, truncated, at least 1;
    the last entry repeats; the last batch takes what is left)."""
    if n <= 0:
        return []
    sizes, left, i = [], n, 0
    while left > 0:
        s = serial[min(i, len(serial) - 1)]
        size = max(int(n * int(s[:-1]) / 100), 1) if isinstance(s, str) else int(s)
        size = left if size <= 0 else min(size, left)
        sizes.append(size)
        left -= size
        i += 1
    return sizes


@dataclass(frozen=True)
class Terms:
    fixed_s: float  # per run, whatever the number of hosts
    chain_s: float  # one host's critical path (the canary batch, 1 host)
    ctl_cpu_s: float  # controller CPU seconds per host, all processes (workers, ssh, main)
    main_cpu_s: float  # of which the playbook's main process (serial: one core at most)
    bytes_per_host: float  # bytes the controller sends per host
    host_cpu_s: float = 0.0  # CPU seconds on each host (inside the chain on a LAN)


def lan_wall(
    n: int,
    t: Terms,
    cores: int,
    link_bps: float = 1e9,
    serial: Sequence[int | str] = DEFAULT_SERIAL,
    slices: int = 1,
    pi_factor: float = 1.0,
) -> float:
    """Projected wall time (s) of a run on n Pis with their own CPUs, `cores` controller cores,
    each later batch split over up to `slices` processes (scripts/rollout.py), Pi cores
    `pi_factor` times slower than the core the terms were measured on."""
    return sum(lan_terms(n, t, cores, link_bps, serial, slices, pi_factor).values())


def lan_terms(
    n: int,
    t: Terms,
    cores: int,
    link_bps: float = 1e9,
    serial: Sequence[int | str] = DEFAULT_SERIAL,
    slices: int = 1,
    pi_factor: float = 1.0,
) -> dict[str, float]:
    """lan_wall's four terms (s) for n Pis: the time each adds, so the largest is the bound."""
    if slices < 1:
        raise ValueError("slices must be at least 1")
    batches = serial_batches(n, serial)
    return {
        "fixed": t.fixed_s if slices == 1 else t.fixed_s * len(batches),
        "batches x chain": len(batches) * chain_on_pi(t, pi_factor),
        "controller CPU": ctl_term(n, t, cores, batches, slices),
        "link": n * t.bytes_per_host * 8 / link_bps,
    }


# --- Sliced runs (scripts/rollout.py) and Pi cores slower than the lab's -----------------------
#
# With K slices each batch is run on its own: the canary (batch 0) by one process, batch i > 0
# by k_i = min(K, b_i) processes of at most ceil(b_i / k_i) hosts, all at once. Per batch the
# controller CPU takes max(b_i x ctl_cpu / cores,       the workers over all cores
#                          ceil(b_i / k_i) x main_cpu,   each main process serial on one core
#                          b_i x main_cpu / cores)       at most `cores` main processes at once
# (the last is implied by the first while ctl_cpu holds main_cpu, as measured; it is kept for
# terms where it does not). Each process starts up on its own, in parallel with the batch's
# others: `fixed` is paid once per batch when sliced, once per run in one process (K = 1).
#
# A Pi 5 core against the lab's: the terms were measured on this VM, /proc/cpuinfo "Intel(R)
# Xeon(R) Processor", family 6 model 207 (0xCF, Linux's INTEL_EMERALDRAPIDS_X: a 5th-gen Xeon
# Scalable, Emerald Rapids), 2 vCPUs under KVM, 2.3 GHz nominal ("cpu MHz 2299.998").
# Single-core figures found (2026-12-07; no Python benchmark run on both a Pi 5 and an x86 server
# core was found, so these are the nearest):
# - Geekbench 6 single-core, Raspberry Pi 5 (Cortex-A76 @ 2.4 GHz, stock): 748 (Jeff Geerling,
#   "Geekbench 6: (748 single / 1507 multi - https://browser.geekbench.com/v6/cpu/2808487)",
#   https://github.com/geerlingguy/sbc-reviews/issues/21). Scores above 1000 there are
#   overclocked (975 at 3050 MHz, https://github.com/raspberrypi/firmware/issues/1876).
# - Geekbench 6 is calibrated so that 2500 is a Core i7-12700 (Primate Labs, "Geekbench 6 CPU
#   Workloads": "calibrated against a baseline score of 2,500 (which is the score of a Dell
#   Precision 3460 with a Core i7-12700 processor)", February 2023, as stored at
#   https://studylib.net/doc/27301872/geekbench6-cpu-workloads):
#   2500 / 748 = 3.3 against a desktop x86 core (up to 4.9 GHz).
# - 7-zip single-thread MIPS (sbc-bench submissions collected by arkadijs,
#   https://gist.github.com/arkadijs/117934b6a3f011dc7024193bcb0b82a8): Raspberry Pi 5 at 2400
#   MHz 3160, Intel N100 4073, Pentium G4600 (Kaby Lake, 3.6 GHz) 4448: 1.3 to 1.4 against small
#   or old x86 cores (integer, branchy: the closest to an interpreter's load).
# Range found: 1.3 to 3.3. No figure for this VM's server core was found (its 2.3 GHz nominal
# clock sits below the desktop's 4.9 GHz turbo), so the conservative end, the slower Pi, is taken:
# the Geekbench 6 ratio.
GB6_SINGLE_PI5: float = 748.0  # Jeff Geerling, sbc-reviews issue 21
GB6_SINGLE_BASELINE_I7_12700: float = 2500.0  # Primate Labs' calibration point
PI5_FACTOR_CITED: float = round(GB6_SINGLE_BASELINE_I7_12700 / GB6_SINGLE_PI5, 1)


def chain_on_pi(t: Terms, pi_factor: float = 1.0) -> float:
    """The canary's chain with the host's own CPU share (host_cpu, measured on the lab's x86
    core) taking pi_factor times as long; min: the share never exceeds the chain."""
    return t.chain_s + (pi_factor - 1) * min(t.host_cpu_s, t.chain_s)


def batch_procs(index: int, hosts: int, slices: int) -> int:
    """ansible-playbook processes for batch `index` of `hosts` hosts: the canary runs alone."""
    return 1 if index == 0 else min(slices, hosts)


def batch_ctl_parts(hosts: int, t: Terms, cores: int, procs: int) -> dict[str, float]:
    """The controller CPU term's three parts (s) for one batch run by `procs` processes."""
    return {
        "main process": math.ceil(hosts / procs) * t.main_cpu_s,
        "workers / cores": hosts * t.ctl_cpu_s / cores,
        "main processes / cores": hosts * t.main_cpu_s / cores,
    }


def ctl_term(n: int, t: Terms, cores: int, batches: Sequence[int], slices: int) -> float:
    """The controller CPU term (s): one process for the run (today's figure, K = 1), else the
    sum over the batches of each one's largest part."""
    if slices == 1:
        return n * max(t.ctl_cpu_s / cores, t.main_cpu_s)
    return sum(
        max(batch_ctl_parts(b, t, cores, batch_procs(i, b, slices)).values())
        for i, b in enumerate(batches)
    )


def sliced_bound(n: int, t: Terms, cores: int, slices: int) -> str:
    """Which part of the controller CPU term binds in the largest batch (ties: the earlier
    part in batch_ctl_parts, as ctl_bound)."""
    batches = serial_batches(n)
    i = max(range(len(batches)), key=lambda j: batches[j])
    parts = batch_ctl_parts(batches[i], t, cores, batch_procs(i, batches[i], slices))
    return max(parts, key=lambda k: parts[k])


def ctl_bound(t: Terms, cores: int) -> str:
    """Which of the controller CPU term's two parts binds at `cores`."""
    return "main process" if t.main_cpu_s >= t.ctl_cpu_s / cores else "workers / cores"


def terms_table(
    t: Terms,
    targets: Sequence[int],
    cores: Sequence[int],
    link_bps: float = 1e9,
    slices: int = 1,
    pi_factor: float = 1.0,
) -> str:
    """Markdown: each LAN-model term's seconds per target and controller core count (sliced:
    the bound is the largest batch's)."""
    out = [
        "| Pis | controller cores | fixed (s) | batches x chain (s) | controller CPU (s) | "
        "bound by | link (s) | LAN model (s) |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for n in targets:
        for k in cores:
            v = lan_terms(n, t, k, link_bps, slices=slices, pi_factor=pi_factor)
            bound = ctl_bound(t, k) if slices == 1 else sliced_bound(n, t, k, slices)
            out.append(
                f"| {n} | {k} | {v['fixed']:.1f} | {v['batches x chain']:.1f} | "
                f"{v['controller CPU']:.1f} | {bound} | {v['link']:.1f} | "
                f"{sum(v.values()):.0f} |"
            )
    return "\n".join(out)


def shared_wall(
    n: int, t: Terms, cores: int, serial: Sequence[int | str] = DEFAULT_SERIAL
) -> float:
    """The same terms on the lab, where the hosts' CPU is the controller's too: a check of the
    decomposition against the measured points, not a projection."""
    per_host = max((t.ctl_cpu_s + t.host_cpu_s) / cores, t.main_cpu_s)
    return t.fixed_s + len(serial_batches(n, serial)) * t.chain_s + n * per_host


def cores_for(
    n: int,
    t: Terms,
    goal_s: float,
    link_bps: float = 1e9,
    most: int = 256,
    slices: int = 1,
    pi_factor: float = 1.0,
) -> int | None:
    """The fewest controller cores that bring n Pis under goal_s, None if no count does (the
    serial terms alone exceed it)."""
    return _fewest(
        most, goal_s, lambda k: lan_wall(n, t, k, link_bps, slices=slices, pi_factor=pi_factor)
    )


def _fewest(most: int, goal_s: float, wall: Callable[[int], float]) -> int | None:
    """The smallest k in 1..most with wall(k) <= goal_s, tried one by one (not bisected: the
    wall need not fall as k grows)."""
    return next((k for k in range(1, most + 1) if wall(k) <= goal_s), None)


def slices_for(
    n: int,
    t: Terms,
    goal_s: float,
    cores: int,
    pi_factor: float = 1.0,
    link_bps: float = 1e9,
    most: int = 64,
) -> int | None:
    """The fewest slices (scripts/rollout.py --slices) that bring n Pis under goal_s at `cores`
    controller cores, None if none up to `most` does. Searched one by one: the wall is not
    monotonic in K (slicing pays `fixed` once per batch)."""
    return _fewest(
        most, goal_s, lambda k: lan_wall(n, t, cores, link_bps, slices=k, pi_factor=pi_factor)
    )


@dataclass(frozen=True)
class OpPrice:
    """What one module run on a host costs (scale-run's SCALE_OP_COST: 21 stat runs less 1)."""

    wall_s: float  # added to the chain
    host_cpu_s: float  # the host's CPU
    ctl_cpu_s: float  # the controller's CPU (a stat: the cheapest kind)


def without_ops(t: Terms, ops: int, price: OpPrice) -> Terms:
    """The terms with `ops` module runs per host fewer, each priced as measured. The main
    process's share is kept (its CPU follows the tasks Ansible evaluates, skipped ones too: a
    cut that only skips a task saves none of it), so the estimate errs on the slow side."""
    if ops < 0:
        raise ValueError("without_ops: ops is how many module runs per host go, >= 0")
    return replace(
        t,
        chain_s=max(t.chain_s - ops * price.wall_s, 0.0),
        host_cpu_s=max(t.host_cpu_s - ops * price.host_cpu_s, 0.0),
        ctl_cpu_s=max(t.ctl_cpu_s - ops * price.ctl_cpu_s, t.main_cpu_s),
    )


def ops_to_cut(
    n: int, t: Terms, price: OpPrice, goal_s: float, cores: int, slices: int,
    pi_factor: float = 1.0, most: int = 200,
) -> int | None:  # fmt: skip
    """The fewest module runs per host to remove for n Pis to finish within goal_s."""
    return next(
        (k for k in range(most + 1)
         if lan_wall(n, without_ops(t, k, price), cores, slices=slices, pi_factor=pi_factor)
         <= goal_s),
        None,
    )  # fmt: skip


def sliced_table(
    t: Terms,
    targets: Sequence[int],
    cores_list: Sequence[int],
    slices_list: Sequence[int],
    pi_factor: float = 1.0,
    link_bps: float = 1e9,
) -> str:
    """Markdown: the LAN model's wall (s) per number of Pis and controller cores (rows) and
    number of slices (columns)."""
    head = " | ".join(f"{k} slices (s)" if k != 1 else "1 process (s)" for k in slices_list)
    out = [f"| Pis | controller cores | {head} |", "|---:" * (2 + len(slices_list)) + "|"]
    for n in targets:
        for c in cores_list:
            walls = " | ".join(
                f"{lan_wall(n, t, c, link_bps, slices=k, pi_factor=pi_factor):.0f}"
                for k in slices_list
            )
            out.append(f"| {n} | {c} | {walls} |")
    return "\n".join(out)


def rollout_batches(plays: list[dict]) -> list[dict]:
    """The serial play's batches from op_count's play entries: the play that starts most often
    (once per batch); with one batch each, the longest play."""
    if not plays:
        raise ValueError("no plays recorded: was the op_count callback enabled?")
    names = [p["play"] for p in plays]
    top = max(
        names,
        key=lambda m: (
            names.count(m),
            sum(p["end_s"] - p["start_s"] for p in plays if p["play"] == m),
        ),
    )
    return [p for p in plays if p["play"] == top]


def terms_from_rows(rows: list[dict]) -> Terms:
    """Each term from the measured runs: the chain as the median canary batch (one host); the
    fixed time as the intercept of the time outside the serial batches (preflight, summary, start)
    over the number of hosts, floored at 0 (its slope is controller work per host, already in the
    CPU term); the per-host CPU and bytes as the slope of a line over the number of hosts (the
    intercepts are per-run work, inside the fixed time)."""
    xs = [float(r["hosts"]) for r in rows]

    def slope(key: str) -> float:
        return fit_line(xs, [float(r[key]) for r in rows])[1]

    chains = [r["batches"][0]["seconds"] for r in rows]
    outside = [r["wall_s"] - sum(b["seconds"] for b in r["batches"]) for r in rows]
    return Terms(
        fixed_s=max(fit_line(xs, outside)[0], 0.0),
        chain_s=median(chains),
        ctl_cpu_s=slope("ctl_cpu_s"),
        main_cpu_s=slope("main_cpu_s"),
        bytes_per_host=slope("tx_bytes"),
        host_cpu_s=slope("hosts_cpu_s"),
    )


def lan_table(
    t: Terms,
    targets: Sequence[int],
    cores: Sequence[int],
    naive: dict[int, dict],
    link_bps: float = 1e9,
    slices: int = 1,
    pi_factor: float = 1.0,
) -> str:
    """Markdown: for each target, the naive line and the LAN model per controller core count."""
    what = "" if slices == 1 else f", {slices} slices"
    head = " | ".join(f"LAN, {k} cores{what} (s)" for k in cores)
    out = [f"| Pis | batches | naive line (s) | {head} |", "|---:" * (3 + len(cores)) + "|"]
    for n in targets:
        lan = " | ".join(
            f"{lan_wall(n, t, k, link_bps, slices=slices, pi_factor=pi_factor):.0f}" for k in cores
        )
        out.append(f"| {n} | {len(serial_batches(n))} | {naive[n]['wall_s']:.0f} | {lan} |")
    return "\n".join(out)
