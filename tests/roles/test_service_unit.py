"""The daemon's systemd unit gives libhailort a writable log place (issue 13 item 5).

libhailort (github hailo-ai/hailort, branch hailo8, hailort/libhailort/src/utils/
hailort_logger.cpp) writes hailort.log to $HAILORT_LOGGER_PATH; unset, parse_log_path() returns
"." (the working directory, / for a systemd service), and create_file_sink() prints "HailoRT
warning: Cannot create log file hailort.log!" to stderr, a non-JSON journald line, on every start
under ProtectSystem=strict. "NONE" disables the file. Rendered here with jinja2; the lab's
tests/fleet checks the installed unit. Verified against the source, not on hardware.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles/hailo_inference"


def render(**overrides: object) -> str:
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    vars_ = yaml.safe_load((ROLE / "vars/main.yml").read_text())
    ctx = {**defaults, **vars_, "ansible_managed": "managed", "role_path": str(ROLE), **overrides}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["comment"] = lambda s: f"# {s}"
    env.filters["bool"] = lambda v: str(v).lower() in ("1", "true", "yes", "on")
    env.filters["basename"] = lambda p: Path(p).name
    env.filters["dirname"] = lambda p: str(Path(p).parent)
    for _ in range(3):  # resolve defaults that are themselves templates
        ctx = {
            k: env.from_string(v).render(**ctx) if isinstance(v, str) and "{{" in v else v
            for k, v in ctx.items()
        }
    return env.from_string((ROLE / "templates/hailo-inference.service.j2").read_text()).render(
        **ctx
    )


def directives(unit: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in unit.splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


@pytest.mark.parametrize("accelerator", [True, False])
def test_hailort_log_path_is_writable_under_protect_system_strict(accelerator: bool) -> None:
    d = directives(render(edge_has_accelerator=accelerator))
    assert d["ProtectSystem"] == ["strict"]
    env = dict(kv.split("=", 1) for e in d["Environment"] for kv in e.split())
    path = env["HAILORT_LOGGER_PATH"]
    state = [f"/var/lib/{s}" for s in d["StateDirectory"][0].split()]
    writable = state + d.get("ReadWritePaths", [])
    assert path == "NONE" or any(path == w or path.startswith(w + "/") for w in writable), path
    # the working directory libhailort falls back to is a writable one, not /
    assert d["WorkingDirectory"] == [state[0]]


def test_hailort_log_can_be_switched_off() -> None:
    d = directives(render(hailo_inference_hailort_log_dir="NONE"))
    assert "HAILORT_LOGGER_PATH=NONE" in d["Environment"]


def test_unit_keeps_restarting_but_not_on_a_bad_config() -> None:
    """A start limit (10 in 120 s with RestartSec=1) left the unit failed for good after ~10 s of
    failures, e.g. an accelerator not there yet after boot: no limit, a 2 s pace, and exit 2 (bad
    config, see hailo_inference.__main__) is not retried."""
    unit = render()
    assert re.search(r"^StartLimitIntervalSec=0$", unit, re.M), unit
    assert "StartLimitBurst" not in unit
    assert re.search(r"^RestartSec=([2-9]|\d\d+)$", unit, re.M), unit
    assert re.search(r"^RestartPreventExitStatus=2$", unit, re.M), unit


def test_unit_bounds_memory_tasks_files_and_proc() -> None:
    """Issue 14: a reload storm once took the daemon to GBs; the kernel must pick this unit, not
    EdgeInfer. Values measured with benchmarks/reliability.py (docs/reliability.md)."""
    d = directives(render())

    def mib(v: str) -> float:
        return float(v[:-1]) * {"K": 1 / 1024, "M": 1, "G": 1024}[v[-1]]

    high, top = mib(d["MemoryHigh"][0]), mib(d["MemoryMax"][0])
    assert 140 * 2 <= high < top <= 1024, (high, top)  # >= 2x the measured peak, below 1 GiB
    assert 16 * 2 <= int(d["TasksMax"][0]) <= 256
    assert int(d["LimitNOFILE"][0]) >= 1000 + 128  # http_guard.CONNECTION_LIMIT + FD_RESERVE
    assert int(d["OOMScoreAdjust"][0]) > 0
    assert d["ProcSubset"] == ["pid"]


def test_journald_rate_limit_on_the_unit() -> None:
    """Month two (issue 28 item 8): journald's per-service default (RateLimitBurst=10000 per
    30 s in journald.conf) let ~333 lines/s through; the unit gets its own limit
    (LogRateLimitIntervalSec=/LogRateLimitBurst=, systemd.exec(5), systemd >= 240) from role
    variables. The daemon logs a summary per interval plus failed and slow requests."""
    d = directives(render())
    assert d["LogRateLimitIntervalSec"] == ["30s"] and d["LogRateLimitBurst"] == ["1000"]
    d = directives(
        render(
            hailo_inference_log_rate_limit_interval_sec=10, hailo_inference_log_rate_limit_burst=50
        )
    )
    assert d["LogRateLimitIntervalSec"] == ["10s"] and d["LogRateLimitBurst"] == ["50"]
