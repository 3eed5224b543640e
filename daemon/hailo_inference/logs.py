"""structlog NDJSON (orjson) to stdout (journald) or to a file; request ids via contextvars."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

import orjson
import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_LEVELS["error"] = logging.ERROR
_file: BinaryIO | None = None


def _dumps(obj: Any, **_: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY, default=str)


def configure_logging(
    level: str = "info", file: str | None = None, static: dict[str, Any] | None = None
) -> None:
    """One NDJSON line per event; every line of a request carries its request_id; `static`
    fields go on every line (a worker's index and pid when server.workers > 1)."""
    global _file
    previous, _file = _file, None
    if file:
        _file = open(file, "ab")  # noqa: SIM115 (held open for the process' lifetime)
        out: BinaryIO = _file
    else:
        out = sys.stdout.buffer
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *([_add_static(static)] if static else []),
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.BytesLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    warnings.showwarning = _warning_to_log
    if previous is not None:  # reconfigured (tests): the old file is no longer written
        previous.close()
    waitress_log = logging.getLogger("waitress")
    waitress_log.handlers[:] = [_ToNdjson()]
    waitress_log.propagate = False


def _add_static(fields: dict[str, Any]) -> Any:
    def add(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        event.update(fields)
        return event

    return add


class _ToNdjson(logging.Handler):
    """waitress' stdlib log records (queue depth, connection limit, exceptions) as NDJSON."""

    def emit(self, record: logging.LogRecord) -> None:
        kw: dict[str, Any] = {"logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            kw["exc_info"] = record.exc_info
        get_logger().log(record.levelno, "waitress", **kw)


def _warning_to_log(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Python/numpy warnings as one NDJSON line, never as bare text on stderr."""
    get_logger().warning(
        "python_warning",
        category=category.__name__,
        message=str(message),
        at=f"{filename}:{lineno}",
    )


@contextlib.contextmanager
def native_stderr_logged(source: str) -> Iterator[None]:
    """Native code writes bare text to fd 2 (ONNX Runtime's cpuinfo under the unit's
    ProcSubset=pid: "Error in cpuinfo: ..."; libhailort's own warnings). While `source` loads,
    fd 2 is a temporary file; afterwards each line it got is logged as one NDJSON event, so
    journald only ever sees NDJSON. A file, not a pipe: no reader thread, no full-pipe stall."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            for line in tmp.read().decode(errors="replace").splitlines():
                if line.strip():
                    get_logger().warning("native_stderr", source=source, line=line.strip())


def get_logger() -> Any:
    return structlog.get_logger("hailo_inference")
