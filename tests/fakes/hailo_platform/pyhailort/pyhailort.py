"""Fake of hailo_platform.pyhailort.pyhailort: where the real package defines its exception
classes (hailort/libhailort/bindings/python/platform/hailo_platform/pyhailort/pyhailort.py)."""

from .._api import AsyncInferCompletionInfo, AsyncInferJob, ConfiguredInferModel, Device, VDevice
from .._errors import (
    HailoCommunicationClosedException,
    HailoRTDriverOperationFailedException,
    HailoRTException,
    HailoRTHEFNotCompatibleWithDevice,
    HailoRTInvalidArgumentException,
    HailoRTInvalidHEFException,
    HailoRTInvalidOperationException,
    HailoRTNotFoundException,
    HailoRTStreamAborted,
    HailoRTTimeout,
)

__all__ = [
    "AsyncInferCompletionInfo",
    "AsyncInferJob",
    "ConfiguredInferModel",
    "Device",
    "HailoCommunicationClosedException",
    "HailoRTDriverOperationFailedException",
    "HailoRTException",
    "HailoRTHEFNotCompatibleWithDevice",
    "HailoRTInvalidArgumentException",
    "HailoRTInvalidHEFException",
    "HailoRTInvalidOperationException",
    "HailoRTNotFoundException",
    "HailoRTStreamAborted",
    "HailoRTTimeout",
    "VDevice",
]
