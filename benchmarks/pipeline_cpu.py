"""CPU per window through the daemon's inference entry point, in-process (no HTTP).

    python benchmarks/pipeline_cpu.py --artifact <artifact dir> [--windows 4000] [--rounds 5]

What the /infer view runs once a body is parsed: the input-range check (served.limits.check)
and ModelService.infer (host tail prepare -> backend run -> latent -> motif scores), onnx
backend with one intra-op thread, single windows and batches of 8. The figure is process CPU
time (time.process_time: every thread of this process, user + system) divided by the windows
run, the median of --rounds rounds; repeatable on a shared machine where wall time is not.

Not under valgrind: there the model runs slower than the backend's run deadline and the golden
check is cut before the measured loop starts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np


def measure(artifact: Path, windows: int, rounds: int, batch: int) -> dict:
    from hailo_inference.config import ModelConfig
    from hailo_inference.logs import configure_logging, get_logger
    from hailo_inference.metrics import Metrics
    from hailo_inference.service import ModelService

    configure_logging("error")
    cfg = ModelConfig(artifact=str(artifact), backend="onnx", onnx_threads=1)
    svc = ModelService(cfg, Metrics(), get_logger())
    served = svc.start()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, served.tail.window, served.tail.channels)).astype(np.float32)
    calls = max(1, windows // batch)
    for _ in range(50):  # warm-up
        svc.infer(x, 5.0)
    per_window: list[float] = []
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(calls):
            if served.limits is not None:
                served.limits.check(x)
            svc.infer(x, 5.0)
        per_window.append((time.process_time() - t0) / (calls * batch))
    return {
        "batch": batch,
        "windows_per_round": calls * batch,
        "rounds": rounds,
        "cpu_us_per_window_median": round(statistics.median(per_window) * 1e6, 2),
        "cpu_us_per_window_min": round(min(per_window) * 1e6, 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifact", type=Path, required=True)
    ap.add_argument("--windows", type=int, default=4000, help="windows per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batches", default="1,8", help="windows per call, comma-separated")
    a = ap.parse_args(argv)
    out = [measure(a.artifact, a.windows, a.rounds, int(b)) for b in a.batches.split(",")]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
