"""Names the metrics share with processes that never record any, importing nothing but `re`: the
API description (openapi), the supervisor and the roles' host scripts (serving_backends) use them
without loading prometheus_client."""

from __future__ import annotations

import re

PREFIX = "edge_sidecar"
# Several workers (server.workers > 1): the supervisor sets this for its workers, and every metric
# value lives in a file there (prometheus_client's multiprocess mode); a scrape of any worker
# reads all of them. Gauges say how the workers' values combine (multiprocess_mode, ignored with
# one process).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# One /metrics line of <PREFIX>_model_info (metrics.py): its labels, then its value.
_MODEL_INFO = re.compile(rf"^{PREFIX}_model_info\{{([^}}]*)\}}\s+(\S+)", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def serving_backends(metrics_text: str, model: str) -> list[str]:
    """Every backend some live worker serves `model` (name@version) on, from one /metrics scrape.

    With server.workers > 1 each connection reaches one worker, so /healthz speaks for that one
    only; /metrics merges every live worker's files and <PREFIX>_model_info is `livemax` (a
    worker's series reads 1 while it serves that model on that backend, metrics.py set_model,
    runtime fallbacks included), so one scrape answers for all workers. Used by the roles' health
    gate and first-day verification, which run in the release's venv."""
    out = set()
    for labels, value in _MODEL_INFO.findall(metrics_text):
        lab = dict(_LABEL.findall(labels))
        if float(value) >= 1 and f"{lab.get('name')}@{lab.get('version')}" == model:
            out.add(lab.get("backend", "?"))
    return sorted(out)
