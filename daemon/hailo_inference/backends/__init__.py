"""Inference backends: hailo (HailoRT InferModel), onnx (ONNX Runtime CPU), stub (deterministic).

Every backend runs only the accelerator graph; the host tail (edge_artifact.tail) is shared by
all. Backends are plugins behind backends.registry (open_backend), imported only when used.
"""

from hailo_inference.backends.base import (
    Backend,
    BackendError,
    BackendTimeout,
    BackendUnavailable,
)

__all__ = ["Backend", "BackendError", "BackendTimeout", "BackendUnavailable"]
