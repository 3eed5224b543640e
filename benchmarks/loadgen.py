"""Load generator for hailo-inference: bare backend baseline vs the real HTTP server.

    python benchmarks/loadgen.py --artifact artifacts/<model>/<version> [--out benchmarks/results]

Runs, in one process and one short session (~1 min, loopback only):
1. the bare in-process call (host tail + ONNX Runtime, the daemon's own ModelService) with the
   same intra-op thread budget as the server, 1 and 2 caller threads, single window and batched;
   also intra_op 1 vs 2 to justify model.onnx_threads;
2. the real daemon (`python -m hailo_inference`, waitress) in a subprocess on 127.0.0.1:
   closed-loop at fixed concurrencies, open-loop at a fixed rate (latency measured from the
   intended send time, so coordinated omission is not hidden), the batch route, and an
   overload run beyond server.max_inflight (only 200 and 503 allowed).
Writes results.json and latency.png; prints a summary.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from edge_artifact import Manifest

ROOT = Path(__file__).resolve().parents[1]


def pct(a: list[float] | np.ndarray, q: float) -> float:
    """Nearest-rank percentile in ms of latencies in seconds."""
    a = np.sort(np.asarray(a, dtype=np.float64))
    if not len(a):
        return float("nan")
    k = max(0, int(np.ceil(q / 100 * len(a))) - 1)
    return float(a[k] * 1000)


def summary(lat: list[float], ok: int, total: int, seconds: float, windows: int = 1) -> dict:
    return {
        "requests": total,
        "success_rate": ok / total if total else float("nan"),
        "throughput_rps": total / seconds,
        "windows_per_s": ok * windows / seconds,
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "p99_ms": pct(lat, 99),
        "max_ms": pct(lat, 100),
    }


# ---- bare baseline ---------------------------------------------------------------------------
def bare(artifact: Path, threads: int, callers: int, batch: int, seconds: float) -> dict:
    from hailo_inference.config import ModelConfig
    from hailo_inference.logs import configure_logging, get_logger
    from hailo_inference.metrics import Metrics
    from hailo_inference.service import ModelService

    configure_logging("error")
    svc = ModelService(
        ModelConfig(artifact=str(artifact), backend="onnx", onnx_threads=threads),
        Metrics(),
        get_logger(),
    )
    svc.start()
    x = np.random.default_rng(0).normal(size=(batch, 100, 9)).astype(np.float32)
    lats: list[list[float]] = [[] for _ in range(callers)]
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        out = lats[i]
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            svc.infer(x, 5.0)
            out.append(time.perf_counter() - t0)

    ts = [threading.Thread(target=loop, args=(i,)) for i in range(callers)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    all_lat = [v for lst in lats for v in lst]
    return {"threads": threads, "callers": callers, "batch": batch} | summary(
        all_lat, len(all_lat), len(all_lat), dt, batch
    )


# ---- HTTP client -----------------------------------------------------------------------------
class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def post(self, path: str, body: bytes) -> int:
        for attempt in range(2):
            try:
                self.conn.request(
                    "POST", path, body=body, headers={"Content-Type": "application/json"}
                )
                r = self.conn.getresponse()
                r.read()
                return r.status
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                if attempt:
                    return 0
        return 0


def closed_loop(port: int, path: str, body: bytes, conc: int, seconds: float, windows: int) -> dict:
    res: list[list[tuple[float, int]]] = [[] for _ in range(conc)]
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        c = Client(port)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            st = c.post(path, body)
            res[i].append((time.perf_counter() - t0, st))

    ts = [threading.Thread(target=loop, args=(i,)) for i in range(conc)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    flat = [r for lst in res for r in lst]
    ok = sum(1 for _, s in flat if s == 200)
    statuses = sorted({s for _, s in flat})
    return {"mode": "closed", "path": path, "concurrency": conc, "statuses": statuses} | summary(
        [lat for lat, _ in flat], ok, len(flat), dt, windows
    )


def open_loop(port: int, body: bytes, rate: float, seconds: float, workers: int = 16) -> dict:
    """Requests scheduled at fixed intervals; latency counts from the intended send time."""
    jobs: queue.Queue[float | None] = queue.Queue()
    out: list[tuple[float, int]] = []
    lock = threading.Lock()

    def work() -> None:
        c = Client(port)
        while (due := jobs.get()) is not None:
            st = c.post("/infer", body)
            with lock:
                out.append((time.perf_counter() - due, st))

    ts = [threading.Thread(target=work) for _ in range(workers)]
    for t in ts:
        t.start()
    n = int(rate * seconds)
    start = time.perf_counter() + 0.05
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put(due)
    for _ in ts:
        jobs.put(None)
    for t in ts:
        t.join()
    dt = time.perf_counter() - start
    ok = sum(1 for _, s in out if s == 200)
    return {"mode": "open", "rate": rate, "statuses": sorted({s for _, s in out})} | summary(
        [lat for lat, _ in out], ok, len(out), dt
    ), [lat for lat, _ in out]


# ---- orchestration -----------------------------------------------------------------------------
def start_server(
    artifact: Path, threads: int, log: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, int]:
    """`python -m hailo_inference` on a free loopback port, once /readyz answers 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILO_INFERENCE_")}
    env |= {
        "HAILO_INFERENCE_SERVER_PORT": str(port),
        "HAILO_INFERENCE_MODEL_ARTIFACT": str(artifact),
        "HAILO_INFERENCE_MODEL_BACKEND": "onnx",
        "HAILO_INFERENCE_MODEL_ONNX_THREADS": str(threads),
        "HAILO_INFERENCE_LOGGING_FILE": str(log),
    } | (extra_env or {})
    proc = subprocess.Popen([sys.executable, "-m", "hailo_inference"], env=env)
    wait_ready(proc, port, "/readyz", f"daemon (see {log})")
    return proc, port


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(
    proc: subprocess.Popen, port: int, path: str, what: str, limit_s: float = 60
) -> None:
    """Poll GET `path` on 127.0.0.1:`port` until it answers 200; SystemExit if `proc` dies."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            c.close()
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{what} not ready in {limit_s:g} s")


def plot(path: Path, series: dict[str, list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    hist_panel(ax, series, "hailo-inference /infer latency (loopback, onnx backend)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def hist_panel(ax: Any, series: dict[str, list[float]], title: str) -> None:
    """Latency histograms (seconds in, ms shown) with EdgeInfer's 45 ms timeout marked."""
    hi = max(pct(v, 99.5) for v in series.values() if v)
    bins = np.linspace(0, hi, 80)
    for name, v in series.items():
        ax.hist(np.asarray(v) * 1000, bins=bins, histtype="step", label=name, density=True)
    ax.axvline(45, color="red", ls="--", lw=0.8, label="45 ms (EdgeInfer read timeout)")
    ax.set_xlim(0, max(hi * 1.05, 1))
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=8)


def model_of(artifact: Path) -> dict[str, str]:
    """The artifact's model name and version, for a result file."""
    m = Manifest.read(artifact)
    return {"name": m.name, "version": m.version}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--artifact", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--seconds", type=float, default=5.0, help="per phase")
    ap.add_argument("--rate", type=float, default=200.0, help="open-loop windows/s")
    ap.add_argument("--concurrency", default="1,2,4", help="closed-loop levels")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="ORT intra-op threads (both sides)")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    s = a.seconds
    res: dict = {
        "artifact": str(a.artifact),
        "manifest": model_of(a.artifact),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    print("bare in-process baseline ...", flush=True)
    res["bare"] = {
        "single_1caller": bare(a.artifact, a.threads, 1, 1, s),
        "single_2callers": bare(a.artifact, a.threads, 2, 1, s),
        "single_1caller_intra2": bare(a.artifact, 2, 1, 1, s),
        "batch_1caller": bare(a.artifact, a.threads, 1, a.batch, s),
        "batch_2callers": bare(a.artifact, a.threads, 2, a.batch, s),
    }
    log = a.out / "daemon.ndjson"
    log.unlink(missing_ok=True)
    proc, port = start_server(a.artifact, a.threads, log)
    try:
        body = orjson.dumps({"x": np.random.default_rng(1).normal(size=(100, 9)).round(6).tolist()})
        batch_body = orjson.dumps(
            {"x": np.random.default_rng(2).normal(size=(a.batch, 100, 9)).round(6).tolist()}
        )
        closed_loop(port, "/infer", body, 2, 1.0, 1)  # warm-up
        res["http_closed"] = []
        lat_c1: list[float] = []
        for c in [int(v) for v in a.concurrency.split(",")]:
            print(f"closed-loop concurrency {c} ...", flush=True)
            r = closed_loop(port, "/infer", body, c, s, 1)
            res["http_closed"].append(r)
        print("closed-loop c=1 latencies for the histogram ...", flush=True)
        lat_c1 = _latencies(port, body, 1500)
        print(f"open-loop {a.rate}/s ...", flush=True)
        res["http_open"], lat_open = open_loop(port, body, a.rate, max(s, 8.0))
        print(f"batch {a.batch} ...", flush=True)
        res["http_batch"] = [
            closed_loop(port, "/infer/batch", batch_body, c, s, a.batch) for c in (1, 2)
        ]
        print("overload (concurrency 24 > max_inflight 8) ...", flush=True)
        res["http_overload"] = closed_loop(port, "/infer", body, 24, 3.0, 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        res["daemon_exit"] = proc.wait(20)
    b = res["bare"]
    best_http = max(r["windows_per_s"] for r in res["http_closed"])
    best_bare = max(b["single_1caller"]["windows_per_s"], b["single_2callers"]["windows_per_s"])
    best_batch = max(r["windows_per_s"] for r in res["http_batch"])
    best_bare_batch = max(b["batch_1caller"]["windows_per_s"], b["batch_2callers"]["windows_per_s"])
    res["targets"] = {
        "single_ratio_to_bare": best_http / best_bare,
        "single_ratio_target": 0.70,
        "open_p95_ms": res["http_open"]["p95_ms"],
        "open_p99_ms": res["http_open"]["p99_ms"],
        "open_success": res["http_open"]["success_rate"],
        "median_overhead_ms": pct(lat_c1, 50) - b["single_1caller"]["p50_ms"],
        "batch_ratio_to_bare": best_batch / best_bare_batch,
        "batch_ratio_target": 0.90,
        "overload_statuses": res["http_overload"]["statuses"],
    }
    res["http_c1_sequential"] = summary(lat_c1, len(lat_c1), len(lat_c1), sum(lat_c1))
    (a.out / "results.json").write_text(json.dumps(res, indent=2))
    plot(a.out / "latency.png", {"closed c=1": lat_c1, f"open {a.rate:g}/s": lat_open})
    print(json.dumps(res["targets"], indent=2))
    print(f"wrote {a.out / 'results.json'} and {a.out / 'latency.png'}")
    return 0


def _latencies(port: int, body: bytes, n: int) -> list[float]:
    c = Client(port)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.post("/infer", body)
        out.append(time.perf_counter() - t0)
    return out


if __name__ == "__main__":
    sys.exit(main())
