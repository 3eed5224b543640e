"""The real daemon (`python -m hailo_inference`, waitress) on loopback in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
import requests
from daemon_helpers import Live, copy_artifact, free_port, notify_socket, post_until, window

JSON = {"Content-Type": "application/json"}
BODY = orjson.dumps({"x": window()})


def test_bad_input_matrix_over_http_never_5xx(live, tiny_artifact):
    d = live(tiny_artifact)
    u = d.url + "/infer"
    big = b'{"x": [' + b"0.123456789," * 10000 + b"0]}"
    cases = [
        (dict(data=b'{"x": [[1, 2, 3', headers=JSON), 400, "invalid_json"),  # truncated
        (dict(data=b"not json at all", headers=JSON), 400, "invalid_json"),
        (dict(data=b'{"x": [[1,2,3]]}', headers=JSON), 400, "invalid_shape"),
        (dict(data=orjson.dumps({"x": [["a"] * 9] * 100}), headers=JSON), 400, "invalid_value"),
        (dict(data=b'{"z": 0}', headers=JSON), 400, "missing_key"),
        (dict(data=BODY, headers={"Content-Type": "text/csv"}), 415, "unsupported_media_type"),
        (dict(data=big, headers=JSON), 413, "payload_too_large"),
        (dict(data=iter([big[:50000], big[50000:]]), headers=JSON), 413, "payload_too_large"),
    ]
    for kw, status, code in cases:
        r = requests.post(u, timeout=5, **kw)
        assert r.status_code == status, (code, r.text)
        assert r.json()["error"] == code and r.json()["request_id"] == r.headers["X-Request-ID"]
    nan = b'{"x": [' + b",".join([b"[" + b",".join([b"NaN"] * 9) + b"]"] * 100) + b"]}"
    assert requests.post(u, data=nan, headers=JSON, timeout=5).status_code == 400
    # a client that sends half its declared body and hangs up must not hurt the server
    with socket.create_connection(("127.0.0.1", d.port)) as s:
        s.sendall(b"POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 5000\r\n\r\n" + BODY[:100])  # fmt: skip
    ok = requests.post(u, data=BODY, headers={**JSON, "X-Request-ID": "trace-42"}, timeout=5)
    assert ok.status_code == 200 and ok.headers["X-Request-ID"] == "trace-42"
    assert len(ok.json()["latent"]) == 64
    # a good request has no line of its own at info (request_log.py) unless it was slow
    lines = [e for e in d.logs() if e.get("request_id") == "trace-42"]
    assert all(e["event"] == "request_slow" for e in lines), lines
    failed = [e for e in d.logs() if e["event"] == "request_failed"]
    assert any(e["status"] == 400 and e["error"] == "invalid_json" and e["detail"] for e in failed)
    assert any(e["event"] == "startup" for e in d.logs())
    assert any(e["event"] == "model_loaded" and e["manifest_sha256"] for e in d.logs())
    assert d.stop() == 0  # at exit the interval so far is summarised
    (summary,) = [e for e in d.logs() if e["event"] == "request_summary"]
    assert summary["count"] >= 1 and summary["backends"]["onnx"] >= 1
    assert summary["errors"]["400"] >= 5 and summary["p99_ms"] > 0


def test_sigterm_drains_in_flight_requests_then_exits_0(live, tiny_artifact):
    d = live(
        tiny_artifact,
        model={"backend": "stub", "stub_delay_s": 0.6},
        server={"request_timeout_s": 2},
    )
    with ThreadPoolExecutor(4) as pool:
        futs = [pool.submit(requests.post, d.url + "/infer", data=BODY, headers=JSON, timeout=10)
                for _ in range(3)]  # fmt: skip
        time.sleep(0.2)
        d.signal(signal.SIGTERM)
        time.sleep(0.1)
        ready = requests.get(d.url + "/readyz", timeout=5)
        late = requests.post(d.url + "/infer", data=BODY, headers=JSON, timeout=5)
        statuses = [f.result().status_code for f in futs]
    assert statuses == [200, 200, 200]  # in-flight requests finished
    assert ready.status_code == 503 and "draining" in ready.json()["reason"]
    assert late.status_code == 503 and late.json()["error"] == "draining"
    assert d.proc.wait(10) == 0
    events = [e["event"] for e in d.logs()]
    assert "drain_started" in events and "drain_finished" in events and events[-1] == "exit"


def test_sighup_swaps_atomically_under_load_and_refuses_bad_artifacts(
    live, tiny_artifact, tmp_path
):
    a = copy_artifact(tiny_artifact, tmp_path / "a", version="1.0.0-aaaa")
    b = copy_artifact(tiny_artifact, tmp_path / "b", version="2.0.0-bbbb")
    bad = copy_artifact(tiny_artifact, tmp_path / "bad", version="3.0.0-bad")
    with open(bad / "encoder_cpu.onnx", "r+b") as f:  # corrupt one byte: sha256 must catch it
        f.seek(200)
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 0xFF]))
    current = tmp_path / "current"
    current.symlink_to(a)
    d = live(current)
    stop, results = threading.Event(), []
    workers = [threading.Thread(target=post_until, args=(d.url, stop, results)) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        time.sleep(0.5)
        tmp_link = tmp_path / "current.new"
        tmp_link.symlink_to(b)
        os.replace(tmp_link, current)  # what the Ansible role does: atomic symlink flip
        d.signal(signal.SIGHUP)
        t0 = time.monotonic()
        while requests.get(d.url + "/healthz", timeout=5).json()["model"].endswith("aaaa"):
            assert time.monotonic() - t0 < 30, "swap did not happen"
            time.sleep(0.05)
        time.sleep(0.5)
        tmp_link.symlink_to(bad)
        os.replace(tmp_link, current)
        d.signal(signal.SIGHUP)
        t0 = time.monotonic()
        while not any(e["event"] == "reload_refused" for e in d.logs()):
            assert time.monotonic() - t0 < 30, "bad artifact not refused"
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        stop.set()
        for w in workers:
            w.join()
    statuses = {s for s, *_ in results}
    assert statuses == {200}, [r for r in results if r[0] != 200][:3]
    models = [m for _, m, _ in results]
    assert models[0].endswith("1.0.0-aaaa") and models[-1].endswith("2.0.0-bbbb")
    assert not any(m.endswith("3.0.0-bad") for m in models)
    assert len(results) > 50
    h = requests.get(d.url + "/healthz", timeout=5).json()
    assert h["model"].endswith("2.0.0-bbbb") and h["ready"]
    refused = next(e for e in d.logs() if e["event"] == "reload_refused")
    assert "sha256" in refused["error"] and "encoder_cpu.onnx" in refused["error"]
    text = requests.get(d.url + "/metrics", timeout=5).text
    assert 'edge_sidecar_reloads_total{result="swapped"} 1.0' in text
    assert 'edge_sidecar_reloads_total{result="refused"} 1.0' in text
    # the admin endpoint (loopback only) does the same
    r = requests.post(d.url + "/admin/reload", timeout=30)
    assert r.status_code == 422 and r.json()["error"] == "artifact_refused"


def test_systemd_notify_ready_watchdog_reloading_stopping(live, tiny_artifact, tmp_path):
    sock_path = str(tmp_path / "notify.sock")
    srv = notify_socket(tmp_path / "notify.sock")
    msgs: list[str] = []

    def drain(until: float) -> None:
        while time.monotonic() < until:
            with contextlib.suppress(TimeoutError):
                msgs.append(srv.recv(4096).decode())

    env = {"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "400000"}
    d = live(tiny_artifact, wait=False, env=env)
    d.wait_ready()
    drain(time.monotonic() + 1.0)
    assert any(m.startswith("READY=1") for m in msgs), msgs
    assert sum(m == "WATCHDOG=1" for m in msgs) >= 2, msgs  # every WatchdogSec/2 = 0.2 s
    d.signal(signal.SIGHUP)
    drain(time.monotonic() + 2.0)
    assert any(m.startswith("RELOADING=1\nMONOTONIC_USEC=") for m in msgs)
    d.signal(signal.SIGTERM)
    drain(time.monotonic() + 1.0)
    assert any(m.startswith("STOPPING=1") for m in msgs)
    assert d.proc.wait(10) == 0
    srv.close()


def test_bad_artifact_at_start_exits_3_and_busy_port_exits_4(tiny_artifact, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    d = Live(tmp_path, empty)
    assert d.proc.wait(60) == 3
    err = [e for e in d.logs() if e["event"] == "model_load_failed"]
    assert err and "manifest.json" in err[0]["error"]
    d.stop()
    with socket.socket() as s:
        port = free_port()
        s.bind(("127.0.0.1", port))
        s.listen()
        d = Live(tmp_path, tiny_artifact, server={"port": port})
        assert d.proc.wait(60) == 4
        d.stop()


def test_edgeinfer_urls_on_the_real_server(live, tiny_artifact):
    """MODEL_BACKEND_URL as base URL or .../infer; health = URL cut at /infer + /healthz."""
    d = live(tiny_artifact)
    for path in ("/", "/infer", "/infer/infer"):
        r = requests.post(d.url + path, data=BODY, headers=JSON, timeout=5)
        assert r.status_code == 200 and sorted(r.json()) == ["latent", "motif_scores"]
        base = (d.url + path).split("/infer")[0].rstrip("/")
        assert requests.get(base + "/healthz", timeout=5).json()["ok"] is True


def test_telemetry_events_written_when_enabled(tiny_artifact, tmp_path):
    """The telemetry section (docs/telemetry.md) is accepted and the daemon feeds the sink."""
    pytest.importorskip("edge_telemetry")
    tdir = tmp_path / "telemetry"
    env = {"HAILO_INFERENCE_TELEMETRY_ENABLED": "true", "HAILO_INFERENCE_TELEMETRY_DIR": str(tdir)}
    d = Live(tmp_path, tiny_artifact, env=env)
    try:
        d.wait_ready()
        r = requests.post(
            d.url + "/infer/batch",
            data=orjson.dumps({"x": [window(1), window(2)]}),
            headers={**JSON, "X-Request-ID": "tele-1"},
            timeout=5,
        )
        assert r.status_code == 200
        text = requests.get(d.url + "/metrics", timeout=5).text
        assert "edge_sidecar_telemetry_" in text
    finally:
        assert d.stop() == 0
    lines = [
        json.loads(x) for f in sorted(tdir.glob("*.ndjson")) for x in f.read_text().splitlines()
    ]
    mine = [e for e in lines if e["request_id"] == "tele-1"]
    assert len(mine) == 2 and {e["index"] for e in mine} == {0, 1}
    assert all(e["backend"] == "onnx" for e in mine)
