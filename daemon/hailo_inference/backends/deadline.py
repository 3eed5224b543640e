"""One watchdog thread that cancels ONNX Runtime runs past their deadline (RunOptions.terminate)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Any


class Deadlines:
    """arm(run_options, timeout) before run(); disarm(token) after. Cheap when nothing expires."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._live: dict[int, Any] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, run_options: Any, timeout_s: float) -> int:
        token = next(self._ids)
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._live[token] = run_options
            wake = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, token))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="ort-deadlines", daemon=True
                )
                self._thread.start()
            elif wake:
                self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._live.pop(token, None)

    def _loop(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                now = time.monotonic()
                if now < deadline:
                    self._cond.wait(deadline - now)
                    continue
                heapq.heappop(self._heap)
                ro = self._live.pop(token, None)
                if ro is not None:
                    ro.terminate = True


DEADLINES = Deadlines()
