"""Inference backends: hailo (HailoRT InferModel), onnx (ONNX Runtime CPU), stub (deterministic).

Every backend runs only the accelerator graph; the host tail (tail.py) is shared by all.
"""

from hailo_inference.backends.base import (
    Backend,
    BackendError,
    BackendTimeout,
    BackendUnavailable,
)

__all__ = ["Backend", "BackendError", "BackendTimeout", "BackendUnavailable"]
