"""The backend plugins by key, importing nothing: config validates model.backend against these
names without loading numpy or any backend (the supervisor imports config)."""

from __future__ import annotations

PLUGINS: dict[str, str] = {
    "hailo": "hailo_inference.backends.hailo",
    "onnx": "hailo_inference.backends.onnx",
    "stub": "hailo_inference.backends.stub",
}
BACKENDS: tuple[str, ...] = tuple(PLUGINS)
