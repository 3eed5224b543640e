"""Lab scenario for telemetry and active learning (issue: telemetry), after the deployment ones.

site.yml with telemetry on installs and enables the selector's timer on every edge host; real
/infer traffic becomes an event stream on the device; the selector's service (what the timer
starts daily) writes a selection; `ansible-playbook collect.yml` brings every host's selection to
the controller with the host and model version on each row.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from pathlib import Path

import pytest
import requests
from deploylib import golden_window, model_ref, on_host, play, playbook

pytestmark = pytest.mark.lab

TELEMETRY = {"hailo_inference_telemetry": {"enabled": True, "sample_rate": 1.0}}
REQUESTS_PER_HOST = 40


def _windows(artifact: Path, n: int) -> list[list]:
    """Golden windows plus scaled copies: distinct inputs the selector can tell apart."""
    rng = random.Random(0)
    base = [golden_window(artifact, i) for i in range(4)]
    out = []
    for i in range(n):
        gain = 0.5 + rng.random()
        out.append([[v * gain for v in row] for row in base[i % len(base)]])
    return out


@pytest.fixture(scope="module")
def telemetry_on(artifact_b: Path, urls: dict[str, str]) -> Path:
    res = playbook(artifact_b, "-e", json.dumps(TELEMETRY))
    assert res.rc == 0, res.out[-4000:]
    return artifact_b


def test_timer_installed_enabled_and_active(telemetry_on, urls):
    for host in urls:
        res = on_host(host, "systemctl is-enabled hailo-inference-select.timer && "
                            "systemctl is-active hailo-inference-select.timer")  # fmt: skip
        assert res.rc == 0 and "enabled" in res.out and "active" in res.out, res.out


def test_traffic_becomes_a_selection_collected_on_the_controller(telemetry_on, urls, tmp_path):
    windows = _windows(telemetry_on, REQUESTS_PER_HOST)
    for url in urls.values():
        with requests.Session() as s:
            for w in windows:
                r = s.post(f"{url}/infer", json={"x": w}, timeout=5)
                assert r.status_code == 200, r.text[:300]
    time.sleep(2.5)  # the writer flushes off the request path (flush_interval_s 1.0)
    for host in urls:
        res = on_host(host, "cat /var/lib/hailo-inference/telemetry/*.ndjson | wc -l")
        assert res.rc == 0 and int(res.stdout.split()[-1]) >= REQUESTS_PER_HOST, res.out

    res = play(
        "-e",
        "collect_run_now=true",
        "-e",
        f"collect_dest_root={tmp_path}",
        name="collect.yml",
        lab_vars=False,
    )
    assert res.rc == 0, res.out[-4000:]
    day = tmp_path / dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    index = json.loads((day / "index.json").read_text())
    assert index["hosts"] == {h: True for h in urls}, index
    version = model_ref(telemetry_on).split("@", 1)[1]
    for host in urls:
        rows = [json.loads(ln) for ln in (day / f"{host}.ndjson").read_text().splitlines()]
        assert 0 < len(rows) <= REQUESTS_PER_HOST, len(rows)
        assert {r["host"] for r in rows} == {host}
        assert {r["model_version"] for r in rows} == {version}, {r["model_version"] for r in rows}
        assert all(len(r["window"]) == 100 and len(r["window"][0]) == 9 for r in rows)
        # the default strategy (coverage) lists the picks in greedy k-center order, the
        # best-scored window first (edge_telemetry.active_learning): rank is that order
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        scores = [r["score"] for r in rows]
        assert scores[0] == max(scores), "the selection starts with its best-scored window"


def test_rerun_with_telemetry_on_changes_nothing(telemetry_on, urls):
    res = playbook(telemetry_on, "-e", json.dumps(TELEMETRY))
    assert res.rc == 0, res.out[-4000:]
    changed = {h: res.recap()[h]["changed"] for h in urls}
    assert all(c == 0 for c in changed.values()), f"second run changed something: {changed}"
