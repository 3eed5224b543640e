"""CPU time and memory of a server's process tree, read from /proc (Linux only).

A server here is its main process plus every descendant (a supervisor and its worker
processes). CPU is utime + stime of each live process plus cutime + cstime (what its already
reaped children used), so a worker restarted during a run still counts; the benchmark takes the
delta over a run and divides it by the windows served. Memory is VmRSS per process (shared pages
count in each) and, where the kernel offers smaps_rollup, PSS (shared pages split between the
processes that map them, so the total is not double counted). Every function takes `proc` so the
tests can point it at a synthetic /proc-like folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Stat:
    """The /proc/<pid>/stat fields the benchmark uses (times in clock ticks)."""

    pid: int
    comm: str
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def ticks(self) -> int:
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> Stat:
    """One /proc/<pid>/stat line. comm sits in parentheses and may hold spaces and ')'."""
    head, _, rest = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    f = rest.split()
    # after comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return Stat(int(pid), comm, int(f[1]), int(f[11]), int(f[12]), int(f[13]), int(f[14]))


def read_stat(pid: int, proc: Path = PROC) -> Stat | None:
    """None when the process is gone (it may exit between listing and reading)."""
    try:
        return parse_stat((proc / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def tree(root: int, proc: Path = PROC) -> list[Stat]:
    """`root` and all its live descendants, root first (found through each process' ppid)."""
    stats = [s for p in proc.iterdir() if p.name.isdigit() and (s := read_stat(int(p.name), proc))]
    children: dict[int, list[Stat]] = {}
    for s in stats:
        children.setdefault(s.ppid, []).append(s)
    top = next((s for s in stats if s.pid == root), None)
    if top is None:
        return []
    out, todo = [], [top]
    while todo:
        s = todo.pop(0)
        out.append(s)
        todo += sorted(children.get(s.pid, []), key=lambda c: c.pid)
    return out


def cpu_seconds(root: int, proc: Path = PROC, clk_tck: int = CLK_TCK) -> float:
    """CPU seconds used so far by `root`'s tree (live processes and their reaped children)."""
    return sum(s.ticks for s in tree(root, proc)) / clk_tck


def _kb(path: Path, key: str) -> int | None:
    """The `key:   N kB` line of a /proc status-like file, in kB (None when absent/unreadable)."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cmdline(pid: int, proc: Path) -> str:
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(a.decode(errors="replace") for a in raw.split(b"\0") if a)


def memory(root: int, proc: Path = PROC) -> dict:
    """RSS (and PSS when readable) of each process of `root`'s tree and their totals, in kB.

    `per_worker_rss_kb` lists the children's RSS when there are children (a supervisor with
    workers), else the single process' own (one process serves)."""
    procs = []
    for s in tree(root, proc):
        d = proc / str(s.pid)
        procs.append(
            {
                "pid": s.pid,
                "role": "main" if s.pid == root else "child",
                "cmd": _cmdline(s.pid, proc)[:120],
                "rss_kb": _kb(d / "status", "VmRSS"),
                "pss_kb": _kb(d / "smaps_rollup", "Pss"),
            }
        )
    kids = [p for p in procs if p["role"] == "child"]
    workers = kids or procs
    pss = [p["pss_kb"] for p in procs]
    return {
        "processes": procs,
        "total_rss_kb": sum(p["rss_kb"] or 0 for p in procs),
        "total_pss_kb": sum(pss) if pss and None not in pss else None,
        "per_worker_rss_kb": [p["rss_kb"] for p in workers],
    }
