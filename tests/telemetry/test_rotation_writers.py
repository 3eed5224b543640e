"""Several writers (daemon workers, issue 16) on one folder: tagged file names, one folder cap,
and no writer deletes the file another one may have open (its newest)."""

from __future__ import annotations

import orjson
from edge_telemetry.reader import iter_events
from edge_telemetry.rotation import RotatingWriter, event_files


def line(i: int) -> bytes:
    return orjson.dumps({"ts": 1_800_000_000.0 + i, "i": i, "pad": "x" * 400}) + b"\n"


def test_tagged_writers_share_the_cap_and_spare_each_others_open_file(tmp_path):
    t = [1_800_000_000.0]
    w1 = RotatingWriter(tmp_path, 1024, 3600, 6000, clock=lambda: t[0], tag="w1")
    w2 = RotatingWriter(tmp_path, 1024, 3600, 6000, clock=lambda: t[0], tag="w2")
    w2.write(line(0))  # w2's open file: the oldest in the folder from now on
    w2_open = w2.path
    for i in range(1, 60):
        t[0] += 0.5
        w1.write(line(i))
    files = event_files(tmp_path)
    assert w2_open in files and w2_open.exists()  # spared although oldest and over the cap
    assert sum(p.stat().st_size for p in files) <= 6000 + 1024 + 500
    assert {p.name.rsplit(".", 2)[-2] for p in files} == {"w1", "w2"}
    w2.write(line(60))  # still writing to its file, which the reader sees
    w1.close()
    w2.close()
    got = {e["i"] for e in iter_events(tmp_path)}
    assert {0, 60, 59} <= got


def test_untagged_names_are_unchanged(tmp_path):
    w = RotatingWriter(tmp_path, 1024, 3600, 10**6, clock=lambda: 1_800_000_000.0)
    w.write(line(0))
    assert w.path is not None and w.path.name == "events-20270115T080000.000Z.ndjson"
