"""Streaming reader of a telemetry folder: one event at a time, torn and invalid lines skipped.

A line is used only if it ends with a newline AND parses as a JSON object. A torn last line
(crash or full disk mid-write) has no newline; NUL-filled blocks after a power cut do not
parse. Both are counted in ReadStats and never yielded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .rotation import event_files


@dataclass
class ReadStats:
    files: int = 0
    lines: int = 0
    events: int = 0  # yielded
    torn: int = 0  # last line without a newline
    invalid: int = 0  # not a JSON object
    skipped_old: int = 0  # before `since`
    skipped_filtered: int = 0  # did not match the line filter (not parsed)
    torn_files: list[str] = field(default_factory=list)


def iter_lines(path: Path, stats: ReadStats) -> Iterator[bytes]:
    """Complete lines of one file (without the newline); a torn tail is counted, not yielded."""
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                stats.torn += 1
                stats.torn_files.append(path.name)
                return
            stats.lines += 1
            yield raw


def iter_events(
    folder: Path,
    since: float | None = None,
    require: bytes | None = None,
    stats: ReadStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Events of every file in time order. `since` (unix s) skips older events (and whole files
    last modified before it); `require` skips, without parsing, lines not containing it."""
    stats = stats if stats is not None else ReadStats()
    for path in event_files(Path(folder)):
        try:
            if since is not None and path.stat().st_mtime < since:
                continue
        except FileNotFoundError:  # deleted by the cap while we listed
            continue
        stats.files += 1
        try:
            for raw in iter_lines(path, stats):
                if require is not None and require not in raw:
                    stats.skipped_filtered += 1
                    continue
                try:
                    ev = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    stats.invalid += 1
                    continue
                if not isinstance(ev, dict) or not isinstance(ev.get("ts"), (int, float)):
                    stats.invalid += 1
                    continue
                if since is not None and ev["ts"] < since:
                    stats.skipped_old += 1
                    continue
                stats.events += 1
                yield ev
        except FileNotFoundError:
            continue
