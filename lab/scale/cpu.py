"""CPU seconds of a scale run (scripts/scale-run.py): the controller's and the lab hosts'.

- controller: ansible-playbook runs in its own cgroup (v2, /sys/fs/cgroup/unified/<name>), so
  its forked workers and the ssh ControlPersist masters it daemonizes are counted too
  (getrusage(RUSAGE_CHILDREN) misses the masters: they are never waited for);
- the playbook's main process alone (Ansible's strategy loop is one process: its CPU does not
  spread over cores), read from /proc/<pid>/stat once it has exited, before it is reaped;
- the hosts: the cgroup(s) systemd-nspawn put each host's PID 1 in (read from /proc/<pid>/cgroup;
  with `--register=no --keep-unit` every lab host shares one `payload` cgroup).
Stdlib only, Linux, root for the cgroup.
"""

from __future__ import annotations

import os
from pathlib import Path

UNIFIED = Path("/sys/fs/cgroup/unified")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def stat_cpu_s(stat_text: str, clk_tck: int = CLK_TCK) -> float:
    """utime + stime of a /proc/<pid>/stat line, in seconds (the process itself, no children).

    Fields are counted after the command's closing parenthesis (the command may hold spaces):
    utime and stime are fields 14 and 15 of proc(5), i.e. the 12th and 13th after it.
    """
    rest = stat_text[stat_text.rindex(")") + 2 :].split()
    return (int(rest[11]) + int(rest[12])) / clk_tck


def cpu_stat_s(text: str) -> float:
    """usage_usec of a cgroup v2 cpu.stat, in seconds."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value) / 1e6
    raise ValueError("cpu.stat has no usage_usec line: not a cgroup v2 cpu.stat")


def unified_path(proc_cgroup_text: str) -> str:
    """The cgroup v2 path ('0::' line) of a /proc/<pid>/cgroup text, without a trailing
    /init.scope (systemd's own scope inside a container: the container is its parent)."""
    for line in proc_cgroup_text.splitlines():
        if line.startswith("0::"):
            path = line[3:].strip()
            return path.removesuffix("/init.scope") or "/"
    raise ValueError("no cgroup v2 ('0::') line: the unified hierarchy is not mounted")


def hosts_cgroups(leader_pids: list[int]) -> list[Path]:
    """The distinct cgroup folders holding the given hosts' PID 1s (shared ones once)."""
    paths = {unified_path(Path(f"/proc/{pid}/cgroup").read_text()) for pid in leader_pids}
    if "/" in paths:
        raise SystemExit(
            "scale-run: a lab host runs in the root cgroup: its CPU cannot be told "
            "from the controller's; boot the lab with lab/fleet.py (nspawn payload)"
        )
    return sorted(UNIFIED / p.lstrip("/") for p in paths)


def usage_s(cgroups: list[Path]) -> float:
    return sum(cpu_stat_s((c / "cpu.stat").read_text()) for c in cgroups)


class Cgroup:
    """A cgroup v2 folder of our own: created, joined by a child (preexec), read, removed."""

    def __init__(self, name: str) -> None:
        self.path = UNIFIED / name

    def __enter__(self) -> Cgroup:
        if not (UNIFIED / "cgroup.procs").is_file():
            raise SystemExit(
                f"scale-run: no cgroup v2 hierarchy at {UNIFIED}: cannot count the "
                "controller's CPU (mount cgroup2 there or run on a hybrid host)"
            )
        self.path.mkdir(exist_ok=True)
        return self

    def join(self) -> None:
        """For subprocess preexec_fn: move the calling (child) process into the cgroup."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def usage_s(self) -> float:
        return cpu_stat_s((self.path / "cpu.stat").read_text())

    def procs(self) -> list[int]:
        return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]

    def __exit__(self, *exc: object) -> None:
        try:
            self.path.rmdir()
        except OSError as e:  # still populated: say which processes, never kill them here
            print(
                f"scale-run: cgroup {self.path} not removed ({e}); processes {self.procs()}: "
                f"remove it with rmdir once they have exited",
                flush=True,
            )
