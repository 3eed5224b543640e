"""A folder of NDJSON files rotated by size and age, capped in total size (oldest deleted first).

Guarantees (what the reader relies on):
- a new file is started at every open (never appended after a crash's torn tail), so a torn
  line can only be the LAST line of a file;
- a failed write (ENOSPC, EIO) is truncated back to the last complete line; if even that
  fails, the file is closed and the next write starts a new one;
- file names sort in time order: events-YYYYmmddTHHMMSS.mmmZ.ndjson, or with a writer tag
  (several daemon workers on one folder) events-YYYYmmddTHHMMSS.mmmZ.w2.ndjson; the size cap is
  the folder's, and no writer deletes the newest file of another tag (that one may be open).
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable
from pathlib import Path

PREFIX = "events-"
SUFFIX = ".ndjson"
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


class DiskFull(OSError):
    """No space left (ENOSPC/EDQUOT); the lines were not written."""


def event_files(folder: Path) -> list[Path]:
    """Telemetry files of a folder, oldest first."""
    try:
        names = sorted(
            p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)
        )
    except FileNotFoundError:
        return []
    return names


def file_name(ts: float, tag: str = "") -> str:
    ms = round(ts * 1000.0)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ms // 1000))
    return f"{PREFIX}{stamp}.{ms % 1000:03d}Z{f'.{tag}' if tag else ''}{SUFFIX}"


def _tag(path: Path) -> str:
    """The writer tag of a file name ('' for an untagged writer)."""
    middle = path.name[len(PREFIX) : -len(SUFFIX)]
    return middle.partition("Z.")[2]


class RotatingWriter:
    """Appends complete NDJSON lines; rotates by size/age; keeps the folder under a cap."""

    def __init__(
        self,
        folder: Path,
        max_file_bytes: int,
        max_file_age_s: float,
        max_total_bytes: int,
        clock: Callable[[], float] = time.time,
        os_write: Callable[[int, bytes], int] = os.write,
        tag: str = "",
    ) -> None:
        self.folder = Path(folder)
        self.tag = tag
        self.max_file_bytes = max_file_bytes
        self.max_file_age_s = max_file_age_s
        self.max_total_bytes = max_total_bytes
        self.clock = clock
        self._write = os_write  # replaceable in tests to simulate ENOSPC / partial writes
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._opened_at = 0.0
        self.deleted_files = 0

    @property
    def path(self) -> Path | None:
        return self._path

    def write(self, data: bytes) -> None:
        """Write complete lines (data ends with b"\\n"). Raises DiskFull or OSError; never
        leaves a partial line in the middle of a file."""
        if not data:
            return
        self.maybe_rotate()
        if self._fd is None:
            self._open()
        assert self._fd is not None
        start = self._size
        view = memoryview(data)
        done = 0
        try:
            while done < len(data):
                n = self._write(self._fd, view[done:])
                if n <= 0:
                    raise OSError(errno.EIO, "write returned 0")
                done += n
        except OSError as exc:
            self._undo(start)
            if exc.errno in DISK_FULL_ERRNOS:
                raise DiskFull(exc.errno, f"{self.folder}: {os.strerror(exc.errno)}") from exc
            raise
        self._size = start + done
        if self._size >= self.max_file_bytes:
            self.rotate()

    def maybe_rotate(self) -> None:
        """Close the active file if it is too old (called on every write and when idle)."""
        if self._fd is not None and self.clock() - self._opened_at >= self.max_file_age_s:
            self.rotate()

    def rotate(self) -> None:
        self._close()
        self.enforce_cap()

    def close(self) -> None:
        self._close()

    def enforce_cap(self) -> int:
        """Delete the oldest closed files until the folder is under max_total_bytes."""
        files = event_files(self.folder)
        sizes = []
        for p in files:
            try:
                sizes.append(p.stat().st_size)
            except FileNotFoundError:
                sizes.append(0)
        total = sum(sizes)
        deleted = 0
        # the newest file of each other writer may be the one it has open: never deleted
        others_open = {_tag(p): p for p in files if _tag(p) != self.tag}
        keep = {self._path, *others_open.values()}
        for p, size in zip(files, sizes):
            if total <= self.max_total_bytes:
                break
            if p in keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            total -= size
            deleted += 1
        self.deleted_files += deleted
        return deleted

    def total_bytes(self) -> int:
        total = 0
        for p in event_files(self.folder):
            with contextlib.suppress(FileNotFoundError):
                total += p.stat().st_size
        return total

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        now = self.clock()
        ts = now
        while True:  # a unique, time-ordered name (never append to an existing file)
            path = self.folder / file_name(ts, self.tag)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
                break
            except FileExistsError:
                ts += 0.001
        self._fd, self._path, self._size, self._opened_at = fd, path, 0, now
        self.enforce_cap()

    def _undo(self, good_size: int) -> None:
        """Remove a torn tail after a failed write; if impossible, give the file up."""
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, good_size)
            self._size = good_size
        except OSError:
            self._close()  # the torn bytes stay at the END of this file; the reader skips them

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        empty = self._path is not None and self._size == 0
        if empty and self._path is not None:
            with contextlib.suppress(OSError):
                self._path.unlink()
        self._fd, self._path, self._size = None, None, 0
