"""Waitress under attack and overload: connection limits, request read deadlines, overload shed
in the event loop, JSON for the answers waitress writes itself, non-HTTP closed at once.

Waitress alone (issue 14): 100 connections at most and accept() paused beyond, so idle sockets
lock everyone out; `channel_timeout` is an inactivity timer that dripping bytes defeat; an
unbounded task queue in front of its threads, so a 503 waits behind every queued inference;
text/plain for its own errors. Everything here is installed by `make_server`.
"""

from __future__ import annotations

import contextlib
import random
import resource
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import waitress
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from hailo_inference import waitress_adapter as internals
from hailo_inference.config import ServerConfig
from hailo_inference.errors import ERROR_CODES
from hailo_inference.openapi import ROUTES

# Per request: the headers must be complete within HEADER_TIMEOUT_S of its first byte and the body
# within BODY_TIMEOUT_S (EdgeInfer sends a ~18 KB request in one write on loopback).
HEADER_TIMEOUT_S = 5.0
BODY_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 30.0  # keep-alive connection with no request in progress
# After an answer that closes the connection while the client may still be sending (413 over the
# hard limit, 400): the write side is shut and input read and dropped until the client's EOF, for
# at most LINGER_S (nginx's lingering_close). Closing at once with unread input sends a TCP reset
# that destroys the answer before a client that sends its whole body first has read it.
LINGER_S = 5.0
CONNECTION_LIMIT = 1000  # one EdgeInfer needs a handful; the rest is headroom against floods
EVICT_ABOVE = 0.8  # beyond this share of the limit, idle keep-alive connections are closed
FD_RESERVE = 128  # descriptors kept for the model, logs, telemetry, the trigger pipe
SHED_LOG_INTERVAL_S = 1.0  # overload_shed log lines: at most one per interval
EXTRA_THREADS = 4  # waitress threads beyond max_inflight: probes never wait behind inference
INFER_PATHS = frozenset(
    rule for rule, m in ROUTES.items() if "POST" in m and m["POST"][0].startswith("infer")
)
_WAITRESS_CODES = {
    400: "malformed_http",
    413: "payload_too_large",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}
_TOKEN_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # an HTTP method starts with one


@dataclass(frozen=True)
class Limits:
    connection_limit: int
    threads: int


def limits(max_inflight: int, threads: int) -> Limits:
    """Connection limit below the open-file limit (the unit sets LimitNOFILE), thread count."""
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError):
        soft = 1024
    if soft == resource.RLIM_INFINITY:
        soft = CONNECTION_LIMIT + FD_RESERVE
    conn = max(64, min(CONNECTION_LIMIT, soft - FD_RESERVE))
    return Limits(conn, max(threads, max_inflight + EXTRA_THREADS))


def new_request_id() -> str:
    # Not uuid4: os.urandom releases the GIL, and the event loop waits to get it back (py-spy
    # under load, issue 16: uuid4 in the request hook was 5% of the request threads' samples).
    return f"{random.getrandbits(128):032x}"


def _rid(req: Any) -> str:
    rid = str(req.headers.get("X_REQUEST_ID", "")) if req is not None else ""
    ok = 0 < len(rid) <= 128 and all(c.isalnum() or c in "._:-" for c in rid)
    return rid if ok else new_request_id()


def _route(path: str) -> str:
    return path if path in ROUTES else "unmatched"


class Guard:
    """Logs and counts what the guard answers or closes; decides what to shed."""

    def __init__(self, log: Any, metrics: Any, saturated: Callable[[], bool]) -> None:
        self.log = log
        self.metrics = metrics
        self.saturated = saturated
        self._shed_lock = threading.Lock()
        self._shed_since = 0  # sheds not logged yet
        self._shed_logged_at = -SHED_LOG_INTERVAL_S
        self._shed_metrics: dict[str, tuple[Any, Any, Any]] = {}

    def shed(self, req: Any, t0: float, remote: Any) -> None:
        """Count every shed request; log the first one in full, then one `overload_shed` line per
        SHED_LOG_INTERVAL_S with the count: a log write per 503 would feed the overload."""
        route = _route(getattr(req, "path", "") or "")
        children = self._shed_metrics.get(route)
        if children is None:  # labels() looks the child up anew each time: once per route
            m = self.metrics
            children = (m.rejections.labels("overloaded"), m.requests.labels(route, "503"))
            children += (m.latency.labels(route),)
            self._shed_metrics[route] = children
        children[0].inc()
        children[1].inc()
        children[2].observe(time.perf_counter() - t0)
        now = time.monotonic()
        with self._shed_lock:
            self._shed_since += 1
            if now - self._shed_logged_at < SHED_LOG_INTERVAL_S:
                return
            first, n = self._shed_logged_at < 0, self._shed_since
            self._shed_logged_at, self._shed_since = now, 0
        self.log.warning(
            "overload_shed",
            requests=n,
            interval_s=SHED_LOG_INTERVAL_S,
            last_path=getattr(req, "path", None),
            last_remote=remote,
            first=first,
            hint="more inference requests than server.max_inflight / free threads: each got 503 "
            "overloaded with Retry-After: 1",
        )

    def answered(self, req: Any, status: int, code: str, t0: float, remote: Any) -> None:
        """One canonical NDJSON `request` line and the request metrics, as the app does."""
        path = getattr(req, "path", "") or ""
        route = _route(path)
        dt = time.perf_counter() - t0
        self.metrics.requests.labels(route, str(status)).inc()
        self.metrics.latency.labels(route).observe(dt)
        self.log.info(
            "request",
            method=getattr(req, "command", None),
            path=path,
            status=status,
            latency_ms=round(dt * 1000, 3),
            error=code,
            remote=remote,
            answered_by="http_guard",
        )

    def closed(self, reason: str, remote: Any, **kw: Any) -> None:
        self.metrics.connections_closed.labels(reason).inc()
        self.log.info("connection_closed", reason=reason, remote=remote, **kw)


def _response(status: int, code: str, detail: str, rid: str, close: bool, extra: str = "") -> bytes:
    body = orjson.dumps({"error": code, "detail": detail, "request_id": rid})
    reason = {400: "Bad Request", 503: "Service Unavailable"}.get(status, "Error")
    conn = "Connection: close\r\n" if close else ""
    head = (
        f"HTTP/1.1 {status} {reason}\r\nServer: hailo-inference\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"X-Request-ID: {rid}\r\n{extra}{conn}\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorTask(ErrorTask):
    """Waitress' own errors (400 malformed, 413 over the hard limit, 431, 501) as JSON."""

    def execute(self) -> None:
        t0 = time.perf_counter()
        e = self.request.error
        code = _WAITRESS_CODES.get(e.code, "malformed_http")
        rid = _rid(self.request)
        detail = f"{e.reason}: {e.body}".strip()
        body = orjson.dumps({"error": code, "detail": detail, "request_id": rid})
        self.status = f"{e.code} {e.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("X-Request-ID", rid)])
        self.set_close_on_finish()
        self.channel.linger = True
        self.content_length = len(body)
        self.write(body)
        guard: Guard = self.channel.guard
        guard.answered(self.request, e.code, code, t0, self.channel.addr[0])


class GuardedChannel(HTTPChannel):
    """HTTPChannel that refuses non-HTTP at once and stamps when each request began."""

    guard: Guard  # set on the per-server subclass
    error_task_class = JsonErrorTask
    request_t0: float | None = None
    linger = False  # drain the client's input before closing (set with the answer that closes)
    linger_until: float | None = None  # while lingering: when to close anyway (monotonic)

    def handle_close(self) -> None:
        """Closing after an answer the client may still be sending to: shut the write side (the
        answer and a FIN go out) and drop the input until EOF or LINGER_S, then close."""
        if self.linger and self.linger_until is None and self.connected:
            self.linger = False
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_WR)
                self.linger_until = time.monotonic() + LINGER_S
                self.will_close = False
                return
        self.linger_until = None
        super().handle_close()

    def readable(self) -> bool:
        return True if self.linger_until is not None else super().readable()

    def writable(self) -> bool:
        return False if self.linger_until is not None else super().writable()

    def handle_read(self) -> None:
        if self.linger_until is None:
            super().handle_read()
            return
        # dispatcher.recv closes (handle_close) on EOF and on a reset; data is dropped
        self.recv(self.adj.recv_bytes)

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            # (with a pipelined request still being answered, the deadlines deal with garbage:
            # a 400 now could land in the middle of that answer)
            why = "" if self.requests else _not_http(data)
            if why:
                self._refuse(why)
                return False
            if self.request_t0 is None:
                self.request_t0 = time.monotonic()
        res = super().received(data)
        if self.request is None:
            self.request_t0 = None
        return res

    def _refuse(self, why: str) -> None:
        detail = f"not an HTTP/1.1 request ({why}); the connection is closed"
        t0 = time.perf_counter()
        with self.requests_lock:
            self.write_soon(_response(400, "malformed_http", detail, new_request_id(), True))
            self.close_when_flushed = True
        self.guard.answered(None, 400, "malformed_http", t0, self.addr[0])
        self.guard.closed("not_http", self.addr[0], why=why)


def _not_http(data: bytes) -> str:
    """Why the first bytes of a request cannot be HTTP ('' when they may be)."""
    head = data.lstrip(b"\r\n")
    if not head:
        return ""
    if head[0] not in _TOKEN_START:
        return "TLS handshake: use http://" if head[0] == 0x16 else f"starts with byte {head[0]:#x}"
    eol = head.find(b"\n")
    if eol >= 0 and (eol == 0 or head[eol - 1] != 0x0D):
        return "the request line ends in a bare LF; HTTP needs CRLF"
    return ""


class SheddingDispatcher(ThreadedTaskDispatcher):
    """Answers an inference request 503 in the event loop when no thread or slot is free for it,
    instead of queueing it behind busy threads (waitress' queue is unbounded)."""

    loop_thread: int | None = None  # the event loop's thread id (set as make_server's run starts)

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def add_task(self, task: Any) -> None:
        # Waitress calls this with the channel's requests_lock held, the request at requests[0].
        req = task.requests[0] if getattr(task, "requests", None) else None
        if (
            req is not None
            and not req.error
            and req.command == "POST"
            and req.path in INFER_PATHS
            and task.total_outbufs_len < 65536
            and (self.guard.saturated() or internals.no_idle_thread(self))
        ):
            self._shed(task, req)
            return
        super().add_task(task)

    def _shed(self, channel: Any, req: Any) -> None:
        t0 = time.perf_counter()
        close = req.version == "1.0" or req.headers.get("CONNECTION", "").lower() == "close"
        detail = "all inference slots and threads are busy (server.max_inflight); retry"
        channel.write_soon(
            _response(503, "overloaded", detail, _rid(req), close, "Retry-After: 1\r\n")
        )
        channel.requests.pop(0)
        req.close()
        self.guard.shed(req, t0, channel.addr[0])
        if close:
            channel.close_when_flushed = True
        elif channel.requests:
            self.add_task(channel)  # a pipelined request behind it
        if threading.get_ident() != self.loop_thread:
            # From a request thread (a pipelined request after an answer): wake the loop to
            # flush. In the loop itself, write_soon has sent already and the loop looks at the
            # channel again before it polls: a trigger would only cost a loop pass per 503.
            channel.server.pull_trigger()


def _maintenance(server: Any, guard: Guard) -> Callable[[float], None]:
    """Replaces waitress' maintenance (run every cleanup_interval s in the event loop)."""

    def maintenance(now: float) -> None:
        mono = time.monotonic()
        chans = internals.channels(server)
        idle = []
        for ch in chans:
            until = getattr(ch, "linger_until", None)
            if until is not None:
                if mono > until:
                    guard.closed("linger_timeout", ch.addr[0], limit_s=LINGER_S)
                    ch.handle_close()  # the loop's own thread, as waitress closes channels
                continue
            t0 = getattr(ch, "request_t0", None)
            phase = internals.reading_phase(ch)
            if t0 is not None and phase is not None:
                limit = BODY_TIMEOUT_S if phase == "body" else HEADER_TIMEOUT_S
                if mono - t0 > limit:
                    ch.will_close = True
                    guard.closed(f"{phase}_timeout", ch.addr[0], limit_s=limit)
            elif internals.is_idle(ch):
                if ch.last_activity < now - IDLE_TIMEOUT_S:
                    ch.will_close = True
                    guard.closed("idle_timeout", ch.addr[0])
                else:
                    idle.append(ch)
        excess = len(chans) - int(server.adj.connection_limit * EVICT_ABOVE)
        for ch in sorted(idle, key=lambda c: c.last_activity)[: max(0, excess)]:
            ch.will_close = True
            guard.closed("idle_evicted", ch.addr[0])

    return maintenance


def bind_sockets(cfg: ServerConfig) -> list[socket.socket]:
    """The listening sockets waitress itself would bind for cfg.host:cfg.port (same options):
    with server.workers > 1 the supervisor binds them once and its workers serve them."""
    adj = Adjustments(host=cfg.host, port=cfg.port)
    out: list[socket.socket] = []
    with contextlib.ExitStack() as opened:  # all closed again if one bind fails
        for family, socktype, proto, addr in adj.listen:
            s = opened.enter_context(socket.socket(family, socktype, proto))
            out.append(s)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
            s.listen(adj.backlog)
        opened.pop_all()
    return out


def make_server(app: Any, cfg: ServerConfig, guard: Guard, **where: Any) -> Any:
    """waitress' server for `cfg` with everything above installed; `where`: `port=` (instead of
    `cfg.port`) or `sockets=` (serve these pre-bound listening sockets instead of binding).
    `server.limits` holds the connection limit and thread count chosen."""
    internals.require()  # every waitress internal used here, or a RuntimeError naming them
    lim = limits(cfg.max_inflight, cfg.threads)
    dispatcher = SheddingDispatcher(guard)
    dispatcher.set_thread_count(lim.threads)
    if not where.get("sockets"):
        where = {"host": cfg.host, "port": where.get("port", cfg.port)}
    server = waitress.create_server(
        app,
        **where,
        threads=lim.threads,
        connection_limit=lim.connection_limit,
        channel_timeout=IDLE_TIMEOUT_S,
        cleanup_interval=1,
        asyncore_use_poll=True,  # select() stops at descriptor 1024
        ident="hailo-inference",
        max_request_body_size=cfg.max_body_bytes * cfg.max_batch_windows * 2,
        clear_untrusted_proxy_headers=True,
        recv_bytes=65536,  # a window's JSON (~18 KB) in one recv (measured -0.15 ms)
        _dispatcher=dispatcher,
    )
    server.channel_class = type("Channel", (GuardedChannel,), {"guard": guard})
    loop = server.run

    def run() -> None:  # the thread that runs the event loop: a 503 shed there needs no trigger
        dispatcher.loop_thread = threading.get_ident()
        loop()

    server.run = run
    server.maintenance = _maintenance(server, guard)
    server.limits = lim
    return server


assert set(_WAITRESS_CODES.values()) <= set(ERROR_CODES)
