"""Hand freed heap back to the kernel after a model is dropped (reloads must not ratchet RSS)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc


@functools.cache
def _malloc_trim() -> object | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        fn = getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc only (not musl)
    except OSError:
        return None
    if fn is not None:
        fn.argtypes = [ctypes.c_size_t]
        fn.restype = ctypes.c_int
    return fn


def release_free_memory() -> None:
    """Collect cycles, then ask glibc to return free arena pages (an ONNX Runtime session frees
    tens of MB that glibc would otherwise keep mapped, so each reload would add to RSS)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]


def rss_bytes(status: str = "/proc/self/status") -> int:
    """Resident set size of this process (VmRSS), 0 where /proc is absent."""
    try:
        with open(status) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
