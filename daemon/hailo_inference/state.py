"""What the routes share: config, model service, metrics, admission (drain flag, in-flight
bounds: admission.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from hailo_inference.admission import Admission
from hailo_inference.config import Config, executing_places
from hailo_inference.metrics import Metrics
from hailo_inference.request_log import RequestLog, Ticker
from hailo_inference.service import ModelService
from hailo_inference.telemetry import Telemetry


class State:
    """What the routes share: config, model service, metrics, drain flag, in-flight bounds."""

    def __init__(self, cfg: Config, service: ModelService, metrics: Metrics, log: Any) -> None:
        self.cfg = cfg
        self.service = service
        self.metrics = metrics
        self.log = log
        self.started = time.monotonic()
        self.load_error: str | None = None
        # A summary per interval plus errors and slow requests, not a line per request.
        lg = cfg.logging
        self.request_log = RequestLog(log, lg.summary_interval_s, lg.slow_request_ms)
        self.request_ticker = Ticker(self.request_log)  # started by server.Daemon.run
        places = executing_places(cfg.server)
        self.admission = Admission(cfg.server.max_inflight, places, metrics)
        self.draining = self.admission.draining  # set on SIGTERM: refuse, drain, stop
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

    def ready(self) -> tuple[bool, str]:
        s = self.service.served
        if self.draining.is_set():
            return False, "draining (SIGTERM received)"
        if s is None:
            return False, self.load_error or "loading the model"
        if not s.golden.ok:
            return False, f"golden check failed: {s.golden.message}"
        return True, s.golden.message
