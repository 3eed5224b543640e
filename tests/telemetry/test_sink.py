"""TelemetrySink: submit never blocks, drops are counted, ENOSPC survives, nothing lost below
the queue size, every line valid after a SIGKILL."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
from edge_telemetry.config import TelemetryConfig
from edge_telemetry.event import InferenceEvent
from edge_telemetry.reader import ReadStats, iter_events
from edge_telemetry.rotation import RotatingWriter, event_files
from edge_telemetry.sink import TelemetrySink


def ev(i: int, window: bool = False) -> InferenceEvent:
    lat = np.ones(64, dtype=np.float32) * (i + 1)
    return InferenceEvent(
        request_id=f"r{i}",
        model_version="1.0.0",
        backend="onnx",
        latency_s=0.002,
        latent=lat,
        motif_scores=np.linspace(0.1, 0.9, 12, dtype=np.float32),
        window=np.zeros((100, 9), np.float32) if window else None,
        ts=1_800_000_000.0 + i,
    )


def cfg(tmp_path, **kw) -> TelemetryConfig:
    return TelemetryConfig(enabled=True, dir=tmp_path, flush_interval_s=0.05, **kw)


def test_full_queue_drops_are_counted_and_reported(tmp_path):
    drops = []
    sink = TelemetrySink(
        cfg(tmp_path, queue_size=4), on_drop=lambda r, n: drops.append((r, n)), start=False
    )
    accepted = [sink.submit(ev(i)) for i in range(10)]
    assert accepted == [True] * 4 + [False] * 6
    assert sink.stats()["dropped"]["queue_full"] == 6
    assert drops == [("queue_full", 1)] * 6
    sink.close()
    assert sink.stats()["written"] == 4
    assert [e["request_id"] for e in iter_events(tmp_path)] == ["r0", "r1", "r2", "r3"]
    assert not sink.submit(ev(99))
    assert sink.stats()["dropped"]["closed"] == 1


def test_submit_returns_while_the_disk_is_stuck(tmp_path):
    """The writer thread is blocked inside write(); submit() must still return every time."""
    gate = threading.Event()
    entered = threading.Event()

    def stuck_write(fd: int, data) -> int:
        entered.set()
        gate.wait(10)
        return os.write(fd, data)

    c = cfg(tmp_path, queue_size=8)
    w = RotatingWriter(tmp_path, c.max_file_bytes, 3600, c.max_total_bytes, os_write=stuck_write)
    sink = TelemetrySink(c, writer=w)
    sink.submit(ev(0))
    assert entered.wait(5)  # the writer holds event 0 and is stuck on the disk
    results = [sink.submit(ev(i)) for i in range(1, 101)]
    assert results[:8] == [True] * 8 and not any(results[8:])
    gate.set()
    sink.close()
    st = sink.stats()
    assert st["dropped"]["queue_full"] == 92
    assert st["written"] == 9
    assert st["written"] + sum(st["dropped"].values()) == 101


def test_no_event_lost_below_the_queue_size(tmp_path):
    sink = TelemetrySink(cfg(tmp_path, queue_size=4096))
    for i in range(3000):
        assert sink.submit(ev(i, window=(i % 100 == 0)))
    sink.close()
    st = sink.stats()
    assert st["written"] == 3000 and sum(st["dropped"].values()) == 0
    ids = [e["request_id"] for e in iter_events(tmp_path)]
    assert ids == [f"r{i}" for i in range(3000)]


def test_enospc_is_counted_backs_off_and_recovers(tmp_path):
    state = {"full": True}

    def write(fd: int, data) -> int:
        if state["full"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)

    now = {"t": 1000.0}
    c = cfg(tmp_path, disk_full_backoff_s=5.0)
    w = RotatingWriter(
        tmp_path, c.max_file_bytes, 3600, c.max_total_bytes, clock=lambda: now["t"], os_write=write
    )
    sink = TelemetrySink(c, writer=w, clock=lambda: now["t"], start=False)
    sink.submit(ev(0))
    sink.process_pending()  # ENOSPC: dropped, back-off starts
    state["full"] = False
    sink.submit(ev(1))
    sink.process_pending()  # still inside the back-off: dropped without touching the disk
    now["t"] += 6
    sink.submit(ev(2))
    sink.process_pending()
    sink.close()
    st = sink.stats()
    assert st["dropped"]["disk_full"] == 2 and st["written"] == 1
    assert [e["request_id"] for e in iter_events(tmp_path)] == ["r2"]


def test_only_sampled_events_carry_the_window(tmp_path):
    sink = TelemetrySink(cfg(tmp_path, sample_rate=0.25), start=False)
    for i in range(400):
        sink.submit(ev(i, window=True))
    sink.close()
    events = list(iter_events(tmp_path))
    with_w = [e for e in events if "window" in e]
    assert 60 <= len(with_w) <= 140  # deterministic hash sampling at 25 %
    assert all(np.asarray(e["window"]).shape == (100, 9) for e in with_w)
    assert all(len(e["latent"]) == 64 and len(e["motif_scores"]) == 12 for e in with_w)
    assert all("window" not in e and "latent" not in e for e in events if e not in with_w)


CHILD = textwrap.dedent(
    """
    import sys, numpy as np
    from pathlib import Path
    from edge_telemetry import TelemetryConfig, TelemetrySink, InferenceEvent
    cfg = TelemetryConfig(enabled=True, dir=Path(sys.argv[1]), sample_rate=0.5,
                          max_file_bytes=256 * 1024, max_total_bytes=64 * 1024 * 1024,
                          flush_interval_s=0.01, queue_size=100000)
    sink = TelemetrySink(cfg)
    i = 0
    print("ready", flush=True)
    while True:
        sink.submit(InferenceEvent(f"r{i}", "1.0", "onnx", 0.001,
                    np.full(64, i % 7 + 1.0, np.float32), np.full(12, 0.5, np.float32),
                    np.zeros((100, 9), np.float32), ts=1.8e9 + i))
        i += 1
    """
)


def test_every_line_valid_after_sigkill(tmp_path):
    """A writer killed with SIGKILL mid-stream leaves only complete, valid lines plus at most
    one torn tail, which the reader skips."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and sum(p.stat().st_size for p in event_files(tmp_path)) < 2 * 1024 * 1024
        ):
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    stats = ReadStats()
    events = list(iter_events(tmp_path, stats=stats))
    assert len(events) > 100
    assert stats.invalid == 0 and stats.torn <= 1
    assert len({e["request_id"] for e in events}) == len(events)
