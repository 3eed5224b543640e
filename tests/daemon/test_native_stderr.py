"""Bare text that native code writes to fd 2 reaches the log as NDJSON, never as a bare line.

Under the unit's ProcSubset=pid, ONNX Runtime's cpuinfo cannot read /proc/cpuinfo and prints
"Error in cpuinfo: ..." straight to fd 2 (C code: Python's sys.stderr never sees it); journald
would store it as a non-JSON line of the service.
"""

from __future__ import annotations

import json
import os

from hailo_inference.logs import configure_logging, native_stderr_logged


def test_fd2_writes_inside_become_ndjson_events(capfd) -> None:
    configure_logging("info")
    with native_stderr_logged("onnxruntime"):
        os.write(2, b"Error in cpuinfo: failed to parse processor information\n")
        os.write(2, b"cpuinfo_initialize failed\n")
    os.write(2, b"")  # fd 2 is the real one again
    out, err = capfd.readouterr()
    assert err == "", f"bare text reached stderr: {err!r}"
    events = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
    lines = [e["line"] for e in events if e.get("event") == "native_stderr"]
    assert lines == [
        "Error in cpuinfo: failed to parse processor information",
        "cpuinfo_initialize failed",
    ]
    assert all(e["source"] == "onnxruntime" for e in events if e.get("event") == "native_stderr")


def test_stderr_is_restored_after_an_exception(capfd) -> None:
    configure_logging("info")
    try:
        with native_stderr_logged("x"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
