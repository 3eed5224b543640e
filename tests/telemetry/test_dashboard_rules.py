"""The Grafana dashboard and the Prometheus rules load in their tools' own validators, use
PromQL that promtool accepts, and name only metrics the daemon and the sink really export."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "check_dashboard", ROOT / "telemetry/grafana/check_dashboard.py"
)
assert _spec is not None and _spec.loader is not None
_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_check)
check_dashboard, expressions = _check.check_dashboard, _check.expressions
DASH = ROOT / "telemetry/grafana/hailo-inference.json"
RULES = ROOT / "telemetry/prometheus/hailo-inference-rules.yml"
RULES_TEST = ROOT / "telemetry/prometheus/hailo-inference-rules.test.yml"


@pytest.fixture(scope="module")
def promtool() -> str:
    r = subprocess.run(
        ["bash", str(ROOT / "telemetry/tools/promtool.sh")], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(f"promtool unavailable: {r.stderr.strip()}")
    return r.stdout.strip()


def test_dashboard_is_generated_from_build_dashboard():
    r = subprocess.run(
        [sys.executable, str(ROOT / "telemetry/grafana/build_dashboard.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr


def test_dashboard_matches_grafanas_schema():
    assert check_dashboard(json.loads(DASH.read_text())) == []


def test_schema_check_catches_mistakes():
    d = json.loads(DASH.read_text())
    stat = next(p for p in d["panels"] if p["type"] == "stat")
    ts = next(p for p in d["panels"] if p["type"] == "timeseries")
    stat["options"]["colorMode"] = "neon"  # not a BigValueColorMode
    ts["options"]["legend"]["placment"] = "bottom"  # typo: unknown key
    ts["fieldConfig"]["defaults"]["unit"] = 3  # wrong type
    ts["targets"][0]["expr"] += " + on() vector($nope)"  # undefined variable
    errors = "\n".join(check_dashboard(d))
    assert "'neon' is not one of" in errors
    assert "placment: not in Grafana's dashboard schema" in errors
    assert "unit: expected str" in errors
    assert "$nope is not defined" in errors


def test_rules_and_dashboard_promql_pass_promtool(promtool, tmp_path):
    r = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    exprs = expressions(json.loads(DASH.read_text()))
    assert len(exprs) >= 15
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr:{i}", "expr": e} for i, e in enumerate(exprs)]}]}  # fmt: skip
    f = tmp_path / "dashboard-exprs.yml"
    f.write_text(yaml.safe_dump(rules))
    r = subprocess.run([promtool, "check", "rules", str(f)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_alerts_fire_as_specified(promtool):
    """promtool's rule unit tests: p95 > 45 ms, success < 99.5 %, stub, fallback, temperature,
    telemetry drops fire on the hosts that break them and not on the others."""
    r = subprocess.run(
        [promtool, "test", "rules", RULES_TEST.name], cwd=RULES_TEST.parent,
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr


def exported_names() -> set[str]:
    from edge_telemetry.metrics import TelemetryMetrics
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry()
    TelemetryMetrics(reg)
    names = {s.name for m in reg.collect() for s in m.samples}
    hm = pytest.importorskip("hailo_inference.metrics", reason="daemon metrics not importable")
    m = hm.Metrics(temperatures=lambda: {"ts0": 50.0})
    m.latency.labels("/infer").observe(0.001)
    m.compute.labels("onnx").observe(0.001)
    for metric in m.registry.collect():
        names |= {s.name for s in metric.samples}
        names |= {metric.name + suffix for suffix in ("", "_total", "_bucket", "_count", "_sum")}
    return names


def test_every_metric_named_exists():
    names = exported_names()
    text = DASH.read_text() + RULES.read_text() + RULES_TEST.read_text()
    used = set(re.findall(r"\bedge_sidecar_\w+", text))
    assert used, "no metric referenced?"
    assert sorted(used - names) == []
    rules = yaml.safe_load(RULES.read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert {"HailoInferenceLatencyP95Over45ms", "HailoInferenceSuccessUnder99_5",
            "HailoInferenceStubBackend", "HailoInferenceBackendFallback",
            "HailoDeviceTemperatureHigh"} <= alerts  # fmt: skip
