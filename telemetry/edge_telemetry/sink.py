"""The telemetry sink: `submit()` on the request path never blocks; one writer thread does
the rest (derived figures, JSON, disk). Every event is either written or counted as dropped.

Drop reasons: queue_full (writer behind), disk_full (ENOSPC/EDQUOT, then a back-off),
io_error (other OSError), encode_error (the event could not be serialized), closed
(submitted after close()).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable

import orjson

from .config import TelemetryConfig
from .event import InferenceEvent, Prototypes, sampled, to_record
from .rotation import DiskFull, RotatingWriter

DropCallback = Callable[[str, int], None]
CountCallback = Callable[[int], None]
REASONS = ("queue_full", "disk_full", "io_error", "encode_error", "closed")
BUFFER_BYTES = 64 * 1024  # largest single write; the writer also writes whenever the queue empties
_JSON_OPTS = orjson.OPT_SERIALIZE_NUMPY


class TelemetrySink:
    """Bounded queue + writer thread in front of a RotatingWriter."""

    def __init__(
        self,
        cfg: TelemetryConfig,
        prototypes: Prototypes | None = None,
        on_drop: DropCallback | None = None,
        on_written: CountCallback | None = None,
        clock: Callable[[], float] = time.time,
        writer: RotatingWriter | None = None,
        start: bool = True,
        writer_tag: str = "",
    ) -> None:
        self.cfg = cfg
        self.prototypes = prototypes
        self._on_drop = on_drop
        self._on_written = on_written
        self._clock = clock
        self._queue: queue.Queue[InferenceEvent] = queue.Queue(maxsize=cfg.queue_size)
        self.writer = writer or RotatingWriter(
            cfg.dir,
            cfg.max_file_bytes,
            cfg.max_file_age_s,
            cfg.max_total_bytes,
            clock=clock,
            tag=writer_tag,
        )
        self._lock = threading.Lock()
        self._dropped: Counter[str] = Counter()
        self._written = 0
        self._submitted = 0
        self._stop = threading.Event()
        self._closed = False
        self._disk_full_until = 0.0
        self._thread = threading.Thread(target=self._run, name="edge-telemetry", daemon=True)
        if start:
            self._thread.start()

    # -- request path ---------------------------------------------------------------------
    def submit(self, event: InferenceEvent) -> bool:
        """Queue one event; never blocks. Returns False (and counts the drop) if it was not
        accepted."""
        if self._closed:
            self._drop("closed", 1)
            return False
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._drop("queue_full", 1)
            return False
        with self._lock:
            self._submitted += 1
        return True

    # -- introspection --------------------------------------------------------------------
    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "submitted": self._submitted,
                "written": self._written,
                "dropped": {r: self._dropped.get(r, 0) for r in REASONS},
                "queue_depth": self._queue.qsize(),
                "deleted_files": self.writer.deleted_files,
            }

    def queue_depth(self) -> int:
        return self._queue.qsize()

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting events, write what is queued (bounded by timeout), close the file."""
        self._closed = True
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                return  # the disk is stuck; the daemon thread ends with the process
        else:  # never started (tests): drain in the caller's thread
            self._drain_all()
            self.writer.close()
        # a submit() that raced with close() may have queued after the last drain: count it
        left = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            left += 1
        self._drop("closed", left)

    # -- writer thread --------------------------------------------------------------------
    def _drop(self, reason: str, n: int) -> None:
        if n <= 0:
            return
        with self._lock:
            self._dropped[reason] += n
        if self._on_drop is not None:
            with contextlib.suppress(Exception):
                self._on_drop(reason, n)

    def _count_written(self, n: int) -> None:
        with self._lock:
            self._written += n
        if self._on_written is not None:
            with contextlib.suppress(Exception):
                self._on_written(n)

    def _encode(self, ev: InferenceEvent) -> bytes | None:
        try:
            keep = sampled(ev.request_id, ev.index, self.cfg.sample_rate)
            rec = to_record(ev, self.prototypes, keep_window=keep)
            return orjson.dumps(rec, option=_JSON_OPTS) + b"\n"
        except Exception:
            self._drop("encode_error", 1)
            return None

    def _flush(self, lines: list[bytes]) -> None:
        if not lines:
            return
        n = len(lines)
        if self._clock() < self._disk_full_until:
            self._drop("disk_full", n)
            return
        try:
            self.writer.write(b"".join(lines))
        except DiskFull:
            self._disk_full_until = self._clock() + self.cfg.disk_full_backoff_s
            self._drop("disk_full", n)
            return
        except OSError:
            self.writer.close()  # the next write opens a fresh file
            self._drop("io_error", n)
            return
        self._count_written(n)

    def process_pending(self, first: InferenceEvent | None = None) -> int:
        """Encode and write `first` plus everything queued now, in buffers of BUFFER_BYTES
        (the writer thread's step; tests call it directly on an unstarted sink)."""
        lines: list[bytes] = []
        size = 0
        done = 0
        ev: InferenceEvent | None = first
        while True:
            if ev is None:
                try:
                    ev = self._queue.get_nowait()
                except queue.Empty:
                    break
            done += 1
            line = self._encode(ev)
            ev = None
            if line is not None:
                lines.append(line)
                size += len(line)
            if size >= BUFFER_BYTES:
                self._flush(lines)
                lines, size = [], 0
        self._flush(lines)
        return done

    def _drain_all(self) -> None:
        while self.process_pending() > 0:
            pass

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=self.cfg.flush_interval_s)
            except queue.Empty:
                first = None
            if first is not None:
                self.process_pending(first)
            try:
                self.writer.maybe_rotate()
            except OSError:
                self.writer.close()
        self._drain_all()
        self.writer.close()
