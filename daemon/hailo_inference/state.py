"""What the routes share: config, model service, metrics, drain flag, in-flight bounds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from hailo_inference.config import Config, executing_places
from hailo_inference.metrics import Metrics
from hailo_inference.service import ModelService
from hailo_inference.telemetry import Telemetry


class Turns:
    """At most `places` holders at once; the others sleep in `enter` (off the CPU and the GIL)
    until one leaves or `timeout` passes. `waiting`: how many sleep now (also on `gauge`)."""

    def __init__(self, places: int, gauge: Any = None) -> None:
        self.places = places
        self.gauge = gauge
        self._sem = threading.Semaphore(places)
        self._lock = threading.Lock()
        self.waiting = 0

    def enter(self, timeout: float) -> bool:
        if self._sem.acquire(blocking=False):
            return True
        with self._lock:
            self.waiting += 1
        if self.gauge is not None:
            self.gauge.inc()
        try:
            return self._sem.acquire(timeout=timeout)
        finally:
            with self._lock:
                self.waiting -= 1
            if self.gauge is not None:
                self.gauge.dec()

    def leave(self) -> None:
        self._sem.release()


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
