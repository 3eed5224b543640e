"""Names the metrics share with processes that never record any, importing nothing: the API
description (openapi) and the supervisor name them without loading prometheus_client."""

from __future__ import annotations

PREFIX = "edge_sidecar"
# Several workers (server.workers > 1): the supervisor sets this for its workers, and every metric
# value lives in a file there (prometheus_client's multiprocess mode); a scrape of any worker
# reads all of them. Gauges say how the workers' values combine (multiprocess_mode, ignored with
# one process).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
