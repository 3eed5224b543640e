"""The reader never yields a torn or invalid line, and filters by time."""

from __future__ import annotations

from edge_telemetry.reader import ReadStats, iter_events

from .synth import write_file


def test_torn_tail_nul_block_and_garbage_are_skipped_and_counted(tmp_path):
    t0 = 1_800_000_000.0
    write_file(tmp_path, t0, [{"ts": t0, "i": 0}, {"ts": t0 + 1, "i": 1}], tail=b'{"ts": 18000')
    p = write_file(tmp_path, t0 + 10, [{"ts": t0 + 10, "i": 2}])
    with open(p, "ab") as f:
        f.write(b"\x00" * 64 + b"\n")  # zero-filled block after a power cut
        f.write(b"[1, 2]\n")  # JSON but not an event
        f.write(b'{"i": 3}\n')  # an object without ts
        f.write(b'{"ts": 1800000011.0, "i": 4}\n')
    stats = ReadStats()
    got = [e["i"] for e in iter_events(tmp_path, stats=stats)]
    assert got == [0, 1, 2, 4]
    assert stats.torn == 1 and stats.invalid == 3 and stats.events == 4


def test_since_skips_old_events_and_old_files(tmp_path):
    import os

    t0 = 1_800_000_000.0
    old = write_file(tmp_path, t0, [{"ts": t0, "i": 0}])
    os.utime(old, (t0, t0))
    new = write_file(tmp_path, t0 + 100, [{"ts": t0 + 50, "i": 1}, {"ts": t0 + 150, "i": 2}])
    os.utime(new, (t0 + 150, t0 + 150))
    stats = ReadStats()
    assert [e["i"] for e in iter_events(tmp_path, since=t0 + 100, stats=stats)] == [2]
    assert stats.files == 1 and stats.skipped_old == 1


def test_missing_folder_reads_as_empty(tmp_path):
    assert list(iter_events(tmp_path / "nope")) == []
