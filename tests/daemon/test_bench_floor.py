"""benchmarks/floor.py (issue 14, item 4): the 503-only servers the daemon's overload figures are
compared with must answer what the daemon answers when it sheds, and frame requests right on a
keep-alive connection. Real servers on loopback; nothing is timed. (Not reliability.py itself:
it imports benchmarks/loadgen.py as `loadgen`, the name tests/deploy's own load generator has.)"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys

import pytest
from bench_modules import BENCH, load

floor = load("floor")
loadgen = load("loadgen")


@pytest.fixture(params=floor.KINDS)
def floor_server(request: pytest.FixtureRequest):
    port = loadgen.free_port()
    proc = subprocess.Popen([sys.executable, str(BENCH / "floor.py"), request.param, str(port)])
    try:
        loadgen.wait_ready(proc, port, "/", f"floor server {request.param}")
        yield request.param, port
    finally:
        proc.terminate()
        proc.wait(10)


def test_floor_servers_answer_the_daemons_503_on_one_keep_alive_connection(
    floor_server, request: pytest.FixtureRequest
):
    kind, port = floor_server
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    request.addfinalizer(c.close)
    body = json.dumps({"x": [[0.5] * 9] * 100}).encode()
    for _ in range(3):  # the same connection: each request's body consumed, not taken as next
        c.request("POST", "/infer", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        answer = json.loads(r.read())
        assert r.status == 503, kind
        assert r.getheader("Retry-After") == "1"
        assert r.getheader("Content-Type") == "application/json"
        assert set(answer) == {"error", "detail", "request_id"}
        assert answer["error"] == "overloaded"
        assert len(answer["request_id"]) == 32
    c.request("GET", "/")
    r = c.getresponse()
    r.read()
    assert r.status == 200


class _Transport:
    def __init__(self) -> None:
        self.out: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.out.append(data)


def test_canned_protocol_frames_pipelined_requests_split_anywhere():
    req = b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    stream = req * 3 + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    for step in (1, 7, len(stream)):
        p, t = floor.CannedProtocol(), _Transport()
        p.connection_made(t)
        for i in range(0, len(stream), step):
            p.data_received(stream[i : i + step])
        firsts = [a.split(b"\r\n", 1)[0] for a in t.out]
        assert firsts == [b"HTTP/1.1 503 Service Unavailable"] * 3 + [b"HTTP/1.1 200 OK"], step
        assert p.buf == b""


def test_floor_refuses_an_unknown_kind():
    assert floor.main(["nginx", "1"]) == 2
