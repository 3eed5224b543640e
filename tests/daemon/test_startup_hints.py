"""What the daemon says when it cannot do what its settings ask, naming the setting to change:
a port in use (exit 4, one process or a supervisor) names HAILO_INFERENCE_SERVER_PORT,
server.port and the role's hailo_inference_port; a telemetry folder that cannot be written is
reported once at start with the folder and HAILO_INFERENCE_TELEMETRY_DIR / telemetry.dir, and
the daemon serves on (telemetry is optional).

The unwritable folder is a path under a regular file, which not even root can create."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import orjson
import pytest
import requests
from daemon_helpers import Live, free_port, window
from hailo_inference.config import load_config
from hailo_inference.server import bind_hint

JSON = {"Content-Type": "application/json"}
BODY = orjson.dumps({"x": window()})
PORT_NAMES = ("HAILO_INFERENCE_SERVER_PORT=<port>", "server.port", "hailo_inference_port")


def _events(d: Live, name: str) -> list[dict]:
    return [e for e in d.logs() if e.get("event") == name]


def test_bind_hint_names_the_setting_for_each_cause():
    busy = bind_hint("127.0.0.1", 9000, OSError(errno.EADDRINUSE, "Address already in use"))
    assert "another process holds port 9000" in busy
    assert all(n in busy for n in PORT_NAMES), busy
    low = bind_hint("127.0.0.1", 80, OSError(errno.EACCES, "Permission denied"))
    assert all(n in low for n in PORT_NAMES), low
    far = bind_hint("10.9.9.9", 9000, OSError(errno.EADDRNOTAVAIL, "Cannot assign"))
    assert "10.9.9.9 is not an address of this machine" in far
    assert "HAILO_INFERENCE_SERVER_HOST=<address>" in far and "hailo_inference_listen_host" in far
    odd = bind_hint("127.0.0.1", 9000, OSError(errno.EINVAL, "Invalid argument"))
    assert all(n in odd for n in PORT_NAMES) and "HAILO_INFERENCE_SERVER_HOST" in odd


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "supervisor"])
def test_port_in_use_exits_4_naming_how_to_choose_another(tiny_artifact, tmp_path, workers):
    with socket.socket() as busy:
        port = free_port()
        busy.bind(("127.0.0.1", port))
        busy.listen()
        d = Live(tmp_path, tiny_artifact, server={"port": port, "workers": workers})
        try:
            assert d.proc.wait(60) == 4
        finally:
            d.stop()
    (failed,) = _events(d, "bind_failed")
    assert failed["port"] == port and failed["level"] == "error"
    assert f"another process holds port {port}" in failed["hint"]
    assert all(n in failed["hint"] for n in PORT_NAMES), failed


def _telemetry_env(folder: Path) -> dict[str, str]:
    return {
        "HAILO_INFERENCE_TELEMETRY_ENABLED": "1",
        "HAILO_INFERENCE_TELEMETRY_DIR": str(folder),
        "HAILO_INFERENCE_TELEMETRY_FLUSH_INTERVAL_S": "0.05",
    }


@pytest.mark.parametrize(("given", "enabled"), [("1", True), ("0", False), ("true", True)])
def test_telemetry_enabled_from_the_environment_as_1_or_0(given, enabled, monkeypatch):
    """`HAILO_INFERENCE_TELEMETRY_ENABLED=1 make serve` (a YAML int 1 once: refused, exit 2)."""
    monkeypatch.setenv("HAILO_INFERENCE_TELEMETRY_ENABLED", given)
    assert load_config(None).telemetry["enabled"] is enabled


def test_unwritable_telemetry_folder_is_named_once_at_start_and_serving_goes_on(
    live, tiny_artifact, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file: nothing can be created under it, not even by root")
    folder = blocker / "telemetry"
    d = live(tiny_artifact, env=_telemetry_env(folder))
    assert requests.post(d.url + "/infer", data=BODY, headers=JSON, timeout=10).status_code == 200
    (start,) = _events(d, "telemetry_dir_unwritable")
    assert start["level"] == "error" and start["dir"] == str(folder)
    assert "HAILO_INFERENCE_TELEMETRY_DIR=<folder>" in start["hint"]
    assert "telemetry.dir" in start["hint"] and "inference is not affected" in start["hint"]
    assert "NotADirectoryError" in start["error"]
    # the event logged at start comes before the model is served
    names = [e.get("event") for e in d.logs()]
    assert names.index("telemetry_dir_unwritable") < names.index("ready")
    # the events then dropped name the folder and the variable too
    dropped = None
    for _ in range(200):
        if dropped := _events(d, "telemetry_dropped"):
            break
        requests.post(d.url + "/infer", data=BODY, headers=JSON, timeout=10)
    assert dropped and dropped[0]["reason"] == "io_error" and dropped[0]["dir"] == str(folder)
    assert "HAILO_INFERENCE_TELEMETRY_DIR=<folder>" in dropped[0]["hint"]


def test_a_writable_telemetry_folder_is_not_reported_and_keeps_no_probe(
    live, tiny_artifact, tmp_path
):
    folder = tmp_path / "new" / "telemetry"
    d = live(tiny_artifact, env=_telemetry_env(folder))
    assert requests.post(d.url + "/infer", data=BODY, headers=JSON, timeout=10).status_code == 200
    assert not _events(d, "telemetry_dir_unwritable")
    assert folder.is_dir() and not list(folder.glob(".write-probe-*"))
