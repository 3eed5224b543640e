"""The floor under the daemon's time to a 503: servers that do nothing but answer one.

    python benchmarks/floor.py waitress|guard|asyncio PORT

All three answer every POST with the daemon's 503 `overloaded` answer (same headers and JSON body,
no inference; only `guard` counts and logs, as the daemon does) and GET with 200 (a readiness
probe for the benchmark):

  waitress  a bare WSGI app on Waitress (4 threads): what any Flask-on-Waitress daemon, this
            one included, pays before its own code runs
  guard     this daemon's own shed path (hailo_inference.http_guard, the same Guard and
            dispatcher) with every inference slot always taken: each POST /infer gets its 503
            in the event loop, counted, as the daemon's do under overload
  asyncio   an asyncio.Protocol that finds each request's end in the byte stream and writes the
            canned answer: about the least a Python HTTP server can do per request

`reliability.py --only floor` loads them as it loads the daemon (same client, same clients):
if these cannot answer a 503 within a time at some load, no Python daemon on this machine can.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import orjson

BODY = orjson.dumps(
    {
        "error": "overloaded",
        "detail": "all inference slots and threads are busy (server.max_inflight); retry",
        "request_id": "0" * 32,  # the daemon's are random: same length
    }
)
HEADERS = [
    ("Content-Type", "application/json"),
    ("Retry-After", "1"),
    ("Content-Length", str(len(BODY))),
]
OK = b'{"ready":true}'
KINDS = ("waitress", "guard", "asyncio")


def wsgi_app(environ: dict, start_response) -> list[bytes]:  # noqa: ANN001  (WSGI signature)
    if environ["REQUEST_METHOD"] == "GET":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [OK]
    environ["wsgi.input"].read()
    start_response("503 Service Unavailable", HEADERS)
    return [BODY]


_RAW_503 = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    + b"".join(f"{k}: {v}\r\n".encode() for k, v in HEADERS)
    + b"\r\n"
    + BODY
)
_RAW_200 = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(OK),
    OK,
)


class CannedProtocol(asyncio.Protocol):
    """Per request: the header block, then Content-Length bytes of body, then the answer."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            head = self.buf[:end].lower()
            n = 0
            if b"content-length:" in head:
                n = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            if len(self.buf) < end + 4 + n:
                return
            self.buf = self.buf[end + 4 + n :]
            ok = head.startswith(b"get ")
            self.transport.write(_RAW_200 if ok else _RAW_503)  # type: ignore[attr-defined]


def _serve_guard(port: int) -> None:
    """make_server as server.py calls it, on a Flask app that answers GET; Guard saturated."""
    import flask
    from hailo_inference.config import ServerConfig
    from hailo_inference.http_guard import Guard, make_server
    from hailo_inference.logs import configure_logging, get_logger
    from hailo_inference.metrics import Metrics

    configure_logging("warning", None)
    app = flask.Flask("floor")
    app.add_url_rule("/", "ready", lambda: flask.Response(OK, mimetype="application/json"))
    guard = Guard(get_logger(), Metrics(), saturated=lambda: True)
    make_server(app, ServerConfig(port=port), guard, port=port).run()


async def _serve_asyncio(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(CannedProtocol, "127.0.0.1", port)
    await server.serve_forever()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        print(__doc__, file=sys.stderr)
        return 2
    kind, port = argv[0], int(argv[1])
    if kind == "waitress":
        import waitress

        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N"
        waitress.serve(wsgi_app, host="127.0.0.1", port=port, threads=4, _quiet=True)
    elif kind == "guard":
        _serve_guard(port)
    else:
        asyncio.run(_serve_asyncio(port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
