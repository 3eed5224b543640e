"""The peer benchmark's pure parts (issue 16): /proc parsing, wrk's output, ratios, percentiles.

benchmarks/procstat.py is read against a synthetic /proc-like folder built here; wrk's output is
a line the harness's own Lua script would print. No server runs and nothing is timed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from bench_modules import load

procstat = load("procstat")
compare = load("compare")
wrkclient = load("wrkclient")
loadgen = load("loadgen")


def _stat(pid: int, comm: str, ppid: int, ut: int, st: int, cut: int = 0, cst: int = 0) -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    # utime stime cutime cstime priority nice ...
    rest = [ppid, pid, pid, 0, -1, 4194560, 10, 0, 0, 0, ut, st, cut, cst, 20, 0, 5, 0]
    return f"{pid} ({comm}) S " + " ".join(map(str, rest)) + "\n"


def _proc(root: Path, pid: int, stat: str, rss_kb: int | None, pss_kb: int | None = None) -> None:
    d = root / str(pid)
    d.mkdir(parents=True)
    (d / "stat").write_text(stat)
    (d / "cmdline").write_bytes(b"python\0-m\0hailo_inference\0")
    if rss_kb is not None:
        (d / "status").write_text(f"Name:\tpython\nVmPeak:\t 9 kB\nVmRSS:\t  {rss_kb} kB\n")
    if pss_kb is not None:
        (d / "smaps_rollup").write_text(f"00400000-ff [rollup]\nRss: 1 kB\nPss:  {pss_kb} kB\n")


@pytest.fixture()
def fake_proc(tmp_path: Path) -> Path:
    """A supervisor (100) with two workers (101, 102), a grandchild (103), and strangers."""
    p = tmp_path / "proc"
    _proc(p, 100, _stat(100, "python", 1, 50, 10, cut=7, cst=3), 50_000, 30_000)
    _proc(p, 101, _stat(101, "py worker (1)", 100, 400, 100), 100_000, 70_000)
    _proc(p, 102, _stat(102, "python", 100, 300, 50), 102_400, 71_000)
    _proc(p, 103, _stat(103, "helper", 101, 20, 0), 10_000, 5_000)
    _proc(p, 200, _stat(200, "wrk", 1, 999, 999), 5_000, 4_000)  # not the server's
    (p / "300").mkdir()  # a process that exited between listing and reading: no stat
    (p / "self").mkdir()  # non-numeric entries are ignored
    return p


def test_parse_stat_takes_comm_with_spaces_and_parentheses():
    s = procstat.parse_stat(_stat(7, "a b) (c", 3, 11, 22, 33, 44))
    assert (s.pid, s.comm, s.ppid) == (7, "a b) (c", 3)
    assert (s.utime, s.stime, s.cutime, s.cstime, s.ticks) == (11, 22, 33, 44, 110)


def test_tree_is_the_root_and_all_descendants_only(fake_proc: Path):
    assert [s.pid for s in procstat.tree(100, fake_proc)] == [100, 101, 102, 103]
    assert [s.pid for s in procstat.tree(101, fake_proc)] == [101, 103]
    assert procstat.tree(999, fake_proc) == []


def test_cpu_seconds_sums_the_tree_including_reaped_children(fake_proc: Path):
    ticks = (50 + 10 + 7 + 3) + (400 + 100) + (300 + 50) + 20
    assert procstat.cpu_seconds(100, fake_proc, clk_tck=100) == pytest.approx(ticks / 100)
    assert procstat.cpu_seconds(999, fake_proc, clk_tck=100) == 0


def test_memory_reports_each_worker_and_totals(fake_proc: Path):
    m = procstat.memory(100, fake_proc)
    assert [p["role"] for p in m["processes"]] == ["main", "child", "child", "child"]
    assert m["per_worker_rss_kb"] == [100_000, 102_400, 10_000]
    assert m["total_rss_kb"] == 50_000 + 100_000 + 102_400 + 10_000
    assert m["total_pss_kb"] == 30_000 + 70_000 + 71_000 + 5_000
    assert m["processes"][0]["cmd"] == "python -m hailo_inference"


def test_memory_of_a_single_process_and_without_pss(tmp_path: Path):
    p = tmp_path / "proc"
    _proc(p, 42, _stat(42, "uvicorn", 1, 5, 5), 80_000)  # no smaps_rollup (older kernel)
    m = procstat.memory(42, p)
    assert m["per_worker_rss_kb"] == [80_000]  # one process serves: it is the worker
    assert m["total_rss_kb"] == 80_000
    assert m["total_pss_kb"] is None


def test_ratio_and_cpu_per_window():
    assert compare.ratio(3.0, 2.0) == 1.5
    for a, b in [(1.0, 0.0), (1.0, None), (None, 1.0), (1.0, math.nan), (math.nan, 1.0)]:
        assert math.isnan(compare.ratio(a, b))
    assert compare.per_window_ms(1.5, 1000) == pytest.approx(1.5)
    assert math.isnan(compare.per_window_ms(1.0, 0))


def test_nearest_rank_percentile():
    lat = [i / 1000 for i in range(1, 101)]  # 1..100 ms, in seconds
    assert loadgen.pct(lat, 50) == pytest.approx(50)
    assert loadgen.pct(lat, 99) == pytest.approx(99)
    assert loadgen.pct(lat, 100) == pytest.approx(100)
    assert loadgen.pct([0.007], 99) == pytest.approx(7)
    assert math.isnan(loadgen.pct([], 50))


def _round(rps: float, p99: float, ok: float = 1.0, cpu: float = 1.0) -> dict:
    return {
        "throughput_rps": rps,
        "windows_per_s": rps * ok,
        "success_rate": ok,
        "cpu_ms_per_window": cpu,
        "p50_ms": p99 / 4,
        "p95_ms": p99 / 2,
        "p99_ms": p99,
        "max_ms": p99 * 2,
    }


def test_combine_means_the_rates_and_keeps_the_worst_percentiles():
    c = compare.combine([_round(800, 30, cpu=1.0), _round(600, 50, ok=0.5, cpu=2.0)])
    assert c["rounds"] == 2
    assert c["throughput_rps"] == pytest.approx(700)
    assert c["windows_per_s"] == pytest.approx((800 + 300) / 2)
    assert c["p99_ms"] == 50 and c["p50_ms"] == 12.5 and c["max_ms"] == 100
    assert c["success_rate"] == 0.5
    assert c["cpu_ms_per_window"] == pytest.approx(1.5)
    assert compare.combine([]) == {}


def _servers(ours_rps: float, ours_p99: float, peer_p99: float, open_p99: float) -> dict:
    def srv(workers: int, rps: float, p99: float) -> dict:
        return {
            "label": f"w{workers}",
            "workers": workers,
            "closed": compare.combine([_round(rps, p99)]),
            "open": _round(200, open_p99),
            "memory": {"total_rss_kb": 2048, "per_worker_rss_kb": [1024, 1024]},
        }

    return {
        "ours_w1": srv(1, 450, 70),
        "ours_w2": srv(2, ours_rps, ours_p99),
        "peer": srv(1, 500, peer_p99),
    }


def test_targets_met():
    bare = {"callers_1": {"windows_per_s": 1000}, "callers_2": {"windows_per_s": 1200}}
    tg = compare.targets(_servers(900, 20, 55, 8), bare, "ours_w2")
    assert tg["compared"] == "ours_w2"
    assert tg["closed_rps_ratio_to_peer"]["value"] == pytest.approx(1.8)
    skip = ("compared", "single_ratio_to_bare_ours_w1")
    assert all(v["met"] for k, v in tg.items() if k not in skip)
    assert tg["single_ratio_to_bare_ours_w2"]["value"] == pytest.approx(0.75)
    assert tg["single_ratio_to_bare_ours_w1"]["value"] == pytest.approx(0.45)
    assert tg["single_ratio_to_bare_ours_w1"]["met"] is False


def test_targets_not_met_and_not_measured():
    bare = {"callers_1": {"windows_per_s": 1000}}  # no 2-caller baseline measured
    tg = compare.targets(_servers(700, 50, 55, 12), bare, "ours_w2")
    assert tg["closed_rps_ratio_to_peer"]["met"] is False  # 1.4x
    assert tg["closed_p99_ms"]["met"] is False  # below the peer's but over 45 ms
    assert tg["open_p99_ms"]["met"] is False
    assert tg["single_ratio_to_bare_ours_w2"]["met"] is None  # NaN: not measured, not "met"
    text = compare.table(_servers(700, 50, 55, 12), tg, "wrk -t1 -c8 -d15s")
    assert "NOT met" in text and "not measured" in text and "wrk -t1 -c8" in text
    assert [ln.split()[1] for ln in text.splitlines() if ln.startswith("w2 ")] == ["closed", "open"]


WRK_LINE = (
    'WRK_JSON {"requests":1000,"duration_us":2000000,"errors":{"connect":0,"read":2,'
    '"write":0,"status":10,"timeout":8},"latency_us":{"min":900,"max":61000,"mean":4200.5,'
    '"percentiles":[[50,3500],[95,12000],[99,30500],[99.9,45000]]}}'
)


def test_wrk_output_parsed():
    out = "Running 2s test @ http://127.0.0.1:1/infer\n  1 threads and 8 connections\n"
    r = wrkclient.parse(out + WRK_LINE + "\nRequests/sec: 500.00\n")
    assert r["requests"] == 1000 and r["ok"] == 990 and r["seconds"] == 2.0
    assert r["throughput_rps"] == 500 and r["windows_per_s"] == 495
    assert r["success_rate"] == pytest.approx(990 / 1010)  # timeouts and read errors count
    assert (r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"]) == (3.5, 12.0, 30.5, 61.0)
    assert r["curve_ms"][-1] == [100.0, 61.0]  # ends at the max, not wrk's percentile(100)


def test_wrk_output_without_the_line_is_an_error():
    with pytest.raises(ValueError, match="no WRK_JSON line"):
        wrkclient.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_wrk_script_embeds_the_body_and_refuses_what_would_end_it():
    lua = wrkclient.script(b'{"x": [[1.5, -2.0]]}')
    assert 'wrk.body = [=[{"x": [[1.5, -2.0]]}]=]' in lua
    assert 'wrk.method = "POST"' in lua and "latency:percentile(q)" in lua
    assert "%%" not in lua  # the Python template's escapes are all resolved
    with pytest.raises(ValueError, match="cannot be embedded"):
        wrkclient.script(b'{"x": "]=]"}')


heyclient = load("heyclient")
HEY_CSV = (
    "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n"
    "0.0031,0.0002,0.0000,0.0000,0.0029,0.0000,200,0.0100\n"
    "0.0004,0.0000,0.0000,0.0000,0.0003,0.0000,503,0.0120\n"
    "5.0001,0.0000,0.0000,0.0000,0.0000,0.0000,0,0.0130\n"
)


def test_hey_csv_parsed_per_request_with_no_answer_as_status_0():
    assert heyclient.parse(HEY_CSV) == [(0.0031, 200), (0.0004, 503), (5.0001, 0)]


def test_hey_output_that_is_not_its_csv_is_an_error():
    with pytest.raises(ValueError, match="not hey's CSV"):
        heyclient.parse("Summary:\n  Total: 5.0 secs\n")
