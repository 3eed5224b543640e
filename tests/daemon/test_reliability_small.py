"""Issue 14 item 7: /healthz after a refused reload, telemetry drops in the log, OPTIONS."""

from __future__ import annotations

import os

from daemon_helpers import copy_artifact, make_app
from hailo_inference.telemetry import DROP_LOG_INTERVAL_S, LoggedDrops


def test_healthz_names_the_directory_still_served_after_a_refused_reload(tiny_artifact, tmp_path):
    good = copy_artifact(tiny_artifact, tmp_path / "releases" / "good")
    bad = copy_artifact(tiny_artifact, tmp_path / "releases" / "bad")
    (bad / "golden.npz").write_bytes(b"corrupt")  # fails its sha256
    current = tmp_path / "current"
    current.symlink_to(good)
    app, _ = make_app(current, "onnx")
    client = app.test_client()
    assert client.get("/healthz").get_json()["artifact_path"] == str(good.resolve())
    current.unlink()
    current.symlink_to(bad)  # the deploy flipped the link; the reload refuses the new release
    assert client.post("/admin/reload").status_code == 422
    health = client.get("/healthz").get_json()
    assert health["artifact_path"] == str(good.resolve()) != os.path.realpath(current)
    assert client.get("/v1/model").get_json()["path"] == str(good.resolve())


class _Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict]] = []

    def warning(self, event: str, **kw: object) -> None:
        self.lines.append((event, kw))


class _Metrics:
    def __init__(self) -> None:
        self.dropped: dict[str, int] = {}

    def on_drop(self, reason: str, n: int) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n


def test_telemetry_drops_are_logged_once_per_reason_and_interval_and_still_counted():
    now = [1000.0]
    log, metrics = _Log(), _Metrics()
    drops = LoggedDrops(metrics, log, clock=lambda: now[0])
    drops.on_drop("disk_full", 3)
    drops.on_drop("disk_full", 4)  # within the interval: counted, not logged again
    drops.on_drop("io_error", 1)
    now[0] += DROP_LOG_INTERVAL_S
    drops.on_drop("disk_full", 1)
    assert metrics.dropped == {"disk_full": 8, "io_error": 1}
    assert [(kw["reason"], kw["events"]) for _, kw in log.lines] == [
        ("disk_full", 3),
        ("io_error", 1),
        ("disk_full", 5),  # the 4 held back + this one
    ]
    assert all(ev == "telemetry_dropped" and kw["hint"] for ev, kw in log.lines)


def test_options_answers_json_like_every_other_method(tiny_artifact):
    app, _ = make_app(tiny_artifact, "onnx")
    for path in ("/infer", "/healthz", "/"):
        r = app.test_client().options(path)
        assert r.status_code == 405 and r.mimetype == "application/json", (path, r.data[:100])
        assert r.get_json()["error"] == "method_not_allowed"
