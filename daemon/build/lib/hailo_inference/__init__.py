"""hailo-inference: the local inference sidecar EdgeInfer talks to (no torch here, ever)."""

__version__ = "0.1.0"
