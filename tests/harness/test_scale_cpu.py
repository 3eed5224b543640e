"""lab/scale/cpu.py: reading CPU seconds from /proc and cgroup v2 files (issue 28 item 7)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab" / "scale"))
from cpu import cpu_stat_s, stat_cpu_s, unified_path

# proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
# utime stime cutime cstime ...; the command may hold spaces and parentheses
STAT = "4242 (ansible-playbook (x) y) S 1 4242 4242 0 -1 4194560 9 8 7 6 250 50 900 100 20 0"


def test_stat_reads_utime_and_stime_not_the_childrens() -> None:
    assert stat_cpu_s(STAT, clk_tck=100) == pytest.approx(3.0)  # (250 + 50) / 100


def test_cpu_stat_reads_usage_usec() -> None:
    text = "usage_usec 8881055030\nuser_usec 7657966207\nsystem_usec 1223088822\n"
    assert cpu_stat_s(text) == pytest.approx(8881.05503)
    with pytest.raises(ValueError, match="usage_usec"):
        cpu_stat_s("user_usec 1\n")


def test_the_hosts_cgroup_is_the_parent_of_its_init_scope() -> None:
    text = "9:name=systemd:/payload/init.scope\n1:cpu:/\n0::/payload/init.scope\n"
    assert unified_path(text) == "/payload"
    assert unified_path("0::/machine.slice/pi-1\n") == "/machine.slice/pi-1"
    assert unified_path("0::/init.scope\n") == "/"
    with pytest.raises(ValueError, match="unified hierarchy"):
        unified_path("4:memory:/x\n")
