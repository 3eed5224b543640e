"""Issue 26 item 4: every waitress internal hailo-inference relies on is named in
waitress_adapter, checked on the installed waitress (classes, signatures, and the fields of a real
server, channel, request and error task on loopback), refused when missing, and the tested range
is what daemon/pyproject.toml pins."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomllib
from hailo_inference import waitress_adapter as adapter
from hailo_inference.config import ServerConfig
from hailo_inference.http_guard import Guard, make_server
from hailo_inference.logs import get_logger
from hailo_inference.metrics import Metrics
from packaging.requirements import Requirement
from packaging.version import Version
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask, ThreadedTaskDispatcher

PYPROJECT = Path(__file__).resolve().parents[2] / "daemon" / "pyproject.toml"


def _app(environ: dict, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture()
def srv() -> Iterator[Any]:
    guard = Guard(get_logger(), Metrics(), saturated=lambda: False)
    s = make_server(_app, ServerConfig(port=0), guard, port=0)
    yield s
    for ch in list(s._map.values()):
        ch.close()
    s.task_dispatcher.shutdown()


def test_the_installed_waitress_has_every_internal_the_adapter_names():
    assert adapter.missing() == []


def test_a_real_server_channel_request_and_error_task_have_the_fields_read(srv):
    """A request whose body is still coming, pumped through the server's own loop."""
    assert adapter.lacking(srv, adapter.SERVER_FIELDS, "server") == []
    with socket.create_connection(("127.0.0.1", srv.effective_port), timeout=10) as c:
        c.sendall(b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12")
        for _ in range(200):
            wasyncore.loop(timeout=0.05, use_poll=True, map=srv._map, count=1)
            chans = adapter.channels(srv)
            if chans and chans[0].request is not None:
                break
        (ch,) = adapter.channels(srv)
        assert isinstance(ch, HTTPChannel)
        assert adapter.lacking(ch, adapter.CHANNEL_FIELDS, "channel") == []
        req = ch.request
        assert adapter.lacking(req, adapter.PARSER_FIELDS + adapter.REQUEST_FIELDS, "req") == []
        assert (req.command, req.path) == ("POST", "/infer")
        assert adapter.reading_phase(ch) == "body" and not adapter.is_idle(ch)
        task = ErrorTask(ch, req)
        assert adapter.lacking(task, adapter.TASK_FIELDS, "ErrorTask()") == []
        assert not adapter.pending_output(srv)


def test_a_waitress_without_a_dispatcher_counter_is_named_and_refused(monkeypatch):
    monkeypatch.delattr(ThreadedTaskDispatcher, "active_count")
    assert adapter.missing() == ["ThreadedTaskDispatcher.active_count"]
    guard = Guard(get_logger(), Metrics(), saturated=lambda: False)
    with pytest.raises(RuntimeError, match=r"lacks .*active_count.*pyproject.toml pins"):
        make_server(_app, ServerConfig(port=0), guard, port=0)


def test_a_waitress_whose_channel_method_changed_signature_is_named(monkeypatch):
    monkeypatch.setattr(HTTPChannel, "received", lambda self, data, more: False)
    assert adapter.missing() == [
        "HTTPChannel.received('self', 'data') (has ('self', 'data', 'more'))"
    ]


def test_a_waitress_whose_request_parser_changed_is_named(monkeypatch):
    from waitress.parser import HTTPRequestParser

    monkeypatch.delattr(HTTPRequestParser, "headers_finished")
    assert adapter.missing() == ["HTTPRequestParser().headers_finished"]


def test_pyproject_pins_the_range_the_adapter_was_tested_with_and_it_is_installed():
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (req,) = [Requirement(d) for d in deps if Requirement(d).name == "waitress"]
    assert str(req.specifier) == str(Requirement("waitress" + adapter.SUPPORTED).specifier)
    assert Version(adapter.version()) in req.specifier
    assert Version("3.1.0") not in req.specifier and Version("3.0.1") not in req.specifier
