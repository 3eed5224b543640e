"""Request logging (issue 28 item 8): a summary per interval, errors and slow requests alone.

The interval and the latencies are driven by an injected clock: no sleeps, no timing assertions.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from daemon_helpers import make_app, window
from hailo_inference.config import ConfigError, build_config
from hailo_inference.logs import configure_logging, get_logger
from hailo_inference.request_log import MAX_SAMPLES, RequestLog

JSON = {"Content-Type": "application/json"}
BODY = orjson.dumps({"x": window()})


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Events:
    """A logger that keeps (level, event, fields), filtered at `level` like structlog's."""

    _ORDER = ("debug", "info", "warning", "error")

    def __init__(self, level: str = "info") -> None:
        self.min = self._ORDER.index(level)
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Any:
        if level not in self._ORDER:
            raise AttributeError(level)

        def emit(event: str, **kw: Any) -> None:
            if self._ORDER.index(level) >= self.min:
                self.lines.append((level, event, kw))

        return emit

    def named(self, event: str) -> list[dict[str, Any]]:
        return [kw for _, ev, kw in self.lines if ev == event]


@pytest.fixture()
def served(art):
    """(flask test client, state, clock, events): the app with the request log on a test clock."""
    app, state = make_app(art, "stub")
    clock, events = Clock(), Events()
    state.request_log = RequestLog(events, interval_s=60, slow_ms=45, clock=clock)
    return app.test_client(), state, clock, events


def test_a_burst_of_good_requests_is_one_summary_line(served):
    client, _, clock, events = served
    for _ in range(50):
        assert client.post("/infer", data=BODY, headers=JSON).status_code == 200
        clock.t += 0.5  # 50 requests over 25 s: still inside the 60 s interval
    assert events.lines == []  # no line per request
    clock.t += 40  # the interval is over
    assert client.get("/healthz").status_code == 200  # any request (or the ticker) writes it
    (summary,) = events.named("request_summary")
    assert summary["count"] == 50 and summary["probes"] == 1
    assert summary["errors"] == {} and summary["slow"] == 0
    assert summary["backends"] == {"stub": 50}
    assert summary["p50_ms"] == summary["p99_ms"] == 0.0  # the clock did not move in a request
    assert summary["interval_s"] == 65.0
    assert [lv for lv, _, _ in events.lines] == ["info"]


def test_an_error_and_a_slow_request_are_logged_on_their_own(served):
    client, state, clock, events = served
    backend = state.service.served.backend
    real = backend.run

    def slow(x, timeout_s):  # the stub takes 120 ms on the test clock
        clock.t += 0.120
        return real(x, timeout_s)

    backend.run = slow
    assert client.post("/infer", data=BODY, headers=JSON).status_code == 200
    backend.run = real
    bad = client.post("/infer", data=b"{", headers={**JSON, "X-Request-ID": "bad-1"})
    assert bad.status_code == 400
    assert client.post("/infer", data=BODY, headers=JSON).status_code == 200
    (slow_line,) = events.named("request_slow")
    assert slow_line["latency_ms"] == pytest.approx(120.0) and slow_line["slow_ms"] == 45
    assert slow_line["path"] == "/infer" and slow_line["backend"] == "stub"
    (failed,) = events.named("request_failed")
    assert failed["status"] == 400 and failed["error"] == "invalid_json" and failed["detail"]
    assert [lv for lv, _, _ in events.lines] == ["warning", "warning"]
    assert events.named("request") == []  # the good one: no line at info
    clock.t += 60
    state.request_log.tick()
    (summary,) = events.named("request_summary")
    assert summary["count"] == 3 and summary["slow"] == 1 and summary["errors"] == {"400": 1}
    assert summary["p99_ms"] == pytest.approx(120.0) and summary["p50_ms"] == 0.0


def test_every_request_still_has_its_line_at_debug(served):
    client, state, clock, _ = served
    events = Events("debug")
    state.request_log = RequestLog(events, interval_s=60, slow_ms=45, clock=clock)
    client.post("/infer", data=BODY, headers={**JSON, "X-Request-ID": "dbg"})
    ((level, event, kw),) = events.lines
    assert (level, event, kw["status"], kw["method"]) == ("debug", "request", 200, "POST")


def test_percentiles_nearest_rank_and_idle_intervals_write_nothing():
    clock, events = Clock(), Events()
    rl = RequestLog(events, interval_s=10, slow_ms=45, clock=clock)
    for ms in range(1, 101):  # 1..100 ms
        rl.record(latency_s=ms / 1000, status=200, backend="hailo")
    assert len(events.named("request_slow")) == 55  # 46..100 ms
    clock.t += 10
    rl.tick()
    (s,) = events.named("request_summary")
    assert (s["p50_ms"], s["p95_ms"], s["p99_ms"]) == (50.0, 95.0, 99.0)
    assert s["count"] == 100 and s["slow"] == 55 and s["backends"] == {"hailo": 100}
    assert s["latency_sampled"] is False
    clock.t += 30  # nothing happened: no line (an idle daemon does not write to the card)
    rl.tick()
    assert len(events.named("request_summary")) == 1


def test_not_before_the_interval_and_flush_at_exit():
    clock, events = Clock(), Events()
    rl = RequestLog(events, interval_s=60, slow_ms=45, clock=clock)
    rl.record(latency_s=0.001, status=503, probe=True, path="/readyz")
    clock.t += 59.9
    rl.tick()
    assert events.named("request_summary") == []
    rl.flush()
    (s,) = events.named("request_summary")
    assert s["count"] == 0 and s["probes"] == 1 and s["errors"] == {"503": 1}
    assert s["p50_ms"] is None  # probes stay out of the latency figures


def test_latencies_kept_are_bounded():
    clock, events = Clock(), Events()
    rl = RequestLog(events, interval_s=60, slow_ms=1e9, clock=clock, rng=random.Random(0))
    for i in range(MAX_SAMPLES + 1000):
        rl.record(latency_s=(i % 100) / 1000, status=200)
    assert len(rl._samples) == MAX_SAMPLES
    clock.t += 60
    rl.tick()
    (s,) = events.named("request_summary")
    assert s["count"] == MAX_SAMPLES + 1000 and s["latency_sampled"] is True


def test_each_worker_summary_carries_its_worker_index(tmp_path):
    """server.workers > 1: each worker process has its own RequestLog; logs.py adds its index."""
    out = tmp_path / "w.ndjson"
    configure_logging("info", str(out), static={"worker": 2, "pid": 4242})
    try:
        clock = Clock()
        rl = RequestLog(get_logger(), interval_s=60, slow_ms=45, clock=clock)
        rl.record(latency_s=0.002, status=200, backend="onnx")
        clock.t += 60
        rl.tick()
    finally:
        configure_logging("warning")
    (line,) = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert line["event"] == "request_summary" and line["worker"] == 2 and line["count"] == 1


@pytest.mark.parametrize(
    ("key", "value"), [("summary_interval_s", 0), ("slow_request_ms", 0), ("slow_request_ms", -1)]
)
def test_config_bounds(key, value):
    with pytest.raises(ConfigError, match=f"logging.{key}"):
        build_config({"logging": {key: value}}, env={})


def test_config_from_environment():
    env = {"HAILO_INFERENCE_LOGGING_SLOW_REQUEST_MS": "30"}
    cfg = build_config({"logging": {"summary_interval_s": 15}}, env=env)
    assert (cfg.logging.summary_interval_s, cfg.logging.slow_request_ms) == (15.0, 30.0)
