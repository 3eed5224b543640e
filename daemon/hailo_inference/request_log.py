"""Request logging without a line per request: one summary per interval, errors and slow ones.

A line per request at info went to journald with no sampling: above ~333 req/s (journald's
default 10000 lines per 30 s per service) journald silently dropped lines, below it they wore the
SD card. Now each request is counted; every `logging.summary_interval_s` one `request_summary`
line (count, errors by status, p50/p95/p99 latency, slow count, backends) is written, and a
request is logged on its own only if it failed (status >= 400, with its reason) or took longer
than `logging.slow_request_ms`. At `logging.level: debug` every request still gets its line.
Each worker process keeps its own counts; its lines carry its `worker` index (logs.py).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

# Latencies kept per interval for the percentiles; beyond this a uniform sample (reservoir) of
# them, so memory stays bounded at any request rate (~1 MB of floats at most).
MAX_SAMPLES = 32768


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty list."""
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least 1
    return ordered[int(rank) - 1]


class RequestLog:
    """Counts requests between summaries; logs errors and slow requests one by one."""

    def __init__(
        self,
        log: Any,
        interval_s: float,
        slow_ms: float,
        clock: Callable[[], float] = time.perf_counter,
        rng: random.Random | None = None,
    ) -> None:
        self.log = log
        self.interval_s = interval_s
        self.slow_ms = slow_ms
        self.clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._start = clock()
        self._reset()

    def _reset(self) -> None:
        self._count = 0
        self._seen = 0  # latencies offered to the reservoir
        self._samples: list[float] = []
        self._errors: Counter[str] = Counter()
        self._backends: Counter[str] = Counter()
        self._slow = 0
        self._probes = 0

    def record(self, *, latency_s: float, status: int, probe: bool = False, **fields: Any) -> None:
        """One finished request. `fields` (method, path, backend, error, ...) go on its own line
        when it is logged on its own. Probes (/healthz, /readyz, /metrics) are counted apart and
        stay out of the latency figures."""
        ms = latency_s * 1000
        slow = not probe and ms > self.slow_ms
        failed = status >= 400
        if failed:
            self.log.warning("request_failed", status=status, latency_ms=round(ms, 3), **fields)
        elif slow:
            self.log.warning(
                "request_slow", status=status, latency_ms=round(ms, 3), slow_ms=self.slow_ms,
                **fields,
            )  # fmt: skip
        else:
            self.log.debug("request", status=status, latency_ms=round(ms, 3), **fields)
        with self._lock:
            if probe:
                self._probes += 1
            else:
                self._count += 1
                self._slow += slow
                self._add_sample(ms)
                backend = fields.get("backend")
                if backend:
                    self._backends[str(backend)] += 1
            if failed:
                self._errors[str(status)] += 1
            line = self._take_due()
        if line:
            self.log.info("request_summary", **line)

    def tick(self) -> None:
        """Write the summary if the interval is over (no request needed to trigger it)."""
        with self._lock:
            line = self._take_due()
        if line:
            self.log.info("request_summary", **line)

    def flush(self) -> None:
        """Write what the current interval has so far (at exit: nothing counted is lost)."""
        with self._lock:
            idle = self._count == 0 and self._probes == 0
            line = None if idle else self._summary(self.clock() - self._start)
            self._start = self.clock()
            self._reset()
        if line:
            self.log.info("request_summary", **line)

    def _add_sample(self, ms: float) -> None:
        self._seen += 1
        if len(self._samples) < MAX_SAMPLES:
            self._samples.append(ms)
            return
        j = self._rng.randrange(self._seen)  # Algorithm R: each one kept with MAX/seen
        if j < MAX_SAMPLES:
            self._samples[j] = ms

    def _take_due(self) -> dict[str, Any] | None:
        """The summary of the interval just over and a fresh interval, or None if not yet over
        or nothing happened in it (an idle daemon writes nothing). Called under the lock."""
        now = self.clock()
        elapsed = now - self._start
        if elapsed < self.interval_s:
            return None
        idle = self._count == 0 and self._probes == 0
        line = None if idle else self._summary(elapsed)
        self._start = now
        self._reset()
        return line

    def _summary(self, elapsed: float) -> dict[str, Any]:
        ordered = sorted(self._samples)
        lat = (
            {f"p{q}_ms": round(_percentile(ordered, q), 3) for q in (50, 95, 99)}
            if ordered
            else {"p50_ms": None, "p95_ms": None, "p99_ms": None}
        )
        return {
            "interval_s": round(elapsed, 3),
            "count": self._count,
            "errors": dict(sorted(self._errors.items())),
            "slow": self._slow,
            "slow_ms": self.slow_ms,
            **lat,
            "latency_sampled": self._seen > len(self._samples),
            "backends": dict(sorted(self._backends.items())),
            "probes": self._probes,
        }


class Ticker:
    """A daemon thread calling `RequestLog.tick` every interval, so the last busy interval before
    a quiet spell is written on time too."""

    def __init__(self, request_log: RequestLog) -> None:
        self.request_log = request_log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="request-summary", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.request_log.interval_s):
            self.request_log.tick()

    def stop(self) -> None:
        self._stop.set()
