"""Benchmark: what telemetry costs the request path, and how fast the writer drains.

    .venv/bin/python telemetry/benchmarks/bench_sink.py [--events 20000] [--json OUT]

Prints (and writes as JSON with --json):
- submit(): per-call latency percentiles on the request thread (what a request pays);
- the writer's sustained throughput (events/s encoded + written) at sample rates 0, 0.005, 1;
- a paced run (open loop, --paced events/s for 5 s): submit() cost when the writer is not
  saturated (the realistic case: 20 windows/s per device);
- drops: 0 expected while the offered rate is below the writer's throughput and the queue
  holds a burst; the run offers everything at once, so the queue is sized to the run.
- the selector's speed on what was written.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from edge_telemetry import InferenceEvent, Prototypes, TelemetryConfig, TelemetrySink
from edge_telemetry.active_learning import SelectParams, select


def run(n: int, rate: float, folder: Path, pace_hz: float = 0.0) -> dict:
    rng = np.random.default_rng(0)
    protos = Prototypes.from_array(rng.normal(size=(12, 64)))
    lat = rng.normal(size=(n, 64)).astype(np.float32)
    scores = rng.uniform(0.2, 0.9, size=(n, 12)).astype(np.float32)
    win = rng.normal(size=(100, 9)).astype(np.float32)
    cfg = TelemetryConfig(enabled=True, dir=folder, sample_rate=rate, queue_size=n + 1)
    sink = TelemetrySink(cfg, prototypes=protos)
    cost = np.empty(n)
    t_start = time.perf_counter()
    for i in range(n):
        if pace_hz:  # open loop at a fixed rate, as requests arrive
            time.sleep(max(0.0, t_start + i / pace_hz - time.perf_counter()))
        ev = InferenceEvent(f"r{i}", "1.0.0", "onnx", 0.001, lat[i], scores[i], win, ts=1.8e9 + i)
        t0 = time.perf_counter()
        sink.submit(ev)
        cost[i] = time.perf_counter() - t0
    sink.close(timeout=600)
    wall = time.perf_counter() - t_start
    st = sink.stats()
    size = sum(p.stat().st_size for p in folder.glob("events-*.ndjson"))
    t0 = time.perf_counter()
    rows, sst = select(folder, None, SelectParams(top_k=100), "bench")
    sel_s = time.perf_counter() - t0
    return {
        "sample_rate": rate,
        "offered_hz": pace_hz or "all at once",
        "events": n,
        "submit_us_p50": round(float(np.percentile(cost, 50)) * 1e6, 2),
        "submit_us_p99": round(float(np.percentile(cost, 99)) * 1e6, 2),
        "submit_us_max": round(float(cost.max()) * 1e6, 1),
        "writer_events_per_s": round(n / wall) if not pace_hz else None,
        "written": st["written"],
        "dropped": sum(st["dropped"].values()),
        "bytes_per_event": round(size / max(st["written"], 1)),
        "select_seconds": round(sel_s, 3),
        "select_candidates": sst.candidates,
        "selected": len(rows),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--paced", type=float, default=200.0, help="open-loop rate for the paced run")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    results = []
    for rate in (0.0, 0.005, 1.0):
        with tempfile.TemporaryDirectory() as d:
            r = run(args.events, rate, Path(d))
        results.append(r)
        print(json.dumps(r))
    with tempfile.TemporaryDirectory() as d:
        r = run(int(args.paced * 5), 0.005, Path(d), pace_hz=args.paced)
    results.append(r)
    print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
