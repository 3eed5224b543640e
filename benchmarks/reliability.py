"""Reliability figures for docs/reliability.md (issue 14), against the real daemon on loopback.

    python benchmarks/reliability.py --artifact artifacts/<model>/<version> [--only reload,...]

Phases (each bounded, each prints its figures; all go to benchmarks/results/reliability.json):
  reload   RSS (VmRSS of the daemon, /proc/<pid>/status) fresh, then over 100 sequential and
           5 x 20 concurrent POST /admin/reload
  overload time to the 503 and accepted-request latency at 8, 16 and 64 closed-loop clients
  openloop the same for Poisson arrivals (independent clients) over 64 connections
  floor    the overload load on servers that only answer 503 (benchmarks/floor.py: bare
           Waitress, the daemon's own shed path always shedding, raw asyncio): the least time
           to a 503 a Waitress daemon, this one, and any Python server have here
  slow     good /infer requests served while 500 idle + dripping connections are held open
  bad      hostile bodies: count of answers by status, 5xx and `null`s in 200s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import floor as floorservers
import heyclient
from loadgen import ROOT, free_port, pct, start_server, wait_ready

JSON = {"Content-Type": "application/json"}
CLIENTS = [int(c) for c in os.environ.get("RELIABILITY_CLIENTS", "8,16,64").split(",")]


def status(pid: int, key: str) -> int:
    """A number from /proc/<pid>/status (VmRSS in kB, Threads)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> float:
    return status(pid, "VmRSS") / 1024


class Peaks:
    """Samples the daemon's RSS and thread count every 0.1 s while a phase runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.rss_mb, self.threads = pid, 0.0, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            with contextlib.suppress(OSError):
                self.rss_mb = max(self.rss_mb, rss_mb(self.pid))
                self.threads = max(self.threads, status(self.pid, "Threads"))

    def stop(self) -> dict:
        self._stop.set()
        self._t.join()
        return {"peak_rss_mb": round(self.rss_mb, 1), "peak_threads": self.threads}


def post(port: int, path: str, body: bytes = b"", timeout: float = 60) -> tuple[int, bytes]:
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", path, body=body, headers=JSON)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def reload_storm(pid: int, port: int, body: bytes) -> dict:
    for _ in range(20):
        post(port, "/infer", body)
    curve = [(0, rss_mb(pid))]
    for i in range(1, 101):
        assert post(port, "/admin/reload")[0] == 200
        if i % 10 == 0:
            curve.append((i, rss_mb(pid)))
            print(f"  sequential reload {i}: {curve[-1][1]:.0f} MB", flush=True)
    burst = []
    with ThreadPoolExecutor(20) as ex:
        for b in range(5):
            codes = list(ex.map(lambda _: post(port, "/admin/reload")[0], range(20)))
            burst.append({"burst": b + 1, "statuses": sorted(set(codes)), "rss_mb": rss_mb(pid)})
            print(f"  concurrent burst {b + 1} (20 reloads): {burst[-1]['rss_mb']:.0f} MB")
    peak = max([v for _, v in curve] + [b["rss_mb"] for b in burst])
    return {
        "fresh_mb": curve[0][1],
        "sequential": curve,
        "concurrent_bursts": burst,
        "peak_mb": peak,
        "final_ratio_to_fresh": burst[-1]["rss_mb"] / curve[0][1],
    }


class _Conn:
    """One keep-alive connection to the daemon on loopback (asyncio: no client threads fighting
    over a GIL, so the figures are the server's, not the load generator's)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.r: asyncio.StreamReader | None = None
        self.w: asyncio.StreamWriter | None = None

    async def open(self) -> _Conn:
        self.r, self.w = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def exchange(self, req: bytes) -> int:
        """Send `req`, read the whole answer, reconnect when the server closes: the status."""
        assert self.r is not None and self.w is not None
        self.w.write(req)
        head = await self.r.readuntil(b"\r\n\r\n")
        n = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
        await self.r.readexactly(n)
        if b"Connection: close" in head:
            self.close()
            await self.open()
        return int(head[9:12])

    def close(self) -> None:
        if self.w is not None:
            self.w.close()


async def _client(port: int, req: bytes, stop: float, backoff_s: float, out: list) -> None:
    """One connection in a closed loop; after a 503 it pauses `backoff_s`."""
    c = await _Conn(port).open()
    try:
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            st = await c.exchange(req)
            out.append((time.perf_counter() - t0, st))
            if st == 503 and backoff_s:
                await asyncio.sleep(backoff_s)
    finally:
        c.close()


def _request(body: bytes) -> bytes:
    return (
        b"POST /infer HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def figures(flat: list[tuple[float, int]], seconds: float) -> dict:
    """Counts and percentiles of (latency s, status) results: 200s and 503s apart."""
    ok = [lat for lat, s in flat if s == 200]
    shed = [lat for lat, s in flat if s == 503]
    return {
        "requests": len(flat),
        "statuses": sorted({s for _, s in flat}),
        "accepted": len(ok),
        "accepted_rps": round(len(ok) / seconds),
        "accepted_p50_ms": pct(ok, 50),
        "accepted_p99_ms": pct(ok, 99),
        "shed": len(shed),
        "time_to_503_p50_ms": pct(shed, 50),
        "time_to_503_p95_ms": pct(shed, 95),
        "other": len(flat) - len(ok) - len(shed),
    }


def _python_closed_loop(port: int, body: bytes, conc: int, seconds: float, backoff_s: float):
    flat: list[tuple[float, int]] = []
    stop = time.monotonic() + seconds

    async def run() -> None:
        req = _request(body)
        await asyncio.gather(*(_client(port, req, stop, backoff_s, flat) for _ in range(conc)))

    asyncio.run(run())
    return flat


class Load:
    """Closed-loop load on the daemon's /infer from hey (Go) or, for a back-off after a 503 or
    without hey, from the asyncio client above."""

    def __init__(self, port: int, body: bytes, client: str, workdir: Path) -> None:
        self.port, self.body, self.workdir = port, body, workdir
        self.hey = client == "hey" or (client == "auto" and heyclient.available() is not None)

    def run(self, conc: int, seconds: float, backoff_s: float = 0) -> dict:
        if self.hey and not backoff_s:
            url = f"http://127.0.0.1:{self.port}/infer"
            cmd, flat = heyclient.run(url, self.body, conc, seconds, self.workdir)
            return {"client": "hey", "command": cmd} | figures(flat, seconds)
        flat = _python_closed_loop(self.port, self.body, conc, seconds, backoff_s)
        return {"client": "python-asyncio"} | figures(flat, seconds)


async def _send(c: _Conn, req: bytes, due: float, out: list, free: list) -> None:
    try:
        out.append((time.perf_counter() - due, await c.exchange(req)))
    finally:
        free.append(c)


async def _open_loop(port: int, req: bytes, rate: float, seconds: float, conns: int) -> dict:
    """Poisson arrivals at `rate` (independent clients), each sent on a free one of `conns`
    keep-alive connections at once, or when none is free on the next one freed; latency counts
    from the arrival (so a wait for a connection counts: no coordinated omission)."""
    free = [await _Conn(port).open() for _ in range(conns)]
    gaps = np.random.default_rng(7).exponential(1 / rate, int(rate * seconds))
    out: list[tuple[float, int]] = []
    tasks: set[asyncio.Task] = set()
    late = 0
    cpu0, t0 = time.process_time(), time.perf_counter()
    due = t0
    for gap in gaps:
        due += gap
        if (lag := due - time.perf_counter()) > 0:
            await asyncio.sleep(lag)
        if not free:
            late += 1
            while not free:
                await asyncio.sleep(0.0002)
        t = asyncio.create_task(_send(free.pop(), req, due, out, free))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    for c in free:
        c.close()
    wall = time.perf_counter() - t0
    cpu = (time.process_time() - cpu0) / wall  # the client's own CPU, in cores
    return {"flat": out, "seconds": wall, "no_free_connection": late, "client_cpu_cores": cpu}


CAPACITY_CLIENTS = (8, 16, 32)


def capacity_rps(load: Load) -> float:
    """The most 200s per second of 3 s closed loops at 8, 16 and 32 clients. One level alone is
    noisy and low: 8 clients may sit unevenly on the workers' slots, 64 feed a 503 storm."""
    return max(load.run(c, 3.0)["accepted"] / 3.0 for c in CAPACITY_CLIENTS)


def open_loop(
    port: int, body: bytes, load: Load, seconds: float, factors: list[float], capacity: float
) -> dict:
    """64 connections, Poisson arrivals at multiples of the capacity (measured when 0)."""
    how = "given"
    if not capacity:
        capacity, how = capacity_rps(load), f"most 200/s of {CAPACITY_CLIENTS} closed-loop clients"
    print(f"  capacity ({how}): {capacity:.0f} req/s", flush=True)
    rows = []
    for f in factors:
        res = asyncio.run(_open_loop(port, _request(body), f * capacity, seconds, 64))
        r = {"connections": 64, "offered_x_capacity": f, "offered_rps": round(f * capacity)}
        r |= figures(res["flat"], res["seconds"])
        r["no_free_connection"] = res["no_free_connection"]
        r["client_cpu_cores"] = round(res["client_cpu_cores"], 2)
        print(f"  open loop {f}x: {json.dumps(r)}", flush=True)
        rows.append(r)
    return {"capacity_rps": round(capacity), "capacity_from": how, "rows": rows}


def floor(body: bytes, client: str, seconds: float, workdir: Path) -> dict:
    """The closed-loop overload levels against benchmarks/floor.py's 503-only servers."""
    out: dict = {}
    for kind in floorservers.KINDS:
        port = free_port()
        script = Path(__file__).resolve().parent / "floor.py"
        proc = subprocess.Popen([sys.executable, str(script), kind, str(port)])
        try:
            wait_ready(proc, port, "/", f"floor server {kind}")
            load = Load(port, body, client, workdir)
            out[kind] = []
            for c in CLIENTS:
                r = {"clients": c} | load.run(c, seconds)
                print(f"  {kind} (503 only), {c} clients: {json.dumps(r)}", flush=True)
                out[kind].append(r)
        finally:
            proc.terminate()
            proc.wait(10)
    return out


def overload(load: Load, seconds: float, backoff_s: float) -> list[dict]:
    """Closed loop; after a 503 a client waits `backoff_s` (Retry-After, shortened) first."""
    out = []
    for conc in CLIENTS:
        r = {"clients": conc, "backoff_ms": backoff_s * 1000} | load.run(conc, seconds, backoff_s)
        print(f"  {conc} clients: {json.dumps(r)}", flush=True)
        out.append(r)
    return out


def slow_clients(port: int, body: bytes, n: int = 500) -> dict:
    socks: list[socket.socket] = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        if i % 2:  # dripping: a header line now and then, never the end of the headers
            s.sendall(b"POST /infer HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(2):
            for s in socks[1::2]:
                with contextlib.suppress(OSError):
                    s.sendall(b"X-Drip: 1\r\n")

    t = threading.Thread(target=drip, daemon=True)
    t.start()
    lat, codes = [], []
    t_end = time.monotonic() + 15
    while time.monotonic() < t_end:
        t0 = time.perf_counter()
        try:
            codes.append(post(port, "/infer", body, timeout=5)[0])
        except OSError:
            codes.append(0)
        lat.append(time.perf_counter() - t0)
        time.sleep(0.05)
    stop.set()
    open_left = 0
    for s in socks:
        s.setblocking(False)
        try:
            open_left += s.recv(1) != b""
        except BlockingIOError:
            open_left += 1
        except OSError:
            pass
        s.close()
    good = sum(c == 200 for c in codes)
    r = {
        "held_connections": n,
        "good_requests": len(codes),
        "good_200": good,
        "good_p50_ms": pct(lat, 50),
        "good_p99_ms": pct(lat, 99),
        "held_still_open_after_15s": open_left,
    }
    print(f"  {json.dumps(r)}", flush=True)
    return r


def bad_inputs(port: int) -> dict:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(100, 9)).round(4)
    bodies: list[bytes] = []
    for c in range(9):
        for v in (1e37, -1e37, 3e38, -3.3e38, 1e20, 1e6, -5e3, 5e3, 1e39, 2.0**200):
            x = w.copy().tolist()
            x[rng.integers(100)][c] = v
            bodies.append(json.dumps({"x": x}).encode())
    bodies += [b"", b"{", b"[]", b'{"x": null}', b'{"x": [[NaN]]}', b'{"x": "a"}']
    bodies += [json.dumps({"x": [[1e308] * 9] * 100}).encode()]
    counts: dict[int, int] = {}
    nulls = 0
    for b in bodies:
        st, out = post(port, "/infer", b)
        counts[st] = counts.get(st, 0) + 1
        nulls += st == 200 and b"null" in out
    five = sum(v for k, v in counts.items() if k >= 500)
    r = {"bodies": len(bodies), "statuses": counts, "5xx": five, "nulls_in_200": nulls}
    print(f"  {json.dumps(r)}", flush=True)
    return r


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--artifact", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--only", default="bad,overload,openloop,floor,slow,reload")
    ap.add_argument("--seconds", type=float, default=5.0, help="per overload level")
    ap.add_argument(
        "--backoff-ms", default="0,20", help="overload: a client's pause after a 503 (runs)"
    )
    ap.add_argument(
        "--open-factors",
        default="0.5,1,2",
        help="openloop: offered rates as multiples of the capacity (runs)",
    )
    ap.add_argument(
        "--capacity",
        type=float,
        default=0,
        help="openloop: the capacity in req/s the factors multiply (default: measured)",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="HAILO_INFERENCE_...=VALUE",
        help="a daemon setting as its environment variable, e.g. "
        "HAILO_INFERENCE_SERVER_MAX_INFLIGHT=4 (repeatable)",
    )
    ap.add_argument(
        "--client",
        choices=["auto", "hey", "python"],
        default="auto",
        help="closed-loop load from hey (auto: when installed) or the asyncio client",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server.workers of the daemon (1: one process; N: a supervisor and N workers, whose "
        "RSS and threads are then the supervisor's only); results go to reliability.json for 1, "
        "reliability-workers<N>.json otherwise",
    )
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    body = orjson.dumps({"x": np.random.default_rng(1).normal(size=(100, 9)).round(6).tolist()})
    res: dict = {"artifact": str(a.artifact), "settings": a.set}
    log = Path(tempfile.gettempdir()) / "reliability-daemon.ndjson"  # ~15 MB: not a result
    extra = {"HAILO_INFERENCE_SERVER_WORKERS": str(a.workers)}
    for kv in a.set:
        k, sep, v = kv.partition("=")
        if not (sep and k.startswith("HAILO_INFERENCE_")):
            ap.error(f"--set {kv!r}: expected HAILO_INFERENCE_<SECTION>_<KEY>=VALUE")
        extra[k] = v
    proc, port = start_server(a.artifact, 1, log, extra_env=extra)
    res["workers"] = a.workers
    load = Load(port, body, a.client, Path(tempfile.mkdtemp(prefix="reliability-")))
    try:
        res["fresh"] = {"rss_mb": rss_mb(proc.pid), "threads": status(proc.pid, "Threads")}
        res["peaks"] = {}
        for phase in a.only.split(","):
            print(f"{phase} ...", flush=True)
            peaks = Peaks(proc.pid)
            if phase == "reload":
                res["reload"] = reload_storm(proc.pid, port, body)
            elif phase == "overload":
                res["overload"] = [
                    r
                    for b in a.backoff_ms.split(",")
                    for r in overload(load, a.seconds, float(b) / 1000)
                ]
            elif phase == "openloop":
                factors = [float(f) for f in a.open_factors.split(",")]
                res["openloop"] = open_loop(port, body, load, a.seconds, factors, a.capacity)
            elif phase == "floor":
                res["floor"] = floor(body, a.client, a.seconds, load.workdir)
            elif phase == "slow":
                res["slow"] = slow_clients(port, body)
            elif phase == "bad":
                res["bad"] = bad_inputs(port)
            res["peaks"][phase] = peaks.stop()
            print(f"  daemon peaks during {phase}: {res['peaks'][phase]}", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        res["daemon_exit"] = proc.wait(30)
    name = "reliability.json" if a.workers == 1 else f"reliability-workers{a.workers}.json"
    path = a.out / name
    if path.exists():  # a run of some phases keeps the figures of the others
        old = json.loads(path.read_text())
        res = old | res | {"peaks": old.get("peaks", {}) | res["peaks"]}
    path.write_text(json.dumps(res, indent=2))
    print(f"wrote {a.out / name} (daemon log: {log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
