"""Issue 14 items 1, 4, 5, 6: the real waitress server (http_guard.make_server) on loopback, in a
thread of this process so a test can hold the backend and look at the server's state.

No timing assertions: each test holds or releases events, counts answers and closed sockets, and
waits for them in bounded loops."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests
from daemon_helpers import make_app, wait_for, window
from hailo_inference import http_guard
from hailo_inference.http_guard import Guard, make_server

BODY = orjson.dumps({"x": window()})
JSON = {"Content-Type": "application/json"}


class Server:
    def __init__(self, artifact: Any, **server: Any) -> None:
        self.app, self.state = make_app(artifact, "onnx", server=server)
        self.events: list[tuple[str, dict]] = []
        log = self.state.log

        class Recorder:  # the daemon's structlog logger, also recorded here
            def __getattr__(_, level: str) -> Any:
                def emit(event: str, **kw: Any) -> None:
                    self.events.append((event, kw))
                    getattr(log, level)(event, **kw)

                return emit

        self.guard = Guard(Recorder(), self.state.metrics, self.state.admission.saturated)
        self.srv = make_server(self.app, self.state.cfg.server, self.guard, port=0)
        self.port = self.srv.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.srv.run, daemon=True)
        self.thread.start()

    def metric(self, text: str) -> bool:
        return text in requests.get(self.url + "/metrics", timeout=10).text

    def stop(self) -> None:
        """Close every channel from the loop's own thread; the loop ends with an empty map."""
        srv = self.srv

        def close_all() -> None:
            for c in list(srv._map.values()):
                with contextlib.suppress(Exception):
                    c.close()

        # The request threads first: one still writing its answer pulls the trigger, which
        # must not be closed yet (a pull on a closed trigger raised in the thread at teardown).
        srv.task_dispatcher.shutdown(timeout=5)
        try:
            srv.trigger.pull_trigger(close_all)
        except OSError as exc:
            # Seen once in CI (EBADF: the trigger pipe was already closed at teardown, not
            # reproduced since): the loop cannot be woken, so empty its map from here; it ends
            # with the map. The test's own assertions ran before this.
            warnings.warn(
                f"test server trigger unusable at teardown ({exc}); closed from the test thread",
                stacklevel=1,
            )
            close_all()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the server loop did not stop"


@pytest.fixture()
def server(tiny_artifact) -> Iterator[Any]:
    made: list[Server] = []

    def start(**kw: Any) -> Server:
        made.append(Server(tiny_artifact, **kw))
        return made[-1]

    yield start
    for s in made:
        s.stop()


def closed_by_server(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_good_requests_are_served_while_500_idle_and_dripping_connections_are_open(
    server, monkeypatch
):
    """Waitress' defaults stopped accepting at 100 connections and dripping bytes defeated its
    inactivity timer: every good request waited for as long as the attackers stayed."""
    monkeypatch.setattr(http_guard, "HEADER_TIMEOUT_S", 1.0)  # the test is about behaviour
    srv = server()
    held: list[socket.socket] = []
    try:
        for i in range(500):
            s = socket.create_connection(("127.0.0.1", srv.port))
            if i % 2:  # a request line and a header, never the end of the headers
                s.sendall(b"POST /infer HTTP/1.1\r\nHost: x\r\n")
            held.append(s)
        wait_for(lambda: len(srv.srv.active_channels) >= 500, "500 connections accepted")
        for _ in range(5):
            r = requests.post(srv.url + "/infer", data=BODY, headers=JSON, timeout=30)
            assert r.status_code == 200 and len(r.json()["latent"]) == 64
        dripping, idle = held[1::2], held[0::2]
        for s in dripping:  # one more header line: activity that used to keep it alive
            with contextlib.suppress(OSError):
                s.sendall(b"X-Drip: 1\r\n")
        wait_for(lambda: all(closed_by_server(s) for s in dripping), "dripping sockets closed")
        assert not any(closed_by_server(s) for s in idle)  # idle keep-alive is not an attack
        closed = [kw for ev, kw in srv.events if ev == "connection_closed"]
        assert len(closed) == 250 and {kw["reason"] for kw in closed} == {"header_timeout"}
        assert srv.metric('edge_sidecar_connections_closed_total{reason="header_timeout"} 250.0')
        r = requests.get(srv.url + "/healthz", timeout=30)  # what the watchdog probes
        assert r.status_code == 200
    finally:
        for s in held:
            s.close()


def test_inference_beyond_free_slots_and_threads_gets_503_without_waiting(server, monkeypatch):
    """Every slot and every waitress thread held: a new /infer is answered 503 at once by the
    event loop (waitress used to queue it, unbounded, until a thread came free)."""
    srv = server(max_inflight=2)
    svc = srv.state.service
    release = threading.Event()
    in_backend = threading.Semaphore(0)
    be = svc.served.backend
    real_run = be.run

    def held_run(x: Any, timeout_s: float) -> Any:
        in_backend.release()
        assert release.wait(60)
        return real_run(x, timeout_s)

    monkeypatch.setattr(be, "run", held_run)
    real_build = svc.build

    def held_build(path: str) -> Any:
        assert release.wait(60)
        return real_build(path)

    monkeypatch.setattr(svc, "build", held_build)
    threads = len(srv.srv.task_dispatcher.threads)
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(
            __import__("concurrent.futures").futures.ThreadPoolExecutor(threads)
        )
        infers = [
            pool.submit(requests.post, srv.url + "/infer", data=BODY, headers=JSON, timeout=60)
            for _ in range(2)
        ]
        for _ in range(2):
            assert in_backend.acquire(timeout=60)
        reloads = [
            pool.submit(requests.post, srv.url + "/admin/reload", timeout=60)
            for _ in range(threads - 2)
        ]
        d = srv.srv.task_dispatcher
        wait_for(lambda: d.active_count == threads and not d.queue, "every thread held")
        for _ in range(10):  # answered while everything stays held
            r = requests.post(srv.url + "/infer", data=BODY, headers=JSON, timeout=30)
            assert r.status_code == 503 and r.headers["Retry-After"] == "1"
            assert r.headers["Content-Type"] == "application/json"
            assert r.json()["error"] == "overloaded"
            assert not release.is_set()
        release.set()
        assert [f.result().status_code for f in infers] == [200, 200]
        assert {f.result().status_code for f in reloads} == {200}
    # every shed request counted; logged as one overload_shed line per second, not one per 503
    assert srv.metric('edge_sidecar_rejections_total{reason="overloaded"} 10.0')
    assert srv.metric('edge_sidecar_requests_total{route="/infer",status="503"} 10.0')
    shed = [kw for ev, kw in srv.events if ev == "overload_shed"]
    assert shed and shed[0]["first"] and 1 <= len(shed) <= 10
    assert sum(kw["requests"] for kw in shed) <= 10


def _raw(port: int, data: bytes) -> bytes:
    """Send `data` (from a thread: the server may answer and close before it has all of it)
    and read until the server closes (bounded by the socket timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:

        def send() -> None:
            with contextlib.suppress(OSError):
                s.sendall(data)

        sender = threading.Thread(target=send)
        sender.start()
        out = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := s.recv(65536):
                out += chunk
        sender.join(20)
        return out


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "malformed_http"),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"POST /infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
            "not_implemented",
        ),
        (
            b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 99999999\r\n\r\n",
            413,
            "payload_too_large",
        ),
    ],
    ids=["400", "431", "501", "413"],
)
def test_errors_waitress_writes_itself_are_json_logged_and_counted(server, data, status, code):
    srv = server()
    out = _raw(srv.port, data)
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode(), out[:200]
    assert b"Content-Type: application/json" in head
    err = orjson.loads(body)
    assert err["error"] == code and set(err) == {"error", "detail", "request_id"}
    lines = [kw for ev, kw in srv.events if ev == "request"]
    assert [(kw["status"], kw["error"]) for kw in lines] == [(status, code)]
    assert srv.metric(f'status="{status}"')


@pytest.mark.parametrize(
    "data",
    [
        b"GET /healthz HTTP/1.1\nHost: x\n\n",  # bare LF
        bytes.fromhex("160301020001") + b"\x00" * 64,  # the start of a TLS ClientHello
    ],
    ids=["bare-LF", "TLS"],
)
def test_what_is_not_http_is_answered_and_closed_at_once(server, data):
    """Such a connection used to get no answer until waitress' 30 s inactivity timer."""
    srv = server()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as s:
        s.sendall(data)  # and keep the socket open: the server must close it, not us
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400" and b"Connection: close" in head
    assert orjson.loads(body)["error"] == "malformed_http"
    assert [kw["reason"] for ev, kw in srv.events if ev == "connection_closed"] == ["not_http"]


def test_a_body_over_the_hard_limit_reaches_a_real_client_as_the_json_413(server):
    """9 MiB POST (hard limit: max_body_bytes x max_batch_windows x 2 = 8 MiB): the server answers
    413 after the headers and closes while the client still sends. Closing a socket with unread
    input sends a TCP reset, which used to destroy the 413 before the client read it; the channel
    now shuts down its write side and drains (lingers) before closing. The client is the
    standard library's: it sends the whole body before it reads (requests/urllib3 and curl read
    the early answer when a send fails, so they hid the reset)."""
    srv = server()
    body = b'{"x": [' + b"0.0, " * (9 * 1024 * 1024 // 5) + b"0.0]}"
    assert len(body) > 9 * 1024 * 1024
    for _ in range(3):  # each on a new connection
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        try:
            c.request("POST", "/infer/batch", body=body, headers=JSON)
            r = c.getresponse()
            status, answer = r.status, orjson.loads(r.read())
        finally:
            c.close()
        assert status == 413
        assert answer["error"] == "payload_too_large"
        assert set(answer) == {"error", "detail", "request_id"}
