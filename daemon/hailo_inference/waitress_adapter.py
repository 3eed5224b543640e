"""Every waitress internal the daemon relies on, named once: what http_guard overrides or reads
(dispatcher counters, channel fields, the parser's request, create_server's `_dispatcher`) and the
accessors it reads them through. None of this is waitress' public API, so the versions it was
tested with are pinned in daemon/pyproject.toml (SUPPORTED) and `missing()` says what a waitress
lacks; tests/daemon/test_waitress_adapter.py checks the installed one, and make_server refuses a
waitress that lacks any of it."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import waitress
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

SUPPORTED = ">=3.0.2,<3.1"  # daemon/pyproject.toml pins this range; tested with 3.0.2

# (owner, attribute) that must exist on the class; methods also must take these parameters.
CLASS_ATTRS: dict[type, tuple[str, ...]] = {
    ThreadedTaskDispatcher: ("add_task", "set_thread_count", "stop_count", "active_count"),
    HTTPChannel: (
        "received",
        "handle_close",
        "handle_read",
        "readable",
        "writable",
        "write_soon",
        "recv",
        "error_task_class",
        "will_close",
        "close_when_flushed",
        "request",
        "last_activity",
        "total_outbufs_len",
    ),
    ErrorTask: ("execute", "set_close_on_finish", "write", "status", "content_length"),
    BaseWSGIServer: ("maintenance", "run", "channel_class", "pull_trigger", "close"),
}
SIGNATURES: dict[tuple[type, str], tuple[str, ...]] = {
    (ThreadedTaskDispatcher, "add_task"): ("self", "task"),
    (HTTPChannel, "received"): ("self", "data"),
    (HTTPChannel, "handle_close"): ("self",),
    (HTTPChannel, "handle_read"): ("self",),
    (ErrorTask, "execute"): ("self",),
    (BaseWSGIServer, "maintenance"): ("self", "now"),
}
CREATE_SERVER_PARAMS = ("_dispatcher",)
# Set in __init__, so checked on instances (a dispatcher, a parser here; a server and a channel
# in the test, which makes them for real).
DISPATCHER_FIELDS = ("threads", "queue", "lock")
PARSER_FIELDS = ("error", "headers_finished", "version", "headers", "close")
REQUEST_FIELDS = ("command", "path")  # once the request line is parsed
SERVER_FIELDS = ("active_channels", "adj", "_map", "effective_port", "trigger", "task_dispatcher")
CHANNEL_FIELDS = ("requests", "requests_lock", "addr", "adj", "server", "socket", "connected")
TASK_FIELDS = ("channel", "request", "response_headers")


def _params(fn: Any) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters)


def lacking(obj: Any, names: Iterable[str], what: str) -> list[str]:
    return [f"{what}.{n}" for n in names if not hasattr(obj, n)]


def missing() -> list[str]:
    """What this daemon relies on that the installed waitress lacks ([] when all is there)."""
    out: list[str] = []
    for cls, names in CLASS_ATTRS.items():
        out += lacking(cls, names, cls.__name__)
    for (cls, name), want in SIGNATURES.items():
        fn = getattr(cls, name, None)
        if fn is not None and _params(fn) != want:
            out.append(f"{cls.__name__}.{name}{want} (has {_params(fn)})")
    params = _params(waitress.create_server)
    out += [f"create_server({p}=)" for p in CREATE_SERVER_PARAMS if p not in params]
    out += lacking(ThreadedTaskDispatcher(), DISPATCHER_FIELDS, "ThreadedTaskDispatcher()")
    out += lacking(HTTPRequestParser(Adjustments()), PARSER_FIELDS, "HTTPRequestParser()")
    return out


def require() -> None:
    """Raise RuntimeError naming what the installed waitress lacks, and what to do."""
    gone = missing()
    if gone:
        raise RuntimeError(
            f"the installed waitress {version()} lacks what hailo-inference relies on: "
            f"{', '.join(gone)}; install the range daemon/pyproject.toml pins (waitress"
            f"{SUPPORTED}) or port hailo_inference/waitress_adapter.py"
        )


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("waitress")
    except PackageNotFoundError:
        return "unknown"


# ---- accessors: http_guard and server read waitress' state only through these ------------------
def no_idle_thread(dispatcher: ThreadedTaskDispatcher) -> bool:
    """No thread is free for one more task (queued tasks take the idle ones first)."""
    with dispatcher.lock:
        idle = len(dispatcher.threads) - dispatcher.stop_count - dispatcher.active_count
        return len(dispatcher.queue) >= idle


def channels(server: Any) -> list[Any]:
    """The server's open HTTP channels (a copy: the loop may change the map)."""
    return list(server.active_channels.values())


def pending_output(server: Any) -> bool:
    """Any channel still has unsent output (the SIGTERM drain waits for it)."""
    return any(
        getattr(ch, "total_outbufs_len", 0) for ch in list(server._map.values()) if ch is not server
    )


def reading_phase(ch: Any) -> str | None:
    """'header' or 'body' while a request is being read on `ch` and it is not closing."""
    req = ch.request
    if req is None or ch.will_close:
        return None
    return "body" if req.headers_finished else "header"


def is_idle(ch: Any) -> bool:
    """A keep-alive connection with nothing being read, queued or sent."""
    return not ch.requests and ch.request is None and not ch.total_outbufs_len


def run_in_pool(server: Any, task: Any) -> None:
    """Queue `task` (defer(), service(), cancel(), requests: the dispatcher's task protocol) on
    the server's thread pool from its event loop (worker.py's liveness probe)."""
    server.trigger.pull_trigger(lambda: server.task_dispatcher.add_task(task))
