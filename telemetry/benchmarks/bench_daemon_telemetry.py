"""Benchmark: the real daemon under open-loop load, telemetry off vs on.

    .venv/bin/python telemetry/benchmarks/bench_daemon_telemetry.py [--rate 200] [--seconds 10]
        [--sample-rate 0.005] [--artifact DIR] [--json OUT]

Starts `python -m hailo_inference` (waitress, onnx backend) on 127.0.0.1 twice on the same
artifact (a seeded untrained one is built in a temp folder unless --artifact is given): once
with telemetry disabled, once enabled. Each run sends single-window POST /infer requests at a
fixed rate (open loop: latency is measured from each request's scheduled send time, so a stall
is not hidden), then reports p50/p95/p99, success ratio, and with telemetry on, the events
written vs successful windows and the drops read from /metrics. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests
from edge_telemetry.reader import ReadStats, iter_events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_artifact(root: Path) -> Path:
    """A seeded untrained artifact, built by the compiler's CLI (telemetry never imports it)."""
    cmd = [sys.executable, "-m", "edge_compiler", "build", "--recipe", "untrained", "--seed", "0",
           "--out", str(root), "--no-progress"]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return Path(out.strip().splitlines()[-1])


def start_daemon(
    artifact: Path, port: int, tel_dir: Path | None, sample: float
) -> subprocess.Popen:
    cfg = {
        "server": {"host": "127.0.0.1", "port": port, "threads": 4, "max_inflight": 16},
        "model": {"artifact": str(artifact), "backend": "onnx", "onnx_threads": 1},
        "logging": {"level": "warning"},
    }
    if tel_dir is not None:
        cfg["telemetry"] = {"enabled": True, "dir": str(tel_dir), "sample_rate": sample}
    path = Path(tempfile.mkdtemp()) / "config.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILO_INFERENCE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hailo_inference", "--config", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"daemon exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("daemon not ready after 60 s")


def load(port: int, rate: float, seconds: float, windows: np.ndarray) -> dict:
    n = int(rate * seconds)
    url = f"http://127.0.0.1:{port}/infer"
    bodies = [json.dumps({"x": w.tolist()}).encode() for w in windows]
    lat = np.full(n, np.nan)
    status = np.zeros(n, dtype=int)
    local = threading.local()

    def one(i: int, t_sched: float) -> None:
        sess = getattr(local, "s", None) or requests.Session()
        local.s = sess
        delay = t_sched - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            r = sess.post(url, data=bodies[i % len(bodies)], timeout=5,
                          headers={"Content-Type": "application/json"})  # fmt: skip
            status[i] = r.status_code
        except requests.RequestException:
            status[i] = -1
        lat[i] = time.perf_counter() - t_sched

    t0 = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=16) as pool:
        for i in range(n):
            pool.submit(one, i, t0 + i / rate)
    ok = status == 200
    ms = lat[ok] * 1000
    return {
        "requests": n,
        "success_ratio": round(float(ok.mean()), 5),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "max_ms": round(float(ms.max()), 3),
        "ok": int(ok.sum()),
    }


def metric(port: int, name: str) -> dict[str, float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    out = {}
    for line in text.splitlines():
        if line.startswith(name):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--sample-rate", type=float, default=0.005)
    ap.add_argument("--artifact", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-tel-"))
    artifact = args.artifact or build_artifact(work / "artifacts")
    from edge_models.synthetic import generate

    windows, _ = generate(64, seed=5)
    results = {}
    for mode in ("telemetry_off", "telemetry_on"):
        tel = work / "telemetry" if mode == "telemetry_on" else None
        port = free_port()
        proc = start_daemon(artifact, port, tel, args.sample_rate)
        try:
            load(port, args.rate, 2.0, windows)  # warm-up, not recorded
            r = load(port, args.rate, args.seconds, windows)
            if tel is not None:
                written = metric(port, "edge_sidecar_telemetry_events_total")
                dropped = metric(port, "edge_sidecar_telemetry_dropped_total")
                r["metric_events_written"] = sum(written.values())
                r["metric_events_dropped"] = sum(dropped.values())
        finally:
            proc.terminate()
            proc.wait(30)
        if tel is not None:
            rs = ReadStats()
            evs = sum(1 for _ in iter_events(tel, stats=rs))
            r["events_on_disk"] = evs
            r["events_expected"] = r["ok"] + int(args.rate * 2.0)  # warm-up windows too
            r["torn_or_invalid_lines"] = rs.torn + rs.invalid
        r["loadavg_1m"] = round(os.getloadavg()[0], 2)  # other work on the machine skews latency
        results[mode] = r
        print(json.dumps({mode: r}))
    out = {"loadavg_1m_at_end": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
           "rate_per_s": args.rate, "seconds": args.seconds, "sample_rate": args.sample_rate,
           "backend": "onnx", "results": results}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
