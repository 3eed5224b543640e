"""RotatingWriter: rotation by size and age, the disk cap, no torn line mid-file, ENOSPC."""

from __future__ import annotations

import errno
import os

import orjson
import pytest
from edge_telemetry.reader import ReadStats, iter_events
from edge_telemetry.rotation import DiskFull, RotatingWriter, event_files


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def line(i: int, pad: int = 0) -> bytes:
    return orjson.dumps({"ts": 1_800_000_000.0 + i, "i": i, "pad": "x" * pad}) + b"\n"


def test_rotates_by_size_and_keeps_every_line(tmp_path):
    clock = Clock()
    w = RotatingWriter(tmp_path, 4096, 3600, 10**9, clock=clock)
    for i in range(100):
        clock.t += 0.01
        w.write(line(i, 200))
    w.close()
    files = event_files(tmp_path)
    assert len(files) > 3
    assert all(p.stat().st_size <= 4096 + 300 for p in files)
    got = [e["i"] for e in iter_events(tmp_path)]
    assert got == list(range(100))


def test_rotates_by_age_and_names_sort_in_time_order(tmp_path):
    clock = Clock()
    w = RotatingWriter(tmp_path, 10**9, 60, 10**9, clock=clock)
    for i in range(5):
        w.write(line(i))
        clock.t += 61
        w.maybe_rotate()  # what the writer thread does when idle
    w.close()
    files = event_files(tmp_path)
    assert len(files) == 5
    assert [e["i"] for e in iter_events(tmp_path)] == list(range(5))


def test_cap_deletes_oldest_first_never_the_active_file(tmp_path):
    clock = Clock()
    w = RotatingWriter(tmp_path, 4096, 3600, 3 * 4096, clock=clock)
    for i in range(200):
        clock.t += 0.01
        w.write(line(i, 200))
        assert w.total_bytes() <= 3 * 4096 + 4096  # cap + at most one file being filled
    active = w.path
    w.close()
    got = [e["i"] for e in iter_events(tmp_path)]
    assert w.deleted_files > 0
    assert got == list(range(got[0], 200))  # the newest survive, contiguous, oldest gone
    assert active is None or not active.exists() or active in event_files(tmp_path)


def test_never_appends_to_an_existing_file(tmp_path):
    clock = Clock()
    w1 = RotatingWriter(tmp_path, 10**6, 3600, 10**9, clock=clock)
    w1.write(line(0))
    w1.close()
    torn = event_files(tmp_path)[0]
    with open(torn, "ab") as f:
        f.write(b'{"ts": 1800000000.5, "i": 9')  # a crash mid-line
    w2 = RotatingWriter(tmp_path, 10**6, 3600, 10**9, clock=clock)  # same second: new name
    w2.write(line(1))
    w2.close()
    assert len(event_files(tmp_path)) == 2
    stats = ReadStats()
    assert [e["i"] for e in iter_events(tmp_path, stats=stats)] == [0, 1]
    assert stats.torn == 1


def partial_then_enospc():
    calls = {"n": 0}

    def fake_write(fd: int, data) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return os.write(fd, data)
        if calls["n"] == 2:  # half a buffer reaches the disk, then the disk is full
            return os.write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    return fake_write


def test_enospc_mid_write_truncates_back_to_last_complete_line(tmp_path):
    w = RotatingWriter(tmp_path, 10**6, 3600, 10**9, clock=Clock(), os_write=partial_then_enospc())
    w.write(line(0) + line(1))
    with pytest.raises(DiskFull):
        w.write(line(2) + line(3))
    w._write = os.write  # space is back
    w.write(line(4))
    w.close()
    stats = ReadStats()
    assert [e["i"] for e in iter_events(tmp_path, stats=stats)] == [0, 1, 4]
    assert stats.torn == 0 and stats.invalid == 0
    raw = event_files(tmp_path)[0].read_bytes()
    assert all(orjson.loads(x) for x in raw.splitlines())


def test_when_truncate_fails_the_torn_bytes_end_that_file(tmp_path, monkeypatch):
    w = RotatingWriter(tmp_path, 10**6, 3600, 10**9, clock=Clock(), os_write=partial_then_enospc())
    w.write(line(0))

    def no_truncate(fd: int, size: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "ftruncate", no_truncate)
    with pytest.raises(DiskFull):
        w.write(line(1) + line(2, 200))  # the half that lands ends inside line 2
    assert w.path is None  # the file was given up; the next write starts a new one
    w._write = os.write
    w.write(line(3))
    w.close()
    stats = ReadStats()
    # line 1 reached the disk whole (the sink counted it as dropped: an over-count, never an
    # under-count); the torn part of line 2 is the last line of its file and is skipped
    assert [e["i"] for e in iter_events(tmp_path, stats=stats)] == [0, 1, 3]
    assert stats.torn == 1
