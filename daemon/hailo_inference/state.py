"""What the routes share: config, model service, metrics, drain flag, in-flight bounds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hailo_inference.config import Config, executing_places
from hailo_inference.metrics import Metrics
from hailo_inference.service import ModelService
from hailo_inference.telemetry import Telemetry


class Turns:
    """At most `places` holders at once; the others sleep in `enter` (off the CPU and the GIL),
    first come first served, until a leaving holder hands them its turn or `timeout` passes.
    `waiting`: how many sleep now (also on `gauge`). A hand-off, not a semaphore: a request that
    has just arrived never takes the turn of one that has been waiting."""

    def __init__(self, places: int, gauge: Any = None) -> None:
        self.places = places
        self.gauge = gauge
        self._lock = threading.Lock()
        self._free = places
        self._queue: deque[threading.Lock] = deque()  # one locked lock per sleeper, oldest first

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def enter(self, timeout: float) -> bool:
        with self._lock:
            if self._free:  # free turns only while nobody waits (leave hands them over)
                self._free -= 1
                return True
            me = threading.Lock()
            me.acquire()
            self._queue.append(me)
        if self.gauge is not None:
            self.gauge.inc()
        try:
            if self._sleep(me, timeout):
                return True
            with self._lock:
                if me in self._queue:
                    self._queue.remove(me)
                    return False
            return True  # handed the turn as the wait ran out: it is ours
        finally:
            if self.gauge is not None:
                self.gauge.dec()

    @staticmethod
    def _sleep(me: threading.Lock, timeout: float) -> bool:
        return me.acquire(timeout=timeout)

    def leave(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._free += 1


class State:
    """What the routes share: config, model service, metrics, drain flag, in-flight bounds."""

    def __init__(self, cfg: Config, service: ModelService, metrics: Metrics, log: Any) -> None:
        self.cfg = cfg
        self.service = service
        self.metrics = metrics
        self.log = log
        self.started = time.monotonic()
        self.draining = threading.Event()
        self.load_error: str | None = None
        self.slots = threading.BoundedSemaphore(cfg.server.max_inflight)
        self.executing = Turns(executing_places(cfg.server), metrics.waiting)
        self._lock = threading.Lock()
        self.active = 0  # every request inside the WSGI app (for the SIGTERM drain)
        self.telemetry: Telemetry | None = None  # when telemetry.enabled
        self.worker: int | None = None  # index 1..N when server.workers > 1
        # A worker's /admin/reload, once its own swap succeeded, asks the supervisor to reload
        # the other workers too (server.Daemon sets it; None with one process).
        self.reload_others: Callable[[], None] | None = None

    def enter(self) -> None:
        with self._lock:
            self.active += 1

    def leave(self) -> None:
        with self._lock:
            self.active -= 1

    def saturated(self) -> bool:
        """Every inference slot is taken (read without taking one)."""
        return self.slots._value == 0  # type: ignore[attr-defined]  # CPython Semaphore counter

    def ready(self) -> tuple[bool, str]:
        s = self.service.served
        if self.draining.is_set():
            return False, "draining (SIGTERM received)"
        if s is None:
            return False, self.load_error or "loading the model"
        if not s.golden.ok:
            return False, f"golden check failed: {s.golden.message}"
        return True, s.golden.message
