"""server.max_executing (issue 14, item 4): of the admitted inference requests only so many parse
and infer at once, the others sleep until a turn frees (or 503 after request_timeout_s), so the
event loop keeps a CPU and the GIL to shed the overload at once. In-process, stub backend; the
held inference waits on an event the test sets, and every wait is bounded."""

from __future__ import annotations

import threading

import orjson
import pytest
from daemon_helpers import Held, make_app, wait_until, window
from hailo_inference.admission import Turns
from hailo_inference.config import ConfigError, build_config, executing_places, usable_cores


def test_auto_is_one_turn_per_core_within_max_inflight():
    assert executing_places(build_config({}, env={}).server) == min(8, usable_cores())
    one = build_config({"server": {"max_inflight": 1}}, env={}).server
    assert executing_places(one) == 1
    env = {"HAILO_INFERENCE_SERVER_MAX_EXECUTING": "3"}
    assert executing_places(build_config({}, env=env).server) == 3


@pytest.mark.parametrize("bad", [-1, 9])
def test_max_executing_outside_0_to_max_inflight_is_refused(bad):
    with pytest.raises(ConfigError, match=r"server\.max_executing"):
        build_config({"server": {"max_executing": bad, "max_inflight": 8}}, env={})


def test_turns_beyond_the_places_wait_and_time_out():
    t = Turns(1)
    assert t.enter(0.0) is True
    assert t.enter(0.01) is False and t.waiting == 0
    t.leave()
    assert t.enter(0.0) is True


def test_turns_are_handed_to_the_oldest_waiter_first():
    t, order = Turns(1), []
    assert t.enter(0.0)

    def wait(name: str) -> None:
        assert t.enter(10.0)
        order.append(name)

    a = threading.Thread(target=wait, args=("a",))
    a.start()
    wait_until(lambda: t.waiting == 1, "a waiting")
    b = threading.Thread(target=wait, args=("b",))
    b.start()
    wait_until(lambda: t.waiting == 2, "b waiting")
    t.leave()  # to a, though b could be scheduled first
    a.join(10)
    assert order == ["a"] and t.waiting == 1
    assert t.enter(0.0) is False  # the turn went to a, not to whoever asks next
    t.leave()
    b.join(10)
    assert order == ["a", "b"] and t.waiting == 0


def test_a_turn_handed_over_as_the_wait_runs_out_is_kept_not_lost():
    class Racing(Turns):
        raced = False

        def _sleep(self, me, timeout):
            if not self.raced:  # once: the holder leaves after the wait ran out, before it looks
                self.raced = True
                self.leave()
            return False

    t = Racing(1)
    assert t.enter(0.0)
    assert t.enter(0.0) is True  # handed over: the caller holds the turn
    assert t.waiting == 0 and t.enter(0.0) is False  # one holder, no turn leaked or lost
    t.leave()
    assert t.enter(0.0) is True


def _post_in_threads(app, n: int, out: list) -> list[threading.Thread]:
    def one() -> None:
        r = app.test_client().post(
            "/infer", data=orjson.dumps({"x": window()}), content_type="application/json"
        )
        out.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def test_admitted_requests_beyond_max_executing_wait_their_turn(tiny_artifact):
    app, state = make_app(tiny_artifact, "stub", server={"max_inflight": 4, "max_executing": 1})
    held = state.service.infer = Held(state.service)
    out: list = []
    threads = _post_in_threads(app, 3, out)
    wait_until(
        lambda: held.inside == 1 and state.admission.turns.waiting == 2, "1 inside, 2 waiting"
    )
    assert state.metrics.waiting._value.get() == 2
    held.release.set()
    for t in threads:
        t.join(10)
    assert [s for s, _ in out] == [200, 200, 200]
    assert held.most == 1  # never two inferences at once
    assert state.admission.turns.waiting == 0 and state.admission.inflight == 0
    assert state.metrics.waiting._value.get() == 0


def test_no_turn_within_request_timeout_is_503_overloaded(tiny_artifact):
    app, state = make_app(
        tiny_artifact,
        "stub",
        server={"max_inflight": 4, "max_executing": 1, "request_timeout_s": 0.05},
    )
    held = state.service.infer = Held(state.service)
    out: list = []
    first = _post_in_threads(app, 1, out)
    wait_until(lambda: held.inside == 1, "the first request inside")
    r = app.test_client().post(
        "/infer", data=orjson.dumps({"x": window()}), content_type="application/json"
    )
    held.release.set()
    first[0].join(10)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert r.get_json()["error"] == "overloaded"
    assert "server.max_executing" in r.get_json()["detail"]
    assert out[0][0] == 200
    assert state.admission.inflight == 0  # the refused request gave its slot back
