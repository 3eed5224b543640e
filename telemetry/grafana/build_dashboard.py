"""Generate telemetry/grafana/hailo-inference.json (the committed file is checked against this).

    .venv/bin/python telemetry/grafana/build_dashboard.py            # rewrite the JSON
    .venv/bin/python telemetry/grafana/build_dashboard.py --check    # exit 1 if it differs

Metric names are the daemon's (daemon/hailo_inference/metrics.py, prefix edge_sidecar_) and
the telemetry sink's (edge_telemetry/metrics.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("hailo-inference.json")
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'instance=~"$instance"'
INF = f'route=~"/infer|/infer/infer|/infer/batch|/", {SEL}'  # the inference routes
RI = "$__rate_interval"
P = "edge_sidecar"


def target(expr: str, legend: str, ref: str) -> dict[str, Any]:
    return {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref, "range": True}


def thresholds(*steps: tuple[float | None, str]) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


class Layout:
    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.y = 0
        self.x = 0
        self.row_h = 0
        self.next_id = 1

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {"type": "row", "title": title, "id": self._id(), "collapsed": False,
             "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []}
        )  # fmt: skip
        self.y += 1

    def add(self, panel: dict[str, Any], w: int, h: int) -> None:
        if self.x + w > 24:
            self._newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        panel["datasource"] = DS
        self.panels.append(panel)
        self.x += w
        self.row_h = max(self.row_h, h)

    def _newline(self) -> None:
        self.y += self.row_h
        self.x, self.row_h = 0, 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def timeseries(
    title: str, desc: str, targets: list[dict], unit: str, steps: Any = None
) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit}
    if steps is not None:
        defaults["thresholds"] = steps
        defaults["custom"] = {"thresholdsStyle": {"mode": "line"}}
    return {
        "type": "timeseries",
        "title": title,
        "description": desc,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True,
                       "calcs": []},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }  # fmt: skip


def stat(
    title: str, desc: str, targets: list[dict], unit: str, steps: Any, text_mode: str = "auto",
    mappings: list | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "type": "stat",
        "title": title,
        "description": desc,
        "targets": targets,
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": steps, "mappings": mappings or []},
            "overrides": [],
        },
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": text_mode,
        },
    }


def quantiles(metric: str, by: str, match: str) -> list[dict[str, Any]]:
    return [
        target(
            f"histogram_quantile({q}, sum by (le, {by}) "
            f"(rate({P}_{metric}_bucket{{{match}}}[{RI}])))",
            f"p{int(q * 100)} {{{{{by}}}}}",
            chr(ord("A") + i),
        )
        for i, q in enumerate((0.5, 0.95, 0.99))
    ]


SLO_LATENCY = thresholds((None, "green"), (0.045, "red"))  # EdgeInfer's 45 ms read timeout


def _service_level(lay: Layout) -> None:
    """The "Service level" row."""
    lay.row("Service level")
    lay.add(stat(
        "p95 latency, inference routes",
        "histogram_quantile over edge_sidecar_request_duration_seconds; SLO: p95 <= 45 ms "
        "(EdgeInfer's read timeout).",
        [target(f"histogram_quantile(0.95, sum by (le) (rate({P}_request_duration_seconds_bucket"
                f"{{{INF}}}[{RI}])))", "p95", "A")],
        "s", SLO_LATENCY), w=6, h=5)  # fmt: skip
    lay.add(stat(
        "Success ratio, inference routes",
        "1 - 5xx / all (503 sheds and timeouts count as failures); SLO >= 99.5 %.",
        [target(f'1 - (sum(rate({P}_requests_total{{{INF}, status=~"5.."}}[{RI}])) or vector(0))'
                f" / sum(rate({P}_requests_total{{{INF}}}[{RI}]))", "success", "A")],
        "percentunit", thresholds((None, "red"), (0.995, "green"))), w=6, h=5)  # fmt: skip
    lay.add(stat(
        "Backend serving",
        "edge_sidecar_model_info: backend and model version per instance.",
        [target(f"{P}_model_info{{{SEL}}}", "{{instance}} {{backend}} {{version}}", "A")],
        "none", thresholds((None, "blue")), text_mode="name"), w=6, h=5)  # fmt: skip
    lay.add(stat(
        "Stub backend",
        "1 = the stub backend serves deterministic fake outputs: NOT a model.",
        [target(f"max({P}_stub_backend{{{SEL}}})", "stub", "A")],
        "none", thresholds((None, "green"), (1, "red")),
        mappings=[{"type": "value", "options": {
            "0": {"text": "no", "color": "green"}, "1": {"text": "STUB", "color": "red"}}}],
    ), w=6, h=5)  # fmt: skip


def _latency(lay: Layout) -> None:
    """The "Latency" row."""
    lay.row("Latency")
    lay.add(timeseries(
        "Request latency by route (p50 / p95 / p99)",
        "From the daemon's histogram (parse + validate + infer + serialize); the red line is "
        "the 45 ms SLO.",
        quantiles("request_duration_seconds", "route", INF), "s", SLO_LATENCY),
        w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Backend compute time by backend (p50 / p95 / p99)",
        "Time in the accelerator graph call only.",
        quantiles("backend_compute_seconds", "backend", SEL), "s"), w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Requests within 45 ms and 50 ms",
        "Exact: the histogram has bucket edges at 0.045 and 0.05 s.",
        [target(f'sum(rate({P}_request_duration_seconds_bucket{{{INF}, le="{le}"}}[{RI}])) / '
                f"sum(rate({P}_request_duration_seconds_count{{{INF}}}[{RI}]))", name, ref)
         for le, name, ref in (("0.045", "<= 45 ms", "A"), ("0.05", "<= 50 ms", "B"))],
        "percentunit", thresholds((None, "red"), (0.95, "green"))), w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Requests in flight",
        "Beyond server.max_inflight the daemon answers 503 at once. Waiting: admitted, but "
        "waiting for one of server.max_executing turns (one per core by default).",
        [target(f"sum by (instance) ({P}_inflight_requests{{{SEL}}})", "{{instance}}", "A"),
         target(f"sum by (instance) ({P}_waiting_requests{{{SEL}}})", "waiting {{instance}}",
                "B")],
        "short"), w=12, h=8)  # fmt: skip


def _traffic(lay: Layout) -> None:
    """The "Traffic and errors" row."""
    lay.row("Traffic and errors")
    lay.add(timeseries(
        "Throughput",
        "Requests/s by route and windows/s by backend.",
        [target(f"sum by (route) (rate({P}_requests_total{{{INF}}}[{RI}]))", "req/s {{route}}",
                "A"),
         target(f"sum by (backend) (rate({P}_windows_total{{{SEL}}}[{RI}]))",
                "windows/s {{backend}}", "B")],
        "reqps"), w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Errors by status",
        "4xx: the client's fault (bad input); 5xx: ours (503 = shed or draining).",
        [target(f'sum by (status) (rate({P}_requests_total{{{SEL}, status=~"[45].."}}[{RI}]))',
                "{{status}}", "A")],
        "reqps"), w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Rejections by reason",
        "overloaded, draining, not_ready, invalid_input, too_large, timeout.",
        [target(f"sum by (reason) (rate({P}_rejections_total{{{SEL}}}[{RI}]))", "{{reason}}",
                "A")],
        "reqps"), w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Backend fallbacks",
        "Runtime fallbacks from the accelerator (e.g. hailo -> onnx) per instance.",
        [target(f"sum by (instance, from_backend, to_backend) "
                f"(increase({P}_backend_fallbacks_total{{{SEL}}}[{RI}]))",
                "{{instance}} {{from_backend}} -> {{to_backend}}", "A")],
        "short"), w=12, h=8)  # fmt: skip


def _device(lay: Layout) -> None:
    """The "Device" row."""
    lay.row("Device")
    lay.add(timeseries(
        "Hailo chip temperature",
        "Per sensor, only while the hailo backend serves. Alerts at 80 C (warning) and 90 C.",
        [target(f"{P}_device_temperature_celsius{{{SEL}}}", "{{instance}} {{sensor}}", "A")],
        "celsius", thresholds((None, "green"), (80, "orange"), (90, "red"))),
        w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Ready",
        "1 when /readyz answers 200 (model loaded, warmed up, golden vectors reproduced).",
        [target(f"{P}_ready{{{SEL}}}", "{{instance}}", "A")],
        "short"), w=12, h=8)  # fmt: skip


def _telemetry(lay: Layout) -> None:
    """The "Inference telemetry (active learning)" row."""
    lay.row("Inference telemetry (active learning)")
    lay.add(timeseries(
        "Telemetry events written and dropped",
        "Dropped events are counted by reason (queue_full, disk_full, io_error, ...).",
        [target(f"sum(rate({P}_telemetry_events_total{{{SEL}}}[{RI}]))", "written/s", "A"),
         target(f"sum by (reason) (rate({P}_telemetry_dropped_total{{{SEL}}}[{RI}]))",
                "dropped/s {{reason}}", "B")],
        "ops"), w=12, h=8)  # fmt: skip
    lay.add(timeseries(
        "Telemetry queue depth",
        "Events waiting for the writer thread (telemetry.queue_size drops beyond).",
        [target(f"{P}_telemetry_queue_depth{{{SEL}}}", "{{instance}}", "A")],
        "short"), w=12, h=8)  # fmt: skip


ROWS = (_service_level, _latency, _traffic, _device, _telemetry)


def build() -> dict[str, Any]:
    lay = Layout()
    for row in ROWS:
        row(lay)
    return _dashboard(lay.panels)


def _dashboard(panels: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard around its panels: title, variables (datasource, instance), refresh."""
    return {
        "uid": "edge-hailo-inference",
        "title": "hailo-inference sidecar",
        "description": "EdgeInfer's local inference sidecar on the Pi 5 + Hailo fleet: SLOs, "
        "latency, traffic, errors, backend, device temperature, telemetry.",
        "tags": ["edge", "hailo-inference"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "type": "datasource",
                    "name": "datasource",
                    "label": "Prometheus",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                },
                {
                    "type": "query",
                    "name": "instance",
                    "label": "Instance",
                    "datasource": DS,
                    "query": {"query": f"label_values({P}_ready, instance)", "refId": "instance"},
                    "refresh": 2,
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "current": {},
                    "sort": 1,
                    "hide": 0,
                },
            ]
        },
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the committed JSON differs")
    args = ap.parse_args()
    text = render()
    if args.check:
        if not OUT.is_file() or OUT.read_text() != text:
            print(f"{OUT} is stale: run {Path(__file__).name} to regenerate it", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
