"""Issue 16: server.workers > 1, a supervisor and N waitress workers on one port (real
subprocesses on the onnx/stub backends). Every wait is on a condition with a generous bound;
nothing asserts a duration."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
import requests
from daemon_helpers import (
    Live,
    copy_artifact,
    free_port,
    notify_socket,
    post_until,
    wait_for,
    window,
)
from hailo_inference.config import AUTO_WORKERS_CAP, ConfigError, build_config

JSON = {"Content-Type": "application/json"}
BODY = orjson.dumps({"x": window()})
TWO = {"server": {"workers": 2}}


def health(d: Live) -> dict:
    """/healthz on a new connection (any worker may take it)."""
    return requests.get(d.url + "/healthz", timeout=10, headers={"Connection": "close"}).json()


def worker_pids(d: Live, n: int = 2) -> dict[int, int]:
    """{worker index: pid} once a new connection reached each of the n workers."""
    seen: dict[int, int] = {}

    def reached_all() -> bool:
        h = health(d)
        seen[h["worker"]] = h["pid"]
        return len(seen) == n

    wait_for(reached_all, f"new connections reached all {n} workers")
    return seen


def events(d: Live, name: str) -> list[dict]:
    """Log events named `name` so far (the daemon may be writing a last, partial line)."""
    out = []
    for line in d.log.read_bytes().splitlines() if d.log.exists() else []:
        with contextlib.suppress(orjson.JSONDecodeError):
            e = orjson.loads(line)
            if e.get("event") == name:
                out.append(e)
    return out


def all_ready(d: Live) -> None:
    """Wait for the supervisor's `ready` (every worker loaded), not just one worker's /readyz."""
    wait_for(lambda: any(e["worker"] == 0 for e in events(d, "ready")), "every worker ready")


def metric(text: str, line_start: str) -> float:
    m = re.search(rf"^{re.escape(line_start)} ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_config_workers_int_auto_and_clear_errors():
    assert build_config({}, env={}).server.workers == 1  # today's single process
    assert build_config({"server": {"workers": 3}}, env={}).server.workers == 3
    auto = build_config({"server": {"workers": "auto"}}, env={}).server.workers
    assert 1 <= auto <= AUTO_WORKERS_CAP and auto <= (os.cpu_count() or 1)
    env = {"HAILO_INFERENCE_SERVER_WORKERS": "auto"}
    assert build_config({}, env=env).server.workers == auto
    for bad, says in [(0, "between 1 and"), ("many", "integer >= 1 or auto"), (True, "integer")]:
        with pytest.raises(ConfigError, match=says):
            build_config({"server": {"workers": bad}}, env={})


def test_ready_only_after_every_worker_then_both_serve_and_watchdog(live, tiny_artifact, tmp_path):
    sock_path = str(tmp_path / "notify.sock")
    srv = notify_socket(tmp_path / "notify.sock")
    msgs: list[str] = []

    def got(pred: Callable[[str], bool]) -> bool:
        with contextlib.suppress(TimeoutError):
            msgs.append(srv.recv(4096).decode())
        return any(pred(m) for m in msgs)

    env = {"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "400000"}
    d = live(tiny_artifact, wait=False, env=env, **TWO)
    wait_for(lambda: got(lambda m: m.startswith("READY=1")), "READY=1 from the supervisor")
    ready = next(m for m in msgs if m.startswith("READY=1"))
    # both workers had logged `ready` before the supervisor said READY=1 for the unit
    workers_ready = {(e["worker"], e["pid"]) for e in events(d, "ready") if e["worker"] > 0}
    assert {w for w, _ in workers_ready} == {1, 2}, d.logs()[-10:]
    assert "STATUS=serving " in ready and "(2/2 workers ready)" in ready
    pids = worker_pids(d)
    assert len(set(pids.values())) == 2 and d.proc.pid not in pids.values()
    assert {pids[w] for w, _ in workers_ready} == {p for _, p in workers_ready}
    wait_for(lambda: got(lambda m: False) or msgs.count("WATCHDOG=1") >= 3, "WATCHDOG=1 pings")
    d.signal(signal.SIGTERM)
    wait_for(lambda: got(lambda m: m.startswith("STOPPING=1")), "STOPPING=1")
    assert d.proc.wait(30) == 0
    srv.close()


def test_a_killed_worker_is_restarted_and_the_others_serve_meanwhile(live, tiny_artifact):
    d = live(tiny_artifact, **TWO)
    before = worker_pids(d)
    os.kill(before[1], signal.SIGKILL)
    wait_for(lambda: events(d, "worker_died"), "the supervisor saw worker 1 die")
    ok = requests.post(d.url + "/infer", data=BODY, headers=JSON, timeout=10)
    assert ok.status_code == 200  # worker 2 serves while 1 restarts
    wait_for(lambda: events(d, "worker_ready") and events(d, "worker_restarted"), "restart")
    after = worker_pids(d)
    assert after[2] == before[2] and after[1] != before[1]
    died = events(d, "worker_died")[0]
    assert died["index"] == 1 and died["worker_pid"] == before[1] and died["code"] == -9
    assert events(d, "worker_restarted")[0]["worker_pid"] == after[1]
    assert d.stop() == 0


def test_sighup_swaps_every_worker_under_load_with_zero_failed_requests(
    live, tiny_artifact, tmp_path
):
    a = copy_artifact(tiny_artifact, tmp_path / "a", version="1.0.0-aaaa")
    b = copy_artifact(tiny_artifact, tmp_path / "b", version="2.0.0-bbbb")
    current = tmp_path / "current"
    current.symlink_to(a)
    d = live(current, **TWO)
    stop, results = threading.Event(), []
    load = [
        threading.Thread(target=post_until, args=(d.url, stop, results, keep))
        for keep in (True, True, False, False)
    ]
    for t in load:
        t.start()
    try:
        wait_for(lambda: len(results) > 20, "load is running")
        tmp_link = tmp_path / "current.new"
        tmp_link.symlink_to(b)
        os.replace(tmp_link, current)
        d.signal(signal.SIGHUP)
        swapped = lambda: {e["worker"] for e in events(d, "reload_swapped")}  # noqa: E731
        wait_for(lambda: swapped() == {1, 2}, "both workers swapped")
        after = time.monotonic()  # every request sent from now on must get the new model
        n = len(results)
        wait_for(lambda: len(results) > n + 20, "load continues after the swap")
    finally:
        stop.set()
        for t in load:
            t.join()
    assert {s for s, *_ in results} == {200}, [r for r in results if r[0] != 200][:3]
    assert results[0][1].endswith("1.0.0-aaaa")
    late = [m for _, m, sent in results if sent > after]
    assert late and all(m.endswith("2.0.0-bbbb") for m in late), late
    assert {health(d)["model"] for _ in range(10)} == {"tcn-vae-encoder@2.0.0-bbbb"}
    text = requests.get(d.url + "/metrics", timeout=10).text
    assert metric(text, 'edge_sidecar_reloads_total{result="swapped"}') == 2.0  # one per worker
    assert d.stop() == 0


def test_sigterm_drains_in_flight_requests_of_every_worker(live, tiny_artifact):
    d = live(
        tiny_artifact,
        model={"backend": "stub", "stub_delay_s": 2.0},
        server={"workers": 2, "request_timeout_s": 30},
    )
    all_ready(d)
    n = 6
    with ThreadPoolExecutor(n) as pool:
        futs = [
            pool.submit(
                requests.post,
                d.url + "/infer",
                data=BODY,
                headers={**JSON, "Connection": "close"},
                timeout=60,
            )
            for _ in range(n)
        ]

        def inflight() -> float:
            text = requests.get(d.url + "/metrics", timeout=10).text
            return metric(text, "edge_sidecar_inflight_requests")

        wait_for(lambda: inflight() == n, f"{n} requests in flight (summed over the workers)")
        d.signal(signal.SIGTERM)
        statuses = [f.result().status_code for f in futs]
    assert statuses == [200] * n  # every in-flight request finished
    assert d.proc.wait(60) == 0
    assert {e["worker"] for e in events(d, "drain_started")} == {1, 2}
    assert all(e["in_flight_left"] == 0 for e in events(d, "drain_finished"))
    assert sum(e["in_flight"] for e in events(d, "drain_started")) >= n
    assert d.logs()[-1]["event"] == "exit" and d.logs()[-1]["worker"] == 0


def test_metrics_from_any_worker_sum_all_workers(live, tiny_artifact):
    d = live(tiny_artifact, **TWO)
    served: dict[int, int] = {}
    posted = 0

    def both_served() -> bool:
        nonlocal posted
        with requests.Session() as s:  # one connection: the /healthz names the same worker
            assert s.post(d.url + "/infer", data=BODY, headers=JSON, timeout=10).ok
            posted += 1
            w = s.get(d.url + "/healthz", timeout=10).json()["worker"]
        served[w] = served.get(w, 0) + 1
        return len(served) == 2

    wait_for(both_served, "both workers served /infer")
    assert max(served.values()) < posted  # neither worker alone saw them all
    for _ in range(6):  # whichever worker answers the scrape: the total of both
        text = requests.get(d.url + "/metrics", timeout=10, headers={"Connection": "close"}).text
        assert metric(text, 'edge_sidecar_requests_total{route="/infer",status="200"}') == posted
        assert metric(text, "edge_sidecar_ready") == 1.0
        assert 'edge_sidecar_windows_total{backend="onnx"}' in text
        assert "edge_sidecar_device_temperature_celsius" in text  # custom collector still there
    assert d.stop() == 0


def test_worker_model_failure_at_start_exits_3_and_busy_port_exits_4(tiny_artifact, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    d = Live(tmp_path, empty, **TWO)
    assert d.proc.wait(60) == 3  # not a restart loop
    assert events(d, "worker_failed_at_start") and not events(d, "worker_restarted")
    d.stop()
    with socket.socket() as s:
        port = free_port()
        s.bind(("127.0.0.1", port))
        s.listen()
        d = Live(tmp_path, tiny_artifact, server={"port": port, "workers": 2})
        assert d.proc.wait(60) == 4
        assert events(d, "bind_failed") and not events(d, "worker_started")
        d.stop()


def test_each_worker_writes_its_own_telemetry_files(live, tiny_artifact, tmp_path: Path):
    folder = tmp_path / "telemetry"
    env = {
        "HAILO_INFERENCE_TELEMETRY_ENABLED": "true",
        "HAILO_INFERENCE_TELEMETRY_DIR": str(folder),
    }
    d = live(tiny_artifact, env=env, **TWO)
    seen: set[int] = set()

    def both_wrote() -> bool:
        with requests.Session() as s:
            assert s.post(d.url + "/infer", data=BODY, headers=JSON, timeout=10).ok
            seen.add(s.get(d.url + "/healthz", timeout=10).json()["worker"])
        return len(seen) == 2

    wait_for(both_wrote, "both workers served /infer")
    assert d.stop() == 0
    tags = {p.name.rsplit(".", 2)[-2] for p in folder.glob("events-*.ndjson")}
    assert tags == {"w1", "w2"}


def test_admin_reload_on_one_worker_swaps_every_worker(live, tiny_artifact, tmp_path):
    """POST /admin/reload reaches one worker; it swaps, then the supervisor makes the others swap
    too (as on SIGHUP), so no worker keeps answering with the old model."""
    a = copy_artifact(tiny_artifact, tmp_path / "a", version="1.0.0-aaaa")
    b = copy_artifact(tiny_artifact, tmp_path / "b", version="2.0.0-bbbb")
    current = tmp_path / "current"
    current.symlink_to(a)
    d = live(current, **TWO)
    all_ready(d)
    worker_pids(d)
    tmp_link = tmp_path / "current.new"
    tmp_link.symlink_to(b)
    os.replace(tmp_link, current)
    r = requests.post(d.url + "/admin/reload", timeout=60, headers={"Connection": "close"})
    assert r.status_code == 200, r.text
    swapped = lambda: {e["worker"] for e in events(d, "reload_swapped")}  # noqa: E731
    wait_for(lambda: swapped() == {1, 2}, "both workers swapped")
    models = set()
    wait_for(lambda: models.add(health(d)["worker"]) or len(models) == 2, "both answer again")
    assert {health(d)["model"] for _ in range(10)} == {"tcn-vae-encoder@2.0.0-bbbb"}
    assert len(events(d, "reload_swapped")) == 2, "each worker swaps exactly once"
    assert d.stop() == 0
