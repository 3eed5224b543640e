"""Issue 14 item 2: reloads are serialized and coalesced, and the old model is released as soon
as the requests using it finish (it used to be kept 30 s per reload: RSS grew to GBs)."""

from __future__ import annotations

import threading
import time

from daemon_helpers import make_app
from hailo_inference.service import ModelService


def _wait_for(pred, what: str, limit_s: float = 30.0) -> None:
    """Bounded wait for a condition another thread makes true (not a timing assertion)."""
    end = time.monotonic() + limit_s
    while not pred():
        assert time.monotonic() < end, f"never happened: {what}"
        time.sleep(0.01)


def test_reloads_during_a_reload_join_it_and_build_one_model(tiny_artifact, monkeypatch):
    _, state = make_app(tiny_artifact, "onnx")
    svc: ModelService = state.service
    entered, go = threading.Event(), threading.Event()
    real_build = svc.build

    def held_build(path: str):
        entered.set()
        assert go.wait(60)
        return real_build(path)

    monkeypatch.setattr(svc, "build", held_build)
    builds_before = svc.builds
    results: list = []
    first = threading.Thread(target=lambda: results.append(svc.reload("admin")))
    first.start()
    assert entered.wait(60)
    joiners = [
        threading.Thread(target=lambda: results.append(svc.reload("sighup"))) for _ in range(20)
    ]
    for t in joiners:
        t.start()
    joined = state.metrics.reloads.labels("joined")
    _wait_for(lambda: joined._value.get() == 20, "20 reloads joined the running one")
    go.set()
    for t in [first, *joiners]:
        t.join(60)
    assert len(results) == 21 and all(r.ok for r in results)
    assert len({r.manifest_sha256 for r in results}) == 1
    assert svc.builds - builds_before == 1  # one model built for 21 reload requests
    assert state.metrics.reloads.labels("swapped")._value.get() == 1
    # and once it finished, the next reload builds again (no stale result)
    monkeypatch.setattr(svc, "build", real_build)
    assert svc.reload("admin").ok and svc.builds - builds_before == 2


def test_old_model_is_released_when_its_last_request_finishes(tiny_artifact):
    _, state = make_app(tiny_artifact, "onnx")
    svc: ModelService = state.service
    old = svc.served
    old.lease.acquire()  # a request still running on the old model
    assert svc.reload("admin").ok and svc.served is not old
    assert old.backend.session is not None  # not closed under the running request
    old.lease.release()
    assert old.backend.session is None  # closed at once, not after a 30 s timer
    newer = svc.served
    assert svc.reload("admin").ok
    assert newer.backend.session is None  # nobody used it: released immediately
    assert svc.served.backend.session is not None
