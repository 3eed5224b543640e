"""edge-telemetry: the inference event stream (NDJSON, off the request path) and the daily
active-learning selection. numpy + orjson only (prometheus_client for the optional metrics)."""

from .config import TelemetryConfig, TelemetryConfigError
from .event import InferenceEvent, Prototypes
from .sink import TelemetrySink

__all__ = [
    "InferenceEvent",
    "Prototypes",
    "TelemetryConfig",
    "TelemetryConfigError",
    "TelemetrySink",
]
__version__ = "0.1.0"
