"""Who may run inference now, in one object: refused while draining or loading, at most
server.max_inflight requests admitted (503 overloaded at once beyond), of which at most
server.max_executing run while the others wait their turn (503 after server.request_timeout_s).

The /infer views enter it (`with admission.enter(...)`); the event loop reads `saturated()` to
answer 503 without queueing the request behind busy threads (http_guard.SheddingDispatcher)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hailo_inference.errors import ApiError

RETRY = {"Retry-After": "1"}


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


class Admission:
    """The daemon's admission rules: draining, loaded, in-flight slots, executing turns."""

    def __init__(self, max_inflight: int, executing: int, metrics: Any) -> None:
        self.max_inflight = max_inflight
        self.turns = Turns(executing, metrics.waiting)
        self.metrics = metrics
        self.draining = threading.Event()
        self._lock = threading.Lock()
        self._inflight = 0

    @property
    def inflight(self) -> int:
        """Requests admitted now (holding a slot: waiting for a turn or executing)."""
        return self._inflight

    def saturated(self) -> bool:
        """Every in-flight slot is taken. Read without the lock (the event loop calls it per
        request; an int read is atomic, and a stale answer only sheds or admits one request the
        slot check in `enter` decides again)."""
        return self._inflight >= self.max_inflight

    def check_serving(self, loaded: bool) -> None:
        """ApiError draining / not_ready (both Retry-After: 1) when nothing may be admitted."""
        if self.draining.is_set():
            self.metrics.rejections.labels("draining").inc()
            raise ApiError("draining", "shutting down; retry on the next instance", RETRY)
        if not loaded:
            self.metrics.rejections.labels("not_ready").inc()
            raise ApiError("not_ready", "the model is still loading", RETRY)

    def _take_slot(self) -> bool:
        with self._lock:
            if self._inflight >= self.max_inflight:
                return False
            self._inflight += 1
            return True

    def _give_slot(self) -> None:
        with self._lock:
            self._inflight -= 1

    @contextmanager
    def enter(self, turn_timeout_s: float) -> Iterator[None]:
        """Hold a slot and a turn for the body of the `with`; ApiError overloaded otherwise."""
        m = self.metrics
        if not self._take_slot():
            m.rejections.labels("overloaded").inc()
            raise ApiError(
                "overloaded",
                f"{self.max_inflight} requests already in flight (server.max_inflight); retry",
                RETRY,
            )
        m.inflight.inc()
        try:
            if not self.turns.enter(turn_timeout_s):
                m.rejections.labels("overloaded").inc()
                raise ApiError(
                    "overloaded",
                    f"no turn among {self.turns.places} executing requests within "
                    f"{turn_timeout_s} s (server.max_executing); retry",
                    RETRY,
                )
            try:
                yield
            finally:
                self.turns.leave()
        finally:
            m.inflight.dec()
            self._give_slot()
